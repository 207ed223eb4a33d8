"""The alignment engine: every score of a tenant as of an instant ``T`` (``docs/scoring.md``).

1. :func:`at_t` — what counts at ``T``: the commitment versions in effect, the promises,
   contributors, departments and touchpoints (one statement).
2. :func:`signal_counts` — per commitment, the counts its measure needs over its window
   ``(T − w days, T]``, aggregated in PostgreSQL (one statement), never by loading signals:
   - ``source="raw"``: over the raw signal tables (the reference; used for a past ``as_of``);
   - ``source="rollup"``: the window as signed pieces — whole months and days from the rollup
     tables, spans of raw signals at its edges (:func:`window_pieces`) — so the result is
     identical at any instant.
3. The formulas, in ``Decimal``, rounded to 2 decimals at the end.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction

from metrics.rollups import thresholds_register
from promises.commitments.models import target_label
from promises.models import Measure
from tenants.context import require_tenant_id
from tenants.models import Tenant

SENTIMENT_NON_NEGATIVE = -0.05
ZERO = Decimal(0)
HUNDRED = Decimal(100)
THOUSAND = Decimal(1000)
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
    measure_kind: str  # survey | duration | rate | average | stories
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
    lower_is_better: bool = False  # the measure's direction: a smaller value is the better one
    percent: bool = False  # the value is a share in % (for showing the target)


# What counts at T, in one statement: the commitment versions in effect (with their promise,
# measure and touchpoint), whether one of them uses a duration threshold the rollups do not count
# yet, the promises scored (those with commitments, and the active customer promises), promise
# contributors, departments and touchpoints. A recompute runs this and the counting statement.
_AT_SQL = """
WITH terms AS (
    SELECT v.commitment_id, v.id AS version_id, v.number, c.promise_id, p.slug AS promise_slug,
           c.measure_id, m.key, m.kind, c.touchpoint_id, tp.slug AS touchpoint_slug, v.target,
           v.threshold_seconds, v.window_days, v.min_sample, v.weight, m.direction, m.perspective,
           m.scale_min, m.scale_max
      FROM promises_commitmentversion v
      JOIN promises_commitment c ON c.id = v.commitment_id AND c.tenant_id = v.tenant_id
      JOIN promises_promise p ON p.id = c.promise_id AND p.tenant_id = v.tenant_id
      JOIN promises_measure m ON m.id = c.measure_id AND m.tenant_id = v.tenant_id
      LEFT JOIN tenants_touchpoint tp ON tp.id = c.touchpoint_id AND tp.tenant_id = v.tenant_id
     WHERE v.tenant_id = %(tenant)s AND v.effective_from <= %(at)s
       AND (v.effective_to IS NULL OR v.effective_to > %(at)s)
)
SELECT
    (SELECT coalesce(json_agg(json_build_array(
                commitment_id, version_id, number, promise_id, promise_slug, measure_id, key, kind,
                touchpoint_id, touchpoint_slug, target::text, threshold_seconds, window_days,
                min_sample, weight::text, direction, perspective, scale_min::text, scale_max::text)
                ORDER BY commitment_id), '[]')
       FROM terms),
    EXISTS (SELECT 1 FROM terms t
             WHERE t.threshold_seconds IS NOT NULL
               AND NOT EXISTS (SELECT 1 FROM metrics_durationthreshold d
                                WHERE d.tenant_id = %(tenant)s AND d.measure_id = t.measure_id
                                  AND d.threshold_seconds = t.threshold_seconds)),
    (SELECT coalesce(json_agg(json_build_object(
                'id', id, 'slug', slug, 'title', title, 'owner_id', owner_id, 'weight', weight::text)
                ORDER BY title, id), '[]')
       FROM promises_promise
      WHERE tenant_id = %(tenant)s
        AND (id IN (SELECT promise_id FROM terms)
             OR kind = 'customer' AND activated_at <= %(at)s AND (retired_at IS NULL OR retired_at > %(at)s))),
    (SELECT coalesce(json_agg(json_build_array(promise_id, department_id)), '[]')
       FROM promises_promisecontributor WHERE tenant_id = %(tenant)s),
    (SELECT coalesce(json_agg(json_build_object('id', id, 'slug', slug, 'name', name) ORDER BY name, id), '[]')
       FROM tenants_department WHERE tenant_id = %(tenant)s),
    (SELECT coalesce(json_agg(json_build_object('id', id, 'slug', slug, 'name', name)
                              ORDER BY position, name, id), '[]')
       FROM tenants_touchpoint WHERE tenant_id = %(tenant)s)
