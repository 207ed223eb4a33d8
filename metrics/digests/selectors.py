"""Department digests, the reads: schedule, content, recipients and the admin's log.

A digest is one e-mail per department per period. Its **shared core** (tenant score and
delivery rate with their changes, the three promises with the largest gap, hidden breaches)
is the same for every department of the tenant; its **slice** is the department's own
promises, commitments not met, escalations, follow-ups, actions, stories and survey comments.

- Schedule (:func:`period_due`, :func:`period_next`): periods are whole days in the tenant's
  time zone — daily: yesterday; weekly: the 7 days before the chosen weekday; monthly: the
  previous calendar month — sent at ``send_hour`` local time on the day the period ends (a
  send hour that does not exist on a DST change day goes out an hour later; the period key is
  made of dates, so the digest is still sent once).
- Content (:func:`digest_data`, :func:`digest_recipients`): the queries per department are a
  constant handful (three score runs, the department's contributions, escalations, stories,
  survey comments, recipients).

Rendering, sending and subscriptions are :mod:`metrics.digests.services`'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from feedback.escalations.models import Escalation, EscalationState
from feedback.escalations.selectors import overdue_condition
from feedback.signals.models import SourceKind, SurveyResponse
from feedback.stories.models import Story
from metrics.actions.selectors import department_actions
from metrics.dashboards import NEGATIVE_BELOW
from metrics.models import DepartmentDigest, Digest, DigestOptOut, DigestSettings, DigestSubscriber, ScoreRun
from metrics.selectors import CommitmentNames, commitment_names
from promises.models import PromiseContributor
from surveys.followups.selectors import followups_for_digest
from surveys.models import Survey
from tenants.context import require_tenant_id
from tenants.delivery.models import OutboxMessage
from tenants.errors import DomainError
from tenants.models import Department, Membership, Tenant
from tenants.sites import tenant_base_url
from tenants.text import shorten

OUTBOX_KIND = "digest"
NEGATIVE_STORIES = 5
POSITIVE_STORIES = 2
POSITIVE_ABOVE = 0.05
ESCALATIONS_SHOWN = 10


# --- Schedule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A digest period: ``[start, end)`` in UTC, whole local days of the tenant."""

    cadence: str
    first_day: date  # local date of start
    end_day: date  # local date of end (the day the digest is sent)
    start: datetime
    end: datetime
    send_at: datetime

    @property
    def key(self) -> str:
        return f"{self.cadence}:{self.first_day.isoformat()}..{self.end_day.isoformat()}"

    @property
    def label(self) -> str:
        last = self.end_day - timedelta(days=1)
        if self.cadence == DigestSettings.Cadence.DAILY:
            return f"{last:%a %d %b %Y}"
        if self.cadence == DigestSettings.Cadence.MONTHLY:
            return f"{self.first_day:%B %Y}"
        return f"{self.first_day:%d %b} – {last:%d %b %Y}"


def _send_instant(day: date, hour: int, tz: ZoneInfo) -> datetime:
    # A nonexistent local hour (spring forward) resolves with the offset before the change,
    # i.e. an hour later on the wall clock; an ambiguous one (fall back) to its first occurrence.
    return datetime.combine(day, time(hour), tzinfo=tz).astimezone(UTC)


def _first_day(cadence: str, end_day: date) -> date:
    if cadence == DigestSettings.Cadence.DAILY:
        return end_day - timedelta(days=1)
    if cadence == DigestSettings.Cadence.WEEKLY:
        return end_day - timedelta(days=7)
    previous = end_day - timedelta(days=1)
    return previous.replace(day=1)


def _period(cadence: str, end_day: date, hour: int, tz: ZoneInfo) -> Period:
    first = _first_day(cadence, end_day)
    return Period(
        cadence=cadence,
        first_day=first,
        end_day=end_day,
        start=_send_instant(first, 0, tz),
        end=_send_instant(end_day, 0, tz),
        send_at=_send_instant(end_day, hour, tz),
    )


