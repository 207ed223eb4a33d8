"""Rollups for rate and average measures: the service event counters gain ``outcomes`` (events
with a true outcome) and ``value_sum`` (the exact sum of values, ``numeric``), kept by the same
row trigger as ``n``.

The trigger function of 0008 is replaced by one that upserts the three counters together, day
and month alike; everything else about it (the lock row in shared mode, month before day, one
single-shard statement at a time, the duration thresholds) is 0008's, reused from there. A
duration event adds 0 to both new counters; a rate or average event has no duration, so no
threshold counter.
"""

import importlib

from django.db import migrations, models

_rows = importlib.import_module("metrics.migrations.0008_row_rollup_triggers")

EVENT_UPSERT = """
    INSERT INTO {table} AS x (tenant_id, measure_id, touchpoint_id, day, n, outcomes, value_sum)
    VALUES (r.tenant_id, r.measure_id, r.touchpoint_id, {day}, delta,
            CASE WHEN r.outcome THEN delta ELSE 0 END, delta * coalesce(r.value, 0))
    ON CONFLICT (tenant_id, measure_id, touchpoint_id, day) DO UPDATE SET
        n = x.n + EXCLUDED.n, outcomes = x.outcomes + EXCLUDED.outcomes,
        value_sum = x.value_sum + EXCLUDED.value_sum;
    FOREACH threshold IN ARRAY thresholds LOOP
        INSERT INTO {within_table} AS x (tenant_id, measure_id, threshold_seconds, touchpoint_id, day, within)
        VALUES (r.tenant_id, r.measure_id, threshold, r.touchpoint_id, {day}, delta)
        ON CONFLICT (tenant_id, measure_id, threshold_seconds, touchpoint_id, day)
            DO UPDATE SET within = x.within + EXCLUDED.within;
    END LOOP;
"""

FORWARD = _rows._function(
    "metrics_service_event_rollup",
    EVENT_UPSERT,
    "r.occurred_at",
    fetch=_rows.EVENT_THRESHOLDS,
    table="metrics_serviceeventrollup",
    within_table="metrics_serviceeventwithinrollup",
)
BACKWARD = _rows.FUNCTIONS[1]  # 0008's function, counting n only


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0006_service_event_outcome_value'),
        ('metrics', '0009_scoring_lock'),
    ]

    operations = [
        migrations.AddField(
            model_name='serviceeventmonthrollup',
            name='outcomes',
            field=models.BigIntegerField(db_default=0, default=0, help_text='Rate measures: events with a true outcome.'),
        ),
        migrations.AddField(
            model_name='serviceeventmonthrollup',
            name='value_sum',
            field=models.DecimalField(db_default=0, decimal_places=3, default=0, help_text='Average measures: the exact sum of values.', max_digits=24),
        ),
        migrations.AddField(
            model_name='serviceeventrollup',
            name='outcomes',
            field=models.BigIntegerField(db_default=0, default=0, help_text='Rate measures: events with a true outcome.'),
        ),
        migrations.AddField(
            model_name='serviceeventrollup',
            name='value_sum',
            field=models.DecimalField(db_default=0, decimal_places=3, default=0, help_text='Average measures: the exact sum of values.', max_digits=24),
        ),
        migrations.RunSQL(sql=FORWARD, reverse_sql=BACKWARD),
    ]
