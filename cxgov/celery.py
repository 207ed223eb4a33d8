"""The one Celery app. Configuration lives in Django settings under ``CELERY_``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

app = Celery("cxgov")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Subjects inside an app keep their tasks in their own package.
app.autodiscover_tasks(
    ["metrics.actions", "metrics.digests", "surveys.followups", "tenants.delivery", "tenants.webhooks"]
)
