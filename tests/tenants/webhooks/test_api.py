"""The webhook endpoints API: the console's services, rules and audit trail, behind API-key scopes.

A receiver on 127.0.0.1 verifies what the API's test event and "send again" deliver with the
secret the API showed (``standardwebhooks``, as a receiver would)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tenants.context import tenant_context
from tenants.models import AuditEvent, Tenant
from tenants.services import api_key_create
from tenants.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants.webhooks.services import webhook_deliver, webhook_endpoint_create, webhook_ping
from tests.tenants.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

PROBLEM = "application/problem+json"
BASE = "/api/v1/webhooks/endpoints"


@pytest.fixture(autouse=True)
def _no_rate_limit_counts():
    """Rate-limit counters live in Redis: start each test without this run's."""
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=cache.make_key("*")))
    if keys:
        client.delete(*keys)


@pytest.fixture(autouse=True)
def _loopback(settings):
    settings.CXGOV_WEBHOOKS_ALLOW_LOOPBACK = True


def client_for(tenant: Tenant, scopes: list[str]) -> APIClient:
    client = APIClient()
    secret = api_key_create(tenant=tenant, name="Ops", scopes=scopes).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_HOST=f"{tenant.slug}.localhost")
    return client


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    return response.json()


def test_an_endpoint_registered_tested_rotated_and_deleted_through_the_api(tenant):
    client = client_for(tenant, ["webhooks:write"])
    with Receiver() as receiver:
        created = client.post(
            BASE,
            {
                "url": receiver.url,
                "events": ["escalation.approved", "import.finished"],
                "description": "Helpdesk",
            },
            format="json",
        )
        assert created.status_code == 201, created.content
        body = created.json()
        assert body["secret"].startswith("whsec_")
        assert (body["kind"], body["events"], body["active"]) == (
            "standard",
            ["escalation.approved", "import.finished"],
            True,
        )
        endpoint_id = body["id"]
        # Read back: never the secret.
        listed = client.get(BASE).json()["results"]
        assert [e["id"] for e in listed] == [endpoint_id] and "secret" not in listed[0]
        assert "secret" not in client.get(f"{BASE}/{endpoint_id}").json()

        receiver.secret = body["secret"]
        test = client.post(f"{BASE}/{endpoint_id}/test")
        assert test.status_code == 202 and test.json()["event_type"] == "ping"
        with tenant_context(tenant):
            assert webhook_deliver() == {"sent": 1, "failed": 0}
        assert receiver.received[-1]["verified"] is True
        assert receiver.received[-1]["payload"]["type"] == "ping"

        log = client.get(f"{BASE}/{endpoint_id}/deliveries").json()
        (sent,) = log["results"]
        assert (sent["status"], sent["last_status_code"], sent["attempts"]) == ("sent", 200, 1)
        assert sent["id"] == test.json()["id"] and "payload" not in sent

        rotated = client.post(f"{BASE}/{endpoint_id}/rotate-secret")
        assert rotated.status_code == 200
        new_secret = rotated.json()["secret"]
        assert new_secret != body["secret"] and rotated.json()["secret_rotation_ends_at"]
        resent = client.post(f"/api/v1/webhooks/deliveries/{sent['id']}/resend")
        assert resent.status_code == 202 and resent.json()["id"] != sent["id"]
        receiver.secret = new_secret
        with tenant_context(tenant):
            assert webhook_deliver() == {"sent": 1, "failed": 0}
        again = receiver.received[-1]
        assert again["verified"] is True and again["payload"]["type"] == "ping"
        assert len(again["headers"]["webhook-signature"].split()) == 2  # old and new secret sign

    changed = client.patch(
        f"{BASE}/{endpoint_id}", {"events": ["breach.detected"], "active": False}, format="json"
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["events"], changed.json()["active"]) == (["breach.detected"], False)
    assert changed.json()["disabled_reason"] == "Turned off by an admin."
    assert changed.json()["url"] == receiver.url  # left out: kept
    assert client.delete(f"{BASE}/{endpoint_id}").status_code == 204
    problem(client.get(f"{BASE}/{endpoint_id}"), 404)

    with tenant_context(tenant):
        audited = list(
            AuditEvent.objects.filter(model="tenants.WebhookEndpoint")
            .order_by("id")
            .values_list("action", "actor_kind", "changes")
        )
    assert [(action, actor) for action, actor, _ in audited] == [
        ("insert", "api_key"),
        ("update", "api_key"),
        ("update", "api_key"),
        ("delete", "api_key"),
    ]
    assert all("secret" not in changes and "previous_secret" not in changes for _, _, changes in audited)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"url": "https://hooks.example.com/x", "events": ["ping"]}, "events", "unknown: ping"),
        ({"url": "http://hooks.example.com/x", "events": ["breach.detected"]}, "url", "https://"),
        ({"url": "https://hooks.example.com/x", "events": []}, "events", "at least one event"),
        ({"url": "https://hooks.example.com/x", "events": "breach.detected"}, "events", ""),
        ({"url": "https://hooks.example.com/x"}, "events", "events is required"),
        ({"events": ["breach.detected"]}, "url", "url is required"),
        ({"url": 7, "events": ["breach.detected"]}, "url", ""),
        ({"url": "https://hooks.example.com/x", "events": ["breach.detected"], "kind": "irc"}, "kind", "irc"),
        ({"url": "https://example.com/x", "events": ["breach.detected"], "kind": "slack"}, "url", "Slack"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(tenant, data, field, words):
    body = problem(client_for(tenant, ["webhooks:write"]).post(BASE, data, format="json"), 400)
    assert field in body["errors"], body
    assert words in " ".join(body["errors"][field])
    with tenant_context(tenant):
        assert not WebhookEndpoint.objects.exists()


def test_plain_http_to_loopback_is_refused_without_the_setting(tenant, settings):
    settings.CXGOV_WEBHOOKS_ALLOW_LOOPBACK = False
    client = client_for(tenant, ["webhooks:write"])
    body = problem(
        client.post(BASE, {"url": "http://127.0.0.1:9/x", "events": ["breach.detected"]}, format="json"), 400
    )
    assert "url" in body["errors"]
    endpoint = webhook_endpoint_create(
        tenant=tenant, url="https://hooks.example.com/x", events=["breach.detected"]
    )
    body = problem(
        client.patch(f"{BASE}/{endpoint.endpoint.pk}", {"url": "http://127.0.0.1:9/x"}, format="json"), 400
    )
    assert "url" in body["errors"]


def test_scopes_read_and_write(tenant):
    endpoint = webhook_endpoint_create(
        tenant=tenant, url="https://hooks.example.com/x", events=["breach.detected"]
    )
    pk = endpoint.endpoint.pk
    reader = client_for(tenant, ["webhooks:read"])
    assert reader.get(BASE).status_code == 200
    assert reader.get(f"{BASE}/{pk}/deliveries").status_code == 200
    refused = problem(
        reader.post(BASE, {"url": "https://a.example.com", "events": ["breach.detected"]}, format="json"), 403
    )
    assert "webhooks:write" in refused["detail"]
    for path in (f"{BASE}/{pk}/rotate-secret", f"{BASE}/{pk}/test"):
        problem(reader.post(path), 403)
    problem(reader.delete(f"{BASE}/{pk}"), 403)
    outsider = client_for(tenant, ["feedback:write", "promises:write"])
    problem(outsider.get(BASE), 403)
    problem(outsider.get(f"{BASE}/{pk}"), 403)


def test_another_tenants_endpoints_and_deliveries_answer_like_missing_ones(tenant, other_tenant):
    theirs = webhook_endpoint_create(
        tenant=other_tenant, url="https://hooks.example.com/globex", events=["breach.detected"]
    ).endpoint
    delivery = webhook_ping(tenant=other_tenant, endpoint=theirs)
    with tenant_context(other_tenant):
        before = list(WebhookEndpoint.objects.values_list("id", "url", "events", "secret", "active"))
        deliveries_before = WebhookDelivery.objects.count()
    client = client_for(tenant, ["webhooks:write"])
    foreign, missing = theirs.pk, theirs.pk + 10_000
    calls = [
        ("get", f"{BASE}/{{}}"),
        ("patch", f"{BASE}/{{}}"),
        ("delete", f"{BASE}/{{}}"),
        ("post", f"{BASE}/{{}}/rotate-secret"),
        ("post", f"{BASE}/{{}}/test"),
        ("get", f"{BASE}/{{}}/deliveries"),
    ]
    for method, path in calls:
        call = getattr(client, method)
        answers = [
            problem(call(path.format(pk), {"events": ["escalation.approved"]}, format="json"), 404)
            for pk in (foreign, missing)
        ]
        assert answers[0] == answers[1], (method, path)
    resend = [
        problem(client.post(f"/api/v1/webhooks/deliveries/{pk}/resend"), 404)
        for pk in (delivery.pk, delivery.pk + 10_000)
    ]
    assert resend[0] == resend[1]
    assert client.get(BASE).json()["results"] == []
    with tenant_context(other_tenant):
        assert list(WebhookEndpoint.objects.values_list("id", "url", "events", "secret", "active")) == before
        assert WebhookDelivery.objects.count() == deliveries_before


def test_the_delivery_log_pages_newest_first_in_constant_queries(tenant, django_assert_max_num_queries):
    endpoint = webhook_endpoint_create(
        tenant=tenant, url="https://hooks.example.com/x", events=["breach.detected"]
    )
    client = client_for(tenant, ["webhooks:read"])
    path = f"{BASE}/{endpoint.endpoint.pk}/deliveries?page_size=10"
    ids = [webhook_ping(tenant=tenant, endpoint=endpoint.endpoint).pk for _ in range(3)]
    client.get(path)  # the key is cached after its first use
    with django_assert_max_num_queries(10) as few:
        assert [d["id"] for d in client.get(path).json()["results"]] == ids[::-1]
    ids += [webhook_ping(tenant=tenant, endpoint=endpoint.endpoint).pk for _ in range(22)]
    with django_assert_max_num_queries(len(few.captured_queries)):
        first = client.get(path).json()
    assert [d["id"] for d in first["results"]] == ids[::-1][:10]
    following = urlsplit(first["next"])
    second = client.get(f"{following.path}?{following.query}").json()
    assert [d["id"] for d in second["results"]] == ids[::-1][10:20]
