"""Rollups of a bulk write added once per statement, not once per row.

The row triggers of 0008/0010 upsert a day and a month counter for every signal: a batch of
1,000 survey responses about one measure, touchpoint and day updates the same two counter
rows 1,000 times, each update walking the versions the earlier ones left. Bulk ingest (the
API's batches, CSV imports: ``feedback.ingest.services``) now counts its rows itself:

1. it sets ``cxgov.rollups_by_statement`` to its tenant's id (``SET LOCAL``) for its insert,
   and the survey-response and service-event row triggers skip an INSERT of that tenant's
   rows while it is set (a DELETE is always counted by the trigger);
2. it calls ``metrics_rollups_add(table, tenant, <one array per column>)`` with the values of
   the rows the insert stored (not those it skipped as already stored), and resets the setting.
   The function takes the tenant's rollup lock row in shared mode, as the triggers do, then
   upserts the month counters and then the day counters, one grouped ``INSERT … SELECT … FROM
   unnest(…) ON CONFLICT DO UPDATE`` each, in key order (concurrent batches lock counter rows in
   one order). It reads no signal back: a read by id would depend on the planner's estimates of
   the tenant's rows, which are far off after a large load.

The counters are the ones the triggers would have written (the same expressions; the rollup
tests compare both paths and a rebuild). Every upsert writes one tenant's counters and reads
nothing but the arrays and the tenant's thresholds: on Citus it goes to the tenant's shards.
"""

import importlib

from django.db import migrations

_rows = importlib.import_module("metrics.migrations.0008_row_rollup_triggers")
_rates = importlib.import_module("metrics.migrations.0010_rate_average_rollups")

SETTING = "cxgov.rollups_by_statement"
SKIP = f"""
    IF TG_OP = 'INSERT' AND current_setting('{SETTING}', true) = NEW.tenant_id::text THEN
        RETURN NULL;  -- counted once for the whole statement by metrics_rollups_add()
    END IF;"""


def _skipping(function: str) -> str:
    head, begin, rest = function.partition("\nBEGIN\n")
    assert begin, "the trigger function has a body"
    return f"{head}{begin}{SKIP}\n{rest}"


SURVEY_FUNCTION, EVENT_FUNCTION = _rows.FUNCTIONS[0], _rates.FORWARD


def _grouped(table: str, keys: str, counts: dict[str, str], source: str, day: str, *, join: str = "") -> str:
    columns = ", ".join(counts)
    sets = ", ".join(f"{c} = x.{c} + EXCLUDED.{c}" for c in counts)
    return f"""
    INSERT INTO {table} AS x (tenant_id, {keys}, day, {columns})
    SELECT t, {", ".join(f"{_alias(k)}" for k in keys.split(", "))}, {day}, {", ".join(counts.values())}
      FROM {ROWS}{join}
     GROUP BY 1, {", ".join(str(i + 2) for i in range(len(keys.split(", ")) + 1))}
     ORDER BY {", ".join(str(i + 2) for i in range(len(keys.split(", ")) + 1))}
    ON CONFLICT (tenant_id, {keys}, day) DO UPDATE SET {sets};"""


def _alias(key: str) -> str:
    return "th.threshold_seconds" if key == "threshold_seconds" else f"s.{key}"


MONTH = "date_trunc('month', s.occurred_at AT TIME ZONE 'UTC')::date"
DAY = "(s.occurred_at AT TIME ZONE 'UTC')::date"
SURVEY_COUNTS = {
    "n": "count(*)",
    "score_sum": "sum(s.score)",
    "promoters": "count(*) FILTER (WHERE s.score >= 9)",
    "passives": "count(*) FILTER (WHERE s.score BETWEEN 7 AND 8)",
    "detractors": "count(*) FILTER (WHERE s.score <= 6)",
    "satisfied": "count(*) FILTER (WHERE s.score >= 4)",
}
EVENT_COUNTS = {
    "n": "count(*)",
    "outcomes": "count(*) FILTER (WHERE s.outcome)",
    "value_sum": "coalesce(sum(s.value), 0)",
}
# The tenant's registered thresholds, read into arrays first (as the trigger does): every
# upsert then selects from arrays only, which a sharded database evaluates on the coordinator
# and routes to the tenant's shard, with no distributed join inside it.
WITHIN_JOIN = """
      JOIN unnest(th_measures, th_seconds) AS th(measure_id, threshold_seconds)
        ON th.measure_id = s.measure_id AND s.duration_seconds <= th.threshold_seconds"""
