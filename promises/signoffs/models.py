"""Sign-offs: each department's decision on a review round of a promise.

The promise is referenced by its label (``"promises.Promise"``): ``promises.models``
re-exports this model, so importing it from here would run in a circle.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.keys import TenantForeignKey
from tenants.models import Department, Membership, TenantModel


class SignOff(TenantModel):
    """One department's decision on one review round of a promise."""

    audit_noun = "sign-off"
    audit_name = ("department__name", "promise__title")

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        CHANGES_REQUESTED = "changes_requested", "Changes requested"
        # An admin activated the promise without this department's decision (reason in comment).
        OVERRIDDEN = "overridden", "Overridden by an admin"
        # The round ended (another department requested changes) before this one decided.
        WITHDRAWN = "withdrawn", "Withdrawn"

    promise = TenantForeignKey("promises.Promise", on_delete=models.CASCADE, related_name="sign_offs")
    review_round = models.PositiveIntegerField()
    department = TenantForeignKey(Department, on_delete=models.RESTRICT, related_name="+")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    decided_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.RESTRICT, related_name="+"
    )
    comment = models.TextField(blank=True, default="")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["promise", "review_round", "department__name"]
        constraints = [
            models.UniqueConstraint(
                "tenant", "promise", "review_round", "department", name="sign_off_unique_department"
            ),
            models.CheckConstraint(
                condition=Q(status="pending", decided_at__isnull=True)
                | (~Q(status="pending") & Q(decided_at__isnull=False)),
                name="sign_off_decided_at_iff_decided",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "department", "status"], name="sign_off_department_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.department}: {self.get_status_display()} ({self.promise}, round {self.review_round})"

    @staticmethod
    def audit_named(department: str, promise: str) -> str:
        return f"of {department} for “{promise}”"