def _send_day_on_or_before(schedule: DigestSettings, day: date) -> date:
    if schedule.cadence == DigestSettings.Cadence.DAILY:
        return day
    if schedule.cadence == DigestSettings.Cadence.WEEKLY:
        return day - timedelta(days=(day.weekday() - schedule.weekday) % 7)
    return day.replace(day=1)


def _previous_send_day(schedule: DigestSettings, day: date) -> date:
    return _send_day_on_or_before(schedule, day - timedelta(days=1))


def period_due(*, tenant: Tenant, schedule: DigestSettings, now: datetime) -> Period:
    """The newest period whose send time (``send_hour`` local on its last day + 1) has come."""
    tz = ZoneInfo(tenant.time_zone)
    day = _send_day_on_or_before(schedule, now.astimezone(tz).date())
    if _send_instant(day, schedule.send_hour, tz) > now:
        day = _previous_send_day(schedule, day)
    return _period(schedule.cadence, day, schedule.send_hour, tz)


def period_next(*, tenant: Tenant, schedule: DigestSettings, now: datetime) -> Period:
    """The period of the next digest to go out (its send time is still to come)."""
    tz = ZoneInfo(tenant.time_zone)
    day = now.astimezone(tz).date()
    while True:
        candidate = _send_day_on_or_before(schedule, day)
        if candidate >= now.astimezone(tz).date() and _send_instant(candidate, schedule.send_hour, tz) > now:
            return _period(schedule.cadence, candidate, schedule.send_hour, tz)
        day += timedelta(days=1)


def period_from_key(*, tenant: Tenant, key: str, send_hour: int = 0) -> Period:
    try:
        cadence, days = key.split(":", 1)
        first, end = (date.fromisoformat(d) for d in days.split(".."))
    except ValueError:
        raise DomainError(f"{key!r} is not a digest period.") from None
    tz = ZoneInfo(tenant.time_zone)
    period = _period(cadence, end, send_hour, tz)
    if cadence not in DigestSettings.Cadence.values or period.first_day != first:
        raise DomainError(f"{key!r} is not a digest period.")
    return period


def digest_schedule(*, tenant: Tenant) -> DigestSettings:
    """The tenant's schedule; the defaults (weekly on Monday, 08:00) until an admin saves one."""
    return DigestSettings.objects.filter().first() or DigestSettings(tenant=tenant)