"""


@dataclass
class AtT:
    """What counts at ``T`` (see ``_AT_SQL``)."""

    terms: list[Terms]
    thresholds_missing: bool
    promises: list[dict[str, Any]]  # id, slug, title, owner_id, weight (Decimal)
    contributors: list[tuple[int, int]]  # (promise id, department id)
    departments: list[dict[str, Any]]  # id, slug, name
    touchpoints: list[dict[str, Any]]  # id, slug, name; in journey order


def at_t(at: datetime) -> AtT:
    with connection.cursor() as cursor:
        cursor.execute(_AT_SQL, {"tenant": require_tenant_id(), "at": at})
        terms, missing, promises, contributors, departments, touchpoints = cursor.fetchone()
    # In UTC: w days are an absolute span, whatever zone ``at`` is given in.
    at_utc = at.astimezone(UTC)
    for promise in promises:
        promise["weight"] = Decimal(promise["weight"])
    return AtT(
        [_terms(row, at_utc) for row in terms],
        missing,
        promises,
        [tuple(pair) for pair in contributors],
        departments,
        touchpoints,
    )


def _terms(row: list[Any], at_utc: datetime) -> Terms:
    # The measure's own rules: its scale, commitment kind, direction and whether it is a share in %.
    measure = Measure(
        key=row[6],
        kind=row[7],
        direction=row[15],
        perspective=row[16],
        scale_min=None if row[17] is None else Decimal(row[17]),
        scale_max=None if row[18] is None else Decimal(row[18]),
    )
    return Terms(
        *row[:10],
        target=Decimal(row[10]),
        threshold_seconds=row[11],
        window_days=row[12],
        min_sample=row[13],
        weight=Decimal(row[14]),
        scale=measure.scale,
        kind=measure.commitment_kind,
        since=at_utc - timedelta(days=row[12]),
        lower_is_better=measure.is_lower_better,
        percent=measure.is_percent,
    )


def terms_at(at: datetime) -> list[Terms]:
    """The commitment versions counting at ``at``."""
    return at_t(at).terms


# --- Counting signals in PostgreSQL -------------------------------------------------------------
#
# A window (since, T] is the half-open range [since + 1 µs, T + 1 µs) (timestamps have microsecond
# resolution), written as a signed sum of *pieces* at three levels: whole months (month rollups),
# whole days (day rollups) and spans of raw signals. Where a partial month or day is cheaper to
# read as the whole minus its complement, it is: the days of T's month are that month less the
# days after T's day, and T's own day is its day rollup less the raw signals after T — normally
# none, as the rollup path serves the present. Each level's pieces are cut at all their bounds
# into disjoint segments; one grouped query per table and level returns the counts per (measure
# or promise, touchpoint, segment[, threshold]), and each commitment adds up its segments with
# their signs. The cost follows the rows read and the distinct windows, not the commitments.

MICROSECOND = timedelta(microseconds=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Count:
    """A count a measure needs: its aggregate over raw signals and the rollup column holding the
    same number per day (or month); ``rollup_sum``, when the column is not summed as it is."""

    name: str
    raw: str
    rollup_column: str
    rollup_sum: str = ""

    @property
    def rollup(self) -> str:
        return self.rollup_sum or f"sum({self.rollup_column})::bigint"


@dataclass(frozen=True)
class Table:
    """Where a kind of signal lives, raw and rolled up."""

    raw_from: str
    tenant_column: str
    key_column: str  # what a commitment selects by: its measure, or its promise (stories)
    counts: tuple[Count, ...]
    rollup: str


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
            Count("score_sum", "coalesce(sum(s.score), 0)::bigint", "score_sum"),
        ),
        "metrics_surveyrollup",
    ),
    "duration": Table(
        "feedback_serviceevent s",
        "s.tenant_id",
        "s.measure_id",
        (_count("n"),),
        "metrics_serviceeventrollup",
    ),
    "rate": Table(
        "feedback_serviceevent s",
        "s.tenant_id",
        "s.measure_id",
        (_count("n"), _count("outcomes", "s.outcome")),
        "metrics_serviceeventrollup",
    ),
    # Values have at most 3 decimal places (numeric(9, 3)): their sum in thousandths is a whole number,
    # so it travels as a bigint like every other count and stays exact.
    "average": Table(
        "feedback_serviceevent s",
        "s.tenant_id",
        "s.measure_id",
        (
            _count("n"),
            Count(
                "value_thousandths",
                "(coalesce(sum(s.value), 0) * 1000)::bigint",
                "value_sum",
                "(sum(value_sum) * 1000)::bigint",
            ),
        ),
        "metrics_serviceeventrollup",
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


# --- Windows as signed pieces


@dataclass(frozen=True)
class Piece:
    """``sign`` × the signals in ``[lo, hi)`` at a ``level``: ``month`` or ``day`` (rollups,
    ``date`` bounds: whole UTC months or days) or ``raw`` (signals, ``datetime`` bounds)."""

    level: str
    lo: Any
    hi: Any
    sign: int = 1


def _month_after(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _whole_days(lo: date, hi: date) -> list[Piece]:
    """The whole days ``[lo, hi)``: whole months from the month rollups; a partial month as its
    days, or as the month less the days outside it when those are fewer."""
    pieces: list[Piece] = []
    while lo < hi:
        month, end = lo.replace(day=1), _month_after(lo.replace(day=1))
        if lo == month and end <= hi:
            pieces.append(Piece("month", month, hi.replace(day=1)))
            lo = hi.replace(day=1)
            continue
        stop = min(end, hi)
        if (end - month).days - (stop - lo).days < (stop - lo).days:
            pieces.append(Piece("month", month, end))
            pieces += [Piece("day", a, b, -1) for a, b in ((month, lo), (stop, end)) if a < b]
        else:
            pieces.append(Piece("day", lo, stop))
        lo = stop
    return pieces


def window_pieces(since: datetime, at: datetime) -> list[Piece]:
    """The window ``(since, at]`` as signed pieces whose sum is exactly its signals."""
    lo, hi = since.astimezone(UTC) + MICROSECOND, at.astimezone(UTC) + MICROSECOND
    first = datetime.combine(lo.date(), time(), UTC)
    if first < lo:
        first += DAY  # the first whole day starts at the first midnight from lo on
    last = datetime.combine(hi.date(), time(), UTC)  # hi's day: [last, hi) is partial
    if first > last:
        return [Piece("raw", lo, hi)]
    pieces = []
    if lo < first:  # the head: raw, or its day less the raw signals before it if shorter
        day = first - DAY
        if first - lo <= lo - day:
            pieces.append(Piece("raw", lo, first))
        else:
            pieces += [Piece("day", day.date(), first.date()), Piece("raw", day, lo, -1)]
    pieces += _whole_days(first.date(), last.date())
    if last < hi:  # T's day up to T: raw, or its day less the raw signals after T if shorter
        if hi - last <= last + DAY - hi:
            pieces.append(Piece("raw", last, hi))
        else:
            pieces += [Piece("day", last.date(), last.date() + DAY), Piece("raw", hi, last + DAY, -1)]
    return pieces


@dataclass
class Segments:
    """A level's pieces cut at all their bounds: the segments some commitment counts, and each
    commitment's sign per segment."""

    cuts: list[Any]
    used: list[int]  # indexes i of the segments [cuts[i], cuts[i + 1]) with a nonzero sign
    signs: dict[int, dict[int, int]]  # commitment id -> {segment: sign}

    @classmethod
    def of(cls, pieces_of: dict[int, list[Piece]]) -> Segments:
        cuts = sorted({bound for pieces in pieces_of.values() for p in pieces for bound in (p.lo, p.hi)})
        index = {cut: i for i, cut in enumerate(cuts)}
        signs: dict[int, dict[int, int]] = {}
        for cid, pieces in pieces_of.items():
            mine: dict[int, int] = defaultdict(int)
            for p in pieces:
                for i in range(index[p.lo], index[p.hi]):
                    mine[i] += p.sign
            signs[cid] = {i: s for i, s in mine.items() if s}
        return cls(cuts, sorted({i for mine in signs.values() for i in mine}), signs)

    def runs(self) -> list[tuple[Any, Any, list[int]]]:
        """The used segments merged into contiguous runs ``(lo, hi, segments)``."""
        runs: list[tuple[Any, Any, list[int]]] = []
        for i in self.used:
            if runs and runs[-1][1] == self.cuts[i]:
                runs[-1] = (runs[-1][0], self.cuts[i + 1], [*runs[-1][2], i])
            else:
                runs.append((self.cuts[i], self.cuts[i + 1], [i]))
        return runs


