"""The alignment engine: every score of a tenant as of an instant ``T`` (``docs/scoring.md``).

1. :func:`terms_at` — the commitment versions counting at ``T`` (one query).
2. :func:`signal_counts` — per commitment, the counts its measure needs over its window
   ``(T − w days, T]``, aggregated in PostgreSQL with one conditional-aggregate query per
   table (``count(*) FILTER (WHERE …)`` per commitment), never by loading signals:
   - ``source="raw"``: over the raw signal tables (the reference; used for a past ``as_of``);
   - ``source="rollup"``: whole UTC days from the rollup tables plus the two partial days at
     the window's edges from the raw tables, so the result is identical at any instant.
3. :func:`scores_from` — the formulas, in ``Decimal``, rounded to 2 decimals at the end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Q

from metrics.rollups import thresholds_register
from promises.models import CommitmentVersion, Promise, PromiseContributor
from tenants.context import require_tenant_id
from tenants.models import Department, Tenant, Touchpoint

SENTIMENT_NON_NEGATIVE = -0.05
ZERO = Decimal(0)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Terms:
    """A commitment version that counts at ``T``, with what the engine needs of it."""

    commitment_id: int
    version_id: int
    version: int
    promise_id: int
    promise_slug: str
    measure_id: int
    measure_key: str
    measure_kind: str  # survey | duration | stories
    touchpoint_id: int | None
    touchpoint_slug: str | None
    target: Decimal
    threshold_seconds: int | None
    window_days: int
    min_sample: int
    weight: Decimal
    scale: tuple[Decimal, Decimal]
    kind: str  # operational | perceived
    since: datetime  # the window is (since, T]


def terms_at(at: datetime) -> list[Terms]:
    versions = (
        CommitmentVersion.objects.filter(effective_from__lte=at)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gt=at))
        .select_related("commitment__measure", "commitment__touchpoint", "commitment__promise")
        .order_by("commitment_id")
    )
    terms = []
    for v in versions:
        c = v.commitment
        terms.append(
            Terms(
                commitment_id=c.pk,
                version_id=v.pk,
                version=v.number,
                promise_id=c.promise_id,
                promise_slug=c.promise.slug,
                measure_id=c.measure_id,
                measure_key=c.measure.key,
                measure_kind=c.measure.kind,
                touchpoint_id=c.touchpoint_id,
                touchpoint_slug=c.touchpoint.slug if c.touchpoint_id else None,
                target=v.target,
                threshold_seconds=v.threshold_seconds,
                window_days=v.window_days,
                min_sample=v.min_sample,
                weight=v.weight,
                scale=c.measure.scale,
                kind=c.measure.commitment_kind,
                # In UTC: w days are an absolute span, whatever zone ``at`` is given in.
                since=at.astimezone(UTC) - timedelta(days=v.window_days),
            )
        )
    return terms


# --- Counting signals in PostgreSQL -------------------------------------------------------------


@dataclass(frozen=True)
class Aggregate:
    """One count a measure needs: ``count(*)``/``sum(col)`` of the matching rows (raw) and the
    rollup column that holds the same number per day."""

    name: str
    raw: str  # "count(*)" or "sum(<column>)"
    predicate: str = ""  # extra raw condition, may hold %s (then ``threshold`` is its parameter)
    rollup_column: str = "n"
    threshold: bool = False  # the predicate / rollup row depends on the commitment's threshold


N = Aggregate("n", "count(*)")
MEASURE_AGGREGATES: dict[str, tuple[Aggregate, ...]] = {
    "nps": (
        N,
        Aggregate("promoters", "count(*)", "score >= 9", "promoters"),
        Aggregate("detractors", "count(*)", "score <= 6", "detractors"),
    ),
    "csat": (N, Aggregate("satisfied", "count(*)", "score >= 4", "satisfied")),
    "ces": (N, Aggregate("score_sum", "sum(score)", "", "score_sum")),
    "story_sentiment": (
        N,
        Aggregate("non_negative", "count(*)", f"sentiment >= {SENTIMENT_NON_NEGATIVE}", "non_negative"),
    ),
}
DURATION_AGGREGATES = (N, Aggregate("within", "count(*)", "duration_seconds <= %s", "within", threshold=True))


@dataclass(frozen=True)
class Table:
    """Where a kind of signal lives, raw and rolled up."""

    raw_from: str  # FROM clause (tenant filter applied on ``alias``)
    alias: str
    key_column: str  # what a commitment selects by: its measure, or its promise (stories)
    rollups: dict[str, str]  # rollup column -> rollup table


TABLES: dict[str, Table] = {
    "survey": Table(
        "feedback_surveyresponse s",
        "s",
        "s.measure_id",
        {
            c: "metrics_surveyrollup"
            for c in ("n", "promoters", "detractors", "satisfied", "score_sum", "passives")
        },
    ),
    "duration": Table(
        "feedback_serviceevent s",
        "s",
        "s.measure_id",
        {"n": "metrics_serviceeventrollup", "within": "metrics_serviceeventwithinrollup"},
    ),
    "stories": Table(
        "feedback_storypromise sp JOIN feedback_story s ON s.id = sp.story_id AND s.tenant_id = sp.tenant_id",
        "sp",
        "sp.promise_id",
        {"n": "metrics_storyrollup", "non_negative": "metrics_storyrollup"},
    ),
}


def _aggregates(t: Terms) -> tuple[Aggregate, ...]:
    return DURATION_AGGREGATES if t.measure_kind == "duration" else MEASURE_AGGREGATES[t.measure_key]


def _key(t: Terms) -> int:
    return t.promise_id if t.measure_kind == "stories" else t.measure_id


def _day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


@dataclass
class _Select:
    """``SELECT <columns> FROM <table> WHERE <where>`` built with positional parameters."""

    columns: list[str] = field(default_factory=list)
    params: list[Any] = field(default_factory=list)
    targets: list[tuple[int, str]] = field(default_factory=list)  # (commitment id, count name)

    def add(self, sql: str, params: list[Any], target: tuple[int, str]) -> None:
        self.columns.append(sql)
        self.params.extend(params)
        self.targets.append(target)

    def run(
        self, from_sql: str, where: str, where_params: list[Any], into: dict[int, dict[str, int]]
    ) -> None:
        if not self.columns:
            return
        sql = f"SELECT {', '.join(self.columns)} FROM {from_sql} WHERE {where}"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, [*self.params, *where_params])
            row = cursor.fetchone()
        for (commitment_id, name), value in zip(self.targets, row, strict=True):
            into[commitment_id][name] += int(value or 0)


def _raw_counts(
    kind: str,
    terms: list[Terms],
    at: datetime,
    into: dict[int, dict[str, int]],
    *,
    edges: tuple[dict[int, datetime], datetime] | None = None,
) -> None:
    """Count raw signals per commitment over ``(since, T]`` — or, with ``edges``, only over the
    partial days ``(since, first_full_day)`` and ``[last_day_start, T]``."""
    table = TABLES[kind]
    a = table.alias
    time = "s.occurred_at"
    select = _Select()
    ranges: set[tuple[datetime, datetime | None]] = set()
    for t in terms:
        cond = f"{table.key_column} = %s AND {time} > %s"
        params: list[Any] = [_key(t), t.since]
        if edges is not None:
            first_full, last_start = edges[0][t.commitment_id], edges[1]
            cond += f" AND ({time} < %s OR {time} >= %s)"
            params += [first_full, last_start]
            ranges.add((t.since, first_full))
        if t.touchpoint_id is not None:
            cond += " AND s.touchpoint_id = %s"
            params.append(t.touchpoint_id)
        for agg in _aggregates(t):
            predicate = f"{cond} AND {agg.predicate}" if agg.predicate else cond
            extra = [t.threshold_seconds] if agg.threshold else []
            select.add(
                f"{agg.raw} FILTER (WHERE {predicate})", [*params, *extra], (t.commitment_id, agg.name)
            )
    tenant_id = require_tenant_id()
    where = f"{a}.tenant_id = %s AND {time} > %s AND {time} <= %s"
    where_params: list[Any] = [tenant_id, min(t.since for t in terms), at]
    if edges is not None:
        spans = [f"({time} > %s AND {time} < %s)" for _ in ranges] + [f"{time} >= %s"]
        where += f" AND ({' OR '.join(spans)})"
        for since, first_full in sorted(ranges):
            where_params += [since, first_full]
        where_params.append(edges[1])
    select.run(table.raw_from, where, where_params, into)


def _rollup_counts(
    kind: str,
    terms: list[Terms],
    first_full: dict[int, date],
    last_day: date,
    into: dict[int, dict[str, int]],
) -> None:
    """Sum the rollup rows of the whole days ``[first_full, last_day)`` of each window."""
    table = TABLES[kind]
    by_table: dict[str, _Select] = defaultdict(_Select)
    key_column = table.key_column.split(".")[-1]
    for t in terms:
        start = first_full[t.commitment_id]
        if start >= last_day:
            continue
        for agg in _aggregates(t):
            rollup = table.rollups[agg.rollup_column]
            cond = f"{key_column} = %s AND day >= %s"
            params: list[Any] = [_key(t), start]
            if t.touchpoint_id is not None:
                cond += " AND touchpoint_id = %s"
                params.append(t.touchpoint_id)
            if agg.threshold:
                cond += " AND threshold_seconds = %s"
                params.append(t.threshold_seconds)
            by_table[rollup].add(
                f"sum({agg.rollup_column}) FILTER (WHERE {cond})", params, (t.commitment_id, agg.name)
            )
    tenant_id = require_tenant_id()
    for rollup, select in sorted(by_table.items()):
        starts = [first_full[cid] for cid, _ in select.targets]
        select.run(
            rollup, "tenant_id = %s AND day >= %s AND day < %s", [tenant_id, min(starts), last_day], into
        )


def signal_counts(terms: list[Terms], at: datetime, *, source: str = "rollup") -> dict[int, dict[str, int]]:
    """``{commitment id: {count name: value}}`` for every commitment in ``terms``."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_kind: dict[str, list[Terms]] = defaultdict(list)
    for t in terms:
        by_kind[t.measure_kind].append(t)
    last_day = _utc_day(at)
    if source == "rollup" and "duration" in by_kind:
        thresholds_register()  # a threshold new to the rollups gets its counters first
    for kind, group in sorted(by_kind.items()):
        if source == "raw":
            _raw_counts(kind, group, at, counts)
            continue
        # Whole days strictly inside (since, T]: from the day after since's day (a day starting
        # exactly at since is not whole, since is excluded) up to, not including, T's day.
        first_full = {t.commitment_id: _utc_day(t.since) + timedelta(days=1) for t in group}
        _rollup_counts(kind, group, first_full, last_day, counts)
        edges = ({cid: _day_start(d) for cid, d in first_full.items()}, _day_start(last_day))
        _raw_counts(kind, group, at, counts, edges=edges)
    return counts


