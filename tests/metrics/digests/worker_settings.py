"""Settings of the Celery worker the digest worker tests start: e-mails go to files."""

from cxgov.settings.test import *  # noqa: F403

EMAIL_BACKEND = "tests.metrics.digests.mail_dir_backend.DirectoryBackend"