@dataclass
class Part:
    """One grouped count of one table at one level: ``SELECT group, segment, columns FROM
    from_sql WHERE where`` over its segments, and how its rows add to its commitments' counts."""

    terms: list[Terms]
    segments: Segments
    group: list[str]  # key, touchpoint[, threshold]
    columns: list[tuple[str, list[Any]]]
    names: list[str]  # the count each column adds to, in order
    from_sql: str
    where: str
    where_params: list[Any]
    column: str  # the time column the segments cut: ``day`` or ``s.occurred_at``
    by_threshold: bool = False
    # Raw durations: after ``names``, a column per threshold; each commitment adds the one of
    # its own threshold to its "within" count.
    thresholds: list[int] = field(default_factory=list)

    def columns_of(self, t: Terms) -> list[tuple[int, str]]:
        """``(column index, count name)`` that ``t`` adds up."""
        named = list(enumerate(self.names))
        if self.thresholds:
            named.append((len(self.names) + self.thresholds.index(t.threshold_seconds), "within"))
        return named


def _parts(kind: str, level: str, terms: list[Terms], segments: Segments) -> list[Part]:
    table = TABLES[kind]
    keys = sorted({_key(t) for t in terms})
    if level == "raw":
        where = f"{table.tenant_column} = %s AND {table.key_column} = ANY(%s)"
        thresholds = sorted({t.threshold_seconds for t in terms}) if kind == "duration" else []
        columns = [(c.raw, []) for c in table.counts]
        columns += [("count(*) FILTER (WHERE s.duration_seconds <= %s)", [t]) for t in thresholds]
        names = [c.name for c in table.counts]
        group = [table.key_column, "s.touchpoint_id"]
        params = [require_tenant_id(), keys]
        return [
            Part(
                terms,
                segments,
                group,
                columns,
                names,
                table.raw_from,
                where,
                params,
                "s.occurred_at",
                thresholds=thresholds,
            )
        ]
    key_column = table.key_column.split(".")[-1]
    where = f"tenant_id = %s AND {key_column} = ANY(%s)"
    params = [require_tenant_id(), keys]
    rollup = MONTH_ROLLUPS[table.rollup] if level == "month" else table.rollup
    columns = [(c.rollup, []) for c in table.counts]
    parts = [
        Part(
            terms,
            segments,
            [key_column, "touchpoint_id"],
            columns,
            [c.name for c in table.counts],
            rollup,
            where,
            params,
            "day",
        )
    ]
    if kind == "duration":
        within = MONTH_ROLLUPS[WITHIN_ROLLUP] if level == "month" else WITHIN_ROLLUP
        parts.append(
            Part(
                terms,
                segments,
                ["measure_id", "touchpoint_id", "threshold_seconds"],
                [("sum(within)::bigint", [])],
                ["within"],
                within,
                f"{where} AND threshold_seconds = ANY(%s)",
                [*params, sorted({t.threshold_seconds for t in terms})],
                "day",
                by_threshold=True,
            )
        )
    return parts


