"""``action.created`` and ``action.done`` reach a webhook endpoint that asked for them, signed
(verified with ``standardwebhooks`` as a receiver would), naming the tenant and linking to the action."""

from __future__ import annotations

import pytest

from metrics.actions.services import action_update
from tenants.context import tenant_context
from tenants.webhooks.services import webhook_deliver, webhook_endpoint_create
from tests.tenants.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_planned_and_done_actions_reach_the_receiver(world):
    with Receiver() as receiver:
        receiver.secret = webhook_endpoint_create(
            tenant=world.tenant, url=receiver.url, events=["action.created", "action.done"]
        ).secret
        action = world.plan(escalation=world.escalation)
        employee = world.member("employee")
        action_update(tenant=world.tenant, actor=employee, action=action, status="in_progress")
        action_update(tenant=world.tenant, actor=employee, action=action, status="done")
        action_update(tenant=world.tenant, actor=employee, action=action, notes="Still done.")
        with tenant_context(world.tenant):
            webhook_deliver()
    got = [r["payload"] for r in receiver.received]
    assert all(r["verified"] for r in receiver.received)
    assert [(p["type"], p["data"]["action"]["id"], p["data"]["action"]["status"]) for p in got] == [
        ("action.created", action.pk, "planned"),
        ("action.done", action.pk, "done"),
    ]
    created, done = got
    assert created["tenant"] == "acme" and created["url"].endswith(f"/actions/{action.pk}/")
    assert created["data"]["action"]["escalation_id"] == world.escalation.pk
    assert created["data"]["actor"] == "admin@acme.test"
    assert created["summary"].startswith(
        "Action planned: “Call back every refund request within a day” — Customer Service"
    )
    assert done["data"]["actor"] == "employee@acme.test" and done["data"]["action"]["done_at"]
