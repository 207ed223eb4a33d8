"""Escalation events reach webhook endpoints: proposed, approved, rejected, started, resolved,
overdue — each
signed, naming the tenant and linking to the escalation's page; a rolled-back decision sends
nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from feedback.escalations import services
from tenants.context import tenant_context
from tenants.webhooks.models import WebhookDelivery
from tenants.webhooks.services import webhook_deliver, webhook_endpoint_create
from tests.feedback.escalations.test_escalations import member, propose
from tests.tenants.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

ESCALATION_EVENTS = [
    "escalation.proposed",
    "escalation.approved",
    "escalation.rejected",
    "escalation.started",
    "escalation.resolved",
    "escalation.overdue",
]


def test_the_life_of_an_escalation_reaches_the_receiver(escalations_world):
    tenant = escalations_world
    with Receiver() as receiver:
        receiver.secret = webhook_endpoint_create(
            tenant=tenant, url=receiver.url, events=ESCALATION_EVENTS
        ).secret
        approved = propose(tenant)
        services.escalation_approve(tenant=tenant, escalation=approved, actor=member(tenant, "manager"))
        services.escalation_start(tenant=tenant, escalation=approved, actor=member(tenant, "manager"))
        services.escalation_resolve(
            tenant=tenant, escalation=approved, actor=member(tenant, "manager"), resolution="Refunded."
        )
        rejected = propose(tenant)
        services.escalation_reject(
            tenant=tenant, escalation=rejected, actor=member(tenant, "manager"), reason="A duplicate."
        )
        with tenant_context(tenant):
            webhook_deliver()
    got = [(r["payload"]["type"], r["payload"]["data"]["escalation"]["id"]) for r in receiver.received]
    assert got == [
        ("escalation.proposed", approved.pk),
        ("escalation.approved", approved.pk),
        ("escalation.started", approved.pk),
        ("escalation.resolved", approved.pk),
        ("escalation.proposed", rejected.pk),
        ("escalation.rejected", rejected.pk),
    ]
    assert all(r["verified"] for r in receiver.received)
    started = receiver.received[2]["payload"]
    assert started["version"] == 1 and started["tenant"] == "acme"
    assert started["url"].endswith(f"/escalations/{approved.pk}/")
    assert started["data"]["escalation"]["state"] == "in_progress"
    assert started["data"]["actor"] == "manager@acme.test"
    title = approved.title
    assert receiver.received[1]["payload"]["summary"] == (
        f"Escalation approved: “{title}” — Customer Service, by manager@acme.test"
    )
    assert (
        started["summary"]
        == f"Work started on an escalation: “{title}” — Customer Service, by manager@acme.test"
    )
    resolved = receiver.received[3]["payload"]
    assert resolved["tenant"] == "acme"
    assert resolved["url"].endswith(f"/escalations/{approved.pk}/")
    assert resolved["data"]["escalation"]["resolution"] == "Refunded."
    assert resolved["data"]["escalation"]["state"] == "resolved"
    assert resolved["summary"].endswith("by manager@acme.test: Refunded.")


def test_a_rolled_back_decision_sends_nothing(escalations_world):
    tenant = escalations_world
    webhook_endpoint_create(tenant=tenant, url="https://hooks.example.com/x", events=["escalation.approved"])
    escalation = propose(tenant)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.escalation_approve(tenant=tenant, escalation=escalation, actor=member(tenant, "manager"))
        raise RuntimeError("the request failed after the approval")
    with tenant_context(tenant):
        assert not WebhookDelivery.objects.exists()


def test_overdue_is_sent_once_per_escalation_and_level(escalations_world):
    tenant = escalations_world
    with Receiver() as receiver:
        receiver.secret = webhook_endpoint_create(
            tenant=tenant, url=receiver.url, events=["escalation.overdue"]
        ).secret
        start = timezone.now()
        with time_machine.travel(start, tick=False) as traveller:
            escalation = propose(tenant)  # medium: 48 h to decide
            traveller.move_to(start + timedelta(hours=49))
            services.escalations_overdue_scan(tenant=tenant)
            services.escalations_overdue_scan(tenant=tenant)
            traveller.move_to(start + timedelta(hours=48 + 25))
            services.escalations_overdue_scan(tenant=tenant)
            services.escalations_overdue_scan(tenant=tenant)
        with tenant_context(tenant):
            webhook_deliver()
    got = [r["payload"] for r in receiver.received]
    assert [(p["type"], p["data"]["overdue"]["clock"], p["data"]["overdue"]["level"]) for p in got] == [
        ("escalation.overdue", "decision", 1),
        ("escalation.overdue", "decision", 2),
    ]
    assert all(r["verified"] for r in receiver.received)
    assert got[0]["tenant"] == "acme" and got[0]["version"] == 1
    assert got[0]["url"].endswith(f"/escalations/{escalation.pk}/")
    assert got[0]["data"]["escalation"]["id"] == escalation.pk
    assert got[0]["summary"].startswith(
        f"Escalation overdue: “{escalation.title}” — Customer Service: the decision was due "
    )
    assert got[0]["summary"].endswith("and its managers were reminded (level 1).")
    assert got[1]["summary"].endswith("and the admins were told (level 2).")


def test_a_slack_channel_reads_the_approval_with_a_link_to_act(escalations_world):
    tenant = escalations_world
    with Receiver() as receiver:
        webhook_endpoint_create(tenant=tenant, url=receiver.url, events=["escalation.approved"], kind="slack")
        escalation = propose(tenant)
        services.escalation_approve(tenant=tenant, escalation=escalation, actor=member(tenant, "manager"))
        with tenant_context(tenant):
            webhook_deliver()
    (got,) = receiver.received
    message = got["payload"]
    assert (
        message["text"]
        == f"Escalation approved: “{escalation.title}” — Customer Service, by manager@acme.test"
    )
    button = message["blocks"][-1]["elements"][0]
    assert button["text"]["text"] == "Open in cxgov"
    assert button["url"].endswith(f"/escalations/{escalation.pk}/")


def test_a_rolled_back_start_sends_nothing(escalations_world):
    tenant = escalations_world
    webhook_endpoint_create(tenant=tenant, url="https://hooks.example.com/x", events=["escalation.started"])
    escalation = propose(tenant)
    services.escalation_approve(tenant=tenant, escalation=escalation, actor=member(tenant, "manager"))
    with pytest.raises(RuntimeError), transaction.atomic():
        services.escalation_start(tenant=tenant, escalation=escalation, actor=member(tenant, "manager"))
        raise RuntimeError("the request failed after the start")
    with tenant_context(tenant):
        assert not WebhookDelivery.objects.exists()
