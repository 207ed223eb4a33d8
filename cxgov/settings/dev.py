"""Local development and the one-command demo (`make run`)."""

from cxgov.settings.base import *  # noqa: F403
from cxgov.settings.base import env

DEBUG = env.bool("DEBUG", default=True)
CXGOV_WEBHOOKS_ALLOW_LOOPBACK = env.bool("CXGOV_WEBHOOKS_ALLOW_LOOPBACK", default=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