# The statement's new rows, as the caller passes them (one array per column, in one order).
ROWS = (
    "unnest(measure_ids, touchpoint_ids, occurred, scores, durations, outcomes, vals) "
    "AS s(measure_id, touchpoint_id, occurred_at, score, duration_seconds, outcome, value)"
)


def _both(table: str, month_table: str, keys: str, counts: dict[str, str], source: str, **kw) -> str:
    """Month counters first, then day counters: the triggers' order."""
    return _grouped(month_table, keys, counts, source, MONTH, **kw) + _grouped(
        table, keys, counts, source, DAY, **kw
    )


# As the trigger: months (events, then within each threshold), then days (the same).
_WITHIN_KEYS = "measure_id, threshold_seconds, touchpoint_id"
EVENT_STATEMENTS = "".join(
    _grouped(table, keys, counts, "feedback_serviceevent", day, **kw)
    for day, tables in (
        (MONTH, ("metrics_serviceeventmonthrollup", "metrics_serviceeventwithinmonthrollup")),
        (DAY, ("metrics_serviceeventrollup", "metrics_serviceeventwithinrollup")),
    )
    for table, keys, counts, kw in (
        (tables[0], "measure_id, touchpoint_id", EVENT_COUNTS, {}),
        (tables[1], _WITHIN_KEYS, {"within": "count(*)"}, {"join": WITHIN_JOIN}),
    )
)

ADD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION metrics_rollups_add(
    signal_table text, t bigint, measure_ids bigint[], touchpoint_ids bigint[], occurred timestamptz[],
    scores smallint[], durations bigint[], outcomes boolean[], vals numeric[]
) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    th_measures bigint[];
    th_seconds integer[];
BEGIN
    IF current_setting('cxgov.rollup_locked', true) IS DISTINCT FROM t::text THEN
        PERFORM FROM metrics_rolluplock WHERE tenant_id = t FOR SHARE;
        IF NOT FOUND THEN
            INSERT INTO metrics_rolluplock (tenant_id) VALUES (t) ON CONFLICT (tenant_id) DO NOTHING;
            PERFORM FROM metrics_rolluplock WHERE tenant_id = t FOR SHARE;
        END IF;
        PERFORM set_config('cxgov.rollup_locked', t::text, true);
    END IF;
    IF signal_table = 'feedback_surveyresponse' THEN
{_both("metrics_surveyrollup", "metrics_surveymonthrollup", "measure_id, touchpoint_id", SURVEY_COUNTS, "feedback_surveyresponse")}
    ELSIF signal_table = 'feedback_serviceevent' THEN
        SELECT coalesce(array_agg(measure_id ORDER BY measure_id, threshold_seconds), '{{}}'),
               coalesce(array_agg(threshold_seconds ORDER BY measure_id, threshold_seconds), '{{}}')
          INTO th_measures, th_seconds
          FROM metrics_durationthreshold WHERE tenant_id = t;
{EVENT_STATEMENTS}
    ELSE
        RAISE EXCEPTION 'metrics_rollups_add: no statement rollups for %', signal_table;
    END IF;
END $$;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0012_breach_event_escalation"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[_skipping(SURVEY_FUNCTION), _skipping(EVENT_FUNCTION), ADD_FUNCTION],
            reverse_sql=[
                "DROP FUNCTION IF EXISTS metrics_rollups_add(text, bigint, bigint[], bigint[], timestamptz[], smallint[], bigint[], boolean[], numeric[])",
                SURVEY_FUNCTION,
                EVENT_FUNCTION,
            ],
        ),
    ]
