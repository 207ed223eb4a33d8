"""Brand and customer promises, their contributing departments and wording versions.

A promise's current wording lives on :class:`Promise` (what lists show) and, identically, in
its newest :class:`PromiseVersion`. Version 1 is created with the promise and is rewritten in
place while the promise has never been active (draft or in review: nothing has been promised
to anyone yet). From activation on, versions are frozen: changing the wording of an active
promise adds version n + 1 and keeps every earlier one (details in ``promises/services.py``).

The subjects' models live with them — measures and commitments in
``promises/commitments/models.py``, sign-offs in ``promises/signoffs/models.py`` — and are
re-exported at the end, where Django and the other apps find every model of the app.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.keys import TenantForeignKey
from tenants.models import Department, Membership, TenantModel


class Promise(TenantModel):
    audit_noun = "promise"
    audit_name = ("title",)

    class Kind(models.TextChoices):
        BRAND = "brand", "Brand promise"
        CUSTOMER = "customer", "Customer promise"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    slug = models.SlugField(max_length=120)
    # The current wording; identical to the newest PromiseVersion.
    title = models.CharField(max_length=200)
    statement = models.TextField(help_text="What the customer can expect, in their words.")
    benefits = models.TextField(blank=True, default="")
    quality_standards = models.TextField(blank=True, default="")
    intended_feeling = models.TextField(blank=True, default="")
    version = models.PositiveIntegerField(default=1, help_text="Number of the current wording version.")

    owner = TenantForeignKey(Department, on_delete=models.RESTRICT, related_name="owned_promises")
    contributors = models.ManyToManyField(
        Department, through="PromiseContributor", related_name="contributed_promises", blank=True
    )
    weight = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal(1))
    parent = TenantForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="children",
        help_text="The brand promise this customer promise activates.",
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    review_round = models.PositiveIntegerField(
        default=0, help_text="How many times the promise was submitted for review."
    )
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "title", "id"]
        constraints = [
            models.UniqueConstraint("tenant", "slug", name="promise_unique_slug"),
            models.CheckConstraint(condition=Q(weight__gt=0), name="promise_weight_positive"),
            models.CheckConstraint(
                condition=Q(parent__isnull=True) | Q(kind="customer"), name="promise_parent_only_customer"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status"], name="promise_status_idx"),
            models.Index(fields=["tenant", "owner"], name="promise_owner_idx"),
            models.Index(fields=["tenant", "parent"], name="promise_parent_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_brand(self) -> bool:
        return self.kind == self.Kind.BRAND

    @property
    def has_been_active(self) -> bool:
        return self.activated_at is not None


class PromiseContributor(TenantModel):
    """A department that shares accountability for a promise (and signs it off)."""

    audit_noun = "contribution"
    audit_name = ("department__name", "promise__title")

    promise = TenantForeignKey(Promise, on_delete=models.CASCADE, related_name="contributions")
    department = TenantForeignKey(Department, on_delete=models.RESTRICT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint("tenant", "promise", "department", name="promise_contributor_unique")
        ]
        indexes = [models.Index(fields=["tenant", "department"], name="promise_contributor_dept_idx")]

    def __str__(self) -> str:
        return f"{self.department} contributes to {self.promise}"

    @staticmethod
    def audit_named(department: str, promise: str) -> str:
        return f"of {department} to “{promise}”"


class PromiseVersion(TenantModel):
    """One wording of a promise. Frozen once the promise has been active (see the module docs)."""

    audit_noun = "wording"
    audit_name = ("number", "promise__title")

    promise = TenantForeignKey(Promise, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    statement = models.TextField()
    benefits = models.TextField(blank=True, default="")
    quality_standards = models.TextField(blank=True, default="")
    intended_feeling = models.TextField(blank=True, default="")
    note = models.CharField(max_length=500, blank=True, default="", help_text="Why the wording changed.")
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["promise", "number"]
        constraints = [
            models.UniqueConstraint("tenant", "promise", "number", name="promise_version_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.title} (v{self.number})"

    # The subjects' models, registered with this app (their modules do not import this one).

    @staticmethod
    def audit_named(number: int, promise: str) -> str:
        return f"v{number} of “{promise}”"


from promises.commitments.models import (  # noqa: E402
    BUILTIN_MEASURES,
    DURATION_SCALE,
    BuiltinMeasure,
    Commitment,
    CommitmentVersion,
    Measure,
    MeasureBenchmark,
)
from promises.signoffs.models import SignOff  # noqa: E402

__all__ = [
    "BUILTIN_MEASURES",
    "DURATION_SCALE",
    "BuiltinMeasure",
    "Commitment",
    "CommitmentVersion",
    "Measure",
    "MeasureBenchmark",
    "Promise",
    "PromiseContributor",
    "PromiseVersion",
    "SignOff",
]
