"""Probes, logs and production settings."""

import io
import json
import logging
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import Client

from cxgov.logging import json_formatter
from tests.conftest import signed_in

ROOT = Path(__file__).resolve().parent.parent


def test_readyz_reports_each_dependency_and_fails_without_a_worker(db):
    # No worker runs outside tests/tenants/test_tasks.py (its worker stops with that module).
    response = Client(HTTP_HOST="localhost").get("/readyz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"] == "ok"
    assert body["checks"]["worker"].startswith("failed: ")


def test_request_logs_are_json_with_request_id_and_tenant(tenant):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter())
    logger = logging.getLogger("cxgov.request")
    logger.addHandler(handler)
    try:
        client = signed_in("acme", "viewer@acme.test")
        response = client.get("/", HTTP_X_REQUEST_ID="req-0123456789")
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    home = [line for line in lines if line.get("path") == "/"]
    assert home == [
        {
            "event": "request",
            "method": "GET",
            "path": "/",
            "status": 200,
            "request_id": "req-0123456789",
            "tenant": "acme",
            "level": "info",
            "logger": "cxgov.request",
            "timestamp": home[0]["timestamp"],
        }
    ]
    assert response["X-Request-ID"] == "req-0123456789"


def test_production_settings_pass_the_deploy_check():
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "cxgov.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": ".cxgov.example.com",
        "CXGOV_BASE_DOMAIN": "cxgov.example.com",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "cxgov.settings.production"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_an_unknown_api_path_answers_in_the_api_error_format(db):
    response = Client(HTTP_HOST="127.0.0.1").get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 404 and "/api/docs/" in body["detail"]


def test_an_unknown_page_is_the_html_not_found_page(tenant):
    response = Client(HTTP_HOST="acme.localhost").get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_the_web_process_freezes_what_it_loaded_before_serving():
    """gunicorn's ``cxgov.wsgi``: Django, the URL configuration and the views are loaded and then
    kept out of the garbage collector's full collections."""
    script = "import gc, cxgov.wsgi, sys; print(gc.get_freeze_count(), 'cxgov.urls' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    frozen, urls_loaded = out.stdout.split()
    assert int(frozen) > 100_000 and urls_loaded == "True", out.stdout
