"""Measures over time: each measure's value per UTC month or quarter, with its filters and benchmarks.

Values come from :func:`metrics.engine.value_of` over the engine's own counts
(:data:`metrics.engine.TABLES`), so a month's NPS here is what a commitment on NPS would count
over that month. One grouped statement reads the periods:

- the month rollups (``metrics_surveymonthrollup``, ``metrics_serviceeventmonthrollup`` and,
  for a duration's threshold, ``metrics_serviceeventwithinmonthrollup``) when no filter needs
  the raw signals — a touchpoint filter does not, the rollups keep the touchpoint;
- the raw signals, by ``(tenant_id, measure_id, occurred_at)``, when a segment or channel filter
  is set (the rollups keep neither), and always for stories (their rollups count a story once
  per promise it touches; here each story counts once).

Periods are UTC calendar months or quarters, like the rollups. All functions run in the
tenant's context and return plain data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from feedback.stories.models import Story
from metrics.engine import CENT, HUNDRED, SENTIMENT_NON_NEGATIVE, TABLES, value_of
from metrics.models import DurationThreshold
from promises.commitments.selectors import benchmarks_of, measure_list
from promises.models import Measure
from tenants.context import require_tenant_id
from tenants.models import Touchpoint

PERIODS = {"month": 12, "quarter": 4}  # how many periods a page shows, the current one last
PERIOD_CHOICES = [("month", "Month"), ("quarter", "Quarter")]
# Fewer answers than this in a period: the value is shown but marked as resting on too few
# (the default minimum sample of a commitment).
MIN_ANSWERS = 5
SEGMENT_OPTIONS_MAX = 100

# How a signal arrived. Survey responses and service events: through the API (an API key) or a
# CSV import (a member), survey responses also from a hosted survey's public page; stories also
# from the web form (their own ``channel`` column).
SIGNAL_CHANNELS = [("api", "API"), ("csv", "CSV import")]
SURVEY_CHANNELS = [*SIGNAL_CHANNELS, ("hosted_survey", "Hosted survey")]
_SOURCE_KIND = {"api": "api_key", "csv": "member", "hosted_survey": "hosted_survey"}


KIND_WORDS = {
    "survey": "Survey answers",
    "stories": "Customer stories",
    "duration": "Share handled within a threshold",
    "rate": "Share of events with a true outcome",
    "average": "Mean value",
}


def measure_rows() -> list[dict[str, Any]]:
    """Every measure of the tenant, built-ins first, with how many benchmarks each has (one query
    once the built-ins exist)."""
    measure_list()  # creates the tenant's missing built-in measures on first use
    rows = Measure.objects.annotate(benchmark_count=Count("benchmarks")).order_by("-is_builtin", "key")
    return [
        {
            "key": m.key,
            "name": m.name,
            "kind": KIND_WORDS[m.kind],
            "scale": m.scale,
            "percent": m.is_percent,
            "lower_is_better": m.is_lower_better,
            "benchmarks": m.benchmark_count,
        }
        for m in rows
    ]


def channel_choices(measure: Measure) -> list[tuple[str, str]]:
    if measure.kind == Measure.Kind.STORIES:
        return list(Story.Channel.choices)
    return SURVEY_CHANNELS if measure.kind == Measure.Kind.SURVEY else SIGNAL_CHANNELS


def has_segments(measure: Measure) -> bool:
    """Only survey responses carry a segment object (``{"plan": "premium"}``)."""
    return measure.kind == Measure.Kind.SURVEY


@dataclass(frozen=True)
class Filters:
    period: str = "month"
    touchpoint: Touchpoint | None = None
    segment: tuple[str, str] | None = None  # (key, value)
    channel: str = ""
    threshold_seconds: int | None = None  # duration measures: the threshold "within" counts for


def period_starts(kind: str, now: datetime | None = None) -> list[date]:
    """The first days of the periods shown, oldest first, ending with the current UTC period."""
    today = (now or timezone.now()).astimezone(UTC).date()
    step = 3 if kind == "quarter" else 1
    month = today.year * 12 + (today.month - 1) // step * step
    return [date((m := month - step * i) // 12, m % 12 + 1, 1) for i in reversed(range(PERIODS[kind]))]


def _next_start(start: date, kind: str) -> date:
    m = start.year * 12 + start.month - 1 + (3 if kind == "quarter" else 1)
    return date(m // 12, m % 12 + 1, 1)


def period_label(start: date, kind: str) -> str:
    if kind == "quarter":
        return f"Q{(start.month - 1) // 3 + 1} {start.year}"
    return start.strftime("%b %Y")


def duration_thresholds(measure: Measure) -> list[int]:
    """The thresholds a duration measure is counted for (those its commitments use), smallest first."""
    if not measure.is_duration:
        return []
    return sorted(
        DurationThreshold.objects.filter(measure=measure)
        .values_list("threshold_seconds", flat=True)
        .distinct()
    )


def segment_options(measure: Measure, *, since: date) -> list[tuple[str, str]]:
    """The segment ``(key, value)`` pairs the measure's survey responses carry since ``since``."""
    if not has_segments(measure):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT e.key, e.value
              FROM feedback_surveyresponse s,
                   jsonb_each_text(CASE WHEN jsonb_typeof(s.segment) = 'object' THEN s.segment ELSE '{}' END) e
             WHERE s.tenant_id = %s AND s.measure_id = %s AND s.occurred_at >= %s AND e.value IS NOT NULL
             ORDER BY 1, 2
             LIMIT %s
            """,
            [require_tenant_id(), measure.pk, _instant(since), SEGMENT_OPTIONS_MAX],
        )
        return [(key, value) for key, value in cursor.fetchall()]


def _instant(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


# --- The one grouped statement -----------------------------------------------------------------


def _counts_sql(measure: Measure, filters: Filters) -> tuple[str, list[str], dict[str, Any]]:
    """``(statement, count names, params)``: rows ``(period start, counts…)``."""
    kind = measure.kind
    params: dict[str, Any] = {"tenant": require_tenant_id(), "measure": measure.pk, "unit": filters.period}
    raw = kind == Measure.Kind.STORIES or filters.segment is not None or bool(filters.channel)
    if kind == Measure.Kind.STORIES:
        names = ["n", "non_negative"]
        columns = ["count(*)", f"count(*) FILTER (WHERE s.sentiment >= {SENTIMENT_NON_NEGATIVE})"]
        source = "feedback_story s"
        key_where = ""
    else:
        table = TABLES[kind]
        names = [c.name for c in table.counts]
        columns = [c.raw for c in table.counts]
        source = table.raw_from
        key_where = " AND s.measure_id = %(measure)s"
    if kind == Measure.Kind.DURATION:
        names.append("within")
        columns.append("count(*) FILTER (WHERE s.duration_seconds <= %(threshold)s)")
        params["threshold"] = filters.threshold_seconds or 0
    where = f"s.tenant_id = %(tenant)s{key_where}"
    if filters.touchpoint is not None:
        where += " AND s.touchpoint_id = %(touchpoint)s"
        params["touchpoint"] = filters.touchpoint.pk
    if raw:
        if filters.segment is not None:
            where += " AND s.segment ->> %(segment_key)s = %(segment_value)s"
            params["segment_key"], params["segment_value"] = filters.segment
        if filters.channel:
            if kind == Measure.Kind.STORIES:
                where += " AND s.channel = %(channel)s"
                params["channel"] = filters.channel
            else:
                where += " AND s.source_kind = %(source_kind)s"
                params["source_kind"] = _SOURCE_KIND[filters.channel]
        statement = (
            f"SELECT date_trunc(%(unit)s, s.occurred_at AT TIME ZONE 'UTC')::date, {', '.join(columns)} "  # noqa: S608
            f"FROM {source} WHERE {where} AND s.occurred_at >= %(since)s AND s.occurred_at < %(until)s "
            "GROUP BY 1"
        )
        return statement, names, params
    # The month rollups: the same counts, summed per month and then per period.
    table = TABLES[kind]
    month_table = {"survey": "metrics_surveymonthrollup"}.get(kind, "metrics_serviceeventmonthrollup")
    rollup_where = (
        "tenant_id = %(tenant)s AND measure_id = %(measure)s AND day >= %(since_day)s AND day < %(until_day)s"
    )
    if filters.touchpoint is not None:
        rollup_where += " AND touchpoint_id = %(touchpoint)s"
    counted = [c.rollup for c in table.counts]
    if kind == Measure.Kind.DURATION:
        # Events within the threshold come from its own counters, beside the event counts.
        statement = (
            "SELECT date_trunc(%(unit)s, day::timestamp)::date, sum(n)::bigint, sum(within)::bigint FROM ("  # noqa: S608
            f"SELECT day, n, 0 AS within FROM {month_table} WHERE {rollup_where} "
            "UNION ALL SELECT day, 0, within FROM metrics_serviceeventwithinmonthrollup "
            f"WHERE {rollup_where} AND threshold_seconds = %(threshold)s) months GROUP BY 1"
        )
        return statement, ["n", "within"], params
    statement = (
        f"SELECT date_trunc(%(unit)s, day::timestamp)::date, {', '.join(counted)} FROM {month_table} "  # noqa: S608
        f"WHERE {rollup_where} GROUP BY 1"
    )
    return statement, names, params


def _rounded(x: Decimal | None) -> float | None:
    return None if x is None else float(x.quantize(CENT, rounding=ROUND_HALF_UP))


def _share(part: int, n: int) -> float | None:
    return _rounded(HUNDRED * part / n) if n else None


@dataclass
class Series:
    measure: Measure
    filters: Filters
    points: list[dict[str, Any]]
    benchmarks: list[dict[str, Any]] = field(default_factory=list)
    source: str = "rollup"  # where the counts came from: "rollup" or "raw"

    @property
    def answers(self) -> int:
        return sum(p["n"] for p in self.points)


def measure_series(*, measure: Measure, filters: Filters, now: datetime | None = None) -> Series:
    """The measure's value per period (oldest first) under ``filters``, in one statement.

    Each point: ``label``, ``start``, ``n``, ``value`` (on the measure's scale, 2 decimals; None
    without answers), ``too_few`` (under :data:`MIN_ANSWERS`) and, for NPS, the promoter /
    passive / detractor counts and shares. A duration measure without a threshold has no value.
    """
    starts = period_starts(filters.period, now)
    until = _next_start(starts[-1], filters.period)
    statement, names, params = _counts_sql(measure, filters)
    params.update(since=_instant(starts[0]), until=_instant(until), since_day=starts[0], until_day=until)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = {row[0]: dict(zip(names, row[1:], strict=True)) for row in cursor.fetchall()}
    no_value = measure.is_duration and not filters.threshold_seconds
    points = []
    for start in starts:
        counts = {name: int(v or 0) for name, v in rows.get(start, {}).items()}
        n = counts.get("n", 0)
        value = None if no_value else value_of(measure.kind, measure.key, counts)
        point = {
            "label": period_label(start, filters.period),
            "start": start,
            "n": n,
            "value": _rounded(value),
            "too_few": 0 < n < MIN_ANSWERS,
        }
        if measure.key == "nps":
            promoters, detractors = counts.get("promoters", 0), counts.get("detractors", 0)
            passives = n - promoters - detractors  # NPS answers are 0–10: the rest are 7 or 8
            point.update(
                promoters=promoters,
                passives=passives,
                detractors=detractors,
                promoters_share=_share(promoters, n),
                passives_share=_share(passives, n),
                detractors_share=_share(detractors, n),
            )
        points.append(point)
    raw = measure.kind == Measure.Kind.STORIES or filters.segment is not None or bool(filters.channel)
    return Series(measure, filters, points, source="raw" if raw else "rollup")


def benchmark_rows(measure: Measure) -> list[dict[str, Any]]:
    return [
        {"id": b.pk, "label": b.label, "value": _rounded(Decimal(b.value)), "source": b.source}
        for b in benchmarks_of(measure=measure)
    ]


def series_chart(series: Series) -> dict[str, Any]:
    """The chart's data (``metrics/static/metrics/charts.js``): the value per period and each
    benchmark as a dashed line across every period, on the measure's scale."""
    lo, hi = series.measure.scale
    labels = [p["label"] for p in series.points]
    return {
        "kind": "line",
        "labels": labels,
        "scale": {"min": float(lo), "max": float(hi)},
        "series": [
            {"label": series.measure.name, "data": [p["value"] for p in series.points]},
            *(
                {"label": f"{b['label']} (benchmark)", "data": [b["value"]] * len(labels), "dashed": True}
                for b in series.benchmarks
            ),
        ],
    }


def nps_split_chart(series: Series) -> dict[str, Any]:
    """Promoters, passives and detractors per period, in % of the period's answers (stacked)."""
    return {
        "kind": "bar",
        "stacked": True,
        "labels": [p["label"] for p in series.points],
        "scale": {"min": 0, "max": 100},
        "series": [
            {"label": label, "data": [p[f"{key}_share"] for p in series.points], "colour": colour}
            for key, label, colour in (
                ("promoters", "Promoters (9–10)", "#198754"),
                ("passives", "Passives (7–8)", "#adb5bd"),
                ("detractors", "Detractors (0–6)", "#dc3545"),
            )
        ],
    }
