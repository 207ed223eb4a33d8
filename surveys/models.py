"""Hosted surveys: a question about one touchpoint that customers answer on a public page.

A :class:`Survey` asks one built-in survey measure (NPS, CSAT or CES) at one touchpoint, for
the department responsible for what customers answer there, optionally about one promise. Its
public page is ``/s/<token>/`` on the tenant's own address: the token is random and unguessable
(128 bits), unique within the tenant, and looked up only inside the tenant of the address, so a
token of another tenant answers like a missing one. Answers are stored as
``feedback.SurveyResponse`` rows through the ingest path (``surveys.services``), with the
survey as their source (``source_kind = hosted_survey``, ``source_id`` = the survey's id).
"""

from __future__ import annotations

import secrets

from django.core.exceptions import ValidationError
from django.db import models

from feedback.signals.models import SURVEY_SCORE_RANGES
from promises.models import Measure, Promise
from tenants.keys import TenantForeignKey
from tenants.models import Department, Membership, TenantModel, Touchpoint

TOKEN_BYTES = 16  # 128 bits of randomness: 22 URL-safe characters
TOKEN_MAX_LENGTH = 43
THANK_YOU_MAX = 500
SURVEY_MEASURES = tuple(SURVEY_SCORE_RANGES)  # nps, csat, ces
# The texts of the public page a survey may word itself, per language (empty: the standard one).
WORDING_FIELDS = ("question", "reason", "thank_you")
WORDING_MAX = {"question": 300, "reason": 300, "thank_you": THANK_YOU_MAX}
WORDING_LANGUAGES = ("en", "de", "fr", "es")
EMBED_ORIGINS_MAX = 10


# The standard rule: an answer at or below this score is unhappy and opens a follow-up.
UNHAPPY_DEFAULTS = {"nps": 6, "csat": 2, "ces": 2}


def unhappy_rule_problem(measure_key: str, value: int) -> str:
    """What is wrong with ``value`` as the highest unhappy score of ``measure_key`` ("" if nothing).

    The rule must leave at least one score happy: it lies from the scale's low end to one below
    its top."""
    low, high = SURVEY_SCORE_RANGES[measure_key]
    if not low <= value < high:
        return (
            f"On the {measure_key.upper()} scale ({low}–{high}) a follow-up opens for scores from {low} "
            f"up to at most {high - 1}; enter a score from {low} to {high - 1} "
            f"(e.g. {UNHAPPY_DEFAULTS[measure_key]}), or leave it empty for the standard rule."
        )
    return ""


