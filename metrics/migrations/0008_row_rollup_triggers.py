"""Rollups kept by row-level triggers, and the tenant's rollup lock as a row.

The statement-level triggers of 0002/0005 read transition tables (``REFERENCING NEW TABLE``),
which a sharded database cannot give them: on Citus the statement that fires the trigger runs
on a shard, where no tuplestore of that name exists. Row-level triggers need nothing but the
row: on Citus they fire on the shard that holds the signal and upsert into the colocated
rollup shards of the same tenant.

Each trigger, for the inserted (+1) or deleted (−1) row:
1. locks the tenant's ``metrics_rolluplock`` row ``FOR SHARE`` (creating it the first time):
   registering a duration threshold or rebuilding the rollups locks it ``FOR UPDATE``, so a
   batch is counted by the backfill or by its own triggers, never both and never neither;
2. upserts the month counters, then the day counters (``ON CONFLICT DO UPDATE``), the
   duration counters of every registered threshold the event is within in threshold order.
   Every statement reads or writes one tenant's rows of one table: on Citus a trigger running
   on a shard may only run such single-shard statements (no ``INSERT … SELECT``).
   A statement's rows lock rollup rows in row order: ingest writes a batch's rows sorted by
   rollup key (``feedback.services``), so concurrent batches take them in one order.

Everything the trigger reads or writes carries the row's ``tenant_id``: on Citus each
statement routes to the tenant's shards on the node where the trigger runs.
"""

import importlib

import django.db.models.deletion
import django.db.models.functions.datetime
from django.db import migrations, models

import tenants.keys
import tenants.rls

_months = importlib.import_module("metrics.migrations.0005_month_rollups")
_days = importlib.import_module("metrics.migrations.0002_rollup_triggers")
SIGNAL_TABLES = ("feedback_surveyresponse", "feedback_serviceevent", "feedback_storypromise")

# The row as ``r`` and its sign (``delta``); then the tenant's lock row in shared mode, once per
# transaction: the setting cxgov.rollup_locked (local to the transaction, and undone with a
# rolled-back savepoint exactly like the row lock taken inside it) remembers that it is held.
# Inlined in every trigger: on Citus a trigger function is copied to the workers with its
# table, a function it merely calls is not.
PROLOGUE = """
DECLARE
    r record;
    s record;
    delta bigint;
    the_month date;
    the_day date;
    thresholds integer[];
    threshold integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
    IF current_setting('cxgov.rollup_locked', true) IS DISTINCT FROM r.tenant_id::text THEN
        PERFORM FROM metrics_rolluplock WHERE tenant_id = r.tenant_id FOR SHARE;
        IF NOT FOUND THEN
            INSERT INTO metrics_rolluplock (tenant_id) VALUES (r.tenant_id) ON CONFLICT (tenant_id) DO NOTHING;
            PERFORM FROM metrics_rolluplock WHERE tenant_id = r.tenant_id FOR SHARE;
        END IF;
        PERFORM set_config('cxgov.rollup_locked', r.tenant_id::text, true);
    END IF;
"""

SURVEY_UPSERT = """
    INSERT INTO {table} AS x
        (tenant_id, measure_id, touchpoint_id, day, n, score_sum, promoters, passives, detractors, satisfied)
    VALUES (r.tenant_id, r.measure_id, r.touchpoint_id, {day}, delta, delta * r.score,
            CASE WHEN r.score >= 9 THEN delta ELSE 0 END,
            CASE WHEN r.score BETWEEN 7 AND 8 THEN delta ELSE 0 END,
            CASE WHEN r.score <= 6 THEN delta ELSE 0 END,
            CASE WHEN r.score >= 4 THEN delta ELSE 0 END)
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, score_sum = x.score_sum + EXCLUDED.score_sum,
        promoters = x.promoters + EXCLUDED.promoters, passives = x.passives + EXCLUDED.passives,
        detractors = x.detractors + EXCLUDED.detractors, satisfied = x.satisfied + EXCLUDED.satisfied;
"""

