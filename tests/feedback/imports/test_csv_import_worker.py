"""A CSV import outlives its worker: 30,000 rows, the worker killed (``kill -9``) with 4,000 of
them stored, then a new worker and beat — the import ends done with every row stored once.

Where the first worker stops is not left to chance: another session holds an uncommitted row
with the unique key of the file's row 4,001, so the worker's fifth chunk waits on it (the four
before are committed) and is killed there. The hold is then rolled back, as a crashed writer's
would be.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from feedback.imports.models import SignalImport
from feedback.imports.services import signal_import_create
from feedback.signals.models import SourceKind, SurveyResponse
from promises.models import Measure
from tenants.context import tenant_context
from tenants.models import Membership
from tests import celery_worker
from tests.celery_worker import TaskEvents
from tests.feedback.conftest import import_finished

pytestmark = pytest.mark.django_db(transaction=True)

ROWS = 30_000
KILL_AT = 4_000  # rows stored when the worker dies: four chunks of 1,000


def external_id(n: int) -> str:
    return f"bulk-{n:05d}"


def survey_csv() -> str:
    lines = ["external_id,measure,score,occurred_at"]
    lines += [f"{external_id(n)},csat,{1 + n % 5},2026-01-05T10:00:00Z" for n in range(ROWS)]
    return "\n".join(lines) + "\n"


class RowHeld(threading.Thread):
    """Another session, in its own thread and connection, inserts the survey response the
    import's row ``KILL_AT + 1`` would become and keeps its transaction open until ``release``."""

    def __init__(self, tenant, source: Membership) -> None:
        super().__init__(daemon=True)
        self.tenant, self.source = tenant, source
        self.held, self.released = threading.Event(), threading.Event()
        self.xid: str | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with tenant_context(self.tenant), transaction.atomic():
                # Same unique key as the file's row, but another measure and month: the row
                # locks no rollup the import's rows update (those are the file's csat, January).
                SurveyResponse.objects.create(
                    source_kind=SourceKind.MEMBER,
                    source_id=self.source.pk,
                    external_id=external_id(KILL_AT),
                    measure=Measure.objects.get(key="nps"),
                    score=3,
                    occurred_at=datetime(2025, 6, 5, 10, tzinfo=UTC),
                )
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_current_xact_id()::text")
                    (self.xid,) = cursor.fetchone()
                self.held.set()
                self.released.wait(600)
                transaction.set_rollback(True)
        except BaseException as error:  # noqa: BLE001 - reported to the test thread
            self.error = error
            self.held.set()
        finally:
            connection.close()


def someone_waits_for(xid: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT FROM pg_locks WHERE locktype = 'transactionid' AND NOT granted "
            "AND transactionid::text = %s)",
            [xid],
        )
        return cursor.fetchone()[0]


def progress(tenant, import_id: int) -> SignalImport:
    with tenant_context(tenant):
        return SignalImport.objects.get(pk=import_id)


def test_an_import_killed_at_4000_rows_resumes_on_a_new_worker_with_every_row_once(signals, tmp_path):
    tenant = signals
    with tenant_context(tenant):
        admin = Membership.objects.get(user__email="admin@acme.test")
    run_id = settings.TEST_RUN_ID
    first_name, second_name = f"import-a-{run_id}@localhost", f"import-b-{run_id}@localhost"
    common = {"settings_dict": connections["default"].settings_dict, "redis_url": settings.REDIS_URL}
    events = TaskEvents({first_name, second_name})
    events.start()
    # A tenant's first signal creates its rollup lock row (metrics.rollups): the hold below
    # must not be that first writer, or the import would wait on the lock row's insert
    # instead of on row 4,001's unique key.
    with tenant_context(tenant), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO metrics_rolluplock (tenant_id) VALUES (%s) ON CONFLICT (tenant_id) DO NOTHING",
            [tenant.pk],
        )
    hold = RowHeld(tenant, admin)
    first = second = beat = None
    try:
        hold.start()
        assert hold.held.wait(60) and hold.error is None, hold.error
        first = celery_worker.start_worker(**common, log_path=tmp_path / "a.log", hostname=first_name)
        events.online(first_name)
        created = time.monotonic()
        signal_import = signal_import_create(
            tenant=tenant, kind="survey_responses", content=survey_csv(), actor=admin
        )

        # Nothing announces "waiting on a lock": look at the lock table until the worker's
        # fifth chunk waits on the held row (bounded; the worker stores 4,000 rows first).
        deadline = time.monotonic() + 300
        while not someone_waits_for(hold.xid):
            assert time.monotonic() < deadline, (tmp_path / "a.log").read_text()[-3000:]
            time.sleep(0.2)
        print(f"\nthe first worker stored {KILL_AT} rows in {time.monotonic() - created:.1f} s")
        first.kill()
        assert first.wait(30) == -9
        hold.released.set()
        hold.join(60)

        stalled = progress(tenant, signal_import.pk)
        assert (stalled.status, stalled.processed_rows, stalled.created_count) == (
            "running",
            KILL_AT,
            KILL_AT,
        )
        with tenant_context(tenant):
            assert SurveyResponse.objects.count() == KILL_AT

        # A new worker, and beat with the product's sweep of stalled imports.
        started = time.monotonic()
        second = celery_worker.start_worker(**common, log_path=tmp_path / "b.log", hostname=second_name)
        beat = celery_worker.start_beat(
            **common,
            log_path=tmp_path / "beat.log",
            schedule_path=tmp_path / "beat-schedule",
            settings_module="tests.feedback.import_beat_settings",
        )
        done = import_finished(events, tenant, signal_import.pk, wait_for_run=300)
        resumed_in = time.monotonic() - started
        print(f"\nimport resumed and finished {resumed_in:.1f} s after the new worker started")
    finally:
        hold.released.set()
        for process in (first, second, beat):
            celery_worker.stop(process)
        events.stop()

    assert done.status == SignalImport.Status.DONE, done.error
    assert (done.total_rows, done.processed_rows) == (ROWS, ROWS)
    assert (done.created_count, done.unchanged_count, done.rejected_count) == (ROWS, 0, 0)
    with tenant_context(tenant):
        stored = list(SurveyResponse.objects.values_list("external_id", flat=True))
    assert len(stored) == ROWS and set(stored) == {external_id(n) for n in range(ROWS)}
    # The run that resumed it ran on the new worker.
    assert any(e["type"] == "task-succeeded" and e["hostname"] == second_name for e in events.seen)
