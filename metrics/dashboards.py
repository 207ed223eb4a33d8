"""What the score dashboards show, read from the newest score run and the rollup tables.

Dashboards never compute scores and never scan raw signals: every number comes from the
newest :class:`ScoreRun` (its ``result``), the quarter-end :class:`ScoreSnapshot` rows, the
:class:`BreachEvent` rows and the rollup tables. Every function returns plain data (dicts,
lists, numbers, strings), so templates render without touching the database, and each one
takes a fixed number of queries however many promises or touchpoints the tenant has.

All functions run in the tenant's context (the web middleware sets it).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.paginator import Page, Paginator
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Sum, Value, When
from django.utils import timezone

from feedback.escalations.models import EscalationState
from feedback.sentiment import sentiment_label
from feedback.signals.models import SourceKind, SurveyResponse
from feedback.stories.models import Story
from metrics.bands import Facts, band_of, commitment_counts, score_band, score_legend
from metrics.engine import SENTIMENT_NON_NEGATIVE
from metrics.models import (
    BreachEvent,
    Scope,
    ScoreRun,
    ScoreSnapshot,
    ServiceEventRollup,
    StoryRollup,
    SurveyRollup,
)
from metrics.services import quarter_label
from promises.models import Commitment, Measure, Promise, PromiseContributor
from surveys.models import Survey
from tenants.models import Department, Tenant, Touchpoint

TREND_QUARTERS = 4
RECENT_BREACHES = 10
STORIES_SHOWN = 5
SURVEY_COMMENTS_PER_PAGE = 5
JOURNEY_DAYS = 90
# A story (or survey comment) below this sentiment score is negative (the story_sentiment measure counts the rest).
NEGATIVE_BELOW = SENTIMENT_NON_NEGATIVE

STAGES = dict(Touchpoint.Stage.choices)

# What a breach event's row says: the condition cleared, or how far the escalation opened for
# it has come (``BreachEvent.escalation``). Only "resolved" counts as no longer open.
BREACH_STATES = {
    "open": "Open",
    "awaiting_decision": "Escalated — awaiting decision",
    "in_progress": "In progress",
    "resolved": "Resolved",
}
_ESCALATION_BREACH_STATE = {
    EscalationState.PROPOSED: "awaiting_decision",
    EscalationState.APPROVED: "in_progress",
    EscalationState.IN_PROGRESS: "in_progress",
    EscalationState.RESOLVED: "resolved",
    EscalationState.CLOSED: "resolved",
}
# Escalations whose breach counts as resolved: lists put these events after the open ones.
_ESCALATION_DONE = [EscalationState.RESOLVED, EscalationState.CLOSED]


def _change(current: float | None, previous: float | None) -> float | None:
    if current is None or previous is None:
        return None
    return round(current - previous, 2)


def _shortfall(score: float | None) -> float | None:
    """Points below full delivery of the promise (100 − score): what the ranking sorts by."""
    return None if score is None else round(100 - score, 2)


@dataclass(frozen=True)
class Run:
    """The newest score run, as plain data."""

    as_of: Any
    kind: str
    result: dict[str, Any]

    @property
    def promises_by_id(self) -> dict[int, dict[str, Any]]:
        return {p["id"]: p for p in self.result["promises"]}


def latest_run() -> Run | None:
    """The newest run of the tenant (one query), or ``None`` before the first one."""
    run = ScoreRun.objects.order_by("-as_of", "-id").only("as_of", "kind", "result").first()
    if run is None:
        return None
    return Run(as_of=run.as_of, kind=run.get_kind_display(), result=run.result)


def _quarter_trend(
    *, tenant: Tenant, run: Run, scope: str, scope_id: int | None, current: dict
) -> list[dict[str, Any]]:
    """Quarter-end scores of one scope (oldest first) and the current run's, with changes."""
    zone = ZoneInfo(tenant.time_zone)
    snapshots = (
        ScoreSnapshot.objects.filter(kind=ScoreRun.Kind.QUARTER_END, scope=scope, scope_id=scope_id)
        .filter(as_of__lt=run.as_of)
        .order_by("-as_of")
        .values("as_of", "score", "delivery_rate")[:TREND_QUARTERS]
    )
    points = [
        {
            "label": quarter_label(s["as_of"], zone),
            "as_of": s["as_of"],
            "score": s["score"],
            "delivery_rate": s["delivery_rate"],
            "current": False,
        }
        for s in reversed(list(snapshots))
    ]
    points.append(
        {
            "label": "Now",
            "as_of": run.as_of,
            "score": current.get("score"),
            "delivery_rate": current.get("delivery_rate"),
            "current": True,
        }
    )
    previous = None
    for point in points:
        point["score_change"] = _change(point["score"], previous["score"] if previous else None)
        point["delivery_change"] = _change(
            point["delivery_rate"], previous["delivery_rate"] if previous else None
        )
        previous = point
    return points


