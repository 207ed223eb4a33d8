"""The webhook pages of the admin console: admins only, the secret shown once, another
tenant's endpoints and deliveries answer 404, the delivery log in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import tenant_context
from tenants.models import User
from tenants.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants.webhooks.services import webhook_deliver, webhook_endpoint_create, webhook_ping
from tests.conftest import enrol_totp, signed_in
from tests.tenants.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)


def test_admin_adds_an_endpoint_and_sees_the_secret_once(member_clients, tenant):
    admin = member_clients["admin"]
    response = admin.post(
        "/admin/webhooks/new/",
        {
            "url": "https://hooks.example.com/cxgov",
            "description": "Helpdesk",
            "events": ["escalation.approved"],
        },
    )
    assert response.status_code == 200
    with tenant_context(tenant):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    page = admin.get(f"/admin/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in page
    assert "https://hooks.example.com/cxgov" in admin.get("/admin/webhooks/").content.decode()


def test_bad_url_is_explained_on_the_field(member_clients, tenant):
    response = member_clients["admin"].post(
        "/admin/webhooks/new/", {"url": "http://hooks.example.com/x", "events": ["breach.detected"]}
    )
    assert response.status_code == 200
    assert "must start with https://" in response.content.decode()
    with tenant_context(tenant):
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize("role", ["manager", "employee", "viewer"])
def test_only_admins_see_webhooks(member_clients, role):
    assert member_clients[role].get("/admin/webhooks/").status_code == 403


def test_edit_and_delete(member_clients, tenant):
    endpoint = webhook_endpoint_create(
        tenant=tenant, url="https://hooks.example.com/a", events=["breach.detected"]
    ).endpoint
    admin = member_clients["admin"]
    response = admin.post(
        f"/admin/webhooks/{endpoint.pk}/edit/",
        {"url": "https://hooks.example.com/b", "description": "Ops", "events": ["escalation.resolved"]},
    )
    assert response.status_code == 302
    with tenant_context(tenant):
        endpoint.refresh_from_db()
    assert (endpoint.url, endpoint.events, endpoint.active) == (
        "https://hooks.example.com/b",
        ["escalation.resolved"],
        False,
    )
    assert admin.post(f"/admin/webhooks/{endpoint.pk}/delete/").status_code == 302
    with tenant_context(tenant):
        assert not WebhookEndpoint.objects.exists()


def test_test_event_lands_in_the_delivery_log_and_can_be_sent_again(member_clients, tenant):
    with Receiver() as receiver:
        created = webhook_endpoint_create(tenant=tenant, url=receiver.url, events=["breach.detected"])
        receiver.secret = created.secret
        admin = member_clients["admin"]
        assert admin.post(f"/admin/webhooks/{created.endpoint.pk}/test/").status_code == 302
        with tenant_context(tenant):
            webhook_deliver()
            delivery = WebhookDelivery.objects.get()
        page = admin.get(f"/admin/webhooks/{created.endpoint.pk}/").content.decode()
        assert "ping" in page and "Sent" in page and "HTTP 200" in page
        again = admin.post(f"/admin/webhooks/{created.endpoint.pk}/deliveries/{delivery.pk}/again/")
        assert again.status_code == 302
        with tenant_context(tenant):
            webhook_deliver()
            assert WebhookDelivery.objects.filter(status="sent").count() == 2
    assert [r["verified"] for r in receiver.received] == [True, True]


def test_delivery_log_queries_do_not_grow_with_deliveries(member_clients, tenant):
    endpoint = webhook_endpoint_create(
        tenant=tenant, url="https://hooks.example.com/a", events=["breach.detected"]
    ).endpoint
    admin = member_clients["admin"]
    webhook_ping(tenant=tenant, endpoint=endpoint)
    admin.get(f"/admin/webhooks/{endpoint.pk}/")
    with CaptureQueriesContext(connection) as one:
        admin.get(f"/admin/webhooks/{endpoint.pk}/")
    for _ in range(5):
        webhook_ping(tenant=tenant, endpoint=endpoint)
    with CaptureQueriesContext(connection) as six:
        assert admin.get(f"/admin/webhooks/{endpoint.pk}/").status_code == 200
    assert len(six) == len(one)


def test_another_tenants_endpoint_and_deliveries_are_404(member_clients, tenant, other_tenant):
    theirs = webhook_endpoint_create(
        tenant=other_tenant, url="https://hooks.example.com/globex", events=["breach.detected"]
    ).endpoint
    delivery = webhook_ping(tenant=other_tenant, endpoint=theirs)
    ours = webhook_endpoint_create(
        tenant=tenant, url="https://hooks.example.com/acme", events=["breach.detected"]
    ).endpoint
    admin = member_clients["admin"]
    for path in ("", "edit/", "delete/"):
        assert admin.get(f"/admin/webhooks/{theirs.pk}/{path}").status_code == 404
    assert admin.post(f"/admin/webhooks/{theirs.pk}/test/").status_code == 404
    assert admin.post(f"/admin/webhooks/{theirs.pk}/deliveries/{delivery.pk}/again/").status_code == 404
    # Their delivery under our endpoint's address: not found either.
    assert admin.post(f"/admin/webhooks/{ours.pk}/deliveries/{delivery.pk}/again/").status_code == 404
    assert "globex" not in admin.get("/admin/webhooks/").content.decode()
    with tenant_context(other_tenant):
        assert WebhookDelivery.objects.count() == 1


def test_signed_in_elsewhere_is_not_enough(tenant, other_tenant):
    endpoint = webhook_endpoint_create(
        tenant=tenant, url="https://hooks.example.com/acme", events=["breach.detected"]
    ).endpoint
    enrol_totp(User.objects.get(email="admin@globex.test"))
    stranger = signed_in("globex", "admin@globex.test")
    assert stranger.get(f"/admin/webhooks/{endpoint.pk}/").status_code == 404


def test_admin_rotates_the_secret_and_sees_the_new_one_once(member_clients, tenant):
    created = webhook_endpoint_create(
        tenant=tenant, url="https://hooks.example.com/a", events=["breach.detected"]
    )
    admin = member_clients["admin"]
    assert admin.get(f"/admin/webhooks/{created.endpoint.pk}/rotate-secret/").status_code == 200
    response = admin.post(f"/admin/webhooks/{created.endpoint.pk}/rotate-secret/")
    with tenant_context(tenant):
        endpoint = WebhookEndpoint.objects.get()
    assert endpoint.secret != created.secret and endpoint.previous_secret == created.secret
    assert endpoint.secret in response.content.decode()
    page = admin.get(f"/admin/webhooks/{endpoint.pk}/").content.decode()
    assert endpoint.secret not in page and created.secret not in page
    assert "The previous secret signs too until" in page
    assert member_clients["manager"].post(f"/admin/webhooks/{endpoint.pk}/rotate-secret/").status_code == 403
