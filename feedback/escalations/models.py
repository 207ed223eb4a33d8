"""Escalations: a tenant's settings, the escalation with its state machine, its evidence and timeline."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from feedback.signals.models import STORY_TEXT_MAX
from feedback.stories.models import Story
from promises.models import Promise
from tenants.keys import TenantForeignKey
from tenants.models import ApiKey, Department, Membership, TenantModel, Touchpoint

# --- Escalations ------------------------------------------------------------------------------


class EscalationSeverity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class EscalationState(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    APPROVED = "approved", "Approved"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"


OPEN_ESCALATION_STATES = (
    EscalationState.PROPOSED,
    EscalationState.APPROVED,
    EscalationState.IN_PROGRESS,
    EscalationState.RESOLVED,
)

# Default clocks per severity, in hours: (time to decision, time to resolution).
ESCALATION_CLOCK_DEFAULTS: dict[str, tuple[int, int]] = {
    EscalationSeverity.CRITICAL: (4, 2 * 24),
    EscalationSeverity.HIGH: (24, 7 * 24),
    EscalationSeverity.MEDIUM: (2 * 24, 14 * 24),
    EscalationSeverity.LOW: (3 * 24, 30 * 24),
}


class EscalationSettings(TenantModel):
    """A tenant's escalation rules and clocks (one row per tenant; defaults when there is none)."""

    audit_noun = ("escalation settings", "escalation settings")

    auto_from_stories = models.BooleanField(
        default=True,
        help_text="Propose an escalation for a story of severity high, or with sentiment at or below the "
        "threshold, that touches an active promise.",
    )
    story_sentiment_threshold = models.FloatField(
        default=-0.6, help_text="Stories at or below this sentiment (−1 … 1) are proposed automatically."
    )
    auto_from_breaches = models.BooleanField(
        default=True,
        help_text="Propose an escalation for a commitment no longer met and for a hidden breach.",
    )
    critical_decision_hours = models.PositiveIntegerField(default=ESCALATION_CLOCK_DEFAULTS["critical"][0])
    critical_resolution_hours = models.PositiveIntegerField(default=ESCALATION_CLOCK_DEFAULTS["critical"][1])
    high_decision_hours = models.PositiveIntegerField(default=ESCALATION_CLOCK_DEFAULTS["high"][0])
    high_resolution_hours = models.PositiveIntegerField(default=ESCALATION_CLOCK_DEFAULTS["high"][1])
    medium_decision_hours = models.PositiveIntegerField(default=ESCALATION_CLOCK_DEFAULTS["medium"][0])
    medium_resolution_hours = models.PositiveIntegerField(default=ESCALATION_CLOCK_DEFAULTS["medium"][1])
    low_decision_hours = models.PositiveIntegerField(default=ESCALATION_CLOCK_DEFAULTS["low"][0])
    low_resolution_hours = models.PositiveIntegerField(default=ESCALATION_CLOCK_DEFAULTS["low"][1])
    admin_after_hours = models.PositiveIntegerField(
        default=24, help_text="Hours past a due time after which the tenant admins are told (level 2)."
    )
    auto_close_days = models.PositiveIntegerField(
        default=7, help_text="Days after resolution when an escalation closes by itself unless reopened."
    )

    class Meta:
        verbose_name_plural = "escalation settings"
        constraints = [
            models.UniqueConstraint("tenant", name="escalation_settings_unique_tenant"),
            models.CheckConstraint(
                condition=Q(story_sentiment_threshold__gte=-1, story_sentiment_threshold__lte=1),
                name="escalation_settings_threshold_range",
            ),
        ]

    def __str__(self) -> str:
        return "escalation settings"

    def decision_hours(self, severity: str) -> int:
        return getattr(self, f"{severity}_decision_hours")

    def resolution_hours(self, severity: str) -> int:
        return getattr(self, f"{severity}_resolution_hours")


