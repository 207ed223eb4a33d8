"""Signals: what customers actually experience.

- :class:`Story`: a customer story, logged by an employee (web form) or pushed by a partner
  system (API, CSV), with its VADER sentiment computed when it is written.
- :class:`SurveyResponse`: one answer to a built-in survey measure (NPS, CSAT, CES).
- :class:`ServiceEvent`: one case of a tenant's duration measure (e.g. a refund that took
  ``duration_seconds``).

Every signal remembers its source (a member or an API key) and, when the sender gives one,
its ``external_id``. ``(tenant, source_kind, source_id, external_id)`` is unique per signal
type: a repeated item is a duplicate and changes nothing (``feedback.services``).

Signals are immutable facts; the scoring issue reads them by ``(tenant, occurred_at)`` and
``(tenant, touchpoint, occurred_at)``.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from promises.models import Measure, Promise
from tenants.keys import TenantForeignKey
from tenants.models import ApiKey, Department, Membership, TenantModel, Touchpoint

STORY_TEXT_MAX = 5000
EXTERNAL_ID_MAX = 200

# The answer scale of each survey measure (what a respondent can pick), by measure key.
SURVEY_SCORE_RANGES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


class SourceKind(models.TextChoices):
    MEMBER = "member", "Member"
    API_KEY = "api_key", "API key"


class Signal(TenantModel):
    """What every signal has: when it happened, who sent it, and the sender's own id for it."""

    occurred_at = models.DateTimeField()
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices)
    source_id = models.BigIntegerField(help_text="The member's or the API key's id.")
    external_id = models.CharField(
        max_length=EXTERNAL_ID_MAX,
        null=True,
        blank=True,
        help_text="The sender's id for this item; a repeat with the same id is a duplicate.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


def _signal_constraints(prefix: str) -> list[models.BaseConstraint]:
    return [
        models.UniqueConstraint(
            "tenant",
            "source_kind",
            "source_id",
            "external_id",
            condition=Q(external_id__isnull=False),
            name=f"{prefix}_unique_external_id",
        ),
    ]


def _signal_indexes(prefix: str) -> list[models.Index]:
    return [
        models.Index(fields=["tenant", "occurred_at"], name=f"{prefix}_occurred_idx"),
        models.Index(fields=["tenant", "touchpoint", "occurred_at"], name=f"{prefix}_touchpoint_idx"),
    ]


class Story(Signal):
    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Channel(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        API = "api", "API"
        CSV = "csv", "CSV import"

    text = models.TextField(max_length=STORY_TEXT_MAX, help_text="What happened, in the customer's words.")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="stories")
    promises = models.ManyToManyField(Promise, through="StoryPromise", related_name="stories", blank=True)
    department = TenantForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories"
    )
    segment = models.CharField(max_length=120, blank=True, default="", help_text="Customer segment.")
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    sentiment = models.FloatField(help_text="VADER compound score, from -1 (negative) to 1 (positive).")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "stories"
        constraints = [
            *_signal_constraints("story"),
            models.CheckConstraint(
                condition=Q(sentiment__gte=-1, sentiment__lte=1), name="story_sentiment_range"
            ),
        ]
        indexes = _signal_indexes("story")

    def __str__(self) -> str:
        return self.text[:60]


# Named at module level for the API schema (cxgov.settings SPECTACULAR_SETTINGS enum names).
StorySeverity = Story.Severity


class StoryPromise(TenantModel):
    """A promise a story touches."""

    story = TenantForeignKey(Story, on_delete=models.CASCADE, related_name="promise_links")
    promise = TenantForeignKey(Promise, on_delete=models.CASCADE, related_name="story_links")

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "story", "promise", name="story_promise_unique")]
        indexes = [models.Index(fields=["tenant", "promise"], name="story_promise_promise_idx")]

    def __str__(self) -> str:
        return f"story {self.story_id} touches promise {self.promise_id}"


