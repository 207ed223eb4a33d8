"""Production: HTTPS only, a real secret, hardened cookies. ``manage.py check --deploy`` is clean."""

from cxgov.settings.base import *  # noqa: F403
from cxgov.settings.base import env

DEBUG = False
SECRET_KEY = env("SECRET_KEY")  # required: no default in production

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[f"https://*.{CXGOV_BASE_DOMAIN}"])  # noqa: F405
X_FRAME_OPTIONS = "DENY"
EMAIL_CONFIG = env.email("EMAIL_URL", default="smtp://localhost:25")
vars().update(EMAIL_CONFIG)
if ANYMAIL_ESP:  # noqa: F405 - an ESP through django-anymail replaces SMTP (see base)
    EMAIL_BACKEND = f"anymail.backends.{ANYMAIL_ESP}.EmailBackend"  # noqa: F405
CXGOV_TENANT_URL = env("CXGOV_TENANT_URL", default="https://{slug}." + CXGOV_BASE_DOMAIN)  # noqa: F405
