"""Reminders before and on the due date: queued in the outbox exactly once per action and due
date, whether the scan runs twice or dies half-way."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from metrics.actions import services
from metrics.actions.services import REMIND_DAYS_BEFORE, action_update, actions_remind, tenant_today
from metrics.actions.tasks import actions_remind as actions_remind_task
from metrics.models import Action
from tenants.delivery.models import OutboxMessage
from tenants.delivery.services import outbox_deliver


def _keys() -> list[str]:
    return sorted(OutboxMessage.objects.filter(kind="action").values_list("dedupe_key", flat=True))


def test_the_owner_is_reminded_before_the_due_date_once(world):
    today = tenant_today(world.tenant)
    soon = world.plan(due_on=today + timedelta(days=REMIND_DAYS_BEFORE))
    world.plan(due_on=today + timedelta(days=REMIND_DAYS_BEFORE + 1))  # not yet
    assert actions_remind(tenant=world.tenant) == {"before": 1, "due": 0}
    assert actions_remind(tenant=world.tenant) == {"before": 0, "due": 0}
    assert _keys() == [f"action:{soon.pk}:before:{soon.due_on:%Y-%m-%d}"]
    outbox_deliver()
    outbox_deliver()
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["employee@acme.test"]
    assert f"due in {REMIND_DAYS_BEFORE} days" in sent.subject
    assert f"/actions/{soon.pk}/" in sent.body


def test_on_the_due_date_one_reminder_and_none_before_it(world):
    due = world.plan(due_on=tenant_today(world.tenant))
    for _ in range(3):
        actions_remind(tenant=world.tenant)
    assert _keys() == [f"action:{due.pk}:due:{due.due_on:%Y-%m-%d}"]
    outbox_deliver()
    assert [m.subject for m in mail.outbox] == [f"[cxgov] Action is due today: {due.title}"]


def test_a_new_due_date_is_reminded_of_again_done_and_dropped_ones_never(world):
    today = tenant_today(world.tenant)
    action = world.plan(due_on=today + timedelta(days=1))
    actions_remind(tenant=world.tenant)
    action_update(
        tenant=world.tenant, actor=world.member("admin"), action=action, due_on=today + timedelta(days=2)
    )
    done = world.plan(due_on=today)
    action_update(tenant=world.tenant, actor=world.member("admin"), action=done, status="done")
    dropped = world.plan(due_on=today)
    action_update(tenant=world.tenant, actor=world.member("admin"), action=dropped, status="dropped")
    actions_remind(tenant=world.tenant)
    actions_remind(tenant=world.tenant)
    assert _keys() == [
        f"action:{action.pk}:before:{today + timedelta(days=1):%Y-%m-%d}",
        f"action:{action.pk}:before:{today + timedelta(days=2):%Y-%m-%d}",
    ]


def test_a_scan_that_dies_half_way_leaves_nothing_and_the_next_sends_each_once(world, monkeypatch):
    today = tenant_today(world.tenant)
    first, second = world.plan(due_on=today), world.plan(due_on=today + timedelta(days=1))
    real, calls = services._reminder, []

    def dies_on_the_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise SystemExit("worker killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "_reminder", dies_on_the_second)
    with pytest.raises(SystemExit):
        actions_remind(tenant=world.tenant)
    # The first reminder was queued before the worker died: its transaction took it back.
    assert _keys() == []
    assert list(Action.objects.values_list("reminded_before", "reminded_due")) == [(None, None), (None, None)]
    monkeypatch.setattr(services, "_reminder", real)
    assert actions_remind_task(world.tenant.pk) == {"before": 1, "due": 1}
    assert actions_remind_task(world.tenant.pk) == {"before": 0, "due": 0}
    outbox_deliver()
    outbox_deliver()
    assert sorted(m.subject for m in mail.outbox) == [
        f"[cxgov] Action is due in 1 day, on {second.due_on:%Y-%m-%d}: {second.title}",
        f"[cxgov] Action is due today: {first.title}",
    ]
    assert _keys() == [
        f"action:{first.pk}:due:{first.due_on:%Y-%m-%d}",
        f"action:{second.pk}:before:{second.due_on:%Y-%m-%d}",
    ]
