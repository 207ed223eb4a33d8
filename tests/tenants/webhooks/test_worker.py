"""Webhook delivery on a real Celery worker: sent after commit, retried after a failure, and
picked up again by the beat sweep once the retry is due."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tenants.context import tenant_context
from tenants.webhooks.models import WebhookDelivery
from tenants.webhooks.services import DELIVER_TASK, webhook_endpoint_create, webhook_ping
from tenants.webhooks.tasks import webhook_sweep
from tests.tenants.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_worker_delivers_retries_and_the_sweep_sends_again(worker, tenant):
    # Deliveries asked for by earlier tests (their tenants gone) run first, and are not ours.
    worker.drain()
    worker.forget()
    with Receiver(status=500, reply=b"busy") as receiver:
        created = webhook_endpoint_create(tenant=tenant, url=receiver.url, events=["breach.detected"])
        receiver.secret = created.secret
        webhook_ping(tenant=tenant, endpoint=created.endpoint)
        [outcome] = worker.finish(DELIVER_TASK, 1)
        assert outcome["type"] == "task-succeeded", outcome
        with tenant_context(tenant):
            delivery = WebhookDelivery.objects.get()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
        assert delivery.response_excerpt == "busy"
        assert delivery.next_attempt_at > timezone.now()

        receiver.status, receiver.reply = 200, b"thanks"
        with tenant_context(tenant):
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
        webhook_sweep.delay()
        [outcome] = worker.finish(DELIVER_TASK, 1)
        assert outcome["type"] == "task-succeeded", outcome
        with tenant_context(tenant):
            delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("sent", 2, 200)
    assert delivery.response_excerpt == "thanks"
    assert [r["verified"] for r in receiver.received] == [True, True]
    assert len({r["headers"]["webhook-id"] for r in receiver.received}) == 1
