"""Writes of hosted surveys: creating and changing a survey, and storing a customer's answer.

An answer is a ``feedback.SurveyResponse`` written through the same ingest service as the
partner API's (:func:`feedback.ingest.services.signals_ingest`): validated by the same rules,
counted into the rollups, audited once, and flagging the tenant for its next recompute. The
survey is the answer's source (``source_kind = hosted_survey``); the public link is anonymous,
so ``respondent_ref`` stays empty and the segment says ``{"link": "anonymous"}``.

The reason a customer gives after their score is added to that same row, and to no other: the
page that asks for it carries a signed token naming the tenant, the survey and the answer
(:func:`answer_token`), and the reason is taken only while the row has none.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.ingest.items import SEGMENT_MAX_CHARS, SEGMENT_MAX_KEYS, segment_problem
from feedback.ingest.models import IdempotencyRecord
from feedback.ingest.services import IdempotencyKeyReused, signals_ingest
from feedback.sentiment import sentiment_score
from feedback.signals.models import HostedSurveySource, SourceKind, SurveyResponse
from promises.models import Measure, Promise
from surveys.followups.services import followup_add_reason, followup_open
from surveys.models import (
    EMBED_ORIGINS_MAX,
    LINK_DEFAULT_DAYS,
    LINK_MAX_DAYS,
    LINK_RESPONDENT_REF_MAX,
    SURVEY_MEASURES,
    THANK_YOU_MAX,
    WORDING_FIELDS,
    WORDING_LANGUAGES,
    WORDING_MAX,
    Survey,
    SurveyLink,
    unhappy_rule_problem,
)
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import ApiKey, Department, Membership, Tenant, Touchpoint
from tenants.validation import text_problem

REASON_MAX = 2000
NONCE_MAX = 64
ANSWER_TOKEN_SALT = "surveys.answer"
# How long after the score the reason may still be added (the page is usually sent within minutes).
ANSWER_TOKEN_MAX_AGE = 24 * 3600
ANONYMOUS_SEGMENT = {"link": "anonymous"}
PERSONAL_SEGMENT = {"link": "personal"}


def _own(obj, tenant: Tenant, *, what: str, field: str) -> None:
    """Another tenant's object is refused exactly like a missing one."""
    if obj is None or obj.pk is None or obj.tenant_id != tenant.pk:
        raise DomainError(
            f"Unknown {what}: choose one of this company's {what}s.", field=field, code="not_found"
        )


def _check_refs(
    *,
    tenant: Tenant,
    touchpoint: Touchpoint,
    department: Department,
    measure: Measure,
    promise: Promise | None,
) -> None:
    _own(touchpoint, tenant, what="touchpoint", field="touchpoint")
    _own(department, tenant, what="department", field="department")
    _own(measure, tenant, what="measure", field="measure")
    if measure.kind != Measure.Kind.SURVEY or measure.key not in SURVEY_MEASURES:
        raise DomainError(
            "A hosted survey asks NPS, CSAT or CES; choose one of these measures.", field="measure"
        )
    if promise is not None:
        _own(promise, tenant, what="promise", field="promise")


def _check_rule(*, measure: Measure, unhappy_at_most: int | None) -> None:
    if unhappy_at_most is not None and (problem := unhappy_rule_problem(measure.key, unhappy_at_most)):
        raise DomainError(problem, field="unhappy_at_most")


def _check_texts(*, name: str, thank_you: str) -> None:
    if not name.strip():
        raise DomainError("Give the survey a name, e.g. “Returns counter”.", field="name")
    for field, value in (("name", name), ("thank_you", thank_you)):
        if problem := text_problem(field, value):
            raise DomainError(problem, field=field)
    if len(thank_you) > THANK_YOU_MAX:
        raise DomainError(
            f"The thank-you text is {len(thank_you)} characters long; keep it to at most {THANK_YOU_MAX}.",
            field="thank_you",
        )


WORDING_LABELS = {"question": "question", "reason": "reason question", "thank_you": "thank-you text"}
LANGUAGE_LABELS = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}


