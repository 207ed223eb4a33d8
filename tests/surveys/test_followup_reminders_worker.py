"""Follow-up reminders and overdue notices on a real Celery worker: the beat dispatcher fans out
one scan per tenant; run twice, the scan queues each e-mail once and the outbox sends it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from surveys import services
from surveys.followups.tasks import followup_reminders_dispatch, followup_reminders_send
from surveys.models import FollowUp
from tenants.context import tenant_context
from tenants.delivery.tasks import outbox_deliver_task
from tenants.models import OutboxMessage
from tests.conftest import make_tenant
from tests.surveys.conftest import make_survey_world


def _received(events, name: str) -> str:
    return events.wait(lambda e: e["type"] == "task-received" and e.get("name") == name)["uuid"]


@pytest.mark.django_db(transaction=True)
def test_the_reminder_goes_out_once_on_the_worker(worker):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant)
    services.survey_answer(tenant=tenant, survey=world.survey, score=1, nonce="tap-worker")
    with tenant_context(tenant):
        followup = FollowUp.objects.get()
        # Past its reminder (75 % of the clock), before its due time.
        shift = (followup.due_at - followup.created_at) * 0.8
        FollowUp.objects.filter(pk=followup.pk).update(
            due_at=followup.due_at - shift, reminder_at=followup.reminder_at - shift
        )

    followup_reminders_dispatch.delay()
    first = _received(worker, "surveys.followups.tasks.followup_reminders_send")
    assert worker.outcome(first)["type"] == "task-succeeded"
    second = followup_reminders_send.delay(tenant.pk)
    assert worker.outcome(second.id)["type"] == "task-succeeded"
    delivery = outbox_deliver_task.delay(tenant.pk)
    assert worker.outcome(delivery.id)["type"] == "task-succeeded"

    with tenant_context(tenant):
        reminders = OutboxMessage.objects.filter(kind="followup", dedupe_key__contains=":reminder:")
        assert list(reminders.values_list("to_email", "status", "attempts")) == [
            ("manager@acme.test", "sent", 1)
        ]
        assert FollowUp.objects.get().reminder_at is None


@pytest.mark.django_db(transaction=True)
def test_the_overdue_notice_goes_out_once_on_the_worker(worker):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant)
    services.survey_answer(tenant=tenant, survey=world.survey, score=1, nonce="tap-overdue")
    with tenant_context(tenant):
        followup = FollowUp.objects.get()
        # Past its due time; its reminder left out (this test is about the notice).
        shift = (followup.due_at - followup.created_at) + timedelta(minutes=5)
        FollowUp.objects.filter(pk=followup.pk).update(due_at=followup.due_at - shift, reminder_at=None)

    followup_reminders_dispatch.delay()
    first = _received(worker, "surveys.followups.tasks.followup_reminders_send")
    assert worker.outcome(first)["type"] == "task-succeeded"
    second = followup_reminders_send.delay(tenant.pk)
    assert worker.outcome(second.id)["type"] == "task-succeeded"
    delivery = outbox_deliver_task.delay(tenant.pk)
    assert worker.outcome(delivery.id)["type"] == "task-succeeded"

    with tenant_context(tenant):
        notices = OutboxMessage.objects.filter(kind="followup", dedupe_key__contains=":overdue:")
        assert list(notices.values_list("to_email", "status", "attempts")) == [
            ("manager@acme.test", "sent", 1)
        ]
        assert FollowUp.objects.get().overdue_notified_at is not None
