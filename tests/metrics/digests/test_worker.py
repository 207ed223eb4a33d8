"""Exactly once on real worker processes: the digest task run twice, then the worker killed
(``kill -9``) in the middle of its sending batch and a new one started — every recipient has
exactly one e-mail. Sent e-mails are files written by the worker (they outlive it)."""

from __future__ import annotations

import subprocess
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connections

from metrics.digests.tasks import digest_send
from metrics.models import Digest
from tenants.context import tenant_context
from tenants.delivery.models import OutboxMessage
from tenants.delivery.tasks import outbox_sweep
from tenants.services import member_add
from tests import celery_worker
from tests.celery_worker import TaskEvents
from tests.metrics.digests.helpers import seed_digest_tenant

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BLOCK_AFTER = 12


def start_worker(*, name: str, mail_dir: Path, log_path: Path, block_after: int | None) -> subprocess.Popen:
    return celery_worker.start_worker(
        settings_dict=connections["default"].settings_dict,
        redis_url=settings.REDIS_URL,
        log_path=log_path,
        hostname=name,
        settings_module="tests.metrics.digests.worker_settings",
        env={
            "CXGOV_TEST_MAIL_DIR": str(mail_dir),
            "CXGOV_TEST_MAIL_SIGNAL": f"{settings.CXGOV_REDIS_PREFIX}:mail-blocked",
            "CXGOV_TEST_MAIL_BLOCK_AFTER": None if block_after is None else str(block_after),
        },
    )


def sent_files(mail_dir: Path) -> Counter:
    return Counter(p.name.removesuffix(".eml").split("__", 1)[1] for p in mail_dir.glob("*.eml"))


@pytest.fixture
def events():
    events = TaskEvents()
    events.start()
    yield events
    events.stop()


def test_run_twice_and_killed_mid_batch_every_recipient_gets_exactly_one_e_mail(events, tmp_path):
    seeded = seed_digest_tenant(now=NOW)
    tenant = seeded.tenant
    department = seeded.departments["Operations"]
    for i in range(30):
        member_add(
            tenant=tenant,
            email=f"ops{i:02d}@acme.example",
            role="employee",
            password="x" * 12,
            departments=[department],
        )
    mail_dir = tmp_path / "mail"
    signal = redis.Redis.from_url(settings.REDIS_URL)
    signal_key = f"{settings.CXGOV_REDIS_PREFIX}:mail-blocked"
    signal.delete(signal_key)
    first_name = f"digest-a-{settings.TEST_RUN_ID}@localhost"
    events.watch(first_name)
    first = start_worker(
        name=first_name, mail_dir=mail_dir, log_path=tmp_path / "a.log", block_after=BLOCK_AFTER
    )
    second = None
    try:
        events.online(first_name)
        runs = [digest_send.delay(tenant.pk, department.pk, seeded.period.key) for _ in range(2)]
        outcomes = [events.outcome(r.id, 120) for r in runs]
        assert [o["type"] for o in outcomes] == ["task-succeeded", "task-succeeded"], outcomes
        with tenant_context(tenant):
            digest = Digest.objects.get()
            assert OutboxMessage.objects.filter(kind="digest").count() == digest.recipients > BLOCK_AFTER

        # The delivery queued after commit sends BLOCK_AFTER messages, then stops mid-batch: kill -9.
        assert signal.blpop([signal_key], timeout=120) is not None, (tmp_path / "a.log").read_text()
        first.kill()
        first.wait(30)
        assert first.returncode == -9
        assert sum(sent_files(mail_dir).values()) == BLOCK_AFTER

        # A new worker; beat's outbox sweep picks up what the dead one left.
        second_name = f"digest-b-{settings.TEST_RUN_ID}@localhost"
        events.watch(second_name)
        second = start_worker(
            name=second_name, mail_dir=mail_dir, log_path=tmp_path / "b.log", block_after=None
        )
        events.online(second_name)
        events.forget()
        sweep = outbox_sweep.delay()
        assert events.outcome(sweep.id, 60)["type"] == "task-succeeded"
        delivery = events.wait(
            lambda e: e["type"] == "task-received" and e.get("name") == "tenants.tasks.outbox_deliver_task",
            60,
        )
        assert events.outcome(delivery["uuid"], 120)["type"] == "task-succeeded"
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
        signal.delete(signal_key)

    sent = sent_files(mail_dir)
    with tenant_context(tenant):
        expected = set(OutboxMessage.objects.filter(kind="digest").values_list("to_email", flat=True))
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert set(sent) == expected and len(expected) == digest.recipients
    assert all(count == 1 for count in sent.values()), [k for k, v in sent.items() if v > 1]
    # One connection per batch: the killed batch and the one that finished it.
    connections_opened = (mail_dir / "connections.log").read_text().split()
    assert len(connections_opened) == 2