# The rollup path reads a few hundred rows (rollup rows and the raw signals at the windows'
# edges), however large the tenant: parallel workers (processes started for each statement)
# and JIT compilation cost more than the whole read, and PostgreSQL plans them from estimates
# that can be far off right after a bulk load. Off for that one statement, then as they were.
# Not on Citus: it refuses a statement list that mixes settings with a query routed to a shard,
# and plans the shard queries on the workers anyway.
_SMALL_READ = "SET LOCAL max_parallel_workers_per_gather = 0; SET LOCAL jit = off; "
_SMALL_READ_END = "; SET LOCAL max_parallel_workers_per_gather TO DEFAULT; SET LOCAL jit TO DEFAULT"


def _count_parts(parts: list[Part], into: dict[int, dict[str, int]], *, small: bool = False) -> None:
    """Every part in one statement: per part, one range scan of its time column per contiguous
    run of segments (a row is in one segment, or told apart by a ``CASE``), grouped per run so
    PostgreSQL can hash small groups; rows ``(part, key, touchpoint, segment, threshold, values…)``
    padded to the widest part. Then each commitment adds its groups with their signs."""
    width = max(len(p.columns) for p in parts)
    branches, params = [], []
    for tag, p in enumerate(parts):
        threshold = p.group[2] if p.by_threshold else "NULL::integer"
        values = [c for c, _ in p.columns] + ["NULL::bigint"] * (width - len(p.columns))
        grouped = ["2", "3", "5"] if p.by_threshold else ["2", "3"]
        for lo, hi, inside in p.segments.runs():
            segment_params: list[Any] = []
            segment, group_by = str(inside[0]), grouped
            if len(inside) > 1:  # a row is in the last segment whose lower bound it reaches
                segment = (
                    "CASE " + " ".join(f"WHEN {p.column} >= %s THEN {i}" for i in reversed(inside)) + " END"
                )
                segment_params = [p.segments.cuts[i] for i in reversed(inside)]
                group_by = [*grouped, "4"]
            branches.append(
                f"SELECT {tag}, {p.group[0]}::bigint, {p.group[1]}, {segment}, {threshold}, {', '.join(values)} "  # noqa: S608
                f"FROM {p.from_sql} WHERE {p.where} AND {p.column} >= %s AND {p.column} < %s "
                f"GROUP BY {', '.join(group_by)}"
            )
            params += [*segment_params, *(v for _, ps in p.columns for v in ps), *p.where_params, lo, hi]
    statement = " UNION ALL ".join(branches)
    with connection.cursor() as cursor:
        if (
            small and not connection.citus_loaded
        ):  # one round trip: the settings, the statement, the settings restored
            cursor.execute(_SMALL_READ + statement + _SMALL_READ_END, params)
            while cursor.description is None:  # past the SET statements' results
                cursor.nextset()
        else:
            cursor.execute(statement, params)
        rows = cursor.fetchall()
    groups: list[dict[tuple, tuple]] = [{} for _ in parts]
    touchpoints: list[dict[Any, set]] = [defaultdict(set) for _ in parts]
    for row in rows:  # by (key, touchpoint, segment, threshold or None)
        groups[row[0]][row[1:5]] = row[5:]
        touchpoints[row[0]][row[1]].add(row[2])
    for p, values_of, touchpoints_of in zip(parts, groups, touchpoints, strict=True):
        _add(into, p, values_of, touchpoints_of)