def survey_wording_clean(wording: dict | None) -> dict:
    """The survey's own texts per language, stripped, without the empty ones.

    ``{"de": {"question": "…", "reason": "…", "thank_you": "…"}}``: languages en, de, fr, es;
    an error names the field as ``wording_<language>_<text>`` (the form's field)."""
    if wording is None:
        return {}
    if not isinstance(wording, dict):
        raise DomainError("wording maps a language (en, de, fr, es) to its texts.", field="wording")
    cleaned: dict[str, dict[str, str]] = {}
    for language, texts in wording.items():
        if language not in WORDING_LANGUAGES or not isinstance(texts, dict):
            raise DomainError(
                f"wording: {language!r} is not a language of the public pages; use en, de, fr or es.",
                field="wording",
            )
        for key, value in texts.items():
            field = f"wording_{language}_{key}"
            if key not in WORDING_FIELDS or not isinstance(value, str):
                raise DomainError(
                    f"wording: {key!r} is not a text of the survey; use question, reason or thank_you.",
                    field="wording",
                )
            value = value.strip()
            label = f"The {LANGUAGE_LABELS[language]} {WORDING_LABELS[key]}"
            if problem := text_problem(field, value):
                raise DomainError(problem, field=field)
            if len(value) > WORDING_MAX[key]:
                raise DomainError(
                    f"{label} is {len(value)} characters long; keep it to at most {WORDING_MAX[key]}.",
                    field=field,
                )
            if key == "question" and "<" in value:
                raise DomainError(f"{label} is plain text: leave out “<” and HTML.", field=field)
            if value:
                cleaned.setdefault(language, {})[key] = value
    return cleaned


def survey_embed_origins_clean(origins: list[str] | None) -> list[str]:
    """The https origins allowed to frame the survey's embeddable page, e.g. ``https://shop.example``:
    scheme and host (and port), nothing else; duplicates dropped, order kept."""
    if origins is None:
        return []
    if not isinstance(origins, list | tuple):
        raise DomainError("embed_origins is a list of https origins.", field="embed_origins")
    cleaned: list[str] = []
    for raw in origins:
        origin = str(raw).strip().rstrip("/").lower()
        if not origin:
            continue
        parts = urlsplit(origin)
        host = parts.hostname or ""
        try:
            port = parts.port
        except ValueError:
            port = -1
        valid_host = bool(host) and all(c.isalnum() or c in ".-" for c in host) and ".." not in host
        if (
            parts.scheme != "https"
            or not valid_host
            or port == -1
            or parts.path
            or parts.query
            or parts.fragment
            or parts.username
            or "*" in origin
        ):
            raise DomainError(
                f"{str(raw).strip()!r} is not a web site's origin: write it as https://host "
                "(e.g. https://shop.example.com), one per line, without a path.",
                field="embed_origins",
            )
        if origin not in cleaned:
            cleaned.append(origin)
    if len(cleaned) > EMBED_ORIGINS_MAX:
        raise DomainError(
            f"{len(cleaned)} web sites are listed; at most {EMBED_ORIGINS_MAX} may show the survey.",
            field="embed_origins",
        )
    return cleaned


def survey_create(
    *,
    tenant: Tenant,
    name: str,
    touchpoint: Touchpoint,
    department: Department,
    measure: Measure,
    promise: Promise | None = None,
    asks_reason: bool = True,
    asks_consent: bool = False,
    thank_you: str = "",
    unhappy_at_most: int | None = None,
    wording: dict | None = None,
    embed_origins: list[str] | None = None,
    created_by: Membership | None = None,
) -> Survey:
    """A new, active survey with a fresh public token. Atomic; runs in ``tenant``'s context."""
    with tenant_context(tenant), transaction.atomic():
        _check_refs(
            tenant=tenant, touchpoint=touchpoint, department=department, measure=measure, promise=promise
        )
        _check_texts(name=name, thank_you=thank_you)
        _check_rule(measure=measure, unhappy_at_most=unhappy_at_most)
        wording = survey_wording_clean(wording)
        embed_origins = survey_embed_origins_clean(embed_origins)
        survey = Survey(
            tenant=tenant,
            name=name.strip(),
            touchpoint=touchpoint,
            department=department,
            measure=measure,
            promise=promise,
            asks_reason=asks_reason,
            asks_consent=asks_consent,
            thank_you=thank_you.strip(),
            unhappy_at_most=unhappy_at_most,
            wording=wording,
            embed_origins=embed_origins,
            created_by=created_by,
        )
        survey.full_clean()
        survey.save()
    return survey


