"""Covering indexes for the scoring engine's reads of raw signals by time.

A recompute reads the partial days at the edges of each window from the raw signals
(``metrics.engine``): with these indexes each edge is an index-only range scan that never
touches the table's heap.
"""

from django.db import migrations

INDEXES = {
    "feedback_surveyresponse": ("metrics_survey_response_scoring_idx", "measure_id, touchpoint_id, score"),
    "feedback_serviceevent": (
        "metrics_service_event_scoring_idx",
        "measure_id, touchpoint_id, duration_seconds",
    ),
}


class Migration(migrations.Migration):
    dependencies = [("metrics", "0003_digests")]

    operations = [
        migrations.RunSQL(
            sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} (tenant_id, occurred_at) INCLUDE ({columns})",
            reverse_sql=f"DROP INDEX IF EXISTS {name}",
        )
        for table, (name, columns) in INDEXES.items()
    ]
