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
from dataclasses import dataclass
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
#
# One grouped query per table and part of the window: rows grouped by (measure or promise,
# touchpoint, time segment[, threshold]) with one aggregate per count, then each commitment adds
# up the groups it selects (its key, its touchpoint or every touchpoint, its segments). The cost
# follows the rows read and the distinct windows, not the number of commitments.


@dataclass(frozen=True)
class Count:
    """A count a measure needs: its aggregate over raw signals and the rollup column holding the
    same number per day (or month)."""

    name: str
    raw: str
    rollup_column: str


@dataclass(frozen=True)
class Table:
    """Where a kind of signal lives, raw and rolled up."""

    raw_from: str
    tenant_column: str
    key_column: str  # what a commitment selects by: its measure, or its promise (stories)
    counts: tuple[Count, ...]
    rollup: str
    # The columns the counts read; with them, the raw edges of a window are read as a union of
    # index-only range scans of (tenant_id, occurred_at) INCLUDE (these columns).
    edge_columns: tuple[str, ...] = ()


def _count(name: str, predicate: str = "") -> Count:
    return Count(name, f"count(*) FILTER (WHERE {predicate})" if predicate else "count(*)", name)


TABLES: dict[str, Table] = {
    "survey": Table(
        "feedback_surveyresponse s",
        "s.tenant_id",
        "s.measure_id",
        (
            _count("n"),
            _count("promoters", "s.score >= 9"),
            _count("detractors", "s.score <= 6"),
            _count("satisfied", "s.score >= 4"),
            Count("score_sum", "sum(s.score)", "score_sum"),
        ),
        "metrics_surveyrollup",
        ("measure_id", "touchpoint_id", "score"),
    ),
    "duration": Table(
        "feedback_serviceevent s",
        "s.tenant_id",
        "s.measure_id",
        (_count("n"),),
        "metrics_serviceeventrollup",
        ("measure_id", "touchpoint_id", "duration_seconds"),
    ),
    "stories": Table(
        "feedback_storypromise sp JOIN feedback_story s ON s.id = sp.story_id AND s.tenant_id = sp.tenant_id",
        "sp.tenant_id",
        "sp.promise_id",
        (_count("n"), _count("non_negative", f"s.sentiment >= {SENTIMENT_NON_NEGATIVE}")),
        "metrics_storyrollup",
    ),
}
WITHIN_ROLLUP = "metrics_serviceeventwithinrollup"
MONTH_ROLLUPS = {  # day rollup -> the same counters per UTC month (``day`` = the month's 1st)
    "metrics_surveyrollup": "metrics_surveymonthrollup",
    "metrics_serviceeventrollup": "metrics_serviceeventmonthrollup",
    WITHIN_ROLLUP: "metrics_serviceeventwithinmonthrollup",
    "metrics_storyrollup": "metrics_storymonthrollup",
}


def _key(t: Terms) -> int:
    return t.promise_id if t.measure_kind == "stories" else t.measure_id