EVENT_UPSERT = """
    INSERT INTO {table} AS x (tenant_id, measure_id, touchpoint_id, day, n)
    VALUES (r.tenant_id, r.measure_id, r.touchpoint_id, {day}, delta)
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET n = x.n + EXCLUDED.n;
    FOREACH threshold IN ARRAY thresholds LOOP
        INSERT INTO {within_table} AS x (tenant_id, measure_id, threshold_seconds, touchpoint_id, day, within)
        VALUES (r.tenant_id, r.measure_id, threshold, r.touchpoint_id, {day}, delta)
        ON CONFLICT (tenant_id, measure_id, threshold_seconds, touchpoint_id, day)
            DO UPDATE SET within = x.within + EXCLUDED.within;
    END LOOP;
"""
# The registered thresholds the event is within, in order. Read into an array, then one
# upsert each: on Citus a trigger on a shard may run single-shard statements only, and an
# INSERT … SELECT is planned as a distributed one.
EVENT_THRESHOLDS = """
    SELECT coalesce(array_agg(threshold_seconds ORDER BY threshold_seconds), '{}') INTO thresholds
      FROM metrics_durationthreshold
     WHERE tenant_id = r.tenant_id AND measure_id = r.measure_id AND threshold_seconds >= r.duration_seconds;"""

STORY_UPSERT = """
    INSERT INTO {table} AS x (tenant_id, promise_id, touchpoint_id, day, n, non_negative)
    VALUES (r.tenant_id, r.promise_id, s.touchpoint_id, {day}, delta,
            CASE WHEN s.sentiment >= -0.05 THEN delta ELSE 0 END)
    ON CONFLICT (tenant_id, promise_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, non_negative = x.non_negative + EXCLUDED.non_negative;
"""


def _function(name: str, upsert: str, when: str, *, fetch: str = "", story: bool = False, **tables: str) -> str:
    """Month counters first, then day counters: one order for every trigger (see above)."""
    if story:
        # A link counts the story it links: its touchpoint, day and sentiment.
        fetch = """
    SELECT touchpoint_id, occurred_at, sentiment INTO s
      FROM feedback_story WHERE tenant_id = r.tenant_id AND id = r.story_id;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;"""
    month_tables = {key: _months.MONTH_TABLES[table] for key, table in tables.items()}
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
{PROLOGUE}{fetch}
    the_month := date_trunc('month', {when} AT TIME ZONE 'UTC')::date;
    the_day := ({when} AT TIME ZONE 'UTC')::date;
{upsert.format(day="the_month", **month_tables)}
{upsert.format(day="the_day", **tables)}
    RETURN NULL;
END $$;
"""


FUNCTIONS = [
    _function(
        "metrics_survey_rollup", SURVEY_UPSERT, "r.occurred_at", table="metrics_surveyrollup"
    ),
    _function(
        "metrics_service_event_rollup",
        EVENT_UPSERT,
        "r.occurred_at",
        fetch=EVENT_THRESHOLDS,
        table="metrics_serviceeventrollup",
        within_table="metrics_serviceeventwithinrollup",
    ),
    _function(
        "metrics_story_rollup", STORY_UPSERT, "s.occurred_at", story=True, table="metrics_storyrollup"
    ),
]


def _row_triggers(table: str, function: str) -> str:
    return f"""
DROP TRIGGER IF EXISTS metrics_rollup_insert ON {table};
DROP TRIGGER IF EXISTS metrics_rollup_delete ON {table};
CREATE TRIGGER metrics_rollup AFTER INSERT OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {function}();
"""


FORWARD = [
    *FUNCTIONS,
    _row_triggers("feedback_surveyresponse", "metrics_survey_rollup"),
    _row_triggers("feedback_serviceevent", "metrics_service_event_rollup"),
    _row_triggers("feedback_storypromise", "metrics_story_rollup"),
]

BACKWARD = [
    *[f"DROP TRIGGER IF EXISTS metrics_rollup ON {table};" for table in SIGNAL_TABLES],
    *_months.FUNCTIONS,
    *_days.FORWARD[1::2],
]


class Migration(migrations.Migration):

    dependencies = [
        ('metrics', '0007_tenant_keys'),
        ('tenants', '0005_tenant_keys'),
    ]

    operations = [
        migrations.CreateModel(
            name='RollupLock',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('created_at', models.DateTimeField(db_default=django.db.models.functions.datetime.Now(), help_text='Set by the database: the triggers insert it.')),
                ('tenant', models.ForeignKey(editable=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tenants.tenant')),
            ],
            options={
                'constraints': [models.UniqueConstraint(models.F('tenant'), name='rollup_lock_one_per_tenant')],
            },
        ),
        tenants.rls.SecureTenantTable("rolluplock", audit=False),
        tenants.keys.TenantPrimaryKey("rolluplock"),
        migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD),
    ]
