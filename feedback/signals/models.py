"""Signals: what customers actually experience.

- :class:`Story`: a customer story, logged by an employee (web form) or pushed by a partner
  system (API, CSV), with its sentiment (``feedback.sentiment``) computed when it is written.
- :class:`SurveyResponse`: one answer to a built-in survey measure (NPS, CSAT, CES), with the
  sentiment of its comment computed when the comment is stored.
- :class:`ServiceEvent`: one case of a tenant-defined measure, carrying the one fact its kind
  needs: ``duration_seconds`` (a refund that took so long), ``outcome`` (a contact resolved at
  first contact, or not) or ``value`` (a review's stars).

Every signal remembers its source (a member, an API key, or a hosted survey's public page) and, when the sender gives one,
its ``external_id``. ``(tenant, source_kind, source_id, external_id)`` is unique per signal
type: a repeated item is a duplicate and changes nothing (``feedback.ingest.services``).

Signals are immutable facts; the scoring issue reads them by ``(tenant, occurred_at)`` and
``(tenant, touchpoint, occurred_at)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.db.models import Q

from promises.commitments.models import SCALE_MAX_DIGITS, SCALE_PLACES
from promises.models import Measure
from tenants.context import Actor
from tenants.keys import TenantForeignKey
from tenants.models import ApiKey, Membership, TenantModel, Touchpoint
from tenants.rls import AUDIT_UPDATE_DELETE

STORY_TEXT_MAX = 5000
STORY_TEXT_MIN = 10  # characters a story typed on the form needs to say anything (half of them letters)


def story_text_problem(text: str) -> str | None:
    """What is wrong with a story's text as a person writes it (the web form, a CSV import), or None."""
    if len(text) < STORY_TEXT_MIN or sum(ch.isalpha() for ch in text) < STORY_TEXT_MIN // 2:
        return (
            f"Describe what happened in words: at least {STORY_TEXT_MIN} characters "
            "(e.g. “The courier left the parcel in the rain”)."
        )
    return None


EXTERNAL_ID_MAX = 200

# The answer scale of each survey measure (what a respondent can pick), by measure key.
SURVEY_SCORE_RANGES: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}


class SourceKind(models.TextChoices):
    MEMBER = "member", "Member"
    API_KEY = "api_key", "API key"
    HOSTED_SURVEY = "hosted_survey", "Hosted survey"


@dataclass(frozen=True)
class HostedSurveySource:
    """The sender of answers given on a hosted survey's public page: the survey itself (its id),
    on behalf of a visitor who is not signed in. ``source_id`` of its signals is the survey's id."""

    survey_id: int

    @property
    def actor(self) -> Actor:
        return Actor(kind="anonymous", label="hosted survey")


SignalSource = Membership | ApiKey | HostedSurveySource


def source_of(source: SignalSource) -> tuple[str, int]:
    """``(source_kind, source_id)`` of a signal sent by ``source``."""
    if isinstance(source, ApiKey):
        return SourceKind.API_KEY, source.pk
    if isinstance(source, HostedSurveySource):
        return SourceKind.HOSTED_SURVEY, source.survey_id
    return SourceKind.MEMBER, source.pk


class Signal(TenantModel):
    """What every signal has: when it happened, who sent it, and the sender's own id for it."""

    occurred_at = models.DateTimeField()
    source_kind = models.CharField(max_length=16, choices=SourceKind.choices)
    source_id = models.BigIntegerField(help_text="The member's, the API key's or the hosted survey's id.")
    external_id = models.CharField(
        max_length=EXTERNAL_ID_MAX,
        null=True,
        blank=True,
        help_text="The sender's id for this item; a repeat with the same id is a duplicate.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # Append-only evidence: the audit trigger fires on UPDATE and DELETE only, and every write
    # is recorded once (tenants.audit.ingest_event_record). The schema guard reads this.
    audit_trigger_events = AUDIT_UPDATE_DELETE

    class Meta:
        abstract = True


def signal_constraints(prefix: str) -> list[models.BaseConstraint]:
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


def signal_indexes(prefix: str) -> list[models.Index]:
    return [
        models.Index(fields=["tenant", "occurred_at"], name=f"{prefix}_occurred_idx"),
        models.Index(fields=["tenant", "touchpoint", "occurred_at"], name=f"{prefix}_touchpoint_idx"),
    ]


class SurveyResponse(Signal):
    audit_noun = "survey response"

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
    comment_sentiment = models.FloatField(
        null=True,
        blank=True,
        help_text="Sentiment of the comment, from -1 (negative) to 1 (positive); empty without a comment.",
    )

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            *signal_constraints("survey_response"),
            models.CheckConstraint(
                condition=Q(score__gte=0, score__lte=10), name="survey_response_score_range"
            ),
            models.CheckConstraint(
                condition=Q(comment_sentiment__gte=-1, comment_sentiment__lte=1),
                name="survey_response_comment_sentiment_range",
            ),
        ]
        indexes = [
            *signal_indexes("survey_response"),
            models.Index(fields=["tenant", "measure", "occurred_at"], name="survey_response_measure_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.measure_id}: {self.score}"


class ServiceEvent(Signal):
    audit_noun = "service event"

    measure = TenantForeignKey(
        Measure,
        on_delete=models.RESTRICT,
        related_name="service_events",
        limit_choices_to={"kind__in": ["duration", "rate", "average"]},
    )
    duration_seconds = models.BigIntegerField(null=True, blank=True, help_text="Duration measures.")
    outcome = models.BooleanField(null=True, blank=True, help_text="Rate measures: whether it happened.")
    value = models.DecimalField(
        max_digits=SCALE_MAX_DIGITS,
        decimal_places=SCALE_PLACES,
        null=True,
        blank=True,
        help_text="Average measures: on the measure's declared scale.",
    )
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="service_events")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            *signal_constraints("service_event"),
            models.CheckConstraint(
                condition=Q(duration_seconds__gte=0), name="service_event_duration_positive"
            ),
            models.CheckConstraint(
                condition=Q(duration_seconds__isnull=False, outcome__isnull=True, value__isnull=True)
                | Q(duration_seconds__isnull=True, outcome__isnull=False, value__isnull=True)
                | Q(duration_seconds__isnull=True, outcome__isnull=True, value__isnull=False),
                name="service_event_one_fact",
            ),
        ]
        indexes = [
            *signal_indexes("service_event"),
            models.Index(fields=["tenant", "measure", "occurred_at"], name="service_event_measure_idx"),
        ]

    def __str__(self) -> str:
        if self.outcome is not None:
            return f"{self.measure_id}: {'true' if self.outcome else 'false'}"
        if self.value is not None:
            return f"{self.measure_id}: {self.value}"
        return f"{self.measure_id}: {self.duration_seconds}s"
