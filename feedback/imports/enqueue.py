"""Queueing an import's run by the task's name.

The task module imports the services; sending by name keeps the services from importing it
back (``lint-imports`` forbids that circle).
"""

from __future__ import annotations

from celery import current_app

SIGNAL_IMPORT_RUN = "feedback.tasks.signal_import_run"


def signal_import_run_later(*, tenant_id: int, import_id: int) -> None:
    current_app.send_task(SIGNAL_IMPORT_RUN, args=(tenant_id, import_id))