def _day_start(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _utc_day(at: datetime) -> date:
    return at.astimezone(UTC).date()


# Result rows of a grouped query by their first column (measure or promise): [(group, values)].
Groups = dict[Any, list[tuple[tuple, list[int]]]]


def _grouped(
    from_sql: str,
    group_by: list[str],
    columns: list[tuple[str, list[Any]]],
    where: str,
    where_params: list[Any],
    group_params: list[Any] = (),
    from_params: list[Any] = (),
) -> Groups:
    """The rows of ``SELECT group_by, columns … GROUP BY group_by``, by their first column."""
    sql = (
        f"SELECT {', '.join(group_by)}, {', '.join(c for c, _ in columns)} FROM {from_sql} "  # noqa: S608
        f"WHERE {where} GROUP BY {', '.join(str(i + 1) for i in range(len(group_by)))}"
    )
    params = [*group_params] + [p for _, ps in columns for p in ps] + [*from_params] + where_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        groups: Groups = defaultdict(list)
        for row in cursor:
            groups[row[0]].append((tuple(row[: len(group_by)]), [int(v or 0) for v in row[len(group_by) :]]))
        return groups


def _collect_segments(
    kind: str,
    terms: list[Terms],
    bounds: list[tuple[str, Any]],
    segments_of: dict[int, set[int]],
    from_sql: str,
    where: str,
    where_params: list[Any],
    into: dict[int, dict[str, int]],
    *,
    rollup: bool,
    within_from: str = WITHIN_ROLLUP,
    from_params: list[Any] = (),
) -> None:
    """Rows grouped by (key, touchpoint, *segment*), each commitment adding up its segments.

    ``bounds`` are the segments' lower bounds in increasing order, as ``(condition, value)``
    (``"day >= %s"``, ``"s.occurred_at > %s"``…): a row belongs to the last segment whose
    condition it meets (``where`` keeps only rows of some commitment's time ranges). The
    windows' ranges are unions of segments, so one aggregate per count serves every window.
    """
    table = TABLES[kind]
    case = "CASE " + " ".join(f"WHEN {cond} THEN {i}" for i, (cond, _) in reversed(list(enumerate(bounds))))
    case += " ELSE -1 END"
    case_params = [value for _, value in reversed(bounds)]
    key_column = table.key_column.split(".")[-1] if rollup else table.key_column
    touchpoint = "touchpoint_id" if rollup else "s.touchpoint_id"

    def totals(groups: Groups, t: Terms, segment_at: int, width: int, threshold: bool = False) -> list[int]:
        """Column sums over the groups of ``t``: its key, touchpoint (or all), segments, threshold."""
        mine, sums = segments_of[t.commitment_id], None
        for group, values in groups.get(_key(t), ()):
            if t.touchpoint_id is not None and group[1] != t.touchpoint_id:
                continue
            if group[segment_at] not in mine or (threshold and group[2] != t.threshold_seconds):
                continue
            sums = list(values) if sums is None else [a + b for a, b in zip(sums, values, strict=True)]
        return sums or [0] * width

    columns = [(f"sum({c.rollup_column})" if rollup else c.raw, []) for c in table.counts]
    groups = _grouped(
        from_sql, [key_column, touchpoint, case], columns, where, where_params, case_params, from_params
    )
    for t in terms:
        sums = totals(groups, t, 2, len(table.counts))
        for count, value in zip(table.counts, sums, strict=True):
            into[t.commitment_id][count.name] += value
    if kind != "duration":
        return
    thresholds = sorted({t.threshold_seconds for t in terms})
    if rollup:
        within = _grouped(
            within_from,
            ["measure_id", "touchpoint_id", "threshold_seconds", case],
            [("sum(within)", [])],
            f"{where} AND threshold_seconds = ANY(%s)",
            [*where_params, thresholds],
            case_params,
        )
        for t in terms:
            into[t.commitment_id]["within"] += totals(within, t, 3, 1, threshold=True)[0]
        return
    columns = [("count(*) FILTER (WHERE s.duration_seconds <= %s)", [threshold]) for threshold in thresholds]
    within = _grouped(
        from_sql, [key_column, touchpoint, case], columns, where, where_params, case_params, from_params
    )
    for t in terms:
        into[t.commitment_id]["within"] += totals(within, t, 2, len(thresholds))[
            thresholds.index(t.threshold_seconds)
        ]


def _nested(bound: str, start_of: dict[int, Any]) -> tuple[list[tuple[str, Any]], dict[int, set[int]]]:
    """Windows that all end at ``T`` are nested: a segment per distinct start, and each
    commitment takes the segments from its own start on."""
    starts = sorted(set(start_of.values()))
    segments_of = {cid: set(range(starts.index(start), len(starts))) for cid, start in start_of.items()}
    return [(bound, start) for start in starts], segments_of


def _raw_counts(kind: str, terms: list[Terms], at: datetime, into: dict[int, dict[str, int]]) -> None:
    """Raw signals of each window ``(since, T]``."""
    table = TABLES[kind]
    where = f"{table.tenant_column} = %s AND s.occurred_at > %s AND s.occurred_at <= %s AND {table.key_column} = ANY(%s)"
    start_of = {t.commitment_id: t.since for t in terms}
    params = [require_tenant_id(), min(start_of.values()), at, sorted({_key(t) for t in terms})]
    bounds, segments_of = _nested("s.occurred_at > %s", start_of)
    _collect_segments(kind, terms, bounds, segments_of, table.raw_from, where, params, into, rollup=False)


def _rollup_counts(kind: str, terms: list[Terms], at: datetime, into: dict[int, dict[str, int]]) -> None:
    """Whole UTC months and days from the rollups, the partial days at both edges from the raw
    signals.

    The whole days strictly inside ``(since, T]`` run from the day after since's day (a day
    starting exactly at ``since`` is not whole: ``since`` is excluded) up to, not including,
    T's day; the raw edges are ``(since, first whole day)`` and ``[T's day, T]``.
    """
    table = TABLES[kind]
    tenant_id = require_tenant_id()
    keys = sorted({_key(t) for t in terms})
    last_day = _utc_day(at)
    first_full = {t.commitment_id: _utc_day(t.since) + timedelta(days=1) for t in terms}

    # The whole days [first, T's day) of each window: its whole UTC months from the month
    # rollups (nested windows: a segment per distinct first month), the days of its partial
    # first and last months from the day rollups (segments cut at every range's bounds).
    key_column = table.key_column.split(".")[-1]
    last_month = last_day.replace(day=1)
    month_of: dict[int, date] = {}
    day_ranges: dict[int, list[tuple[date, date]]] = {}
    for t in terms:
        cid, first = t.commitment_id, first_full[t.commitment_id]
        if first >= last_day:
            continue
        month = first if first.day == 1 else (first.replace(day=28) + timedelta(days=4)).replace(day=1)
        if month < last_month:
            month_of[cid] = month
            ranges = [(first, month), (last_month, last_day)]
        else:
            ranges = [(first, last_day)]
        if ranges := [r for r in ranges if r[0] < r[1]]:
            day_ranges[cid] = ranges
    if month_of:
        where = f"tenant_id = %s AND day >= %s AND day < %s AND {key_column} = ANY(%s)"
        params = [tenant_id, min(month_of.values()), last_month, keys]
        bounds, segments_of = _nested("day >= %s", month_of)
        _collect_segments(
            kind,
            [t for t in terms if t.commitment_id in month_of],
            bounds,
            segments_of,
            MONTH_ROLLUPS[table.rollup],
            where,
            params,
            into,
            rollup=True,
            within_from=MONTH_ROLLUPS[WITHIN_ROLLUP],
        )
    if day_ranges:
        cuts = sorted({d for ranges in day_ranges.values() for r in ranges for d in r})
        segments_of = {
            cid: {i for i, cut in enumerate(cuts) if any(lo <= cut < hi for lo, hi in ranges)}
            for cid, ranges in day_ranges.items()
        }
        distinct = sorted({r for ranges in day_ranges.values() for r in ranges})
        spans_sql = " OR ".join(["(day >= %s AND day < %s)"] * len(distinct))
        where = f"tenant_id = %s AND {key_column} = ANY(%s) AND ({spans_sql})"
        params = [tenant_id, keys, *[d for r in distinct for d in r]]
        _collect_segments(
            kind,
            [t for t in terms if t.commitment_id in day_ranges],
            [("day >= %s", cut) for cut in cuts],
            segments_of,
            table.rollup,
            where,
            params,
            into,
            rollup=True,
        )

    # Raw edges: (since, first whole day) per distinct since, and [T's day, T] once. The heads
    # of whole-day windows lie on distinct days, before T's day: each is its own segment.
    heads = sorted({(t.since, _day_start(first_full[t.commitment_id])) for t in terms})
    tail = _day_start(last_day)
    sinces = [since for since, _ in heads]
    bounds = [("s.occurred_at > %s", since) for since in sinces] + [("s.occurred_at >= %s", tail)]
    segments_of = {t.commitment_id: {sinces.index(t.since), len(sinces)} for t in terms}
    ranges = " OR ".join(
        ["(s.occurred_at > %s AND s.occurred_at < %s)"] * len(heads) + ["s.occurred_at >= %s"]
    )
    where = (
        f"{table.tenant_column} = %s AND s.occurred_at > %s AND s.occurred_at <= %s "
        f"AND {table.key_column} = ANY(%s) AND ({ranges})"
    )
    params = [tenant_id, min(sinces), at, keys, *[v for h in heads for v in h], tail]
    from_sql, from_params = table.raw_from, []
    if table.edge_columns:
        columns = ", ".join(("tenant_id", "occurred_at", *table.edge_columns))
        name = table.raw_from.split()[0]
        scans = [
            f"SELECT {columns} FROM {name} WHERE tenant_id = %s AND occurred_at > %s AND occurred_at < %s"  # noqa: S608
        ] * len(heads) + [
            f"SELECT {columns} FROM {name} WHERE tenant_id = %s AND occurred_at >= %s AND occurred_at <= %s"  # noqa: S608
        ]
        from_sql = f"({' UNION ALL '.join(scans)}) s"
        from_params = [*[v for h in heads for v in (tenant_id, *h)], tenant_id, tail, at]
    _collect_segments(
        kind, terms, bounds, segments_of, from_sql, where, params, into, rollup=False, from_params=from_params
    )


def signal_counts(terms: list[Terms], at: datetime, *, source: str = "rollup") -> dict[int, dict[str, int]]:
    """``{commitment id: {count name: value}}`` for every commitment in ``terms``."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_kind: dict[str, list[Terms]] = defaultdict(list)
    for t in terms:
        by_kind[t.measure_kind].append(t)
    if source == "rollup" and "duration" in by_kind:
        thresholds_register()  # a threshold new to the rollups gets its counters first
    for kind, group in sorted(by_kind.items()):
        if source == "raw":
            _raw_counts(kind, group, at, counts)
        else:
            _rollup_counts(kind, group, at, counts)
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