def survey_update(
    *,
    tenant: Tenant,
    survey: Survey,
    name: str,
    touchpoint: Touchpoint,
    department: Department,
    measure: Measure,
    promise: Promise | None = None,
    asks_reason: bool = True,
    asks_consent: bool = False,
    thank_you: str = "",
    unhappy_at_most: int | None = None,
    is_active: bool = True,
    wording: dict | None = None,
    embed_origins: list[str] | None = None,
) -> Survey:
    """Change a survey's wording, place, measure or state; its token (and so its link) stays.

    ``wording`` and ``embed_origins`` left out (None) stay as they are."""
    with tenant_context(tenant), transaction.atomic():
        _own(survey, tenant, what="survey", field="survey")
        _check_refs(
            tenant=tenant, touchpoint=touchpoint, department=department, measure=measure, promise=promise
        )
        _check_texts(name=name, thank_you=thank_you)
        _check_rule(measure=measure, unhappy_at_most=unhappy_at_most)
        survey.name = name.strip()
        survey.touchpoint = touchpoint
        survey.department = department
        survey.measure = measure
        survey.promise = promise
        survey.asks_reason = asks_reason
        survey.asks_consent = asks_consent
        survey.thank_you = thank_you.strip()
        survey.unhappy_at_most = unhappy_at_most
        if wording is not None:
            survey.wording = survey_wording_clean(wording)
        if embed_origins is not None:
            survey.embed_origins = survey_embed_origins_clean(embed_origins)
        survey.is_active = is_active
        survey.full_clean()
        survey.save()
    return survey


# --- Answers from the public page -------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    response_id: int
    duplicate: bool  # the same page was sent before (a double tap): nothing new was stored


def survey_answer(
    *,
    tenant: Tenant,
    survey: Survey,
    score: int,
    nonce: str,
    language: str = "",
    link: SurveyLink | None = None,
) -> Answer:
    """Store ``score`` as a survey response of ``survey`` (active, of ``tenant``) right away.

    ``nonce`` is the random value of the question page the customer answered: sent twice (a
    double tap, Back and again), it stores one answer, and the second send finds the first's
    row. Goes through :func:`signals_ingest`; a score outside the measure's scale is refused
    with the ingest's own message.

    With a personalised ``link`` (of ``survey``), the answer carries its ``respondent_ref``
    and segment, and the link takes one answer: use :func:`survey_link_answer`.
    """
    # What a visitor reads is in their language (the page's active translation).
    _own(survey, tenant, what="survey", field="survey")
    if not survey.is_active:
        raise DomainError(_("This survey is closed and takes no more answers."), code="inactive")
    if not nonce or len(nonce) > NONCE_MAX or text_problem("nonce", nonce):
        raise DomainError(
            _("The page was not sent whole; open the survey again and choose your score."), field="nonce"
        )
    low, high = survey.score_range
    if not low <= score <= high:
        raise DomainError(
            _("Choose a score from %(low)s to %(high)s.") % {"low": low, "high": high}, field="score"
        )
    segment = dict(ANONYMOUS_SEGMENT) if link is None else {**link.segment, **PERSONAL_SEGMENT}
    if language:
        segment["language"] = language
    item = {
        "measure": survey.measure.key,
        "score": score,
        "occurred_at": timezone.now().isoformat(),
        "touchpoint": survey.touchpoint.slug,
        "segment": segment,
        # A link takes one answer: its id, not the page's, is what ingest stores once.
        "external_id": f"page:{nonce}" if link is None else f"link:{link.pk}",
    }
    if link is not None:
        item["respondent_ref"] = link.respondent_ref
    # The answer and, when it is unhappy, its follow-up are stored together or not at all.
    with tenant_context(tenant), transaction.atomic():
        (result,) = signals_ingest(
            tenant=tenant,
            kind="survey_responses",
            items=[item],
            source=HostedSurveySource(survey_id=survey.pk),
            audit={"survey": survey.pk},
        )
        if result.status == "rejected":
            field, messages = next(iter(result.errors.items()))
            raise DomainError(messages[0], field="score" if field == "score" else None)
        if result.status == "created":
            followup_open(tenant=tenant, survey=survey, response_id=result.id, score=score, language=language)
    return Answer(response_id=result.id, duplicate=result.status == "duplicate")


