"""The feedback app's Celery tasks, for autodiscovery: each subject keeps its own.

The tasks keep their names (``feedback.tasks.<function>``), which the beat schedule and
queued messages carry; importing the subject modules here registers them with the worker.
"""

from feedback.escalations import tasks as escalation_tasks
from feedback.imports import tasks as import_tasks

__all__ = ["escalation_tasks", "import_tasks"]
