"""Settings of the beat the import kill test starts: the product's schedule, reduced to the
sweep of stalled imports (its entry and interval as in production)."""

from cxgov.settings.test import *  # noqa: F403
from cxgov.settings.test import CELERY_BEAT_SCHEDULE

CELERY_BEAT_SCHEDULE = {"signal-imports-sweep": CELERY_BEAT_SCHEDULE["signal-imports-sweep"]}
