"""Slack and Microsoft Teams endpoints: their incoming-webhook URLs only, and each event as a
readable message (Block Kit, an Adaptive Card) with a link to open it in cxgov — unsigned,
retried like any delivery."""

from __future__ import annotations

import re

import pytest

from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants.webhooks.services import (
    webhook_deliver,
    webhook_endpoint_create,
    webhook_event_enqueue,
    webhook_ping,
)
from tests.tenants.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

SENTENCE = "Escalation approved: “Refund <never> came & went” — Customer Service, by Mia Manager"


def _send(tenant, receiver, kind: str) -> WebhookDelivery:
    webhook_endpoint_create(tenant=tenant, url=receiver.url, events=["escalation.approved"], kind=kind)
    webhook_event_enqueue(
        tenant=tenant,
        event_type="escalation.approved",
        data={"escalation": {"id": 7}},
        path="/escalations/7/",
        summary=SENTENCE,
    )
    with tenant_context(tenant):
        webhook_deliver()
        return WebhookDelivery.objects.get()


@pytest.mark.parametrize(
    ("kind", "url"),
    [
        ("slack", "https://hooks.slack.com/services/T000/B000/XXXX"),
        ("teams", "https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456"),
        (
            "teams",
            "https://prod-42.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke",
        ),
    ],
)
def test_chat_endpoints_take_their_incoming_webhook_urls(tenant, kind, url):
    endpoint = webhook_endpoint_create(tenant=tenant, url=url, events=["breach.detected"], kind=kind).endpoint
    assert endpoint.kind == kind


@pytest.mark.parametrize(
    ("kind", "url", "field", "words"),
    [
        ("slack", "https://hooks.example.com/x", "url", "https://hooks.slack.com/"),
        ("slack", "http://hooks.slack.com/services/x", "url", "https://"),
        ("teams", "https://hooks.slack.com/services/x", "url", "webhook.office.com"),
        ("teams", "https://webhook.office.com.evil.example/x", "url", "logic.azure.com"),
        ("discord", "https://hooks.example.com/x", "kind", "standard, slack, teams"),
    ],
)
def test_a_url_of_another_kind_is_refused_with_what_to_copy(tenant, kind, url, field, words):
    with pytest.raises(DomainError) as refused:
        webhook_endpoint_create(tenant=tenant, url=url, events=["breach.detected"], kind=kind)
    assert refused.value.field == field
    assert words in refused.value.message
    with tenant_context(tenant):
        assert not WebhookEndpoint.objects.exists()


def test_slack_gets_block_kit_with_a_button_to_cxgov(tenant):
    with Receiver() as receiver:
        delivery = _send(tenant, receiver, "slack")
    (got,) = receiver.received
    assert "webhook-signature" not in got["headers"] and "webhook-id" not in got["headers"]
    message = got["payload"]
    assert message["text"] == SENTENCE
    section, context, actions = message["blocks"]
    assert section == {
        "type": "section",
        "text": {
            "type": "mrkdwn",
            "text": "Escalation approved: “Refund &lt;never&gt; came &amp; went” — Customer Service, by Mia Manager",
        },
    }
    assert context["elements"][0]["text"] == "cxgov · acme"
    (button,) = actions["elements"]
    assert button["type"] == "button" and button["text"]["text"] == "Open in cxgov"
    assert button["url"].startswith("http") and button["url"].endswith("/escalations/7/")
    assert delivery.status == WebhookDelivery.Status.SENT


def test_teams_gets_an_adaptive_card_with_an_open_action(tenant):
    with Receiver() as receiver:
        delivery = _send(tenant, receiver, "teams")
    (got,) = receiver.received
    assert "webhook-signature" not in got["headers"]
    message = got["payload"]
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"] == SENTENCE
    assert card["body"][1]["text"] == "cxgov · acme"
    (action,) = card["actions"]
    assert (action["type"], action["title"]) == ("Action.OpenUrl", "Open in cxgov")
    assert action["url"].endswith("/escalations/7/")
    assert delivery.status == WebhookDelivery.Status.SENT


def test_a_failing_chat_endpoint_is_retried_like_any_other(tenant):
    with Receiver(status=500, reply=b"invalid_payload") as receiver:
        delivery = _send(tenant, receiver, "slack")
    assert delivery.status == WebhookDelivery.Status.PENDING
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    assert delivery.response_excerpt == "invalid_payload"
    assert delivery.last_error == "The endpoint answered 500."


def test_an_event_without_a_sentence_reads_as_its_catalogue_label(tenant):
    with Receiver() as receiver:
        webhook_endpoint_create(tenant=tenant, url=receiver.url, events=["breach.detected"], kind="slack")
        webhook_event_enqueue(tenant=tenant, event_type="breach.detected", data={}, path="/")
        with tenant_context(tenant):
            webhook_deliver()
    assert receiver.received[0]["payload"]["text"] == "A commitment was breached."


def test_an_admin_adds_a_slack_endpoint_and_switches_it_to_teams(member_clients, tenant):
    admin = member_clients["admin"]
    response = admin.post(
        "/admin/webhooks/new/",
        {"kind": "slack", "url": "https://hooks.example.com/x", "events": ["escalation.approved"]},
    )
    assert response.status_code == 200
    assert "https://hooks.slack.com/" in response.content.decode()
    created = admin.post(
        "/admin/webhooks/new/",
        {"kind": "slack", "url": "https://hooks.slack.com/services/T/B/X", "events": ["escalation.approved"]},
    ).content.decode()
    with tenant_context(tenant):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.kind == "slack"
    assert "readable message" in created and endpoint.secret not in created
    assert "Kind: Slack" in admin.get(f"/admin/webhooks/{endpoint.pk}/").content.decode()
    page = admin.get(f"/admin/webhooks/{endpoint.pk}/edit/").content.decode()
    assert re.search(r'<input[^>]*value="slack"[^>]*checked', page)
    response = admin.post(
        f"/admin/webhooks/{endpoint.pk}/edit/",
        {
            "kind": "teams",
            "url": "https://acme.webhook.office.com/webhookb2/x",
            "events": ["escalation.approved"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    with tenant_context(tenant):
        endpoint.refresh_from_db()
    assert (endpoint.kind, endpoint.url) == ("teams", "https://acme.webhook.office.com/webhookb2/x")


def test_a_test_event_reaches_a_teams_channel_as_a_card(tenant):
    with Receiver() as receiver:
        endpoint = webhook_endpoint_create(
            tenant=tenant, url=receiver.url, events=["breach.detected"], kind="teams"
        ).endpoint
        webhook_ping(tenant=tenant, endpoint=endpoint)
        with tenant_context(tenant):
            assert webhook_deliver() == {"sent": 1, "failed": 0}
    card = receiver.received[0]["payload"]["attachments"][0]["content"]
    assert card["body"][0]["text"] == "A test event from cxgov: this endpoint receives its events."
    assert card["actions"][0]["url"].endswith(f"/admin/webhooks/{endpoint.pk}/")