def answer_token(*, tenant: Tenant, survey: Survey, response_id: int) -> str:
    """The signed token of one answer, carried by the page that asks for its reason."""
    return signing.dumps([tenant.pk, survey.pk, response_id], salt=ANSWER_TOKEN_SALT)


def answer_from_token(*, tenant: Tenant, survey: Survey, token: str) -> int:
    """The id of the answer ``token`` names, if it names this tenant and survey and is fresh."""
    try:
        tenant_id, survey_id, response_id = signing.loads(
            token, salt=ANSWER_TOKEN_SALT, max_age=ANSWER_TOKEN_MAX_AGE
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise DomainError(
            _("This page has expired or its address was changed; your score is kept."), code="invalid_token"
        ) from None
    if tenant_id != tenant.pk or survey_id != survey.pk:
        raise DomainError(_("This page belongs to another survey; your score is kept."), code="invalid_token")
    return int(response_id)


def survey_answer_reason(
    *, tenant: Tenant, survey: Survey, token: str, reason: str, language: str = ""
) -> SurveyResponse:
    """Add the customer's reason (the follow-up answer) to the answer ``token`` names.

    Only that answer, only once: a second reason for the same answer is refused. An empty
    reason changes nothing. The reason's sentiment is stored with it, read in ``language``
    (the page's language) when given, else in the language detected.
    """
    response_id = answer_from_token(tenant=tenant, survey=survey, token=token)
    reason = reason.strip()
    if problem := text_problem("reason", reason):
        raise DomainError(problem, field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("Your answer is %(length)s characters long; keep it to at most %(max)s.")
            % {"length": len(reason), "max": REASON_MAX},
            field="reason",
        )
    with tenant_context(tenant), transaction.atomic():
        rows = SurveyResponse.objects.filter(
            pk=response_id, source_kind=SourceKind.HOSTED_SURVEY, source_id=survey.pk
        )
        response = rows.select_for_update().first()
        if response is None:
            raise DomainError(_("This answer no longer exists."), code="not_found")
        if not reason:
            return response
        if response.comment:
            raise DomainError(_("You already told us the reason for this score; thank you."), code="answered")
        response.comment = reason
        response.comment_sentiment = sentiment_score(reason, language or None)
        rows.update(comment=reason, comment_sentiment=response.comment_sentiment)
        followup_add_reason(tenant=tenant, response_id=response.pk, reason=reason)
    return response


# --- Personalised links -------------------------------------------------------------------------


class SurveyLinkSuppressed(DomainError):
    """The respondent was sent a link recently: the tenant's pause has not passed yet."""

    def __init__(self, *, respondent_ref: str, last_sent_at: dt.datetime, ask_again_at: dt.datetime):
        super().__init__(
            f"Respondent {respondent_ref!r} was sent a survey link on {last_sent_at:%Y-%m-%d %H:%M} UTC; "
            f"this company asks nobody again within {(ask_again_at - last_sent_at).days} days, so they "
            f"may be asked again from {ask_again_at:%Y-%m-%d %H:%M} UTC.",
            field="respondent_ref",
            code="suppressed",
        )
        self.ask_again_at = ask_again_at


def survey_link_last_sent(*, tenant: Tenant, respondent_ref: str, since: dt.datetime) -> dt.datetime | None:
    """When the respondent was last sent a link (not revoked) of any survey of the tenant, after ``since``."""
    with tenant_context(tenant):
        return (
            SurveyLink.objects.filter(
                respondent_ref=respondent_ref, revoked_at__isnull=True, created_at__gt=since
            )
            .order_by("-created_at")
            .values_list("created_at", flat=True)
            .first()
        )


def _link_input(*, respondent_ref: str, segment: dict | None, expires_in_days: int) -> tuple[str, dict]:
    """The respondent and segment of a link to mint, checked; raises ``DomainError`` naming the field."""
    if respondent_ref is not None and not isinstance(respondent_ref, str):
        raise DomainError("respondent_ref is a text, e.g. a customer number.", field="respondent_ref")
    respondent_ref = (respondent_ref or "").strip()
    if not respondent_ref:
        raise DomainError(
            "respondent_ref is required: your system's reference of the respondent, e.g. a customer number.",
            field="respondent_ref",
        )
    if problem := text_problem("respondent_ref", respondent_ref):
        raise DomainError(problem, field="respondent_ref")
    if len(respondent_ref) > LINK_RESPONDENT_REF_MAX:
        raise DomainError(
            f"respondent_ref is {len(respondent_ref)} characters long; keep it to at most {LINK_RESPONDENT_REF_MAX}.",
            field="respondent_ref",
        )
    segment = segment or {}
    if not isinstance(segment, dict):
        raise DomainError('segment is a JSON object of attributes, e.g. {"plan": "pro"}.', field="segment")
    if problem := segment_problem(segment):
        raise DomainError(problem, field="segment")
    # The answer adds the link's kind and the page's language: those must fit too.
    if segment_problem({**segment, **PERSONAL_SEGMENT, "language": "en"}):
        raise DomainError(
            f"segment is too large for a link: its answer adds “link” and “language”, so keep it to "
            f"{SEGMENT_MAX_KEYS - len(PERSONAL_SEGMENT) - 1} attributes and {SEGMENT_MAX_CHARS - 50} characters.",
            field="segment",
        )
    if (
        isinstance(expires_in_days, bool)
        or not isinstance(expires_in_days, int)
        or not 1 <= expires_in_days <= LINK_MAX_DAYS
    ):
        raise DomainError(
            f"expires_in_days is a whole number of days from 1 to {LINK_MAX_DAYS}, e.g. {LINK_DEFAULT_DAYS}.",
            field="expires_in_days",
        )
    return respondent_ref, segment


def survey_link_mint(
    *,
    tenant: Tenant,
    survey: Survey,
    respondent_ref: str,
    segment: dict | None = None,
    expires_in_days: int = LINK_DEFAULT_DAYS,
) -> SurveyLink:
    """A personalised link of ``survey`` for one respondent: one answer, until it expires.

    Honours the tenant's pause (``Tenant.survey_suppression_days``; 0: none): a respondent sent
    a link (not revoked) of any of the tenant's surveys within that many days raises
    :class:`SurveyLinkSuppressed`, saying when they may be asked again. Atomic; two mints for one
    respondent at once wait for each other (a row lock on the tenant's respondent is not
    possible before the row exists, so the tenant row is locked for the check).
    """
    _own(survey, tenant, what="survey", field="survey")
    if not survey.is_active:
        raise DomainError(
            "This survey is closed; open it again in cxgov before minting links.",
            field="survey",
            code="inactive",
        )
    respondent_ref, segment = _link_input(
        respondent_ref=respondent_ref, segment=segment, expires_in_days=expires_in_days
    )
    with tenant_context(tenant), transaction.atomic():
        days = (
            Tenant.objects.select_for_update()
            .values_list("survey_suppression_days", flat=True)
            .get(pk=tenant.pk)
        )
        now = timezone.now()
        if days:
            pause = dt.timedelta(days=days)
            last = survey_link_last_sent(tenant=tenant, respondent_ref=respondent_ref, since=now - pause)
            if last is not None:
                raise SurveyLinkSuppressed(
                    respondent_ref=respondent_ref, last_sent_at=last, ask_again_at=last + pause
                )
        link = SurveyLink(
            tenant=tenant,
            survey=survey,
            respondent_ref=respondent_ref,
            segment=segment,
            expires_at=now + dt.timedelta(days=expires_in_days),
        )
        link.full_clean()
        link.save()
    return link


BULK_MINT_MAX = 1000
_BULK_ITEM_FIELDS = {"respondent_ref", "segment", "expires_in_days"}


@dataclass
class BulkMintResult:
    """What became of one item of a bulk mint: ``created`` (``link``), ``suppressed`` (``message``,
    ``ask_again_at``) or ``rejected`` (``errors`` per field)."""

    index: int
    status: str
    respondent_ref: str = ""
    link: SurveyLink | None = None
    message: str = ""
    ask_again_at: dt.datetime | None = None
    errors: dict[str, list[str]] = dataclasses.field(default_factory=dict)


def survey_links_mint_bulk(*, tenant: Tenant, survey: Survey, items: list) -> list[BulkMintResult]:
    """Personalised links of ``survey`` for up to :data:`BULK_MINT_MAX` respondents at once.

    Each item is ``{"respondent_ref", "segment"?, "expires_in_days"?}`` and is checked like
    :func:`survey_link_mint`: a bad one is ``rejected`` with its errors per field, and the others
    go on. The tenant's pause holds for every item, also between two items of the batch with one
    respondent (the second is ``suppressed``). Atomic and a constant number of queries, whatever
    the size of the batch: the tenant row is locked (as for one link), the respondents' last
    links are read in one query and the new links written in one insert.
    """
    _own(survey, tenant, what="survey", field="survey")
    if not survey.is_active:
        raise DomainError(
            "This survey is closed; open it again in cxgov before minting links.",
            field="survey",
            code="inactive",
        )
    if not isinstance(items, list) or not items:
        raise DomainError("Send the respondents as a non-empty list in “items”.", field="items")
    if len(items) > BULK_MINT_MAX:
        raise DomainError(
            f"At most {BULK_MINT_MAX} respondents per request ({len(items)} sent); split the list.",
            field="items",
            code="too_many",
        )
    results: list[BulkMintResult] = []
    accepted: list[tuple[BulkMintResult, str, dict, int]] = []
    for index, item in enumerate(items):
        result = BulkMintResult(index=index, status="rejected")
        results.append(result)
        if not isinstance(item, dict):
            result.errors = {
                "non_field_errors": ['Each item is a JSON object, e.g. {"respondent_ref": "C-1"}.']
            }
            continue
        unknown = sorted(set(item) - _BULK_ITEM_FIELDS)
        if unknown:
            result.errors = {
                name: ["Unknown field: an item has respondent_ref, segment and expires_in_days."]
                for name in unknown
            }
            continue
        try:
            ref, segment = _link_input(
                respondent_ref=item.get("respondent_ref"),
                segment=item.get("segment"),
                expires_in_days=item.get("expires_in_days", LINK_DEFAULT_DAYS),
            )
        except DomainError as error:
            result.errors = {error.field or "non_field_errors": [error.message]}
            continue
        result.respondent_ref = ref
        accepted.append((result, ref, segment, item.get("expires_in_days", LINK_DEFAULT_DAYS)))
    with tenant_context(tenant), transaction.atomic():
        days = (
            Tenant.objects.select_for_update()
            .values_list("survey_suppression_days", flat=True)
            .get(pk=tenant.pk)
        )
        now = timezone.now()
        last_sent: dict[str, dt.datetime] = {}
        pause = dt.timedelta(days=days or 0)
        if days and accepted:
            last_sent = dict(
                SurveyLink.objects.filter(
                    respondent_ref__in={ref for _r, ref, _s, _d in accepted},
                    revoked_at__isnull=True,
                    created_at__gt=now - pause,
                )
                .order_by()
                .values("respondent_ref")
                .annotate(last=Max("created_at"))
                .values_list("respondent_ref", "last")
            )
        links: list[SurveyLink] = []
        for result, ref, segment, expires_in_days in accepted:
            if days and (last := last_sent.get(ref)) is not None:
                suppressed = SurveyLinkSuppressed(
                    respondent_ref=ref, last_sent_at=last, ask_again_at=last + pause
                )
                result.status = "suppressed"
                result.message = suppressed.message
                result.ask_again_at = suppressed.ask_again_at
                continue
            link = SurveyLink(
                tenant=tenant,
                survey=survey,
                respondent_ref=ref,
                segment=segment,
                expires_at=now + dt.timedelta(days=expires_in_days),
            )
            links.append(link)
            result.status = "created"
            result.link = link
            last_sent[ref] = now
        SurveyLink.objects.bulk_create(links)
    return results


@dataclass(frozen=True)
class BulkMintAnswer:
    body: dict
    replayed: bool = False


def survey_links_mint_bulk_request(
    *,
    tenant: Tenant,
    survey: Survey,
    items: list,
    summarize: Callable[[list[BulkMintResult]], dict],
    api_key: ApiKey | None = None,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> BulkMintAnswer:
    """:func:`survey_links_mint_bulk` for one API request, answered once per ``idempotency_key``.

    ``summarize`` turns the results into the answer's body. With a key, the body is stored with
    the request's ``fingerprint`` in the transaction that minted the links; the same key and
    request again gets that body (``replayed``) and mints nothing, the same key with another
    request raises ``IdempotencyKeyReused``. Of two requests with one key at once, one stores its
    answer; the other's work is rolled back and it replays that answer.
    """
    try:
        with tenant_context(tenant), transaction.atomic():
            if idempotency_key:
                record = IdempotencyRecord.objects.filter(key=idempotency_key).first()
                if record is not None:
                    return _bulk_replay(record, idempotency_key=idempotency_key, fingerprint=fingerprint)
            body = summarize(survey_links_mint_bulk(tenant=tenant, survey=survey, items=items))
            if idempotency_key:
                IdempotencyRecord.objects.create(
                    tenant=tenant,
                    key=idempotency_key,
                    api_key=api_key,
                    request_hash=fingerprint,
                    response_status=200,
                    response_body=body,
                )
    except IntegrityError as error:
        if not idempotency_key or "idempotency_record_unique_key" not in str(error):
            raise
        with tenant_context(tenant):
            record = IdempotencyRecord.objects.get(key=idempotency_key)
        return _bulk_replay(record, idempotency_key=idempotency_key, fingerprint=fingerprint)
    return BulkMintAnswer(body=body)


def _bulk_replay(record: IdempotencyRecord, *, idempotency_key: str, fingerprint: str) -> BulkMintAnswer:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"The Idempotency-Key {idempotency_key!r} was already used for a different request; "
            "use a new key for a new request.",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return BulkMintAnswer(body=record.response_body, replayed=True)


def survey_link_revoke(*, tenant: Tenant, link: SurveyLink) -> SurveyLink:
    """Revoke a link: it takes no answer any more and no longer counts for the pause. Revoking
    it again changes nothing; an answered link stays answered (its answer is kept)."""
    _own(link, tenant, what="survey link", field="link")
    with tenant_context(tenant), transaction.atomic():
        if link.revoked_at is None:
            link.revoked_at = timezone.now()
            SurveyLink.objects.filter(pk=link.pk, revoked_at__isnull=True).update(revoked_at=link.revoked_at)
    return link


def survey_link_state(link: SurveyLink, *, now: dt.datetime | None = None) -> str:
    """``open``, ``answered``, ``revoked`` or ``expired``."""
    if link.answered_at is not None:
        return "answered"
    if link.revoked_at is not None:
        return "revoked"
    if link.expires_at <= (now or timezone.now()):
        return "expired"
    return "open"


def survey_link_answer(
    *, tenant: Tenant, link: SurveyLink, score: int, nonce: str, language: str = ""
) -> Answer:
    """Store the one answer of a personalised link (see :func:`survey_answer`).

    The link row is locked: of two answers sent at once, one is stored and the other finds the
    link answered (``DomainError`` with code ``answered``), as do a revoked (``revoked``) or
    expired (``expired``) link.
    """
    with tenant_context(tenant), transaction.atomic():
        locked = SurveyLink.objects.select_for_update().filter(pk=link.pk).first()
        if locked is None:
            raise DomainError(_("This survey link does not exist."), code="not_found")
        state = survey_link_state(locked)
        if state != "open":
            raise DomainError(LINK_STATE_MESSAGES[state], code=state)
        answer = survey_answer(
            tenant=tenant, survey=locked.survey, score=score, nonce=nonce, language=language, link=locked
        )
        locked.answered_at = timezone.now()
        locked.response_id = answer.response_id
        SurveyLink.objects.filter(pk=locked.pk).update(
            answered_at=locked.answered_at, response_id=answer.response_id
        )
    return answer


LINK_STATE_MESSAGES = {
    "answered": "This link was already answered.",
    "revoked": "This link was withdrawn.",
    "expired": "This link has expired.",
}
