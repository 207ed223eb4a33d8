"""Rollup upkeep beyond the triggers: registering duration thresholds, rebuilding from raw.

The row triggers (``metrics/migrations/0008_row_rollup_triggers.py``) keep every rollup exact
on insert and delete. Two things need the raw signals:

- :func:`thresholds_register` — a commitment version with a threshold the rollup does not
  count yet gets its counters, backfilled from the raw events (called before each recompute).
- :func:`rollups_rebuild` — recompute every rollup of the tenant from the raw signals (after
  a restore, or by ``manage.py scores_rebuild_rollups``).

Both lock the tenant's rollup lock row (``metrics_rolluplock``) ``FOR UPDATE``; the triggers
lock it ``FOR SHARE``, so a concurrent batch is counted exactly once. A row lock rather than an
advisory lock: on a sharded database every node honours it (the row lives in the tenant's
shard, where the triggers run), while an advisory lock exists only on the node that took it.
"""

from __future__ import annotations

from django.db import connection, transaction

from tenants.context import require_tenant_id


def _adding(keys: str, counts: str) -> str:
    """``ON CONFLICT … DO UPDATE`` adding the counters (the rows are new, or deleted before).

    On a sharded database (Citus) an ``INSERT … SELECT`` into a rollup, whose ``id`` is an
    identity column, is run through the coordinator; without an ``ON CONFLICT`` clause it
    then writes the rows with ``COPY``, which row-level security refuses.
    """
    sets = ", ".join(f"{c} = x.{c} + EXCLUDED.{c}" for c in counts.split(", "))
    return f" ON CONFLICT (tenant_id, {keys}, day) DO UPDATE SET {sets}"


def _add(insert: str, keys: str, counts: str) -> str:
    return f"{insert}{_adding(keys, counts)}"


_WITHIN_BACKFILL = """
INSERT INTO metrics_serviceeventwithinrollup AS x
    (tenant_id, measure_id, threshold_seconds, touchpoint_id, day, within)
SELECT s.tenant_id, s.measure_id, t.threshold_seconds, s.touchpoint_id,
       (s.occurred_at AT TIME ZONE 'UTC')::date, count(*)
  FROM feedback_serviceevent s
  JOIN metrics_durationthreshold t
    ON t.tenant_id = s.tenant_id AND t.measure_id = s.measure_id AND s.duration_seconds <= t.threshold_seconds
 WHERE s.tenant_id = %s {only}
 GROUP BY 1, 2, 3, 4, 5
"""
_WITHIN_BACKFILL = _add(_WITHIN_BACKFILL, "measure_id, threshold_seconds, touchpoint_id", "within")

# Month rollups from day rollups: (day table, month table, key columns, counter columns).
_MONTHS = [
    ("metrics_surveyrollup", "metrics_surveymonthrollup", "measure_id, touchpoint_id",
     "n, score_sum, promoters, passives, detractors, satisfied"),
    ("metrics_serviceeventrollup", "metrics_serviceeventmonthrollup", "measure_id, touchpoint_id",
     "n, outcomes, value_sum"),
    ("metrics_serviceeventwithinrollup", "metrics_serviceeventwithinmonthrollup",
     "measure_id, threshold_seconds, touchpoint_id", "within"),
    ("metrics_storyrollup", "metrics_storymonthrollup", "promise_id, touchpoint_id", "n, non_negative"),
]  # fmt: skip


def _months_sql(day_table: str, month_table: str, keys: str, counts: str, only: str = "") -> str:
    sums = ", ".join(f"sum({c})" for c in counts.split(", "))
    return (
        f"INSERT INTO {month_table} AS x (tenant_id, {keys}, day, {counts}) "  # noqa: S608
        f"SELECT tenant_id, {keys}, date_trunc('month', day)::date, {sums} FROM {day_table} "
        f"WHERE tenant_id = %(t)s {only} GROUP BY tenant_id, {keys}, date_trunc('month', day)::date"
        + _adding(keys, counts)
    )