# --- The formulas -----------------------------------------------------------------------------


def measure_value(t: Terms, c: dict[str, int]) -> Decimal | None:
    """``A`` on the measure's scale, from the counts (None when there is no signal)."""
    n = c.get("n", 0)
    if n <= 0:
        return None
    if t.measure_kind == "duration":
        return HUNDRED * c["within"] / n
    if t.measure_key == "nps":
        return HUNDRED * (c["promoters"] - c["detractors"]) / n
    if t.measure_key == "csat":
        return HUNDRED * c["satisfied"] / n
    if t.measure_key == "ces":
        return Decimal(c["score_sum"]) / n
    return HUNDRED * c["non_negative"] / n  # story_sentiment


def _norm(x: Decimal, scale: tuple[Decimal, Decimal]) -> Decimal:
    lo, hi = scale
    return (x - lo) / (hi - lo)


def _r(x: Decimal | None) -> float | None:
    return None if x is None else float(x.quantize(CENT, rounding=ROUND_HALF_UP))


def _weighted(pairs: list[tuple[Decimal, Decimal]]) -> Decimal | None:
    total = sum((w for w, _ in pairs), ZERO)
    return sum((w * v for w, v in pairs), ZERO) / total if pairs and total else None


@dataclass
class CommitmentScore:
    terms: Terms
    n: int
    actual: Decimal | None
    counted: bool
    met: bool | None = None
    score: Decimal | None = None
    gap: Decimal | None = None

    @property
    def status(self) -> str:
        if not self.counted:
            return "insufficient_data"
        return "met" if self.met else "not_met"


