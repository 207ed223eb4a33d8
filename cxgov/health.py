"""Liveness and readiness probes, and the site icon (no tenant, no login)."""

import redis
from django.conf import settings
from django.db import connection
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static

from cxgov.celery import app as celery_app


def probe(view):
    view.cxgov_action = "platform.probe"
    return view


def favicon(request):
    """``/favicon.ico``: browsers ask for it on every site, whatever the page links to."""
    return HttpResponsePermanentRedirect(static("cxgov/favicon.svg"))


favicon.cxgov_action = "platform.icon"


@probe
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_redis() -> str:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    finally:
        client.close()
    return "ok"


def _check_worker() -> str:
    # The first answer is enough: waiting out the whole second for more would make every
    # probe (and `make run`'s wait for a worker) a second longer.
    replies = celery_app.control.ping(timeout=1.0, limit=1)
    if not replies:
        raise RuntimeError("no Celery worker answered a ping within 1 s")
    return f"ok ({next(iter(replies[0]))} answered)"


@probe
def readyz(request):
    checks = {}
    ready = True
    for name, check in (("database", _check_database), ("redis", _check_redis), ("worker", _check_worker)):
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - a probe reports every failure, whatever it is
            ready = False
            checks[name] = f"failed: {type(exc).__name__}: {exc}"
    return JsonResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks}, status=200 if ready else 503
    )