def _chart(points: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "labels": [p["label"] for p in points],
        "series": [
            {"label": "Alignment score", "data": [p["score"] for p in points]},
            {"label": "Delivery rate (%)", "data": [p["delivery_rate"] for p in points]},
        ],
    }


def breach_state(*, resolved_at, escalation_state: str | None) -> str:
    """A key of :data:`BREACH_STATES`: cleared, or where its escalation stands."""
    if resolved_at is not None:
        return "resolved"
    return _ESCALATION_BREACH_STATE.get(escalation_state, "open")


def _event_rows(events, promises: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """Breach events (with ``escalation`` selected) as rows for ``metrics/_breach_events.html``."""
    rows = []
    for e in events:
        promise = promises.get(e.promise_id)
        escalation = e.escalation
        state = breach_state(
            resolved_at=e.resolved_at, escalation_state=escalation.state if escalation else None
        )
        rows.append(
            {
                "id": e.pk,
                "kind": e.get_kind_display(),
                "kind_key": e.kind,
                "title": e.title,
                "state": state,
                "state_label": BREACH_STATES[state],
                "is_open": state != "resolved",
                "escalation_id": escalation.pk if escalation else None,
                "escalation_state": escalation.get_state_display() if escalation else "",
                "detected_at": e.detected_at,
                "resolved_at": e.resolved_at
                or (escalation.resolved_at if escalation and state == "resolved" else None),
                "as_of": e.as_of,
                "promise_slug": promise["slug"] if promise else None,
            }
        )
    return rows


def _not_done():
    """Breach events still open: neither cleared nor resolved by their escalation."""
    return Q(resolved_at__isnull=True) & ~Q(escalation__state__in=_ESCALATION_DONE)


def _open_first(queryset):
    return (
        queryset.select_related("escalation")
        .annotate(
            closed=Case(When(_not_done(), then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        .order_by("closed", "-detected_at", "-id")
    )


def _open_breaches() -> list[dict[str, Any]]:
    """The open breach events, as the caps of the bands need them (one query)."""
    return list(
        BreachEvent.objects.filter(_not_done()).values("id", "promise_id", "commitment_id", "department_id")
    )


class _Evidence:
    """What the bands of one run's scores are derived from (``metrics.bands``), indexed once
    so that a page's bands cost one pass over the run, however many scores it shows."""

    def __init__(self, *, commitments: list[dict[str, Any]], open_breaches: list[dict[str, Any]]):
        self.open_breaches = open_breaches
        self.by_promise: dict[int, list[dict[str, Any]]] = defaultdict(list)
        self.by_touchpoint: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for c in commitments:
            self.by_promise[c["promise_id"]].append(c)
            self.by_touchpoint[c["touchpoint"]].append(c)
        self.open_by_promise = Counter(e["promise_id"] for e in open_breaches if e["promise_id"])
        self.open_by_commitment = Counter(e["commitment_id"] for e in open_breaches if e["commitment_id"])

    def promise_band(self, p: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self._band(
            "promise",
            p,
            self.by_promise[p["id"]],
            hidden=(p["title"],) if "hidden_breach" in p["flags"] else (),
            open_breaches=self.open_by_promise[p["id"]],
            key=key,
        )

    def group_band(
        self,
        subject: str,
        summary: dict[str, Any] | None,
        promises: list[dict[str, Any]],
        *,
        key: str,
        department_id: int | None = None,
    ) -> dict[str, Any]:
        """The tenant's or a department's band, over ``promises`` (those of the run it covers)."""
        ids = {p["id"] for p in promises}
        if subject == "tenant":
            open_breaches = len(self.open_breaches)
        else:
            open_breaches = sum(
                1 for e in self.open_breaches if e["promise_id"] in ids or e["department_id"] == department_id
            )
        return self._band(
            subject,
            summary or {"score": None, "delivery_rate": None},
            [c for promise_id in ids for c in self.by_promise[promise_id]],
            hidden=tuple(p["title"] for p in promises if "hidden_breach" in p["flags"]),
            open_breaches=open_breaches,
            key=key,
        )

    def commitment_band(self, c: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self._band("commitment", c, [c], open_breaches=self.open_by_commitment[c["id"]], key=key)

    def touchpoint_band(self, slug: str, score: float | None, *, key: str) -> dict[str, Any]:
        here = self.by_touchpoint[slug]
        return self._band(
            "touchpoint",
            {"score": score, "delivery_rate": commitment_counts(here).delivery_rate},
            here,
            open_breaches=sum(self.open_by_commitment[c["id"]] for c in here),
            key=key,
        )

    @staticmethod
    def _band(subject, scored, commitments, *, key: str, hidden=(), open_breaches=0) -> dict[str, Any]:
        counts = commitment_counts(commitments)
        facts = Facts(
            subject=subject,
            score=scored["score"],
            delivery_rate=scored.get("delivery_rate"),
            counted=counts.counted,
            not_met=counts.not_met,
            too_few=counts.too_few,
            hidden_breaches=hidden,
            open_breaches=open_breaches,
        )
        return band_of(facts, key=key)


def _evidence(run: Run) -> _Evidence:
    return _Evidence(commitments=run.result["commitments"], open_breaches=_open_breaches())


class RunBands:
    """The bands of one stored run's scores for a page outside the dashboards (the home page),
    derived exactly as the dashboards derive theirs. Two queries (open breaches, contributors),
    however many bands the page shows."""

    def __init__(self, run: Any):
        self._run = Run(as_of=run.as_of, kind="", result=run.result)
        self._evidence = _evidence(self._run)
        self._by_department: dict[int, list[dict[str, Any]]] | None = None

    def tenant(self, *, key: str) -> dict[str, Any]:
        result = self._run.result
        return self._evidence.group_band("tenant", result["tenant"], result["promises"], key=key)

    def promise(self, p: dict[str, Any], *, key: str) -> dict[str, Any]:
        return self._evidence.promise_band(p, key=key)

    def department(self, d: dict[str, Any], *, key: str) -> dict[str, Any]:
        if self._by_department is None:
            self._by_department = _department_promises(self._run)
        promises = self._by_department.get(d["id"], [])
        return self._evidence.group_band("department", d, promises, key=key, department_id=d["id"])


def _department_promises(run: Run) -> dict[int, list[dict[str, Any]]]:
    """The run's promises of each department, owned or contributed to (one query)."""
    by_id = run.promises_by_id
    mine: dict[int, dict[int, dict[str, Any]]] = {}
    for p in run.result["promises"]:
        mine.setdefault(p["owner_id"], {})[p["id"]] = p
    for promise_id, department_id in PromiseContributor.objects.values_list("promise_id", "department_id"):
        if promise_id in by_id:
            mine.setdefault(department_id, {})[promise_id] = by_id[promise_id]
    return {department_id: list(promises.values()) for department_id, promises in mine.items()}


def overview(*, tenant: Tenant) -> dict[str, Any] | None:
    """The tenant overview; ``None`` when no run exists yet. Five queries."""
    run = latest_run()
    if run is None:
        return None
    trend = _quarter_trend(
        tenant=tenant, run=run, scope=Scope.TENANT, scope_id=None, current=run.result["tenant"]
    )
    previous_quarter = trend[-2] if len(trend) > 1 else None
    evidence = _evidence(run)
    promises = []
    for p in run.result["promises"]:
        band = evidence.promise_band(p, key=f"promise-{p['id']}")
        promises.append({**p, "shortfall": _shortfall(p["score"]), "band": band})
    # Largest shortfall first; promises without enough data last, by title.
    promises.sort(key=lambda p: (p["shortfall"] is None, -(p["shortfall"] or 0), p["title"]))
    events = _open_first(BreachEvent.objects.all())[:RECENT_BREACHES]
    by_department = _department_promises(run)
    return {
        "as_of": run.as_of,
        "run_kind": run.kind,
        "tenant": run.result["tenant"],
        "band": evidence.group_band("tenant", run.result["tenant"], run.result["promises"], key="tenant"),
        "previous_quarter": previous_quarter,
        "score_change": trend[-1]["score_change"],
        "delivery_change": trend[-1]["delivery_change"],
        "trend": trend,
        "chart": _chart(trend),
        "promises": promises,
        "hidden_breaches": [p for p in promises if "hidden_breach" in p["flags"]],
        "unseen_deliveries": [p for p in promises if "unseen_delivery" in p["flags"]],
        "departments": [
            {
                **d,
                "band": evidence.group_band(
                    "department",
                    d,
                    by_department.get(d["id"], []),
                    key=f"department-{d['id']}",
                    department_id=d["id"],
                ),
            }
            for d in run.result["departments"]
        ],
        "breach_events": _event_rows(events, run.promises_by_id),
        "open_breaches": len(evidence.open_breaches),
    }


def _story_rows(stories) -> list[dict[str, Any]]:
    return [
        {
            "id": s.pk,
            "text": s.text,
            "occurred_at": s.occurred_at,
            "sentiment": s.sentiment,
            "negative": s.sentiment < NEGATIVE_BELOW,
            "touchpoint": s.touchpoint.name,
            "severity": s.get_severity_display(),
        }
        for s in stories
    ]


def _survey_comments_about(promise: Promise):
    """Survey answers with a comment that speak about ``promise``: those its survey commitments
    count (same measure, at the commitment's touchpoint or at any when it names none) and those
    given on a hosted survey asked about it."""
    counted = Commitment.objects.filter(
        tenant_id=OuterRef("tenant_id"),
        promise=promise,
        measure_id=OuterRef("measure_id"),
        ended_at__isnull=True,
    ).filter(Q(touchpoint__isnull=True) | Q(touchpoint_id=OuterRef("touchpoint_id")))
    asked = Survey.objects.filter(promise=promise).values("id")
    return (
        SurveyResponse.objects.exclude(comment="")
        .filter(Exists(counted) | Q(source_kind=SourceKind.HOSTED_SURVEY, source_id__in=asked))
        .select_related("touchpoint", "measure")
        .order_by("-occurred_at", "-id")
    )


def promise_survey_comments(*, promise: Promise, page: str | int | None) -> Page:
    """One page of the survey comments about ``promise``, newest first: a Django ``Page`` whose
    ``object_list`` is plain rows, so the template renders it without a query. Two queries
    (the count and the page), however many comments there are."""
    found = Paginator(_survey_comments_about(promise), SURVEY_COMMENTS_PER_PAGE).get_page(page)
    found.object_list = [
        {
            "id": r.pk,
            "text": r.comment,
            "occurred_at": r.occurred_at,
            "touchpoint": r.touchpoint.name if r.touchpoint else "No touchpoint",
            "measure": r.measure.name,
            "score": r.score,
            "sentiment": r.comment_sentiment,
            "sentiment_label": sentiment_label(r.comment_sentiment)
            if r.comment_sentiment is not None
            else "",
            "negative": r.comment_sentiment is not None and r.comment_sentiment < NEGATIVE_BELOW,
        }
        for r in found.object_list
    ]
    return found


def promise_scores(*, tenant: Tenant, promise: Promise) -> dict[str, Any]:
    """A promise's dashboard: its commitments, both sides of its score, its stories."""
    run = latest_run()
    about = Story.objects.filter(promise_links__promise=promise).select_related("touchpoint")
    stories = {
        "latest": _story_rows(about.order_by("-occurred_at", "-id")[:STORIES_SHOWN]),
        "most_negative": _story_rows(
            about.filter(sentiment__lt=NEGATIVE_BELOW).order_by("sentiment", "-occurred_at")[:STORIES_SHOWN]
        ),
    }
    page: dict[str, Any] = {"run": None, "stories": stories}
    if run is None:
        return page
    scored = run.promises_by_id.get(promise.pk)
    measures = {m["key"]: m for m in Measure.objects.values("key", "name", "unit", "kind", "direction")}
    touchpoints = dict(Touchpoint.objects.values_list("slug", "name"))
    evidence = _evidence(run)
    commitments = []
    for c in run.result["commitments"]:
        if c["promise_id"] != promise.pk:
            continue
        measure = measures.get(c["measure"], {"name": c["measure"], "unit": "", "kind": "", "direction": ""})
        commitments.append(
            {
                **c,
                "measure_name": measure["name"],
                "unit": measure["unit"],
                "is_duration": measure["kind"] == Measure.Kind.DURATION,
                "is_percent": measure["kind"] in (Measure.Kind.DURATION, Measure.Kind.RATE)
                or c["measure"] in ("csat", "story_sentiment"),
                "lower_is_better": c.get("direction", measure["direction"])
                == Measure.Direction.LOWER_IS_BETTER,
                "touchpoint_name": touchpoints.get(c["touchpoint"], "All touchpoints")
                if c["touchpoint"]
                else "All touchpoints",
                "band": evidence.commitment_band(c, key=f"commitment-{c['id']}"),
            }
        )
    page["run"] = {"as_of": run.as_of, "kind": run.kind}
    page["scored"] = scored
    page["commitments"] = commitments
    if scored is not None:
        page["band"] = evidence.promise_band(scored, key=f"promise-{scored['id']}")
        page["sides"] = [
            {"label": "Operational (what the systems measure)", "score": scored["operational_score"]},
            {"label": "Perceived (what customers say)", "score": scored["perceived_score"]},
        ]
        page["chart"] = {
            "labels": [s["label"].split(" (")[0] for s in page["sides"]],
            "series": [{"label": "Score", "data": [s["score"] for s in page["sides"]]}],
            "kind": "bar",
        }
    return page


def department_scores(*, department: Department) -> dict[str, Any]:
    """A department's dashboard: the promises it owns or contributes to, its open breaches."""
    run = latest_run()
    contributed = PromiseContributor.objects.filter(department=department).values("promise_id")
    promises = list(
        Promise.objects.filter(Q(owner=department) | Q(pk__in=contributed))
        .order_by("title", "id")
        .values("id", "slug", "title", "owner_id", "status", "kind")
    )
    scored = run.promises_by_id if run else {}
    evidence = _evidence(run) if run else _Evidence(commitments=[], open_breaches=[])
    rows = []
    for p in promises:
        s = scored.get(p["id"])
        rows.append(
            {
                **p,
                "role": "owner" if p["owner_id"] == department.pk else "contributor",
                "status_label": Promise.Status(p["status"]).label,
                "score": s["score"] if s else None,
                "delivery_rate": s["delivery_rate"] if s else None,
                "perception_gap": s["perception_gap"] if s else None,
                "flags": s["flags"] if s else [],
                "scored": s is not None,
                "band": evidence.promise_band(s, key=f"promise-{p['id']}") if s else score_band(None),
            }
        )
    ids = [p["id"] for p in promises]
    events = (
        BreachEvent.objects.filter(_not_done())
        .filter(Q(department=department) | Q(promise_id__in=ids))
        .select_related("escalation")
        .order_by("-detected_at", "-id")
    )
    summary = None
    if run is not None:
        summary = next((d for d in run.result["departments"] if d["id"] == department.pk), None)
    return {
        "run": {"as_of": run.as_of, "kind": run.kind} if run else None,
        "summary": summary,
        "band": evidence.group_band(
            "department",
            summary,
            [scored[i] for i in ids if i in scored],
            key=f"department-{department.pk}",
            department_id=department.pk,
        ),
        "promises": rows,
        "breach_events": _event_rows(events, {p["id"]: p for p in promises}),
    }


def journey(*, days: int = JOURNEY_DAYS) -> dict[str, Any]:
    """Touchpoints in journey order with their scores and the last ``days`` days of signals.

    Signal counts come from the rollup tables (whole UTC days, today included). Story counts
    are story–promise links: a story about two promises counts for each, a story about none
    is not counted (the rollup is kept per promise).
    """
    run = latest_run()
    since = timezone.now().astimezone(UTC).date() - timedelta(days=days - 1)
    surveys = dict(
        SurveyRollup.objects.filter(day__gte=since, touchpoint__isnull=False)
        .values("touchpoint")
        .annotate(total=Sum("n"))
        .values_list("touchpoint", "total")
    )
    events = dict(
        ServiceEventRollup.objects.filter(day__gte=since)
        .values("touchpoint")
        .annotate(total=Sum("n"))
        .values_list("touchpoint", "total")
    )
    stories = {
        row["touchpoint"]: row
        for row in StoryRollup.objects.filter(day__gte=since)
        .values("touchpoint")
        .annotate(total=Sum("n"), negative=Sum(F("n") - F("non_negative")))
    }
    scores = {t["id"]: t for t in run.result["touchpoints"]} if run else {}
    evidence = _evidence(run) if run else _Evidence(commitments=[], open_breaches=[])
    stops = []
    for tp in Touchpoint.objects.order_by("position", "id").values(
        "id", "slug", "name", "position", "journey_stage", "is_moment_of_truth"
    ):
        scored = scores.get(tp["id"], {})
        story = stories.get(tp["id"], {})
        counts = {
            "surveys": surveys.get(tp["id"], 0),
            "events": events.get(tp["id"], 0),
            "stories": story.get("total") or 0,
            "negative_stories": story.get("negative") or 0,
        }
        stops.append(
            {
                **tp,
                "stage": STAGES.get(tp["journey_stage"], tp["journey_stage"]),
                "score": scored.get("score"),
                "commitments": scored.get("commitments", 0),
                "band": evidence.touchpoint_band(
                    tp["slug"], scored.get("score"), key=f"touchpoint-{tp['id']}"
                ),
                "signals": counts["surveys"] + counts["events"] + counts["stories"],
                **counts,
            }
        )
    return {
        "run": {"as_of": run.as_of, "kind": run.kind} if run else None,
        "touchpoints": stops,
        "legend": score_legend(),
        "days": days,
        "since": since,
    }