def departments_due(*, tenant: Tenant, now: datetime) -> tuple[Period | None, list[int]]:
    """The period due now and the ids of the enabled departments whose digest for it is not yet made."""
    schedule = digest_schedule(tenant=tenant)
    if not schedule.is_enabled:
        return None, []
    period = period_due(tenant=tenant, schedule=schedule, now=now)
    ids = list(
        Department.objects.exclude(
            pk__in=DepartmentDigest.objects.filter(is_enabled=False).values("department_id")
        )
        .exclude(pk__in=Digest.objects.filter(period_key=period.key).values("department_id"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return period, ids


# --- Content ----------------------------------------------------------------------------------


def _change(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 1)


def _runs(period_start: datetime, as_of: datetime) -> tuple[dict | None, dict | None, dict | None]:
    """The scores as of ``as_of``, at the previous digest (period start) and at the last quarter end."""
    columns = ("as_of", "result")
    current = ScoreRun.objects.filter(as_of__lte=as_of).order_by("-as_of", "-id").only(*columns).first()
    previous = (
        ScoreRun.objects.filter(as_of__lte=period_start).order_by("-as_of", "-id").only(*columns).first()
    )
    quarter = (
        ScoreRun.objects.filter(kind=ScoreRun.Kind.QUARTER_END, as_of__lte=as_of)
        .order_by("-as_of", "-id")
        .only(*columns)
        .first()
    )
    return (
        current.result if current else None,
        previous.result if previous else None,
        quarter.result if quarter else None,
    )


def _by_id(result: dict | None, part: str) -> dict[int, dict]:
    return {item["id"]: item for item in result[part]} if result else {}


def _promise_row(p: dict, previous: dict[int, dict], quarter: dict[int, dict], base: str) -> dict[str, Any]:
    return {
        "id": p["id"],
        "title": p["title"],
        "score": p.get("score"),
        "delivery_rate": p.get("delivery_rate"),
        "gap": None if p.get("score") is None else round(100 - p["score"], 1),
        "perception_gap": p.get("perception_gap"),
        "operational_score": p.get("operational_score"),
        "perceived_score": p.get("perceived_score"),
        "change": _change(p.get("score"), previous.get(p["id"], {}).get("score")),
        "change_quarter": _change(p.get("score"), quarter.get(p["id"], {}).get("score")),
        "url": f"{base}/promises/{p['id']}/",
    }


def core_content(
    *, current: dict | None, previous: dict | None, quarter: dict | None, base: str
) -> dict[str, Any]:
    """The shared core: the same for every department of the tenant (pure: no database access)."""
    if current is None:
        return {"has_scores": False, "scores_url": f"{base}/scores/"}
    prev_promises, quarter_promises = _by_id(previous, "promises"), _by_id(quarter, "promises")
    tenant_now = current["tenant"]
    scored = [p for p in current["promises"] if p.get("score") is not None]
    largest_gap = sorted(scored, key=lambda p: (p["score"], p["id"]))[:3]
    hidden = [p for p in current["promises"] if "hidden_breach" in (p.get("flags") or [])]
    return {
        "has_scores": True,
        "scores_url": f"{base}/scores/",
        "score": tenant_now.get("score"),
        "delivery_rate": tenant_now.get("delivery_rate"),
        "change": _change(tenant_now.get("score"), (previous or {}).get("tenant", {}).get("score")),
        "change_quarter": _change(tenant_now.get("score"), (quarter or {}).get("tenant", {}).get("score")),
        "delivery_change": _change(
            tenant_now.get("delivery_rate"), (previous or {}).get("tenant", {}).get("delivery_rate")
        ),
        "largest_gap": [_promise_row(p, prev_promises, quarter_promises, base) for p in largest_gap],
        "hidden_breaches": [_promise_row(p, prev_promises, quarter_promises, base) for p in hidden],
    }


def slice_content(
    *,
    department: dict[str, Any],
    current: dict | None,
    previous: dict | None,
    quarter: dict | None,
    contributed: set[int],
    escalations: dict[str, Any] | None,
    stories: dict[str, Any],
    base: str,
    names: CommitmentNames | None = None,
    followups: dict[str, Any] | None = None,
    actions: dict[str, Any] | None = None,
    survey_comments: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """This department's slice (pure: no database access). ``names`` words the commitments
    not met ("CSAT at Returns"); without it they read as the run keeps them (keys, slugs)."""
    survey_comments = survey_comments or {"total": 0, "negative": [], "positive": []}
    names = names or CommitmentNames(measures={}, touchpoints={})
    prev_promises, quarter_promises = _by_id(previous, "promises"), _by_id(quarter, "promises")
    promises, promise_ids = [], set()
    for p in (current or {}).get("promises", []):
        role = (
            "owner"
            if p.get("owner_id") == department["id"]
            else ("shared" if p["id"] in contributed else None)
        )
        if role:
            promise_ids.add(p["id"])
            promises.append({**_promise_row(p, prev_promises, quarter_promises, base), "role": role})
    titles = {p["id"]: p["title"] for p in promises}
    not_met = [
        {
            "promise": titles.get(c["promise_id"], c["promise"]),
            "measure": names.measures.get(c["measure"], c["measure"]),
            "touchpoint": names.touchpoints.get(c.get("touchpoint"), c.get("touchpoint"))
            or "all touchpoints",
            "actual": c.get("actual"),
            "target": c.get("target"),
            "target_label": c.get("target_label"),  # "at most 2 %" (runs before it was kept: None)
            "gap": c.get("gap"),
            "url": f"{base}/promises/{c['promise_id']}/",
        }
        for c in (current or {}).get("commitments", [])
        if c["promise_id"] in promise_ids and c.get("status") == "not_met"
    ]
    escalation_rows = escalations or {}
    is_empty = not (
        promises
        or not_met
        or stories["negative"]
        or stories["positive"]
        or survey_comments["negative"]
        or survey_comments["positive"]
        or any(escalation_rows.get(k) for k in ("awaiting", "overdue", "resolved"))
        or (followups or {}).get("open")
        or any((actions or {}).get(k) for k in ("overdue", "open", "done"))
    )
    return {
        "department": department,
        "department_url": f"{base}/scores/departments/{department['slug']}/",
        "promises": promises,
        "not_met": not_met,
        "escalations": escalations,
        "followups": followups,
        "actions": actions,
        "stories": stories,
        "survey_comments": survey_comments,
        "is_empty": is_empty,
    }


def department_touchpoint_slugs(current: dict | None, promise_ids: set[int]) -> set[str]:
    return {
        c["touchpoint"]
        for c in (current or {}).get("commitments", [])
        if c["promise_id"] in promise_ids and c.get("touchpoint")
    }


def _story_row(story: dict[str, Any], base: str) -> dict[str, Any]:
    text = story["text"]
    return {
        "id": story["id"],
        "text": shorten(text, 280),
        "sentiment": round(story["sentiment"], 2),
        "touchpoint": story["touchpoint__name"],
        "occurred_at": story["occurred_at"],
        "url": f"{base}/stories/{story['id']}/",
    }


def _most_telling(rows: QuerySet, *, sentiment: str, columns: tuple[str, ...]) -> dict[str, Any]:
    """How many ``rows`` there are, the most negative of them (up to 5) and the most positive (up
    to 2), by their ``sentiment`` column. Three queries, however many rows."""
    negative = rows.filter(**{f"{sentiment}__lt": NEGATIVE_BELOW}).order_by(sentiment, "id")
    positive = rows.filter(**{f"{sentiment}__gt": POSITIVE_ABOVE}).order_by(f"-{sentiment}", "id")
    return {
        "total": rows.count(),
        "negative": list(negative.values(*columns)[:NEGATIVE_STORIES]),
        "positive": list(positive.values(*columns)[:POSITIVE_STORIES]),
    }


def _stories(
    department_id: int, touchpoint_slugs: set[str], period: Period, as_of: datetime, base: str
) -> dict:
    """The most telling stories at the department's touchpoints (or logged for it) in the period."""
    in_period = Story.objects.filter(occurred_at__gte=period.start, occurred_at__lt=as_of).filter(
        Q(touchpoint__slug__in=touchpoint_slugs) | Q(department_id=department_id)
    )
    found = _most_telling(
        in_period,
        sentiment="sentiment",
        columns=("id", "text", "sentiment", "touchpoint__name", "occurred_at"),
    )
    return found | {
        "negative": [_story_row(s, base) for s in found["negative"]],
        "positive": [_story_row(s, base) for s in found["positive"]],
    }


def _survey_comment_row(response: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": response["id"],
        "text": shorten(response["comment"], 280),
        "sentiment": round(response["comment_sentiment"], 2),
        "measure": response["measure__name"],
        "score": response["score"],
        "touchpoint": response["touchpoint__name"],  # None: the answer named none
        "occurred_at": response["occurred_at"],
    }


def survey_comments_for_digest(
    *, department_id: int, touchpoint_slugs: set[str], period: Period, as_of: datetime
) -> dict[str, Any]:
    """The period's survey comments (the reasons customers gave with their scores) at the
    department's touchpoints or on its hosted surveys, chosen like its stories: how many there
    were, up to 5 most negative and up to 2 most positive, each with its sentiment, measure and
    score. Three queries, however many comments."""
    in_period = (
        SurveyResponse.objects.exclude(comment="")
        .filter(occurred_at__gte=period.start, occurred_at__lt=as_of)
        .filter(
            Q(touchpoint__slug__in=touchpoint_slugs)
            | Q(
                source_kind=SourceKind.HOSTED_SURVEY,
                source_id__in=Survey.objects.filter(department_id=department_id).values("id"),
            )
        )
    )
    columns = (
        "id",
        "comment",
        "comment_sentiment",
        "measure__name",
        "score",
        "touchpoint__name",
        "occurred_at",
    )
    found = _most_telling(in_period, sentiment="comment_sentiment", columns=columns)
    return found | {
        "negative": [_survey_comment_row(r) for r in found["negative"]],
        "positive": [_survey_comment_row(r) for r in found["positive"]],
    }


def escalations_for_digest(*, department_id: int, period: Period, as_of: datetime, base: str) -> dict:
    """The department's escalations awaiting a decision, overdue, and resolved in the period.

    Three queries.
    """
    columns = ("id", "title", "state", "severity", "decision_due_at", "resolution_due_at", "resolved_at")
    mine = Escalation.objects.filter(department_id=department_id)

    def rows(qs) -> list[dict[str, Any]]:
        return [
            {
                "id": e["id"],
                "title": e["title"],
                "state": EscalationState(e["state"]).label,
                "severity": e["severity"],
                "due_at": e["decision_due_at"] if e["state"] == "proposed" else e["resolution_due_at"],
                "resolved_at": e["resolved_at"],
                "url": f"{base}/escalations/{e['id']}/",
            }
            for e in qs.values(*columns)[:ESCALATIONS_SHOWN]
        ]

    awaiting = mine.filter(state="proposed", proposed_at__lt=as_of).order_by("decision_due_at", "id")
    overdue = mine.filter(overdue_condition(as_of)).order_by("decision_due_at", "id")
    resolved = mine.filter(resolved_at__gte=period.start, resolved_at__lt=as_of).order_by("resolved_at", "id")
    return {
        "awaiting": rows(awaiting),
        "overdue": rows(overdue),
        "resolved": rows(resolved),
    }


def actions_for_digest(
    *, department_id: int, period: Period, as_of: datetime, base: str, zone: ZoneInfo
) -> dict:
    """The department's overdue and open actions, and those done in the period (one query)."""
    rows = department_actions(
        department_id=department_id, today=as_of.astimezone(zone).date(), done_since=period.start
    )
    return {
        name: [{**r, "url": f"{base}/actions/{r['id']}/"} for r in rows[name][:ESCALATIONS_SHOWN]]
        for name in ("overdue", "open", "done")
    }


@dataclass
class DigestData:
    """Everything a department's digest shows, fetched (a constant number of queries)."""

    tenant: dict[str, Any]
    period: Period
    core: dict[str, Any]
    slice: dict[str, Any]
    base_url: str
    recipients: list[Recipient] = field(default_factory=list)


@dataclass(frozen=True)
class Recipient:
    key: str  # m<membership id> or s<subscriber id>
    email: str
    token: dict[str, int]


def digest_data(
    *, tenant: Tenant, department: Department, period: Period, now: datetime | None = None
) -> DigestData:
    """Fetch one department's digest for ``period`` (as of its end, or of ``now`` if earlier)."""
    now = now or timezone.now()
    as_of = min(period.end, now)
    base = tenant_base_url(tenant)
    current, previous, quarter = _runs(period.start, as_of)
    contributed = set(
        PromiseContributor.objects.filter(department=department).values_list("promise_id", flat=True)
    )
    promise_ids = {
        p["id"]
        for p in (current or {}).get("promises", [])
        if p.get("owner_id") == department.pk or p["id"] in contributed
    }
    touchpoint_slugs = department_touchpoint_slugs(current, promise_ids)
    stories = _stories(department.pk, touchpoint_slugs, period, as_of, base)
    survey_comments = survey_comments_for_digest(
        department_id=department.pk, touchpoint_slugs=touchpoint_slugs, period=period, as_of=as_of
    )
    escalations = escalations_for_digest(department_id=department.pk, period=period, as_of=as_of, base=base)
    followups = followups_for_digest(department_id=department.pk, as_of=as_of, base=base)
    actions = actions_for_digest(
        department_id=department.pk, period=period, as_of=as_of, base=base, zone=ZoneInfo(tenant.time_zone)
    )
    dept = {"id": department.pk, "slug": department.slug, "name": department.name}
    return DigestData(
        tenant={"id": tenant.pk, "slug": tenant.slug, "name": tenant.name, "time_zone": tenant.time_zone},
        period=period,
        core=core_content(current=current, previous=previous, quarter=quarter, base=base),
        slice=slice_content(
            department=dept,
            current=current,
            previous=previous,
            quarter=quarter,
            contributed=contributed,
            escalations=escalations,
            stories=stories,
            survey_comments=survey_comments,
            base=base,
            names=commitment_names() if current else None,
            followups=followups,
            actions=actions,
        ),
        base_url=base,
    )


def digest_recipients(*, department: Department) -> list[Recipient]:
    """Active members of the department who have not opted out, then active extra subscribers.

    Two queries whatever the number of recipients. An address that is both is sent one e-mail.
    """
    tenant_id = require_tenant_id()
    opted_out = DigestOptOut.objects.filter(department=department).values("membership_id")
    members = (
        Membership.objects.filter(is_active=True, departments=department, user__is_active=True)
        .exclude(pk__in=opted_out)
        .order_by("pk")
        .values_list("pk", "user__email")
    )
    out, seen = [], set()
    for pk, email in members:
        seen.add(email.lower())
        out.append(Recipient(f"m{pk}", email, {"t": tenant_id, "d": department.pk, "m": pk}))
    for pk, email in DigestSubscriber.objects.filter(department=department, is_active=True).values_list(
        "pk", "email"
    ):
        if email.lower() not in seen:
            seen.add(email.lower())
            out.append(Recipient(f"s{pk}", email, {"t": tenant_id, "d": department.pk, "s": pk}))
    return out


def member_digest_departments(*, membership: Membership) -> list[dict[str, Any]]:
    """The digests a member can receive (their departments) and whether they do."""
    opted_out = set(
        DigestOptOut.objects.filter(membership=membership).values_list("department_id", flat=True)
    )
    return [
        {"id": d.pk, "name": d.name, "subscribed": d.pk not in opted_out}
        for d in Department.objects.filter(members=membership).order_by("name")
    ]


# --- Admin reads ------------------------------------------------------------------------------


def digest_department_list() -> list[dict[str, Any]]:
    """Every department with its digest switch, member and extra-subscriber counts (three queries)."""
    off = set(DepartmentDigest.objects.filter(is_enabled=False).values_list("department_id", flat=True))
    subscribers = dict(
        DigestSubscriber.objects.filter(is_active=True)
        .values("department_id")
        .annotate(n=Count("id"))
        .values_list("department_id", "n")
    )
    return [
        {
            "id": d.pk,
            "name": d.name,
            "slug": d.slug,
            "enabled": d.pk not in off,
            "members": d.n_members,
            "subscribers": subscribers.get(d.pk, 0),
        }
        for d in Department.objects.annotate(n_members=Count("members", distinct=True)).order_by("name")
    ]


def _outbox_count(status: str) -> Coalesce:
    counts = (
        OutboxMessage.objects.filter(
            kind=OUTBOX_KIND, dedupe_key__startswith=OuterRef("outbox_prefix"), status=status
        )
        .values("tenant_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def digest_log():
    """Digests newest first, each with its sent / pending / failed message counts and last send."""
    last_sent = (
        OutboxMessage.objects.filter(kind=OUTBOX_KIND, dedupe_key__startswith=OuterRef("outbox_prefix"))
        .values("tenant_id")
        .annotate(at=Max("sent_at"))
        .values("at")
    )
    return (
        Digest.objects.select_related("department")
        .annotate(
            sent=_outbox_count(OutboxMessage.Status.SENT),
            pending=_outbox_count(OutboxMessage.Status.PENDING),
            failed=_outbox_count(OutboxMessage.Status.FAILED),
            last_sent_at=Subquery(last_sent),
        )
        .order_by("-period_start", "department__name")
    )


def digest_failed_sends():
    """Digest e-mails that failed for good, or are waiting to retry after a failure."""
    return (
        OutboxMessage.objects.filter(kind=OUTBOX_KIND)
        .filter(
            Q(status=OutboxMessage.Status.FAILED) | Q(status=OutboxMessage.Status.PENDING, attempts__gt=0)
        )
        .order_by("-created_at")
    )