_REBUILD = [
    "DELETE FROM metrics_surveyrollup WHERE tenant_id = %(t)s",
    _add(
        """
    INSERT INTO metrics_surveyrollup AS x
        (tenant_id, measure_id, touchpoint_id, day, n, score_sum, promoters, passives, detractors, satisfied)
    SELECT tenant_id, measure_id, touchpoint_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*), sum(score),
           count(*) FILTER (WHERE score >= 9), count(*) FILTER (WHERE score BETWEEN 7 AND 8),
           count(*) FILTER (WHERE score <= 6), count(*) FILTER (WHERE score >= 4)
      FROM feedback_surveyresponse WHERE tenant_id = %(t)s GROUP BY 1, 2, 3, 4
    """,
        "measure_id, touchpoint_id",
        "n, score_sum, promoters, passives, detractors, satisfied",
    ),
    "DELETE FROM metrics_serviceeventrollup WHERE tenant_id = %(t)s",
    _add(
        """
    INSERT INTO metrics_serviceeventrollup AS x (tenant_id, measure_id, touchpoint_id, day, n, outcomes, value_sum)
    SELECT tenant_id, measure_id, touchpoint_id, (occurred_at AT TIME ZONE 'UTC')::date, count(*),
           count(*) FILTER (WHERE outcome), coalesce(sum(value), 0)
      FROM feedback_serviceevent WHERE tenant_id = %(t)s GROUP BY 1, 2, 3, 4
    """,
        "measure_id, touchpoint_id",
        "n, outcomes, value_sum",
    ),
    "DELETE FROM metrics_storyrollup WHERE tenant_id = %(t)s",
    _add(
        """
    INSERT INTO metrics_storyrollup AS x (tenant_id, promise_id, touchpoint_id, day, n, non_negative)
    SELECT sp.tenant_id, sp.promise_id, s.touchpoint_id, (s.occurred_at AT TIME ZONE 'UTC')::date, count(*),
           count(*) FILTER (WHERE s.sentiment >= -0.05)
      FROM feedback_storypromise sp JOIN feedback_story s ON s.id = sp.story_id AND s.tenant_id = sp.tenant_id
     WHERE sp.tenant_id = %(t)s GROUP BY 1, 2, 3, 4
    """,
        "promise_id, touchpoint_id",
        "n, non_negative",
    ),
    "DELETE FROM metrics_serviceeventwithinrollup WHERE tenant_id = %(t)s",
    *[f"DELETE FROM {month} WHERE tenant_id = %(t)s" for _, month, _, _ in _MONTHS],  # noqa: S608
]


def _lock_exclusive(cursor, tenant_id: int) -> None:
    """Lock the tenant's rollup lock row ``FOR UPDATE``, creating it the first time.

    A trigger that finds no row creates it too (``ON CONFLICT DO NOTHING`` waits for an
    uncommitted insert of ours), so the row is there before either side reads thresholds.
    """
    cursor.execute(
        "INSERT INTO metrics_rolluplock (tenant_id) VALUES (%s) ON CONFLICT (tenant_id) DO NOTHING",
        [tenant_id],
    )
    cursor.execute("SELECT 1 FROM metrics_rolluplock WHERE tenant_id = %s FOR UPDATE", [tenant_id])


def thresholds_register() -> int:
    """Register every threshold a commitment version uses and backfill its counters.

    Returns how many thresholds were new. One query when there is nothing to do.
    """
    tenant_id = require_tenant_id()
    missing_sql = """
        SELECT DISTINCT c.measure_id, v.threshold_seconds
          FROM promises_commitmentversion v JOIN promises_commitment c ON c.tenant_id = v.tenant_id AND c.id = v.commitment_id
         WHERE v.tenant_id = %s AND v.threshold_seconds IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM metrics_durationthreshold t
                            WHERE t.tenant_id = v.tenant_id AND t.measure_id = c.measure_id
                              AND t.threshold_seconds = v.threshold_seconds)
         ORDER BY 1, 2
    """
    with connection.cursor() as cursor:
        cursor.execute(missing_sql, [tenant_id])
        if not cursor.fetchall():
            return 0
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_exclusive(cursor, tenant_id)
        cursor.execute(missing_sql, [tenant_id])  # again, under the lock
        missing = cursor.fetchall()
        if not missing:
            return 0
        cursor.execute(
            """
            INSERT INTO metrics_durationthreshold (tenant_id, measure_id, threshold_seconds, registered_at)
            SELECT %s, m, t, now() FROM unnest(%s::bigint[], %s::int[]) AS u(m, t)
            RETURNING id
            """,
            [tenant_id, [m for m, _ in missing], [t for _, t in missing]],
        )
        new_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(_WITHIN_BACKFILL.format(only="AND t.id = ANY(%s)"), [tenant_id, new_ids])
        day, month, keys, counts = _MONTHS[2]
        cursor.execute(
            _months_sql(
                day,
                month,
                keys,
                counts,
                # With tenant_id on both sides: on a sharded database a join on the tenant.
                "AND (tenant_id, measure_id, threshold_seconds) IN (SELECT tenant_id, measure_id, "
                "threshold_seconds FROM metrics_durationthreshold WHERE tenant_id = %(t)s AND id = ANY(%(new)s))",
            ),
            {"t": tenant_id, "new": new_ids},
        )
    return len(missing)


def rollups_rebuild() -> None:
    """Recompute every rollup of the active tenant from its raw signals."""
    tenant_id = require_tenant_id()
    with transaction.atomic(), connection.cursor() as cursor:
        _lock_exclusive(cursor, tenant_id)
        for statement in _REBUILD:
            cursor.execute(statement, {"t": tenant_id})
        cursor.execute(_WITHIN_BACKFILL.format(only=""), [tenant_id])
        for day, month, keys, counts in _MONTHS:
            cursor.execute(_months_sql(day, month, keys, counts), {"t": tenant_id})
    thresholds_register()
