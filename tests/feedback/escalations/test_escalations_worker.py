"""The escalation clock on a real Celery worker: the beat dispatcher fans out one scan per
tenant; run twice, the scan sends each overdue notification once (through the outbox)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.escalations.models import Escalation, EscalationEntry
from feedback.escalations.tasks import escalations_overdue_dispatch, escalations_overdue_scan
from tenants.context import tenant_context
from tenants.delivery.tasks import outbox_deliver_task
from tenants.models import OutboxMessage
from tests.conftest import make_tenant
from tests.feedback.conftest import escalation_setup
from tests.feedback.escalations.test_escalations import propose


def _received(events, name: str) -> str:
    return events.wait(lambda e: e["type"] == "task-received" and e.get("name") == name)["uuid"]


@pytest.mark.django_db(transaction=True)
def test_overdue_notifications_go_out_once_even_when_the_scan_runs_twice(worker):  # noqa: F811
    tenant = make_tenant("acme", "Acme Retail")
    escalation_setup(tenant)
    escalation = propose(tenant)
    with tenant_context(tenant):
        # Two days past its decision time: both levels are due at once.
        past = timezone.now() - timedelta(days=4)
        Escalation.objects.filter(pk=escalation.pk).update(proposed_at=past, decision_due_at=past)

    escalations_overdue_dispatch.delay()
    first = _received(worker, "feedback.tasks.escalations_overdue_scan")
    assert worker.outcome(first)["type"] == "task-succeeded"
    second = escalations_overdue_scan.delay(tenant.pk)
    assert worker.outcome(second.id)["type"] == "task-succeeded"
    # The worker runs one task at a time, in order: after this delivery, everything queued before is done.
    delivery = outbox_deliver_task.delay(tenant.pk)
    assert worker.outcome(delivery.id)["type"] == "task-succeeded"

    with tenant_context(tenant):
        overdue = OutboxMessage.objects.filter(kind="escalation", dedupe_key__contains=":overdue:")
        assert sorted(overdue.values_list("to_email", flat=True)) == [
            "admin@acme.test",
            "manager2@acme.test",
            "manager@acme.test",
        ]
        assert set(overdue.values_list("status", "attempts")) == {("sent", 1)}
        assert Escalation.objects.get().overdue_level == 2
        assert EscalationEntry.objects.filter(kind="overdue").count() == 2


@pytest.mark.django_db(transaction=True)
def test_the_reminder_before_a_due_time_goes_out_once_on_the_worker(worker):  # noqa: F811
    tenant = make_tenant("acme", "Acme Retail")
    escalation_setup(tenant)
    escalation = propose(tenant)  # medium: due in 48 h, reminder after 36 h
    with tenant_context(tenant):
        assert escalation.reminder_at is not None
        # 40 hours later: past the reminder, before the due time.
        shift = timedelta(hours=40)
        Escalation.objects.filter(pk=escalation.pk).update(
            proposed_at=escalation.proposed_at - shift,
            decision_due_at=escalation.decision_due_at - shift,
            reminder_at=escalation.reminder_at - shift,
        )
    first = escalations_overdue_scan.delay(tenant.pk)
    second = escalations_overdue_scan.delay(tenant.pk)
    assert worker.outcome(first.id)["type"] == "task-succeeded"
    assert worker.outcome(second.id)["type"] == "task-succeeded"
    delivery = outbox_deliver_task.delay(tenant.pk)
    assert worker.outcome(delivery.id)["type"] == "task-succeeded"

    with tenant_context(tenant):
        reminders = OutboxMessage.objects.filter(
            kind="escalation", dedupe_key__contains=":reminder:decision:"
        )
        assert sorted(reminders.values_list("to_email", flat=True)) == [
            "manager2@acme.test",
            "manager@acme.test",
        ]
        assert set(reminders.values_list("status", "attempts")) == {("sent", 1)}
        assert Escalation.objects.get().reminder_at is None
        assert not OutboxMessage.objects.filter(dedupe_key__contains=":overdue:").exists()
