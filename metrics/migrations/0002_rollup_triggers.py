"""Rollups maintained by the database: statement-level triggers on every signal table.

Each trigger reads the statement's transition table (the rows inserted or deleted), groups
them per rollup key and upserts the counters (``ON CONFLICT DO UPDATE``, keys in a fixed
order so concurrent batches never deadlock). Every write path — the API, the web form, CSV
imports, a bulk ``COPY`` — keeps the rollups exact; a statement costs one grouped upsert, not
one per row.

Duration counters exist per registered threshold (``metrics_durationthreshold``). The
trigger takes the tenant's scoring advisory lock in shared mode before reading the
registry; registering a threshold takes it exclusively, then backfills from the raw events
(``metrics.rollups.thresholds_register``): a batch is counted either by the backfill or by
its own trigger, never both and never neither. Rebuilding a tenant's rollups from the raw
signals (``metrics.rollups.rollups_rebuild``) takes the same lock exclusively.
"""

from django.db import migrations

ROLLUP_LOCK_CLASS = 7301  # pg_advisory_xact_lock(ROLLUP_LOCK_CLASS, tenant_id)


# Every trigger first takes the tenant's rollup lock in shared mode (see the module docs).
LOCK = f"""
        PERFORM pg_advisory_xact_lock_shared({ROLLUP_LOCK_CLASS}, t.tenant_id::int)
           FROM (SELECT DISTINCT tenant_id FROM {{changes}} x ORDER BY 1) t;"""


def _function(name: str, body: str) -> str:
    """A trigger function running ``body`` once with ``changes`` = the rows, signed.

    ``changes`` holds the new rows with ``sign`` 1 on INSERT and the old rows with ``sign``
    -1 on DELETE (transition tables exist per event, hence one branch each).
    """
    body = LOCK + body
    insert = body.replace("{changes}", "(SELECT *, 1 AS sign FROM new_rows)")
    delete = body.replace("{changes}", "(SELECT *, -1 AS sign FROM old_rows)")
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
{insert}
    ELSE
{delete}
    END IF;
    RETURN NULL;
END $$;
"""


def _triggers(table: str, function: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS metrics_rollup_insert ON {table};
DROP TRIGGER IF EXISTS metrics_rollup_delete ON {table};
CREATE TRIGGER metrics_rollup_insert AFTER INSERT ON {table}
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
CREATE TRIGGER metrics_rollup_delete AFTER DELETE ON {table}
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION {function}();
"""


SURVEY_BODY = """
        INSERT INTO metrics_surveyrollup AS r
            (tenant_id, measure_id, touchpoint_id, day, n, score_sum, promoters, passives, detractors, satisfied)
        SELECT c.tenant_id, c.measure_id, c.touchpoint_id, (c.occurred_at AT TIME ZONE 'UTC')::date,
               sum(c.sign), sum(c.sign * c.score),
               coalesce(sum(c.sign) FILTER (WHERE c.score >= 9), 0),
               coalesce(sum(c.sign) FILTER (WHERE c.score BETWEEN 7 AND 8), 0),
               coalesce(sum(c.sign) FILTER (WHERE c.score <= 6), 0),
               coalesce(sum(c.sign) FILTER (WHERE c.score >= 4), 0)
          FROM {changes} c
         GROUP BY 1, 2, 3, 4
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET
            n = r.n + EXCLUDED.n,
            score_sum = r.score_sum + EXCLUDED.score_sum,
            promoters = r.promoters + EXCLUDED.promoters,
            passives = r.passives + EXCLUDED.passives,
            detractors = r.detractors + EXCLUDED.detractors,
            satisfied = r.satisfied + EXCLUDED.satisfied;
"""
SURVEY = _function("metrics_survey_rollup", SURVEY_BODY)

SERVICE_EVENT_BODY = """
        INSERT INTO metrics_serviceeventrollup AS r (tenant_id, measure_id, touchpoint_id, day, n)
        SELECT c.tenant_id, c.measure_id, c.touchpoint_id, (c.occurred_at AT TIME ZONE 'UTC')::date, sum(c.sign)
          FROM {changes} c
         GROUP BY 1, 2, 3, 4
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET n = r.n + EXCLUDED.n;
        INSERT INTO metrics_serviceeventwithinrollup AS r
            (tenant_id, measure_id, threshold_seconds, touchpoint_id, day, within)
        SELECT c.tenant_id, c.measure_id, t.threshold_seconds, c.touchpoint_id,
               (c.occurred_at AT TIME ZONE 'UTC')::date, sum(c.sign)
          FROM {changes} c
          JOIN metrics_durationthreshold t
            ON t.tenant_id = c.tenant_id AND t.measure_id = c.measure_id
           AND c.duration_seconds <= t.threshold_seconds
         GROUP BY 1, 2, 3, 4, 5
         ORDER BY 1, 2, 3, 4, 5
        ON CONFLICT (tenant_id, measure_id, threshold_seconds, touchpoint_id, day)
            DO UPDATE SET within = r.within + EXCLUDED.within;
"""
SERVICE_EVENT = _function("metrics_service_event_rollup", SERVICE_EVENT_BODY)

STORY_BODY = """
        INSERT INTO metrics_storyrollup AS r (tenant_id, promise_id, touchpoint_id, day, n, non_negative)
        SELECT c.tenant_id, c.promise_id, s.touchpoint_id, (s.occurred_at AT TIME ZONE 'UTC')::date,
               sum(c.sign), coalesce(sum(c.sign) FILTER (WHERE s.sentiment >= -0.05), 0)
          FROM {changes} c
          JOIN feedback_story s ON s.id = c.story_id
         GROUP BY 1, 2, 3, 4
         ORDER BY 1, 2, 3, 4
        ON CONFLICT (tenant_id, promise_id, touchpoint_id, day) DO UPDATE SET
            n = r.n + EXCLUDED.n, non_negative = r.non_negative + EXCLUDED.non_negative;
"""
STORY = _function("metrics_story_rollup", STORY_BODY)

FORWARD = [
    SURVEY,
    _triggers("feedback_surveyresponse", "metrics_survey_rollup"),
    SERVICE_EVENT,
    _triggers("feedback_serviceevent", "metrics_service_event_rollup"),
    # A story counts for the promises it is linked to: the link rows carry the rollup.
    STORY,
    _triggers("feedback_storypromise", "metrics_story_rollup"),
]

BACKWARD = [
    f"DROP TRIGGER IF EXISTS metrics_rollup_insert ON {t}; DROP TRIGGER IF EXISTS metrics_rollup_delete ON {t};"
    for t in ("feedback_surveyresponse", "feedback_serviceevent", "feedback_storypromise")
] + [
    "DROP FUNCTION IF EXISTS metrics_survey_rollup(); DROP FUNCTION IF EXISTS metrics_service_event_rollup(); "
    "DROP FUNCTION IF EXISTS metrics_story_rollup();"
]


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0001_initial"),
        ("feedback", "0002_signal_import"),
    ]

    operations = [migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD)]
