"""``promise.activated`` reaches the endpoints that asked for it, whether every department
signed off or an admin activated over missing sign-offs; a rolled-back activation sends nothing."""

from __future__ import annotations

import pytest
from django.db import transaction

from promises.signoffs.services import promise_activate_override, promise_sign_off
from tenants.webhooks.models import WebhookDelivery
from tenants.webhooks.services import webhook_deliver, webhook_endpoint_create
from tests.promises.conftest import at
from tests.tenants.webhooks.receiver import Receiver


def _approve(world, promise, department, actor, when):
    return promise_sign_off(
        tenant=world.tenant, promise=promise, department=department, actor=actor, approve=True, at=at(when)
    )


def test_the_last_sign_off_sends_promise_activated(world, in_review):
    with Receiver() as receiver:
        receiver.secret = webhook_endpoint_create(
            tenant=world.tenant, url=receiver.url, events=["promise.activated"]
        ).secret
        _approve(world, in_review, world.ops, world.ops_manager, 2)
        assert not WebhookDelivery.objects.exists()  # not active yet
        _approve(world, in_review, world.cs, world.manager, 3)
        assert webhook_deliver() == {"sent": 1, "failed": 0}
    (got,) = receiver.received
    assert got["verified"] is True
    payload = got["payload"]
    assert payload["type"] == "promise.activated"
    assert payload["version"] == 1 and payload["tenant"] == "acme"
    assert payload["url"].endswith(f"/promises/{in_review.pk}/")
    promise = payload["data"]["promise"]
    assert (promise["id"], promise["title"], promise["kind"]) == (
        in_review.pk,
        "Hassle-free returns",
        "customer",
    )
    assert promise["owner"] == {"id": world.ops.pk, "name": "Operations"}
    assert promise["activated_at"] == at(3).isoformat()
    assert (payload["data"]["how"], payload["data"]["actor"]) == ("signed_off", "manager@acme.test")
    assert payload["summary"] == (
        "Promise active: “Hassle-free returns” — Operations, signed off by every department "
        "(last: manager@acme.test)."
    )


def test_an_override_sends_promise_activated_naming_the_admin(world, in_review):
    webhook_endpoint_create(
        tenant=world.tenant, url="https://hooks.example.com/x", events=["promise.activated"]
    )
    promise_activate_override(tenant=world.tenant, promise=in_review, actor=world.admin, reason="Urgent.")
    delivery = WebhookDelivery.objects.get()
    assert delivery.event_type == "promise.activated"
    assert (delivery.payload["data"]["how"], delivery.payload["data"]["actor"]) == (
        "override",
        "admin@acme.test",
    )


def test_a_rolled_back_activation_sends_nothing(world, in_review):
    webhook_endpoint_create(
        tenant=world.tenant, url="https://hooks.example.com/x", events=["promise.activated"]
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        promise_activate_override(tenant=world.tenant, promise=in_review, actor=world.admin, reason="Urgent.")
        raise RuntimeError("the request failed after the activation")
    assert not WebhookDelivery.objects.exists()
