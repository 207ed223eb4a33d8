"""/readyz reports a worker only while one answers: none started, one started, that one gone.

The run's broker keys carry the run id (cxgov/settings/test.py), so the only worker that can
answer is the one this test starts."""

from __future__ import annotations

import subprocess

from django.conf import settings
from django.db import connections
from django.test import Client

from cxgov.celery import app
from tests.celery_worker import TaskEvents, start_worker


def readyz() -> tuple[int, dict]:
    response = Client(HTTP_HOST="localhost").get("/readyz")
    return response.status_code, response.json()


def test_readyz_is_ok_while_a_worker_answers(db, tmp_path):
    status, body = readyz()
    assert status == 503 and body["status"] == "unavailable", body
    assert body["checks"]["worker"].startswith("failed: RuntimeError: no Celery worker answered"), body
    assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok", body

    hostname = f"cxgov-readyz-{settings.TEST_RUN_ID}@localhost"
    events = TaskEvents({hostname})
    events.start()
    process = start_worker(
        settings_dict=connections["default"].settings_dict,
        redis_url=settings.REDIS_URL,
        log_path=tmp_path / "worker.log",
        hostname=hostname,
    )
    try:
        events.answering(hostname)
        status, body = readyz()
        assert status == 200, body
        assert body["status"] == "ok" and body["checks"]["worker"] == f"ok ({hostname} answered)", body
        assert body["checks"]["database"] == "ok" and body["checks"]["redis"] == "ok", body
        # The one answering is the worker started here.
        assert [list(reply) for reply in app.control.ping(timeout=1.0)] == [[hostname]]
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        events.stop()

    status, body = readyz()
    assert status == 503 and body["checks"]["worker"].startswith("failed: RuntimeError"), body
