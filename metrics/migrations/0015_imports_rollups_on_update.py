"""Rollups follow an UPDATE of a survey response or a service event.

A CSV import corrects a stored row in place (``feedback.ingest.services``, re-imported
``external_id`` with other values). The row triggers of 0008/0010/0013 counted only INSERT and
DELETE; the same functions now also run AFTER UPDATE, when a counted column changed: for the
old row with −1, then for the new one with +1 (the lock row in shared mode and the counter
order are the insert's). Nothing else changes: an UPDATE that leaves the counted columns alone
fires nothing.
"""

import importlib

from django.db import migrations

_statement = importlib.import_module("metrics.migrations.0013_rollups_per_statement")

_ONE_ROW = """    IF TG_OP = 'INSERT' THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
"""
_OLD_THEN_NEW = """    -- An UPDATE: the old row out (-1), then the new one in (+1).
    FOR round_no IN 1..CASE WHEN TG_OP = 'UPDATE' THEN 2 ELSE 1 END LOOP
    IF TG_OP = 'INSERT' OR round_no = 2 THEN
        r := NEW; delta := 1;
    ELSE
        r := OLD; delta := -1;
    END IF;
"""
_END = "    RETURN NULL;\nEND $$;"


def _with_updates(function: str) -> str:
    assert _ONE_ROW in function and function.rstrip().endswith(_END), "the 0013 trigger function"
    function = function.replace("    threshold integer;\n", "    threshold integer;\n    round_no integer;\n", 1)
    function = function.replace(_ONE_ROW, _OLD_THEN_NEW, 1)
    head, _, tail = function.rpartition(_END)
    return f"{head}    END LOOP;\n{_END}{tail}"


SURVEY = _statement._skipping(_statement.SURVEY_FUNCTION)
EVENT = _statement._skipping(_statement.EVENT_FUNCTION)
COUNTED = {
    "feedback_surveyresponse": ("metrics_survey_rollup", ("measure_id", "touchpoint_id", "occurred_at", "score")),
    "feedback_serviceevent": (
        "metrics_service_event_rollup",
        ("measure_id", "touchpoint_id", "occurred_at", "duration_seconds", "outcome", "value"),
    ),
}


def _update_trigger(table: str) -> str:
    function, columns = COUNTED[table]
    changed = " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in columns)
    return (
        f"CREATE TRIGGER metrics_rollup_update AFTER UPDATE ON {table} FOR EACH ROW "
        f"WHEN ({changed}) EXECUTE FUNCTION {function}();"
    )


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0014_actions"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[_with_updates(SURVEY), _with_updates(EVENT), *(_update_trigger(t) for t in COUNTED)],
            reverse_sql=[
                *(f"DROP TRIGGER IF EXISTS metrics_rollup_update ON {t};" for t in COUNTED),
                SURVEY,
                EVENT,
            ],
        ),
    ]
