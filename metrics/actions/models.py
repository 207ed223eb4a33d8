"""An action of an action plan (``metrics.actions``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tenants.keys import TenantForeignKey
from tenants.models import Department, Membership, TenantModel

TITLE_MAX = 300
NOTES_MAX = 5000


class ActionStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


OPEN_ACTION_STATUSES = (ActionStatus.PLANNED, ActionStatus.IN_PROGRESS)


class Action(TenantModel):
    """Something a member will do about a promise, an escalation or a breach event, by a date.

    At least one of ``promise``, ``escalation`` and ``breach_event`` names what it is about;
    ``promise`` is filled from the escalation or breach event when they name one, so every action
    about a promise is listed on its page. ``commitment`` (of that promise), when set, is what
    "did it work?" compares before and after ``done_at``. ``reminded_before`` and
    ``reminded_due`` hold the due date each reminder was queued for: a changed due date is
    reminded of again, the same one never twice.
    """

    audit_noun = "action"
    audit_name = ("title",)

    title = models.CharField(max_length=TITLE_MAX)
    promise = TenantForeignKey(
        "promises.Promise", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    escalation = TenantForeignKey(
        "feedback.Escalation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    breach_event = TenantForeignKey(
        "metrics.BreachEvent", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    commitment = TenantForeignKey(
        "promises.Commitment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The commitment the action should improve (its score before and after is compared).",
    )
    owner = TenantForeignKey(Membership, on_delete=models.RESTRICT, related_name="+")
    department = TenantForeignKey(Department, on_delete=models.RESTRICT, related_name="+")
    due_on = models.DateField(help_text="The day it is due, in the tenant's time zone.")
    status = models.CharField(max_length=16, choices=ActionStatus.choices, default=ActionStatus.PLANNED)
    notes = models.TextField(blank=True, default="", max_length=NOTES_MAX)
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminded_before = models.DateField(
        null=True, blank=True, help_text="The due date the reminder before it was queued for."
    )
    reminded_due = models.DateField(
        null=True, blank=True, help_text="The due date the reminder on the day was queued for."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promise__isnull=False)
                | Q(escalation__isnull=False)
                | Q(breach_event__isnull=False),
                name="action_has_subject",
            ),
            models.CheckConstraint(
                condition=Q(status="done", done_at__isnull=False)
                | (~Q(status="done") & Q(done_at__isnull=True)),
                name="action_done_at_when_done",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "due_on"], name="action_status_due_idx"),
            models.Index(fields=["tenant", "owner", "status"], name="action_owner_idx"),
            models.Index(fields=["tenant", "department", "status"], name="action_department_idx"),
            models.Index(fields=["tenant", "promise"], name="action_promise_idx"),
            models.Index(fields=["tenant", "escalation"], name="action_escalation_idx"),
            models.Index(fields=["tenant", "breach_event"], name="action_breach_event_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_ACTION_STATUSES