def _add(
    into: dict[int, dict[str, int]], p: Part, values_of: dict[tuple, tuple], touchpoints_of: dict
) -> None:
    """Each commitment of ``p`` adds its groups (its key, its touchpoint or every touchpoint, its
    segments and, for threshold counters, its threshold) with their signs."""
    for t in p.terms:
        key, counts, named = _key(t), into[t.commitment_id], p.columns_of(t)
        touchpoints = touchpoints_of.get(key, ()) if t.touchpoint_id is None else (t.touchpoint_id,)
        threshold = t.threshold_seconds if p.by_threshold else None
        for touchpoint in touchpoints:
            for segment, sign in p.segments.signs[t.commitment_id].items():
                values = values_of.get((key, touchpoint, segment, threshold))
                if values is not None:
                    for i, name in named:
                        counts[name] += sign * values[i]


def signal_counts(
    terms: list[Terms], at: datetime, *, source: str = "rollup", thresholds_missing: bool = True
) -> dict[int, dict[str, int]]:
    """``{commitment id: {count name: value}}`` for every commitment in ``terms``.

    ``thresholds_missing``: whether a duration threshold of ``terms`` may lack its rollup
    counters (when unsure, leave True: the registry is checked)."""
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_kind: dict[str, list[Terms]] = defaultdict(list)
    for t in terms:
        by_kind[t.measure_kind].append(t)
    if source == "rollup" and "duration" in by_kind and thresholds_missing:
        thresholds_register()  # a threshold new to the rollups gets its counters first
    parts: list[Part] = []
    for kind, group in sorted(by_kind.items()):
        if source == "raw":
            pieces_of = {
                t.commitment_id: [Piece("raw", t.since + MICROSECOND, at + MICROSECOND)] for t in group
            }
        else:
            pieces_of = {t.commitment_id: window_pieces(t.since, at) for t in group}
        for level in ("month", "day", "raw"):
            segments = Segments.of(
                {cid: [p for p in pieces if p.level == level] for cid, pieces in pieces_of.items()}
            )
            if segments.used:
                parts += _parts(kind, level, [t for t in group if segments.signs[t.commitment_id]], segments)
    if parts:
        _count_parts(parts, counts, small=source == "rollup")
    return counts


# --- The formulas -----------------------------------------------------------------------------