def new_survey_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class Survey(TenantModel):
    audit_noun = "survey"
    audit_name = ("name",)

    name = models.CharField(
        max_length=120, help_text="How the survey is named in cxgov (customers never see it)."
    )
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="surveys")
    department = TenantForeignKey(
        Department,
        on_delete=models.RESTRICT,
        related_name="surveys",
        help_text="The department responsible for what customers answer here.",
    )
    promise = TenantForeignKey(
        Promise, null=True, blank=True, on_delete=models.SET_NULL, related_name="surveys"
    )
    measure = TenantForeignKey(
        Measure,
        on_delete=models.RESTRICT,
        related_name="surveys",
        limit_choices_to={"kind": Measure.Kind.SURVEY},
    )
    asks_reason = models.BooleanField(
        default=True, help_text="After the score, ask “What is the main reason for your score?”."
    )
    asks_consent = models.BooleanField(
        default=False, help_text="Ask whether the customer agrees to be contacted about their answer."
    )
    thank_you = models.TextField(
        max_length=THANK_YOU_MAX,
        blank=True,
        default="",
        help_text="Shown once the customer has answered; empty: a standard thank-you in their language.",
    )
    unhappy_at_most = models.SmallIntegerField(
        null=True,
        blank=True,
        help_text="An answer with this score or lower opens a follow-up; empty: the standard rule "
        "(NPS 6, CSAT 2, CES 2).",
    )
    wording = models.JSONField(
        default=dict,
        blank=True,
        help_text='Own wording per language, e.g. {"de": {"question": "…", "reason": "…", "thank_you": "…"}}; '
        "a text left out is the standard one in the visitor's language.",
    )
    embed_origins = models.JSONField(
        default=list,
        blank=True,
        help_text="The web sites (https origins) that may show the survey in a frame; none: only cxgov itself.",
    )
    token = models.CharField(max_length=TOKEN_MAX_LENGTH, default=new_survey_token, editable=False)
    is_active = models.BooleanField(default=True, help_text="An inactive survey's link says it is closed.")
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint("tenant", "token", name="survey_unique_token")]
        indexes = [models.Index(fields=["tenant", "department"], name="survey_department_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.measure_id is not None and (
            self.measure.kind != Measure.Kind.SURVEY or self.measure.key not in SURVEY_MEASURES
        ):
            raise ValidationError(
                {"measure": "A hosted survey asks NPS, CSAT or CES; choose one of these measures."}
            )
        if (
            self.measure_id is not None
            and self.unhappy_at_most is not None
            and (problem := unhappy_rule_problem(self.measure.key, self.unhappy_at_most))
        ):
            raise ValidationError({"unhappy_at_most": problem})

    @property
    def score_range(self) -> tuple[int, int]:
        return SURVEY_SCORE_RANGES[self.measure.key]

    @property
    def unhappy_threshold(self) -> int:
        """The highest score that opens a follow-up: the survey's own, else the standard rule."""
        if self.unhappy_at_most is not None:
            return self.unhappy_at_most
        return UNHAPPY_DEFAULTS[self.measure.key]

    def is_unhappy(self, score: int) -> bool:
        return score <= self.unhappy_threshold

    def worded(self, field: str, language: str) -> str:
        """The survey's own ``field`` text in ``language``, or "" (then the standard text applies)."""
        return ((self.wording or {}).get(language) or {}).get(field, "")


LINK_RESPONDENT_REF_MAX = 120  # the column of the answer it becomes (feedback.SurveyResponse)
LINK_DEFAULT_DAYS = 30
LINK_MAX_DAYS = 365


class SurveyLink(TenantModel):
    """A personalised link of a survey, minted by a partner system for one respondent.

    Its answer carries ``respondent_ref`` and ``segment`` (it is not anonymous); it takes one
    answer, until ``expires_at``, unless revoked. The token is random like a survey's and looked
    up only inside the tenant of the address it is opened on.
    """

    audit_noun = "survey link"
    audit_name = ("respondent_ref",)

    survey = TenantForeignKey(Survey, on_delete=models.CASCADE, related_name="links")
    token = models.CharField(max_length=TOKEN_MAX_LENGTH, default=new_survey_token, editable=False)
    respondent_ref = models.CharField(max_length=LINK_RESPONDENT_REF_MAX)
    segment = models.JSONField(default=dict, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    response_id = models.BigIntegerField(null=True, blank=True)  # the feedback.SurveyResponse it became
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint("tenant", "token", name="surveylink_unique_token")]
        indexes = [
            models.Index(fields=["tenant", "respondent_ref", "created_at"], name="surveylink_respondent_idx"),
            models.Index(fields=["tenant", "survey"], name="surveylink_survey_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.respondent_ref} ({self.survey_id})"


OUTCOME_NOTE_MAX = 2000
CONTACT_EMAIL_MAX = 254
CONTACT_PHONE_MAX = 32


class FollowUp(TenantModel):
    """An unhappy answer of a hosted survey, for its department to act on.

    Opened in the transaction that stores the answer (one per answer: ``response_id`` is unique
    in the tenant), due ``Tenant.followup_due_hours`` later. The customer's contact is kept here
    (never in the answer) and only when they agreed to be contacted; the audit trail never
    copies it. Closed with an outcome and a note by a manager of the department or an admin.
    """

    audit_noun = ("follow-up", "follow-ups")
    audit_name = ("survey__name", "score")

    @staticmethod
    def audit_named(survey: str, score: int) -> str:
        return f"score {score} on “{survey}”"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    class Outcome(models.TextChoices):
        CONTACTED = "contacted", "Contacted"
        RESOLVED = "resolved", "Resolved"
        COULD_NOT_REACH = "could_not_reach", "Could not reach"

    survey = TenantForeignKey(Survey, on_delete=models.RESTRICT, related_name="followups")
    response_id = models.BigIntegerField()  # the feedback.SurveyResponse (the answer) it is about
    department = TenantForeignKey(Department, on_delete=models.RESTRICT, related_name="followups")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="followups")
    measure_key = models.CharField(max_length=8)  # nps, csat, ces: how to read the score
    score = models.SmallIntegerField()
    reason = models.TextField(blank=True, default="")
    language = models.CharField(max_length=8, blank=True, default="")
    consented_at = models.DateTimeField(null=True, blank=True)
    contact_email = models.CharField(max_length=CONTACT_EMAIL_MAX, blank=True, default="")
    contact_phone = models.CharField(max_length=CONTACT_PHONE_MAX, blank=True, default="")
    due_at = models.DateTimeField()
    # When the reminder before the due time goes out (the tenant's share of the clock); emptied
    # once it is sent, or never set when the tenant sends none.
    reminder_at = models.DateTimeField(null=True, blank=True)
    # When the notice that it is overdue went out (for the due time it then had): a follow-up
    # is told once per due time; one moved later and passed again is told again.
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    owner = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="followups"
    )
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True, default="")
    note = models.TextField(max_length=OUTCOME_NOTE_MAX, blank=True, default="")
    closed_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint("tenant", "response_id", name="followup_unique_response"),
            models.CheckConstraint(
                condition=models.Q(status="open", outcome="", closed_at__isnull=True)
                | models.Q(status="closed", closed_at__isnull=False) & ~models.Q(outcome=""),
                name="followup_closed_has_outcome",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "department", "status", "due_at"], name="followup_inbox_idx"),
            models.Index(fields=["tenant", "status", "due_at"], name="followup_status_idx"),
            models.Index(
                fields=["tenant", "reminder_at"],
                name="followup_reminder_idx",
                condition=models.Q(reminder_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"follow-up of answer {self.response_id} ({self.status})"

    @property
    def has_contact(self) -> bool:
        return bool(self.contact_email or self.contact_phone)