def commitment_score(t: Terms, counts: dict[str, int]) -> CommitmentScore:
    n = counts.get("n", 0)
    actual = measure_value(t, counts)
    if n < t.min_sample or actual is None:
        return CommitmentScore(t, n, actual, counted=False)
    norm_a, norm_t = _norm(actual, t.scale), _norm(t.target, t.scale)
    score = HUNDRED if norm_t == 0 else HUNDRED * min(Decimal(1), norm_a / norm_t)
    return CommitmentScore(
        t, n, actual, counted=True, met=actual >= t.target, score=score, gap=HUNDRED * (norm_t - norm_a)
    )


@dataclass
class PromiseScore:
    promise: Promise
    score: Decimal | None
    delivery_rate: Decimal | None
    operational: Decimal | None
    perceived: Decimal | None
    perception_gap: Decimal | None
    flags: list[str]
    commitments: list[CommitmentScore]

    @property
    def status(self) -> str:
        if self.score is None:
            return "insufficient_data"
        return "met" if self.delivery_rate == HUNDRED else "not_met"


def promise_score(promise: Promise, scores: list[CommitmentScore], threshold: Decimal) -> PromiseScore:
    counted = [c for c in scores if c.counted]
    w = [(c.terms.weight, c) for c in counted]
    score = _weighted([(wt, c.score) for wt, c in w])
    delivery = _weighted([(wt, HUNDRED if c.met else ZERO) for wt, c in w])
    operational = _weighted([(wt, c.score) for wt, c in w if c.terms.kind == "operational"])
    perceived = _weighted([(wt, c.score) for wt, c in w if c.terms.kind == "perceived"])
    gap = operational - perceived if operational is not None and perceived is not None else None
    flags = []
    if gap is not None and gap >= threshold:
        flags.append("hidden_breach")
    if gap is not None and gap <= -threshold:
        flags.append("unseen_delivery")
    return PromiseScore(promise, score, delivery, operational, perceived, gap, flags, scores)


