"""Settings of the worker ``tests/tenants/test_worker_role.py`` starts: the test suite's, plus a
task module that only that worker loads."""

from cxgov.settings.test import *  # noqa: F403

CELERY_IMPORTS = ["tests.tenants.probe_tasks"]
