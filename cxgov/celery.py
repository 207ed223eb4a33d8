"""The one Celery app. Configuration lives in Django settings under ``CELERY_``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

app = Celery("cxgov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Digest tasks live beside the scoring tasks, in their own module.
app.autodiscover_tasks(["metrics"], related_name="digest_tasks")