def scores_compute(*, tenant: Tenant, at: datetime, source: str = "rollup") -> dict[str, Any]:
    """Every score of ``tenant`` as of ``at``, in the shape of ``GET /api/v1/scores``."""
    terms = terms_at(at)
    counts = signal_counts(terms, at, source=source) if terms else {}
    by_promise: dict[int, list[CommitmentScore]] = defaultdict(list)
    for t in terms:
        by_promise[t.promise_id].append(commitment_score(t, counts.get(t.commitment_id, {})))

    promises = list(
        Promise.objects.filter(
            Q(pk__in=list(by_promise))
            | Q(kind=Promise.Kind.CUSTOMER, activated_at__lte=at)
            & (Q(retired_at__isnull=True) | Q(retired_at__gt=at))
        ).order_by("title", "id")
    )
    threshold = Decimal(tenant.perception_gap_threshold)
    promise_scores = [promise_score(p, by_promise.get(p.pk, []), threshold) for p in promises]
    scored = [(p.promise.weight, p) for p in promise_scores if p.score is not None]

    contributors: dict[int, set[int]] = defaultdict(set)
    for promise_id, department_id in PromiseContributor.objects.values_list("promise_id", "department_id"):
        contributors[department_id].add(promise_id)
    departments = []
    for d in Department.objects.order_by("name", "id"):
        mine = [(w, p) for w, p in scored if p.promise.owner_id == d.pk or p.promise.pk in contributors[d.pk]]
        departments.append(
            {
                "id": d.pk,
                "slug": d.slug,
                "name": d.name,
                "score": _r(_weighted([(w, p.score) for w, p in mine])),
                "delivery_rate": _r(_weighted([(w, p.delivery_rate) for w, p in mine])),
                "promises": len(mine),
            }
        )

    all_commitments = [c for p in promise_scores for c in p.commitments]
    touchpoints = []
    for tp in Touchpoint.objects.order_by("position", "name", "id"):
        here = [c for c in all_commitments if c.counted and c.terms.touchpoint_id == tp.pk]
        touchpoints.append(
            {
                "id": tp.pk,
                "slug": tp.slug,
                "name": tp.name,
                "score": _r(_weighted([(c.terms.weight, c.score) for c in here])),
                "commitments": len(here),
            }
        )

    return {
        "as_of": at.isoformat(),
        "tenant": {
            "score": _r(_weighted([(w, p.score) for w, p in scored])),
            "delivery_rate": _r(_weighted([(w, p.delivery_rate) for w, p in scored])),
        },
        "promises": [_promise_json(p) for p in promise_scores],
        "commitments": [_commitment_json(c) for c in all_commitments],
        "departments": departments,
        "touchpoints": touchpoints,
    }


def _promise_json(p: PromiseScore) -> dict[str, Any]:
    return {
        "id": p.promise.pk,
        "slug": p.promise.slug,
        "title": p.promise.title,
        "owner_id": p.promise.owner_id,
        "weight": float(p.promise.weight),
        "score": _r(p.score),
        "delivery_rate": _r(p.delivery_rate),
        "operational_score": _r(p.operational),
        "perceived_score": _r(p.perceived),
        "perception_gap": _r(p.perception_gap),
        "flags": p.flags,
        "status": p.status,
    }


def _commitment_json(c: CommitmentScore) -> dict[str, Any]:
    t = c.terms
    return {
        "id": t.commitment_id,
        "promise": t.promise_slug,
        "promise_id": t.promise_id,
        "measure": t.measure_key,
        "touchpoint": t.touchpoint_slug,
        "actual": _r(c.actual) if c.counted else None,
        "n": c.n,
        "status": c.status,
        "met": c.met,
        "score": _r(c.score),
        "gap": _r(c.gap),
        "kind": t.kind,
        "target": _r(t.target),
        "threshold_seconds": t.threshold_seconds,
        "window_days": t.window_days,
        "min_sample": t.min_sample,
        "weight": float(t.weight),
        "version": t.version,
    }