class SurveyResponse(Signal):
    measure = TenantForeignKey(
        Measure,
        on_delete=models.RESTRICT,
        related_name="survey_responses",
        limit_choices_to={"kind": "survey"},
    )
    score = models.SmallIntegerField(help_text="On the measure's answer scale: NPS 0–10, CSAT 1–5, CES 1–7.")
    touchpoint = TenantForeignKey(
        Touchpoint, null=True, blank=True, on_delete=models.RESTRICT, related_name="survey_responses"
    )
    segment = models.JSONField(default=dict, blank=True, help_text="Small object of segment attributes.")
    respondent_ref = models.CharField(max_length=120, blank=True, default="", help_text="Pseudonymous.")
    comment = models.TextField(max_length=STORY_TEXT_MAX, blank=True, default="")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            *_signal_constraints("survey_response"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=10), name="survey_response_score_range"
            ),
        ]
        indexes = [
            *_signal_indexes("survey_response"),
            models.Index(fields=["tenant", "measure", "occurred_at"], name="survey_response_measure_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.score}"


class ServiceEvent(Signal):
    measure = TenantForeignKey(
        Measure,
        on_delete=models.RESTRICT,
        related_name="service_events",
        limit_choices_to={"kind": "duration"},
    )
    duration_seconds = models.BigIntegerField()
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="service_events")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            *_signal_constraints("service_event"),
            models.CheckConstraint(
                condition=Q(duration_seconds__gte=0), name="service_event_duration_positive"
            ),
        ]
        indexes = [
            *_signal_indexes("service_event"),
            models.Index(fields=["tenant", "measure", "occurred_at"], name="service_event_measure_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.duration_seconds}s"


class IdempotencyRecord(TenantModel):
    """The stored answer to a request sent with an ``Idempotency-Key`` header.

    A replay with the same key and the same request returns ``response_body`` unchanged; the
    same key with another request is refused. Written in the transaction that did the work.
    """

    key = models.CharField(max_length=255)
    api_key = TenantForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    request_hash = models.CharField(max_length=64, help_text="SHA-256 of method, path and canonical body.")
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "key", name="idempotency_record_unique_key")]
        indexes = [models.Index(fields=["tenant", "created_at"], name="idempotency_record_created_idx")]

    def __str__(self) -> str:
        return f"idempotency key {self.key}"


class SignalImport(TenantModel):
    """An admin's CSV upload of survey responses or service events, and how its processing went.

    The file is kept as text; a Celery task (``feedback.tasks.signal_import_run``) feeds its
    rows to ``signals_ingest`` in chunks and fills the counts and the report as it goes.
    ``processed_rows`` commits with each chunk's rows, so a run stopped anywhere resumes at
    the first row not stored; ``heartbeat_at`` tells the sweep whether anyone is still at it.
    """

    class Kind(models.TextChoices):
        SURVEY_RESPONSES = "survey_responses", "Survey responses"
        SERVICE_EVENTS = "service_events", "Service events"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=255, blank=True, default="")
    content = models.TextField(help_text="The uploaded CSV, as text.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    duplicate_count = models.PositiveIntegerField(default=0)
    rejected_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(
        default=list, blank=True, help_text='Rejected rows: [{"line": 3, "errors": {"score": ["…"]}}].'
    )
    error = models.TextField(blank=True, default="", help_text="Why the whole import failed, if it did.")
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        default=timezone.now,
        help_text="When a run last committed a chunk (or the import was queued, or re-queued by the sweep).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="signal_import_created_idx"),
            # The sweep's question: which unfinished imports have gone quiet?
            models.Index(
                fields=["tenant", "heartbeat_at"],
                condition=Q(status__in=["queued", "running"]),
                name="signal_import_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


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
    """A breach on its way to a decision, an owner and a resolution (``feedback.services``).

    The state changes only through the ``transition`` methods below (django-fsm), called by the
    services under a row lock. ``breach_event_id`` refers to a ``metrics.BreachEvent`` loosely
    (that app sits above this one); ``breach`` keeps its title and numbers as they were.
    """

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


class EscalationEntry(TenantModel):
    """One line of an escalation's timeline: a transition, a comment, merged evidence, a reminder."""

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
