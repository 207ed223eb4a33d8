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
from tenants.models import OutboxMessage, Tenant
from tests.conftest import make_tenant
from tests.surveys.conftest import make_survey_world


def _received(events, name: str) -> str:
    return events.wait(lambda e: e["type"] == "task-received" and e.get("name") == name)["uuid"]


def _open_followup(nonce: str) -> tuple[Tenant, FollowUp]:
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant)
    services.survey_answer(tenant=tenant, survey=world.survey, score=1, nonce=nonce)
    with tenant_context(tenant):
        return tenant, FollowUp.objects.get()


def _scan_twice_and_deliver(worker, tenant: Tenant, kind: str) -> list[tuple[str, str, int]]:
    """The beat's dispatch, one more scan of the tenant, one delivery; the ``kind`` e-mails
    (reminder, overdue) in the outbox: their recipient, status and attempts."""
    followup_reminders_dispatch.delay()
    first = _received(worker, "surveys.followups.tasks.followup_reminders_send")
    assert worker.outcome(first)["type"] == "task-succeeded"
    second = followup_reminders_send.delay(tenant.pk)
    assert worker.outcome(second.id)["type"] == "task-succeeded"
    delivery = outbox_deliver_task.delay(tenant.pk)
    assert worker.outcome(delivery.id)["type"] == "task-succeeded"
    with tenant_context(tenant):
        mails = OutboxMessage.objects.filter(kind="followup", dedupe_key__contains=f":{kind}:")
        return list(mails.values_list("to_email", "status", "attempts"))


@pytest.mark.django_db(transaction=True)
def test_the_reminder_goes_out_once_on_the_worker(worker):
    tenant, followup = _open_followup("tap-worker")
    with tenant_context(tenant):
        # Past its reminder (75 % of the clock), before its due time.
        shift = (followup.due_at - followup.created_at) * 0.8
        FollowUp.objects.filter(pk=followup.pk).update(
            due_at=followup.due_at - shift, reminder_at=followup.reminder_at - shift
        )
    assert _scan_twice_and_deliver(worker, tenant, "reminder") == [("manager@acme.test", "sent", 1)]
    with tenant_context(tenant):
        assert FollowUp.objects.get().reminder_at is None


@pytest.mark.django_db(transaction=True)
def test_the_overdue_notice_goes_out_once_on_the_worker(worker):
    tenant, followup = _open_followup("tap-overdue")
    with tenant_context(tenant):
        # Past its due time; its reminder left out (this test is about the notice).
        shift = (followup.due_at - followup.created_at) + timedelta(minutes=5)
        FollowUp.objects.filter(pk=followup.pk).update(due_at=followup.due_at - shift, reminder_at=None)
    assert _scan_twice_and_deliver(worker, tenant, "overdue") == [("manager@acme.test", "sent", 1)]
    with tenant_context(tenant):
        assert FollowUp.objects.get().overdue_notified_at is not None
