"""Signals leave the per-row audit of inserts: their writes are recorded once per request or import.

Signals are append-only evidence. Turning every inserted row into JSON and writing an audit
row for it made a bulk write about five times slower; the ingest, the CSV import and the story
form now write one audit entry per write instead (``tenants.audit.ingest_event_record``: who,
kind, count, first and last id, Idempotency-Key). An UPDATE or DELETE of a signal (a repair,
a retention purge) is still audited row by row.
"""

from django.db import migrations

from tenants.rls import AUDIT_EVERY_CHANGE, AUDIT_UPDATE_DELETE, audit_trigger_sql

SIGNAL_TABLES = {
    "feedback_story": "feedback.Story",
    "feedback_surveyresponse": "feedback.SurveyResponse",
    "feedback_serviceevent": "feedback.ServiceEvent",
}


def _triggers(events):
    return [
        statement
        for table, label in SIGNAL_TABLES.items()
        for statement in audit_trigger_sql(table, label, (), events)
    ]


class Migration(migrations.Migration):
    dependencies = [
        ("feedback", "0006_service_event_outcome_value"),
    ]

    operations = [
        migrations.RunSQL(_triggers(AUDIT_UPDATE_DELETE), reverse_sql=_triggers(AUDIT_EVERY_CHANGE)),
    ]
