"""The test suite: the same database engine and application role as production."""

import os

from cxgov.settings.base import *  # noqa: F403
from cxgov.settings.base import env

# One id per test run, inherited by the processes the run starts (its Celery worker): the
# run's database, cache keys and queue carry it, so runs side by side never collide.
TEST_RUN_ID = os.environ.setdefault("CXGOV_TEST_RUN_ID", str(os.getpid()))
DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{TEST_RUN_ID}"}  # noqa: F405

DEBUG = False
SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# The suite uses its own Redis database so it never mixes with a running instance's queue.
REDIS_URL = env("TEST_REDIS_URL", default="redis://127.0.0.1:6379/15")
CELERY_BROKER_URL = celery_broker_url(REDIS_URL)  # noqa: F405
# The cache (sign-in throttling, API rate limits) gets a Redis database of its own, so tests
# can empty it without touching the broker's queues.
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("TEST_CACHE_URL", default="redis://127.0.0.1:6379/14"),
        "KEY_PREFIX": f"run{TEST_RUN_ID}",
    }
}
STATIC_ROOT = None  # static files come from the apps (finders); nothing is collected for tests
WHITENOISE_USE_FINDERS = True
CELERY_TASK_DEFAULT_QUEUE = f"default-{TEST_RUN_ID}"
CXGOV_REDIS_PREFIX = f"cxgov-test-{TEST_RUN_ID}"
CXGOV_WEBHOOKS_ALLOW_LOOPBACK = env.bool("CXGOV_WEBHOOKS_ALLOW_LOOPBACK", default=True)
# Every key and channel of the run's broker (queues, events, worker pings) carries the run id:
# the run's workers, event receivers and /readyz meet only one another, whatever else runs on
# the same Redis.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    **CELERY_BROKER_TRANSPORT_OPTIONS,  # noqa: F405
    "global_keyprefix": f"run{TEST_RUN_ID}:",
}
