"""Concurrent ingest: exactly once by the unique keys alone, with no lock per source.

Real transactions on the real database, in threads with connections of their own. A first
batch is written and held open (its transaction not committed yet); a second batch of the
same source with the same ``external_id``\\s runs meanwhile. It must wait for the first one's
rows (the unique key), not pass them by, and not wait for anything else (no row lock on the
API key). When the first commits, the second answers ``duplicate`` with the first one's ids;
when it rolls back, the second stores every item. Nothing is lost, nothing is stored twice.
"""

from __future__ import annotations

import json
import threading
import time

import psycopg
import pytest
from django.db import connection, connections, transaction

from feedback.ingest.models import IdempotencyRecord
from feedback.ingest.services import signals_ingest, signals_ingest_request
from feedback.signals.models import SurveyResponse
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tenants.services import api_key_create
from tests.celery_worker import database_url
from tests.feedback.conftest import signal_setup

pytestmark = pytest.mark.django_db(transaction=True)

ITEM = {"measure": "nps", "score": 9, "occurred_at": "2026-01-05T10:00:00Z", "touchpoint": "delivery"}


def _items(*external_ids: str) -> list[dict]:
    return [{**ITEM, "score": i % 11, "external_id": e} for i, e in enumerate(external_ids)]


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


def _waiting_on(thread: threading.Thread, observer: psycopg.Connection) -> str | None:
    """What a session of the test database waits for once one does (``pg_locks.locktype``:
    ``transactionid`` for another transaction's row or unique index entry, ``tuple`` for a
    row lock); ``None`` if ``thread`` finished first."""
    while thread.is_alive():
        row = observer.execute(
            "SELECT l.locktype FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE a.datname = current_database() AND NOT l.granted LIMIT 1"
        ).fetchone()
        if row:
            return row[0]
        time.sleep(0.01)
    return None


def _held_open(target, *, commit: bool) -> tuple[threading.Thread, dict, threading.Event, threading.Event]:
    """Run ``target`` in a transaction of its own thread and hold it open until ``release`` is
    set; then commit it, or roll it back."""
    ready, release = threading.Event(), threading.Event()

    class _Undo(Exception):
        pass

    def held():
        try:
            with transaction.atomic():
                value = target()
                ready.set()
                release.wait(60)
                if not commit:
                    raise _Undo
            return value
        except _Undo:
            return value
        finally:
            ready.set()

    thread, outcome = _run(held)
    return thread, outcome, ready, release


@pytest.fixture
def signals(tenant):
    signal_setup(tenant)
    return tenant


@pytest.fixture
def key(signals):
    return api_key_create(tenant=signals, name="CRM", scopes=["feedback:write"]).api_key


def _ingest(tenant, key, items):
    return lambda: [
        r.as_dict() for r in signals_ingest(tenant=tenant, kind="survey_responses", items=items, source=key)
    ]


def _stored(tenant) -> list[tuple[str, int]]:
    with tenant_context(tenant):
        return sorted(SurveyResponse.objects.values_list("external_id", "id"))


def test_a_concurrent_batch_with_the_same_items_waits_and_answers_duplicate(signals, key):
    first, first_outcome, ready, release = _held_open(
        _ingest(signals, key, _items("a", "b", "c")), commit=True
    )
    ready.wait(60)
    with _other_connection() as observer:
        observer.autocommit = True
        # Overlapping, in another order, with one item of its own.
        second, second_outcome = _run(_ingest(signals, key, _items("c", "d", "a")))
        waited_on = _waiting_on(second, observer)
        release.set()
        first.join()
        second.join()
    assert "error" not in first_outcome and "error" not in second_outcome, (first_outcome, second_outcome)
    # It waited for the first one's rows (a transaction), not for a row lock of the key.
    assert waited_on == "transactionid"
    created = {r["index"]: r["id"] for r in first_outcome["value"]}
    assert [r["status"] for r in first_outcome["value"]] == ["created"] * 3
    assert [(r["status"], r["id"]) for r in second_outcome["value"]] == [
        ("duplicate", created[2]),
        ("created", second_outcome["value"][1]["id"]),
        ("duplicate", created[0]),
    ]
    stored = _stored(signals)
    assert [e for e, _ in stored] == ["a", "b", "c", "d"]  # each once, none lost
    assert dict(stored) == {
        "a": created[0],
        "b": created[1],
        "c": created[2],
        "d": second_outcome["value"][1]["id"],
    }


