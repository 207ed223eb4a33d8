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

from promises.models import Measure, Promise
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
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="stories")
    promises = models.ManyToManyField(Promise, through="StoryPromise", related_name="stories", blank=True)
    department = models.ForeignKey(
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


class StoryPromise(TenantModel):
    """A promise a story touches."""

    story = models.ForeignKey(Story, on_delete=models.CASCADE, related_name="promise_links")
    promise = models.ForeignKey(Promise, on_delete=models.CASCADE, related_name="story_links")

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "story", "promise", name="story_promise_unique")]
        indexes = [models.Index(fields=["tenant", "promise"], name="story_promise_promise_idx")]

    def __str__(self) -> str:
        return f"story {self.story_id} touches promise {self.promise_id}"


class SurveyResponse(Signal):
    measure = models.ForeignKey(
        Measure,
        on_delete=models.RESTRICT,
        related_name="survey_responses",
        limit_choices_to={"kind": "survey"},
    )
    score = models.SmallIntegerField(help_text="On the measure's answer scale: NPS 0–10, CSAT 1–5, CES 1–7.")
    touchpoint = models.ForeignKey(
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
    measure = models.ForeignKey(
        Measure,
        on_delete=models.RESTRICT,
        related_name="service_events",
        limit_choices_to={"kind": "duration"},
    )
    duration_seconds = models.BigIntegerField()
    touchpoint = models.ForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="service_events")

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
    api_key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
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
    created_by = models.ForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "created_at"], name="signal_import_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))
