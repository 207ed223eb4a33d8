"""Settings shared by every environment. Everything that differs comes from the environment.

Every variable read here is documented in README.md ("Configuration").
"""

import re
from pathlib import Path
from urllib.parse import urlsplit

import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="insecure-development-key-change-me-" + "x" * 20)
DEBUG = env.bool("DEBUG", default=False)

CXGOV_BASE_DOMAIN = env("CXGOV_BASE_DOMAIN", default="localhost").lower().strip(".")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[CXGOV_BASE_DOMAIN, f".{CXGOV_BASE_DOMAIN}", "127.0.0.1"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "tenants",
    "promises",
    "feedback",
    "surveys",
    "metrics",
]

MIDDLEWARE = [
    "cxgov.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "cxgov.middleware.PermissionsPolicyMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tenants.middleware.TenantMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "tenants.middleware.MfaRequiredMiddleware",
    "tenants.middleware.DefaultDenyMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "cxgov.urls"
WSGI_APPLICATION = "cxgov.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "cxgov" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenant",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# DATABASE_URL is the owner's login (it runs migrations). The application itself acts as
# CXGOV_DB_APP_ROLE through SET ROLE: not superuser, no BYPASSRLS, owns nothing.
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/cxgov")}
DATABASES["default"]["ENGINE"] = "tenants.dbbackend"
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CXGOV_DB_APP_ROLE = env("CXGOV_DB_APP_ROLE", default="cxgov_app")
if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", CXGOV_DB_APP_ROLE):
    raise ImproperlyConfigured("CXGOV_DB_APP_ROLE must be a lowercase PostgreSQL identifier, e.g. cxgov_app.")
DATABASES["default"].setdefault("OPTIONS", {})["assume_role"] = CXGOV_DB_APP_ROLE
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis and Celery -----------------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/0")
# Prefix of the product's own Redis keys (dirty tenants, scoring queue flags).
CXGOV_REDIS_PREFIX = env("CXGOV_REDIS_PREFIX", default="cxgov")


def celery_broker_url(redis_url: str) -> str:
    """Celery names a Redis unix socket ``redis+socket://``; redis-py names it ``unix://``."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        return f"redis+socket://{parts.path}" + (f"?{parts.query}" if parts.query else "")
    return redis_url


CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=celery_broker_url(REDIS_URL))
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# How long a task taken by a worker may stay unacknowledged before Redis hands it to another
# worker: longer than the longest task (else a task still running is run twice), short enough
# that the task of a killed worker runs again soon. Reasoning in docs/operations.md.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CXGOV_VISIBILITY_TIMEOUT", default=900)}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TASK_DEFAULT_QUEUE = "default"
# A static schedule of dispatchers; each fans out one task per active tenant.
CELERY_BEAT_SCHEDULE = {
    "tenant-heartbeat": {
        "task": "tenants.tasks.heartbeat_dispatch",
        "schedule": env.float("CXGOV_HEARTBEAT_SECONDS", default=60.0),
    },
    # E-mails of the outbox: retries and what a dead worker left pending.
    "outbox-sweep": {
        "task": "tenants.tasks.outbox_sweep",
        "schedule": env.float("CXGOV_OUTBOX_SECONDS", default=60.0),
    },
    # Webhook deliveries: retries that fell due and what a dead worker left pending.
    "webhook-sweep": {
        "task": "tenants.webhooks.tasks.webhook_sweep",
        "schedule": env.float("CXGOV_WEBHOOK_SECONDS", default=30.0),
    },
    # Dirty tenants (new signals, changed commitments) get one recompute each, coalesced.
    "scores-dispatch": {
        "task": "metrics.tasks.scores_dispatch",
        "schedule": env.float("CXGOV_SCORING_SECONDS", default=5.0),
    },
    # Every tenant's daily snapshot, and quarter-end snapshots once a quarter has ended.
    "scores-daily": {
        "task": "metrics.tasks.scores_snapshot_dispatch",
        "schedule": crontab(minute=5, hour=0),
    },
    # Department digests due now (each tenant's schedule, in its time zone) fan out per department.
    "digests-dispatch": {
        "task": "metrics.digest_tasks.digests_dispatch",
        "schedule": env.float("CXGOV_DIGEST_SECONDS", default=300.0),
    },
    # CSV imports a killed worker left unfinished (heartbeat older than CXGOV_IMPORT_STALE_SECONDS).
    "signal-imports-sweep": {
        "task": "feedback.tasks.signal_imports_sweep",
        "schedule": env.float("CXGOV_IMPORT_SWEEP_SECONDS", default=15.0),
    },
    # Action reminders before and on due dates, a scan per tenant (each reminder queued once).
    "actions-remind": {
        "task": "metrics.actions.tasks.actions_remind_dispatch",
        "schedule": env.float("CXGOV_ACTION_REMINDER_SECONDS", default=900.0),
    },
    # Escalation clocks: overdue levels and auto-close, a scan per tenant (no countdowns).
    "escalations-overdue": {
        "task": "feedback.tasks.escalations_overdue_dispatch",
        "schedule": env.float("CXGOV_ESCALATION_SCAN_SECONDS", default=300.0),
    },
    # Follow-up reminders before their due times and notices once overdue, a scan per tenant
    # (each e-mail queued once).
    "followup-reminders": {
        "task": "surveys.followups.tasks.followup_reminders_dispatch",
        "schedule": env.float("CXGOV_FOLLOWUP_REMINDER_SECONDS", default=300.0),
    },
}

# CSV imports: a task stores rows for this long, then queues its continuation; an unfinished
# import whose last chunk committed longer ago than the stale time is queued again by the sweep.
# Webhooks go only to https:// targets with public addresses; this lets http://127.0.0.1 through
# (development and tests, where the receiver runs on the same machine).
CXGOV_WEBHOOKS_ALLOW_LOOPBACK = env.bool("CXGOV_WEBHOOKS_ALLOW_LOOPBACK", default=False)
CXGOV_IMPORT_SLICE_SECONDS = env.float("CXGOV_IMPORT_SLICE_SECONDS", default=60.0)
CXGOV_IMPORT_STALE_SECONDS = env.float("CXGOV_IMPORT_STALE_SECONDS", default=30.0)

# Hosted surveys' public pages: answers per survey and source address in a window (surveys/abuse.py).
CXGOV_SURVEY_ANSWERS = env.int("CXGOV_SURVEY_ANSWERS", default=20)
CXGOV_SURVEY_WINDOW_SECONDS = env.int("CXGOV_SURVEY_WINDOW_SECONDS", default=600)

CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}

# --- People ---------------------------------------------------------------------------------
AUTH_USER_MODEL = "tenants.User"
AUTHENTICATION_BACKENDS = ["tenants.auth.TenantMemberBackend"]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"
# django-allauth: e-mail + password sign-in per tenant subdomain, no public sign-up
# (people join by invitation), TOTP with recovery codes, re-authentication within 5 minutes.
ACCOUNT_ADAPTER = "tenants.auth.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_LOGOUT_REDIRECT_URL = "/accounts/login/"
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[cxgov] "
# Failed sign-ins: 5 per e-mail address from one source address per 5 minutes (the "key" is
# address + source, tenants.auth.AccountAdapter, so a stranger's guesses cannot lock the owner
# out), 30 per source address per 5 minutes. Counted in the cache, i.e. Redis, so every web
# process shares the count.
ACCOUNT_RATE_LIMITS = {"login_failed": "30/5m/ip,5/5m/key", "reset_password": "20/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "cxgov"
MFA_RECOVERY_CODE_COUNT = 10
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
# Sessions in the (Redis) cache, not in a table: on a sharded database a global table is a
# reference table copied to every node, and every sign-in or session write would be a
# two-phase commit across all of them. Redis expires a session after SESSION_COOKIE_AGE.
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
SESSION_CACHE_ALIAS = "default"

# --- Response headers -----------------------------------------------------------------------
# Content-Security-Policy (django-csp): scripts, styles, images, fonts and requests only from
# the product itself; anything inline needs the request's nonce ({{ CSP_NONCE }}), and no
# inline event handler or style attribute runs. Nobody may frame a page (clickjacking);
# pages that must be framed by the product itself relax frame-ancestors with a decorator.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        # data: for Bootstrap's inline SVG icons and the TOTP QR code.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page of the product uses are switched off (Permissions-Policy).
CXGOV_PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=()"
)

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="cxgov <noreply@localhost>")
# An e-mail service provider through django-anymail instead of SMTP: ANYMAIL_ESP names its
# backend module (e.g. "postmark", "sendgrid", "amazon_ses", "mailgun"), ANYMAIL_CONFIG holds
# its settings as JSON (e.g. {"POSTMARK_SERVER_TOKEN": "..."}).
if ANYMAIL_ESP := env("ANYMAIL_ESP", default=""):
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"
    ANYMAIL = env.json("ANYMAIL_CONFIG", default={})
# Absolute links in e-mails (digests): the tenant's web address, {slug} filled in.
CXGOV_TENANT_URL = env("CXGOV_TENANT_URL", default="http://{slug}." + CXGOV_BASE_DOMAIN + ":8000")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Internationalisation, static files -----------------------------------------------------
LANGUAGE_CODE = "en"
# The languages of the pages customers see (hosted surveys); the staff pages are in English.
LANGUAGES = [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "cxgov" / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Logging: JSON lines carrying request id and tenant -------------------------------------
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {"()": "cxgov.logging.json_formatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "celery": {"level": LOG_LEVEL},
    },
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["tenants.api_base.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api_base.ActionPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["tenants.api_base.ApiKeyRateThrottle"],
    # A guard against one runaway key, not traffic shaping: above what one key draws from a
    # 2-worker server at full speed (docs/api.md "Rate limit", bench/README.md "HTTP").
    "DEFAULT_THROTTLE_RATES": {"api_key": env("CXGOV_API_RATE", default="6000/min")},
    "DEFAULT_PAGINATION_CLASS": "tenants.api_base.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["tenants.api_base.QueryFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tenants.api_base.SafeJSONParser"],
    "EXCEPTION_HANDLER": "tenants.api_base.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "cxgov API",
    "DESCRIPTION": "Partner API of cxgov. Authenticate with `Authorization: Bearer <API key>`; "
    "the key decides the tenant. Errors are `application/problem+json`.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Escalations have four severities, stories three: each set gets its own name.
    "ENUM_NAME_OVERRIDES": {
        "EscalationSeverityEnum": "feedback.escalations.models.EscalationSeverity",
        "StorySeverityEnum": "feedback.stories.models.StorySeverity",
        "MeasureKindEnum": "promises.commitments.models.TENANT_KIND_CHOICES",
        "PromiseKindEnum": "promises.models.Promise.Kind",
        # The promise's status keeps the name it had before other resources had a status.
        "StatusEnum": "promises.models.Promise.Status",
        "WebhookEndpointKindEnum": "tenants.webhooks.models.WebhookEndpointKind",
        "WebhookDeliveryStatusEnum": "tenants.webhooks.models.WebhookDeliveryStatus",
        "SignalImportKindEnum": "feedback.imports.models.SignalImportKind",
        "SignalImportStatusEnum": "feedback.imports.models.SignalImportStatus",
        "ActionStatusEnum": "metrics.actions.models.ActionStatus",
        "FollowUpStatusEnum": "surveys.models.FollowUp.Status",
    },
}