def test_when_the_first_batch_rolls_back_the_concurrent_one_stores_every_item(signals, key):
    first, first_outcome, ready, release = _held_open(_ingest(signals, key, _items("a", "b")), commit=False)
    ready.wait(60)
    with _other_connection() as observer:
        observer.autocommit = True
        second, second_outcome = _run(_ingest(signals, key, _items("b", "a")))
        waited_on = _waiting_on(second, observer)
        release.set()
        first.join()
        second.join()
    assert waited_on == "transactionid"
    assert "error" not in second_outcome, second_outcome
    results = second_outcome["value"]
    assert [r["status"] for r in results] == ["created", "created"]
    assert dict(_stored(signals)) == {"b": results[0]["id"], "a": results[1]["id"]}


def test_batches_of_one_key_without_common_items_do_not_wait_for_each_other(signals, key):
    """No lock per source: the second batch commits while the first is still open."""
    # The tenant's rollup lock row exists once anything was counted (the first ingest creates it).
    _ingest(signals, key, [{**ITEM, "measure": "ces", "score": 3, "external_id": "c"}])()
    first, first_outcome, ready, release = _held_open(_ingest(signals, key, _items("a")), commit=True)
    ready.wait(60)
    try:
        # Another measure: the rollup triggers hold the counter rows a batch adds to until it
        # commits, so batches adding to the same counters (measure, touchpoint, day) do queue.
        other = [{**ITEM, "measure": "csat", "score": 4, "external_id": "b"}]
        second, second_outcome = _run(_ingest(signals, key, other))
        second.join(60)
        assert not second.is_alive(), "the second batch waited for the first one"
        assert [r["status"] for r in second_outcome["value"]] == ["created"]
        assert [e for e, _ in _stored(signals)] == ["b", "c"]  # the first is not committed yet
    finally:
        release.set()
        first.join()
    assert [e for e, _ in _stored(signals)] == ["a", "b", "c"]


def test_ingest_does_not_wait_for_a_row_lock_on_its_api_key(signals, key):
    with _other_connection() as holder:
        holder.execute("SELECT 1 FROM tenants_apikey WHERE id = %s FOR NO KEY UPDATE", [key.pk])
        thread, outcome = _run(_ingest(signals, key, _items("a")))
        thread.join(60)
        finished = not thread.is_alive()
        holder.commit()
        thread.join()
    assert finished, "the ingest waited for the API key's row lock"
    assert [r["status"] for r in outcome["value"]] == ["created"]


def test_two_requests_with_one_idempotency_key_at_once_store_once_and_replay(signals, key):
    """The same request sent twice at once (a client retrying on a timeout): one does the work,
    the other waits for its rows, collides on the record and replays its answer."""
    items = _items("a", "b")

    def request():
        answer = signals_ingest_request(
            tenant=signals,
            kind="survey_responses",
            items=items,
            source=key,
            idempotency_key="same",
            fingerprint="fingerprint",
        )
        return answer

    first, first_outcome, ready, release = _held_open(request, commit=True)
    ready.wait(60)
    with _other_connection() as observer:
        observer.autocommit = True
        second, second_outcome = _run(request)
        waited_on = _waiting_on(second, observer)
        release.set()
        first.join()
        second.join()
    assert waited_on == "transactionid"
    assert "error" not in second_outcome, second_outcome.get("error")
    original, replay = first_outcome["value"], second_outcome["value"]
    assert (original.replayed, replay.replayed) == (False, True)
    assert replay.status == original.status == 200
    assert replay.body == original.body
    assert [r["status"] for r in original.body["results"]] == ["created", "created"]
    assert dict(_stored(signals)) == {
        "a": original.body["results"][0]["id"],
        "b": original.body["results"][1]["id"],
    }
    with tenant_context(signals):
        assert IdempotencyRecord.objects.count() == 1
        # One write, one audit entry: the replayed request's work was rolled back with its entry.
        assert AuditEvent.objects.filter(action="ingest").count() == 1


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
        waited_on = _waiting_on(thread, observer)
        holder.commit()
        thread.join()
    assert waited_on == "transactionid", "the second request did not reach the unique key"
    assert "error" not in outcome, outcome.get("error")
    answer = outcome["value"]
    assert (answer.replayed, answer.status, answer.body) == (True, 200, stored)
    with tenant_context(signals):
        assert SurveyResponse.objects.count() == 0  # the second request's work was rolled back
        assert list(IdempotencyRecord.objects.values_list("api_key_id", flat=True)) == [first.pk]
