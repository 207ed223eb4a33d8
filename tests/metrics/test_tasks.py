"""The scoring dispatcher and recompute task on a real Celery worker process."""

from __future__ import annotations

import threading

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from metrics.models import ScoreRun, ScoringLock
from metrics.tasks import queued_key, scores_dispatch, scores_recompute
from tenants.context import tenant_context
from tenants.rescoring import dirty_key, scoring_mark_dirty
from tests.celery_worker import TaskEvents
from tests.conftest import make_tenant
from tests.metrics.conftest import T, scoring_setup

RECOMPUTE = "metrics.tasks.scores_recompute"


@pytest.fixture
def marks():
    """The run's scoring marks in Redis, empty at the start and the end of a test."""
    client = redis.Redis.from_url(settings.REDIS_URL)

    def clear() -> None:
        for pattern in (dirty_key(0)[:-1] + "*", queued_key(0)[:-1] + "*"):
            keys = list(client.scan_iter(match=pattern))
            if keys:
                client.delete(*keys)

    clear()
    yield client
    clear()


@pytest.fixture
def worker(worker_events, marks):
    worker_events.forget()
    return worker_events


@pytest.fixture
def tenants(transactional_db):
    acme, globex = make_tenant("acme", "Acme Retail"), make_tenant("globex", "Globex Bank")
    for tenant in (acme, globex):
        world = scoring_setup(tenant)
        with tenant_context(tenant):
            promise = world.promise()
            world.commitment(promise, "csat", target="80", min_sample=1)
            world.surveys("csat", [5, 4, 1], at=T)
    return acme, globex


def runs_of(tenant) -> list[ScoreRun]:
    with tenant_context(tenant):
        return list(ScoreRun.objects.all())


def drain(worker: TaskEvents) -> list[dict]:
    """Every event up to the end of a task sent now: the solo worker runs tasks in order, so
    whatever was queued before it has been received by then."""
    sentinel = scores_dispatch.delay()
    assert worker.outcome(sentinel.id)["type"] == "task-succeeded"
    return worker.seen


def recomputes_received(events: list[dict]) -> list[dict]:
    return [e for e in events if e["type"] == "task-received" and e.get("name") == RECOMPUTE]


def test_many_marks_many_ticks_one_recompute_per_tenant(worker, tenants):
    acme, globex = tenants
    for _ in range(25):
        scoring_mark_dirty(acme.pk)
    enqueued = [scores_dispatch() for _ in range(5)]
    assert enqueued == [[acme.pk], [], [], [], []]
    (received,) = recomputes_received([worker.wait(lambda e: e.get("name") == RECOMPUTE)])
    assert worker.outcome(received["uuid"])["type"] == "task-succeeded"
    assert scores_dispatch() == []
    assert len(recomputes_received(drain(worker))) == 1
    (run,) = runs_of(acme)
    assert (run.kind, run.result["commitments"][0]["n"]) == ("recompute", 3)
    assert runs_of(globex) == []

    worker.forget()
    for _ in range(10):
        scoring_mark_dirty(globex.pk)
        scoring_mark_dirty(acme.pk)
    assert sorted(scores_dispatch() + scores_dispatch()) == sorted([acme.pk, globex.pk])
    received = recomputes_received(drain(worker))
    assert sorted(e["args"] for e in received) == sorted([f"({acme.pk},)", f"({globex.pk},)"])
    for event in received:
        assert worker.outcome(event["uuid"])["type"] == "task-succeeded"
    assert len(runs_of(acme)) == 2
    assert len(runs_of(globex)) == 1


def test_no_second_recompute_while_one_is_queued(worker, tenants, marks):
    acme, _ = tenants
    marks.set(queued_key(acme.pk), "1")  # a recompute is waiting in the queue
    scoring_mark_dirty(acme.pk)
    assert scores_dispatch() == []
    assert marks.exists(dirty_key(acme.pk))  # left for the next tick
    assert recomputes_received(drain(worker)) == []

    marks.delete(queued_key(acme.pk))  # the queued recompute started
    assert scores_dispatch() == [acme.pk]
    assert not marks.exists(dirty_key(acme.pk))
    (received,) = recomputes_received([worker.wait(lambda e: e.get("name") == RECOMPUTE)])
    assert worker.outcome(received["uuid"])["type"] == "task-succeeded"
    assert not marks.exists(queued_key(acme.pk))
    assert len(runs_of(acme)) == 1


# Committed rows: the holder, on a connection of its own, locks the tenant's lock row.
@pytest.mark.django_db(transaction=True)
def test_a_busy_recompute_marks_the_tenant_again(scoring, marks):
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:  # this thread has a database connection of its own
            with tenant_context(scoring.tenant):
                ScoringLock.objects.get_or_create()
                with transaction.atomic():
                    list(ScoringLock.objects.select_for_update())  # what a run in progress holds
                    locked.set()
                    release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(30)
        marks.set(queued_key(scoring.tenant.pk), "1")
        assert scores_recompute(scoring.tenant.pk) is None
        assert marks.exists(dirty_key(scoring.tenant.pk))
        assert not marks.exists(queued_key(scoring.tenant.pk))
        assert not ScoreRun.objects.exists()
    finally:
        release.set()
        holder.join(30)
    run_id = scores_recompute(scoring.tenant.pk)
    assert ScoreRun.objects.get().pk == run_id