class Escalation(TenantModel):
    """A breach on its way to a decision, an owner and a resolution (``feedback.escalations.services``).

    The state changes only through the ``transition`` methods below (django-fsm), called by the
    services under a row lock. ``breach_event_id`` refers to a ``metrics.BreachEvent`` loosely
    (that app sits above this one); ``breach`` keeps its title and numbers as they were.
    """

    audit_noun = "escalation"
    audit_name = ("title",)

    class ProposerKind(models.TextChoices):
        MEMBER = "member", "Member"
        API_KEY = "api_key", "API key"
        SYSTEM = "system", "System"

    title = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="", max_length=STORY_TEXT_MAX)
    severity = models.CharField(max_length=8, choices=EscalationSeverity.choices)
    state = FSMField(max_length=16, choices=EscalationState.choices, default=EscalationState.PROPOSED)
    promise = TenantForeignKey(
        Promise, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    touchpoint = TenantForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.SET_NULL, related_name="escalations"
    )
    department = TenantForeignKey(Department, on_delete=models.RESTRICT, related_name="escalations")
    stories = models.ManyToManyField(Story, through="EscalationEvidence", related_name="escalations")
    breach_event_id = models.BigIntegerField(null=True, blank=True)
    breach = models.JSONField(default=dict, blank=True, help_text="The breach event as it was detected.")
    proposer_kind = models.CharField(max_length=8, choices=ProposerKind.choices)
    proposed_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_by_key = TenantForeignKey(
        ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    owner = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_escalations"
    )
    resolution = models.TextField(blank=True, default="")
    proposed_at = models.DateTimeField()
    decision_due_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    overdue_level = models.PositiveSmallIntegerField(
        default=0, help_text="0 on time; 1 managers reminded; 2 admins told (for the current clock)."
    )
    reminder_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the reminder before the running clock's due time goes out; empty once sent "
        "(or when there is none).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "breach_event_id",
                condition=Q(breach_event_id__isnull=False),
                name="escalation_unique_breach_event",
            ),
            models.CheckConstraint(condition=Q(overdue_level__lte=2), name="escalation_overdue_level_range"),
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "proposed_at"], name="escalation_state_idx"),
            models.Index(fields=["tenant", "department", "state"], name="escalation_department_idx"),
            models.Index(fields=["tenant", "promise", "touchpoint"], name="escalation_promise_idx"),
            models.Index(
                fields=["tenant", "reminder_at"],
                condition=Q(reminder_at__isnull=False),
                name="escalation_reminder_idx",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # The transitions: what each one needs from the caller is checked in the services.

    @transition(field=state, source=EscalationState.PROPOSED, target=EscalationState.APPROVED)
    def approve(self) -> None:
        pass

    @transition(field=state, source=EscalationState.PROPOSED, target=EscalationState.REJECTED)
    def reject(self) -> None:
        pass

    @transition(field=state, source=EscalationState.APPROVED, target=EscalationState.IN_PROGRESS)
    def start(self) -> None:
        pass

    @transition(
        field=state,
        source=[EscalationState.APPROVED, EscalationState.IN_PROGRESS],
        target=EscalationState.RESOLVED,
    )
    def resolve(self) -> None:
        pass

    @transition(field=state, source=EscalationState.RESOLVED, target=EscalationState.IN_PROGRESS)
    def reopen(self) -> None:
        pass

    @transition(field=state, source=EscalationState.RESOLVED, target=EscalationState.CLOSED)
    def close(self) -> None:
        pass

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_ESCALATION_STATES

    @property
    def due_at(self):
        """The due time of the clock that runs now (decision, then resolution), or None."""
        if self.state == EscalationState.PROPOSED:
            return self.decision_due_at
        if self.state in (EscalationState.APPROVED, EscalationState.IN_PROGRESS):
            return self.resolution_due_at
        return None

    def is_overdue_at(self, now) -> bool:
        due = self.due_at
        return due is not None and due < now


class EscalationEvidence(TenantModel):
    """A story an escalation came from or that was merged into it."""

    audit_noun = ("evidence", "evidence")
    audit_name = ("story_id", "escalation__title")

    escalation = TenantForeignKey(Escalation, on_delete=models.CASCADE, related_name="evidence")
    story = TenantForeignKey(Story, on_delete=models.CASCADE, related_name="escalation_links")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint("tenant", "escalation", "story", name="escalation_evidence_unique")
        ]
        indexes = [models.Index(fields=["tenant", "story"], name="escalation_evidence_story_idx")]

    def __str__(self) -> str:
        return f"story {self.story_id} is evidence of escalation {self.escalation_id}"

    @staticmethod
    def audit_named(story_id: int, escalation: str) -> str:
        return f"story {story_id} for “{escalation}”"


class EscalationEntry(TenantModel):
    """One line of an escalation's timeline: a transition, a comment, merged evidence, a reminder."""

    audit_noun = "history entry"
    audit_name = ("escalation__title",)

    class Kind(models.TextChoices):
        TRANSITION = "transition", "Transition"
        COMMENT = "comment", "Comment"
        EVIDENCE = "evidence", "Evidence added"
        ASSIGNED = "assigned", "Owner assigned"
        OVERDUE = "overdue", "Overdue"

    escalation = TenantForeignKey(Escalation, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_state = models.CharField(max_length=16, blank=True, default="")
    to_state = models.CharField(max_length=16, blank=True, default="")
    actor_kind = models.CharField(max_length=8, choices=Escalation.ProposerKind.choices)
    actor = TenantForeignKey(Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=254, blank=True, default="")
    note = models.TextField(blank=True, default="", max_length=STORY_TEXT_MAX)
    level = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Overdue level reached.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["tenant", "escalation", "created_at"], name="escalation_entry_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on escalation {self.escalation_id}"

    @property
    def from_state_label(self) -> str:
        return EscalationState(self.from_state).label if self.from_state else ""

    @property
    def to_state_label(self) -> str:
        return EscalationState(self.to_state).label if self.to_state else ""

    @staticmethod
    def audit_named(escalation: str) -> str:
        return f"of “{escalation}”"
