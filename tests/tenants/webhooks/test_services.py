"""Webhook endpoints and deliveries: signed as Standard Webhooks, retried, refused when unsafe."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.webhooks import services
from tenants.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants.webhooks.services import (
    GIVE_UP_AFTER,
    webhook_deliver,
    webhook_endpoint_create,
    webhook_event_enqueue,
    webhook_ping,
    webhook_redeliver,
)
from tests.tenants.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def endpoint_for(tenant, url: str, events=("escalation.approved",)):
    return webhook_endpoint_create(tenant=tenant, url=url, events=list(events), description="Helpdesk")


def test_secret_is_standard_webhooks_format(tenant):
    created = endpoint_for(tenant, "https://hooks.example.com/cxgov")
    assert created.secret.startswith("whsec_")
    import base64

    assert len(base64.b64decode(created.secret.removeprefix("whsec_"))) >= 24
    with tenant_context(tenant):
        assert WebhookEndpoint.objects.get().events == ["escalation.approved"]


@pytest.mark.parametrize(
    ("url", "events", "field", "words"),
    [
        ("http://hooks.example.com/x", ["escalation.approved"], "url", "https://"),
        ("https:///nohost", ["escalation.approved"], "url", "no host"),
        ("https://hooks.example.com/x", [], "events", "at least one event"),
        ("https://hooks.example.com/x", ["escalation.exploded"], "events", "unknown: escalation.exploded"),
    ],
)
def test_bad_endpoint_is_refused_with_the_field(tenant, url, events, field, words):
    with pytest.raises(DomainError) as refused:
        webhook_endpoint_create(tenant=tenant, url=url, events=events)
    assert refused.value.field == field
    assert words in refused.value.message


def test_plain_http_to_loopback_only_when_the_setting_allows(tenant, settings):
    settings.CXGOV_WEBHOOKS_ALLOW_LOOPBACK = False
    with pytest.raises(DomainError):
        endpoint_for(tenant, "http://127.0.0.1:9/x")
    settings.CXGOV_WEBHOOKS_ALLOW_LOOPBACK = True
    assert endpoint_for(tenant, "http://127.0.0.1:9/x").endpoint.pk


def test_event_reaches_the_receiver_signed_and_versioned(tenant):
    with Receiver() as receiver:
        created = endpoint_for(tenant, receiver.url)
        receiver.secret = created.secret
        endpoint_for(tenant, receiver.url, events=["breach.detected"])  # did not ask for it
        stored = webhook_event_enqueue(
            tenant=tenant, event_type="escalation.approved", data={"escalation": 7}, path="/escalations/7/"
        )
        assert stored == 1
        with tenant_context(tenant):
            assert webhook_deliver() == {"sent": 1, "failed": 0}
            delivery = WebhookDelivery.objects.get()
    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got["verified"] is True
    assert got["headers"]["webhook-id"] == delivery.webhook_id
    payload = got["payload"]
    assert payload["type"] == "escalation.approved"
    assert payload["version"] == 1
    assert payload["tenant"] == "acme"
    assert payload["data"] == {"escalation": 7}
    assert payload["url"].endswith("/escalations/7/")
    assert delivery.status == WebhookDelivery.Status.SENT
    assert delivery.last_status_code == 200
    assert delivery.response_excerpt == '{"ok": true}'
    assert delivery.duration_ms is not None


def test_a_wrong_secret_fails_verification_at_the_receiver(tenant):
    with Receiver(secret="whsec_" + "A" * 44) as receiver:
        endpoint_for(tenant, receiver.url)
        webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/")
        with tenant_context(tenant):
            webhook_deliver()
    assert receiver.received[0]["verified"] is False


def test_failing_receiver_is_retried_later_then_given_up_after_24_hours(tenant):
    with Receiver(status=500, reply=b"x" * 5000) as receiver:
        endpoint_for(tenant, receiver.url)
        webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/")
        with tenant_context(tenant):
            assert webhook_deliver() == {"sent": 0, "failed": 1}
            delivery = WebhookDelivery.objects.get()
            assert delivery.status == WebhookDelivery.Status.PENDING
            assert delivery.attempts == 1
            assert delivery.last_status_code == 500
            assert len(delivery.response_excerpt) == 1024
            assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=25)
            # Not due yet: nothing is sent.
            assert webhook_deliver() == {"sent": 0, "failed": 0}
            # Due again, and 24 hours after the event: the last attempt gives up.
            WebhookDelivery.objects.update(
                next_attempt_at=timezone.now(), created_at=timezone.now() - GIVE_UP_AFTER
            )
            assert webhook_deliver() == {"sent": 0, "failed": 1}
            delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.attempts == 2
    assert len(receiver.received) == 2
    # The same webhook-id on every attempt: a receiver drops repeats by it.
    assert receiver.received[0]["headers"]["webhook-id"] == receiver.received[1]["headers"]["webhook-id"]


def test_backoff_grows_with_jitter():
    first, later = services._backoff(1), services._backoff(5)
    assert timedelta(seconds=30) <= first <= timedelta(seconds=36)
    assert timedelta(seconds=480) <= later <= timedelta(seconds=576)
    assert services._backoff(40) <= timedelta(hours=6, minutes=72)


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.1", "169.254.169.254", "127.0.0.1", "fd00::1"])
def test_target_resolving_to_a_private_address_is_refused_at_send_time(
    tenant, settings, monkeypatch, address
):
    settings.CXGOV_WEBHOOKS_ALLOW_LOOPBACK = False
    endpoint_for(tenant, "https://hooks.example.com/cxgov")
    monkeypatch.setattr(services, "_resolve", lambda host, port: ["93.184.216.34", address])
    webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/")
    with tenant_context(tenant):
        assert webhook_deliver() == {"sent": 0, "failed": 1}
        delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert delivery.last_status_code is None
    assert "private, loopback or link-local" in delivery.last_error


def test_ping_and_send_again(tenant):
    with Receiver() as receiver:
        created = endpoint_for(tenant, receiver.url, events=["breach.detected"])
        receiver.secret = created.secret
        ping = webhook_ping(tenant=tenant, endpoint=created.endpoint)
        with tenant_context(tenant):
            webhook_deliver()
        again = webhook_redeliver(tenant=tenant, delivery=ping)
        with tenant_context(tenant):
            webhook_deliver()
    assert [r["payload"]["type"] for r in receiver.received] == ["ping", "ping"]
    assert all(r["verified"] for r in receiver.received)
    assert again.webhook_id != ping.webhook_id


def test_inactive_endpoint_gets_no_events(tenant):
    created = endpoint_for(tenant, "https://hooks.example.com/cxgov")
    services.webhook_endpoint_update(
        tenant=tenant,
        endpoint=created.endpoint,
        url=created.endpoint.url,
        events=created.endpoint.events,
        description="",
        active=False,
    )
    assert webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/") == 0


def test_endpoints_are_audited_without_their_secret(tenant):
    from tenants.models import AuditEvent

    created = endpoint_for(tenant, "https://hooks.example.com/cxgov")
    services.webhook_endpoint_update(
        tenant=tenant,
        endpoint=created.endpoint,
        url="https://hooks.example.com/other",
        events=["breach.detected"],
        description="Ops",
        active=True,
    )
    with tenant_context(tenant):
        entries = list(AuditEvent.objects.filter(model__icontains="webhookendpoint").order_by("id"))
    assert [e.action for e in entries] == ["insert", "update"]
    assert "https://hooks.example.com/other" in str(entries[1].changes)
    assert all(created.secret not in str(e.changes) + str(e.detail) for e in entries)


def test_after_a_rotation_both_secrets_verify_for_24_hours(tenant):
    from tenants.webhooks.services import webhook_endpoint_rotate_secret

    with Receiver() as old_receiver, Receiver() as new_receiver:
        created = endpoint_for(tenant, old_receiver.url)
        old_receiver.secret = created.secret
        rotated = webhook_endpoint_rotate_secret(tenant=tenant, endpoint=created.endpoint)
        assert rotated.secret != created.secret and rotated.secret.startswith("whsec_")
        new_receiver.secret = rotated.secret
        # The same endpoint, checked by a receiver holding the old secret and one holding the new.
        for receiver in (old_receiver, new_receiver):
            with tenant_context(tenant):
                WebhookEndpoint.objects.update(url=receiver.url)
            webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/")
            with tenant_context(tenant):
                webhook_deliver()
        signature = old_receiver.received[0]["headers"]["webhook-signature"]
        assert len(signature.split(" ")) == 2
        # A day later the old secret no longer signs.
        with tenant_context(tenant):
            WebhookEndpoint.objects.update(
                url=old_receiver.url, previous_secret_expires_at=timezone.now() - timedelta(seconds=1)
            )
        webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/")
        with tenant_context(tenant):
            webhook_deliver()
    assert [r["verified"] for r in old_receiver.received] == [True, False]
    assert [r["verified"] for r in new_receiver.received] == [True]
    assert len(old_receiver.received[1]["headers"]["webhook-signature"].split(" ")) == 1


def test_an_endpoint_failing_for_3_days_is_turned_off_and_admins_are_told(tenant):
    from tenants.models import OutboxMessage

    with Receiver(status=503) as receiver:
        created = endpoint_for(tenant, receiver.url)
        webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/")
        with tenant_context(tenant):
            webhook_deliver()
            endpoint = WebhookEndpoint.objects.get()
            assert endpoint.active and endpoint.failing_since is not None
            # Still failing three days later.
            WebhookEndpoint.objects.update(failing_since=timezone.now() - timedelta(days=3))
            WebhookDelivery.objects.update(next_attempt_at=timezone.now())
            webhook_deliver()
            endpoint.refresh_from_db()
            mails = list(OutboxMessage.objects.filter(kind="webhook"))
            # Nothing more is sent to it; a new event is not even queued.
            assert (
                webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/") == 0
            )
    assert endpoint.active is False
    assert "every delivery failed" in endpoint.disabled_reason
    assert [m.to_email for m in mails] == ["admin@acme.test"]
    assert created.endpoint.url in mails[0].body_text
    assert f"/admin/webhooks/{endpoint.pk}/" in mails[0].body_text
    # Turned on again by an admin: a new start.
    services.webhook_endpoint_update(
        tenant=tenant,
        endpoint=endpoint,
        url=endpoint.url,
        events=endpoint.events,
        description="",
        active=True,
    )
    with tenant_context(tenant):
        endpoint.refresh_from_db()
    assert (endpoint.active, endpoint.failing_since, endpoint.disabled_reason) == (True, None, "")


def test_a_success_ends_the_failing_episode(tenant):
    with Receiver() as receiver:
        endpoint_for(tenant, receiver.url)
        with tenant_context(tenant):
            WebhookEndpoint.objects.update(failing_since=timezone.now() - timedelta(days=2))
        webhook_event_enqueue(tenant=tenant, event_type="escalation.approved", data={}, path="/")
        with tenant_context(tenant):
            webhook_deliver()
            assert WebhookEndpoint.objects.get().failing_since is None
