"""Reminders on a real worker process: the beat dispatcher run twice and the scan queued twice
more while the first ones run, then the outbox delivers — each owner gets exactly one e-mail per
reminder (files the worker writes)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from metrics.actions.services import tenant_today
from metrics.actions.tasks import actions_remind, actions_remind_dispatch
from tenants.context import tenant_context
from tenants.delivery.models import OutboxMessage
from tests.metrics.actions.conftest import world_setup

pytestmark = pytest.mark.django_db(transaction=True)

WORKER_SETTINGS = "tests.metrics.digests.worker_settings"  # e-mails become files in worker.mail_dir


def test_scans_run_twice_on_a_worker_send_each_reminder_once(tenant, worker):
    world = world_setup(tenant)
    today = tenant_today(tenant)
    with tenant_context(tenant):
        due = world.plan(title="Due today", due_on=today)
        soon = world.plan(title="Due soon", owner=world.member("manager"), due_on=today + timedelta(days=2))
        world.plan(title="Later", due_on=today + timedelta(days=9))
    runs = [actions_remind_dispatch.delay(), actions_remind.delay(tenant.pk)]
    runs += [actions_remind_dispatch.delay(), actions_remind.delay(tenant.pk)]
    assert [worker.outcome(r.id, 120)["type"] for r in runs] == ["task-succeeded"] * 4
    worker.drain()
    sent = Counter(p.name.split("__", 1)[1].removesuffix(".eml") for p in worker.mail_dir.glob("*.eml"))
    assert sent == Counter({"employee@acme.test": 1, "manager@acme.test": 1})
    with tenant_context(tenant):
        rows = set(OutboxMessage.objects.filter(kind="action").values_list("dedupe_key", "status"))
    assert rows == {
        (f"action:{due.pk}:due:{today:%Y-%m-%d}", "sent"),
        (f"action:{soon.pk}:before:{soon.due_on:%Y-%m-%d}", "sent"),
    }