def measure_value(t: Terms, c: dict[str, int]) -> Decimal | None:
    """``A`` on the measure's scale, from the counts (None when there is no signal)."""
    return value_of(t.measure_kind, t.measure_key, c)


def value_of(kind: str, key: str, c: dict[str, int]) -> Decimal | None:
    """A measure's value on its scale from its counts (those of :data:`TABLES`; a duration's
    ``within`` for one threshold), None when there is no signal. Every page showing a measure's
    value computes it here, so the numbers agree with the scores."""
    n = c.get("n", 0)
    if n <= 0:
        return None
    if kind == "duration":
        return HUNDRED * c["within"] / n
    if kind == "rate":
        return HUNDRED * c["outcomes"] / n
    if kind == "average":
        return Decimal(c["value_thousandths"]) / THOUSAND / n
    if key == "nps":
        return HUNDRED * (c["promoters"] - c["detractors"]) / n
    if key == "csat":
        return HUNDRED * c["satisfied"] / n
    if key == "ces":
        return Decimal(c["score_sum"]) / n
    return HUNDRED * c["non_negative"] / n  # story_sentiment


def _norm(x: Decimal, scale: tuple[Decimal, Decimal], lower_is_better: bool = False) -> Decimal:
    """Where ``x`` lies on the scale, 0…1, the better end being 1 (lower-is-better: ``(hi − x) / (hi − lo)``)."""
    lo, hi = scale
    return (hi - x) / (hi - lo) if lower_is_better else (x - lo) / (hi - lo)


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
    norm_a = _norm(actual, t.scale, t.lower_is_better)
    norm_t = _norm(t.target, t.scale, t.lower_is_better)
    score = HUNDRED if norm_t == 0 else HUNDRED * min(Decimal(1), norm_a / norm_t)
    met = actual <= t.target if t.lower_is_better else actual >= t.target
    return CommitmentScore(t, n, actual, counted=True, met=met, score=score, gap=HUNDRED * (norm_t - norm_a))


@dataclass
class PromiseScore:
    promise: dict[str, Any]  # id, slug, title, owner_id, weight
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


def promise_score(promise: dict[str, Any], scores: list[CommitmentScore], threshold: Decimal) -> PromiseScore:
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
    # Both statements in one transaction (the caller's, if any): the tenant's settings are sent
    # once and one commit ends it, instead of a transaction of its own for each statement.
    with transaction.atomic(savepoint=False):
        now = at_t(at)
        terms = now.terms
        counts = (
            signal_counts(terms, at, source=source, thresholds_missing=now.thresholds_missing)
            if terms
            else {}
        )
    by_promise: dict[int, list[CommitmentScore]] = defaultdict(list)
    for t in terms:
        by_promise[t.promise_id].append(commitment_score(t, counts.get(t.commitment_id, {})))

    threshold = Decimal(tenant.perception_gap_threshold)
    promise_scores = [promise_score(p, by_promise.get(p["id"], []), threshold) for p in now.promises]
    scored = [(p.promise["weight"], p) for p in promise_scores if p.score is not None]

    contributors: dict[int, set[int]] = defaultdict(set)
    for promise_id, department_id in now.contributors:
        contributors[department_id].add(promise_id)
    departments = []
    for d in now.departments:
        mine = [
            (w, p)
            for w, p in scored
            if p.promise["owner_id"] == d["id"] or p.promise["id"] in contributors[d["id"]]
        ]
        departments.append(
            {
                **d,
                "score": _r(_weighted([(w, p.score) for w, p in mine])),
                "delivery_rate": _r(_weighted([(w, p.delivery_rate) for w, p in mine])),
                "promises": len(mine),
            }
        )

    all_commitments = [c for p in promise_scores for c in p.commitments]
    touchpoints = []
    for tp in now.touchpoints:
        here = [c for c in all_commitments if c.counted and c.terms.touchpoint_id == tp["id"]]
        touchpoints.append(
            {
                **tp,
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
        **p.promise,
        "weight": float(p.promise["weight"]),
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
        "direction": "lower_is_better" if t.lower_is_better else "higher_is_better",
        "target_label": target_label(t.target, lower_is_better=t.lower_is_better, percent=t.percent),
        "threshold_seconds": t.threshold_seconds,
        "window_days": t.window_days,
        "min_sample": t.min_sample,
        "weight": float(t.weight),
        "version": t.version,
    }
