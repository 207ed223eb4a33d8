"""Ingest queues on row locks, which every node of a sharded database honours.

A second connection (the owner's, outside the application) holds the lock or the
conflicting row; the ingest runs in a thread and must wait for it, not pass it by.
"""

from __future__ import annotations

import json
import threading
import time

import psycopg
import pytest
from django.db import connection, connections

from feedback.ingest.models import IdempotencyRecord
from feedback.ingest.services import signals_ingest, signals_ingest_request
from feedback.signals.models import SurveyResponse
from tenants.context import tenant_context
from tenants.services import api_key_create
from tests.celery_worker import database_url
from tests.feedback.conftest import signal_setup

pytestmark = pytest.mark.django_db(transaction=True)

ITEM = {"measure": "nps", "score": 9, "occurred_at": "2026-01-05T10:00:00Z", "touchpoint": "delivery"}


def _other_connection() -> psycopg.Connection:
    return psycopg.connect(database_url(connection.settings_dict))


def _run(target) -> tuple[threading.Thread, dict]:
    outcome: dict = {}

    def run():
        try:
            outcome["value"] = target()
        except Exception as error:  # reported by the test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def _blocked_on_a_lock(thread: threading.Thread, observer: psycopg.Connection) -> bool:
    """True once a session of the test database waits on a lock; False if ``thread`` finished first."""
    while thread.is_alive():
        waiting = observer.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()[0]
        if waiting:
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def signals(tenant):
    signal_setup(tenant)
    return tenant


def test_ingest_waits_for_the_row_lock_of_its_api_key(signals):
    key = api_key_create(tenant=signals, name="CRM", scopes=["feedback:write"]).api_key
    with _other_connection() as holder, _other_connection() as observer:
        observer.autocommit = True
        holder.execute("SELECT 1 FROM tenants_apikey WHERE id = %s FOR NO KEY UPDATE", [key.pk])
        thread, outcome = _run(
            lambda: signals_ingest(tenant=signals, kind="survey_responses", items=[ITEM], source=key)
        )
        blocked = _blocked_on_a_lock(thread, observer)
        holder.commit()
        thread.join()
    assert blocked, "the ingest did not wait for the API key's row lock"
    assert "error" not in outcome
    assert [r.status for r in outcome["value"]] == ["created"]
    with tenant_context(signals):
        assert SurveyResponse.objects.count() == 1


def test_two_api_keys_sending_one_idempotency_key_at_once_get_one_answer(signals):
    first = api_key_create(tenant=signals, name="CRM", scopes=["feedback:write"]).api_key
    second = api_key_create(tenant=signals, name="Shop", scopes=["feedback:write"]).api_key
    stored = {"created": 1, "duplicate": 0, "rejected": 0, "results": []}
    with _other_connection() as holder, _other_connection() as observer:
        observer.autocommit = True
        # The first key's request, not committed yet: the second cannot see it and does the work.
        holder.execute(
            "INSERT INTO feedback_idempotencyrecord "
            "(tenant_id, key, api_key_id, request_hash, response_status, response_body, created_at) "
            "VALUES (%s, 'same', %s, 'fingerprint', 200, %s, now())",
            [signals.pk, first.pk, json.dumps(stored)],
        )
        thread, outcome = _run(
            lambda: signals_ingest_request(
                tenant=signals,
                kind="survey_responses",
                items=[ITEM],
                source=second,
                idempotency_key="same",
                fingerprint="fingerprint",
            )
        )
        blocked = _blocked_on_a_lock(thread, observer)
        holder.commit()
        thread.join()
    assert blocked, "the second request did not reach the unique key"
    assert "error" not in outcome, outcome.get("error")
    answer = outcome["value"]
    assert (answer.replayed, answer.status, answer.body) == (True, 200, stored)
    with tenant_context(signals):
        assert SurveyResponse.objects.count() == 0  # the second request's work was rolled back
        assert list(IdempotencyRecord.objects.values_list("api_key_id", flat=True)) == [first.pk]
