"""Reads of hosted surveys: the admin's list, one survey with its answers, and the public lookup."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from feedback.signals.models import SourceKind, SurveyResponse
from surveys.models import TOKEN_MAX_LENGTH, Survey, SurveyLink
from tenants.models import Membership

RECENT_ANSWERS = 20


def _answers_of(survey_ref) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(source_kind=SourceKind.HOSTED_SURVEY, source_id=survey_ref)


def survey_list(*, membership: Membership) -> QuerySet[Survey]:
    """The surveys ``membership`` may manage (an admin: all; a manager: their departments'),
    each with ``answer_count``. One query."""
    answers = _answers_of(OuterRef("pk")).order_by().values("source_id").annotate(n=Count("pk")).values("n")
    surveys = Survey.objects.select_related("touchpoint", "department", "measure", "promise").annotate(
        answer_count=Coalesce(Subquery(answers, output_field=IntegerField()), 0)
    )
    if membership.role != Membership.Role.ADMIN:
        surveys = surveys.filter(department__in=membership.departments.values("pk"))
    return surveys.order_by("name", "id")


def survey_get(*, pk: int) -> Survey | None:
    return (
        Survey.objects.select_related("touchpoint", "department", "measure", "promise").filter(pk=pk).first()
    )


@dataclass(frozen=True)
class SurveyResults:
    count: int
    with_reason: int
    recent: list[SurveyResponse]


def survey_results(*, survey: Survey) -> SurveyResults:
    """How many answers the survey has, how many gave a reason, and the latest ones. Two queries."""
    answers = _answers_of(survey.pk)
    totals = answers.aggregate(count=Count("pk"), with_reason=Count("pk", filter=~Q(comment="")))
    recent = list(answers.order_by("-occurred_at", "-id")[:RECENT_ANSWERS])
    return SurveyResults(count=totals["count"], with_reason=totals["with_reason"], recent=recent)


def survey_for_token(*, token: str) -> Survey | None:
    """The active tenant's survey with this public token (active or not), or None.

    Looked up only inside the tenant of the address the link was opened on: another tenant's
    token finds nothing, exactly like a made-up one."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return Survey.objects.select_related("touchpoint", "measure").filter(token=token).first()


def survey_link_for_token(*, token: str) -> SurveyLink | None:
    """The active tenant's personalised link with this token (in any state), with its survey, or None.

    Looked up only inside the tenant of the address, like a survey's token."""
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        SurveyLink.objects.select_related("survey__touchpoint", "survey__measure").filter(token=token).first()
    )


LINK_FILTER_STATES = ("open", "answered", "revoked", "expired")


def survey_link_list(*, survey: Survey, state: str = "", respondent: str = "") -> QuerySet[SurveyLink]:
    """The survey's personalised links, newest first; ``state`` one of :data:`LINK_FILTER_STATES`
    (as :func:`surveys.services.survey_link_state` names them), ``respondent`` a prefix of the
    respondent's reference."""
    links = SurveyLink.objects.filter(survey_id=survey.pk)
    now = timezone.now()
    if state == "answered":
        links = links.filter(answered_at__isnull=False)
    elif state == "revoked":
        links = links.filter(answered_at__isnull=True, revoked_at__isnull=False)
    elif state == "expired":
        links = links.filter(answered_at__isnull=True, revoked_at__isnull=True, expires_at__lte=now)
    elif state == "open":
        links = links.filter(answered_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now)
    if respondent:
        links = links.filter(respondent_ref__startswith=respondent)
    return links.order_by("-created_at", "-id")


def survey_link_count(*, survey: Survey) -> int:
    return SurveyLink.objects.filter(survey_id=survey.pk).count()
