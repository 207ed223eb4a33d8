"""Subdomain resolution, the tenant pages and sign-in."""

import pytest
from django.test import Client

from tenants.models import Tenant
from tenants.services import tenant_set_status
from tests.conftest import TEST_PASSWORD, client_for, signed_in


def test_unknown_subdomain_is_a_not_found_page(db):
    response = client_for("nosuchco").get("/")
    assert response.status_code == 404
    assert b"There is nothing here" in response.content
    assert b"nosuchco.localhost" in response.content


def test_deeper_subdomain_is_not_found(tenant):
    assert client_for("www.acme").get("/").status_code == 404


def test_suspended_tenant_shows_the_suspension_page(tenant):
    tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED)
    for path in ("/", "/accounts/login/"):
        response = client_for("acme").get(path)
        assert response.status_code == 403
        assert b"Acme Retail is suspended" in response.content
        assert b"Nothing has been deleted" in response.content


def test_anonymous_visitor_is_sent_to_sign_in(tenant):
    response = client_for("acme").get("/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/"
    page = client_for("acme").get("/accounts/login/")
    assert page.status_code == 200
    assert b"Acme Retail" in page.content


def test_member_signs_in_and_sees_their_tenant(tenant):
    response = signed_in("acme", "employee@acme.test").get("/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Acme Retail" in content
    assert "Signed in as employee@acme.test, employee in Customer Service." in content


def test_a_member_of_another_tenant_cannot_sign_in_here(tenant, other_tenant):
    client = client_for("globex")
    response = client.post("/accounts/login/", {"login": "admin@acme.test", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert b"not correct" in response.content
    wrong_password = client.post(
        "/accounts/login/", {"login": "admin@globex.test", "password": "wrong-password"}
    )
    # The same answer as a wrong password: nothing tells who belongs where.
    assert response.context["form"].errors == wrong_password.context["form"].errors


def test_a_member_of_a_on_bs_subdomain_is_told_they_are_not_a_member_there(tenant, other_tenant):
    client = signed_in("acme", "employee@acme.test")
    # Same session cookie presented to B's subdomain (as a shared parent-domain cookie would be).
    client.defaults["HTTP_HOST"] = "globex.localhost"
    response = client.get("/")
    # The company exists (its sign-in page names it to anyone): no "nobody answers here".
    assert response.status_code == 403
    content = response.content.decode()
    assert "You are not a member of Globex Bank" in content
    assert "signed in as <strong>employee@acme.test</strong>" in content
    assert "No company on cxgov answers" not in content
    assert "Acme Retail" not in content  # nothing of the account's own company shows here
    # ... and can still sign out from there.
    assert client.post("/accounts/logout/").status_code == 302


def test_deactivated_membership_loses_access_on_next_request(tenant, in_tenant):
    from tenants.models import Membership

    client = signed_in("acme", "viewer@acme.test")
    assert client.get("/").status_code == 200
    with in_tenant(tenant):
        Membership.objects.filter(user__email="viewer@acme.test").update(is_active=False)
    gone = client.get("/")
    assert gone.status_code == 403
    assert b"not an active member of Acme Retail" in gone.content


def test_platform_domain_has_a_landing_page_and_no_sign_in(db):
    assert b"Open your company's address" in client_for(None).get("/").content
    assert client_for(None).get("/accounts/login/").status_code == 404


@pytest.mark.parametrize("host", ["localhost", "acme.localhost", "nosuchco.localhost"])
def test_healthz_answers_on_any_host(host, db):
    response = Client(HTTP_HOST=host).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_every_response_carries_a_request_id(tenant):
    response = client_for("acme").get("/accounts/login/", HTTP_X_REQUEST_ID="abcdef123456")
    assert response["X-Request-ID"] == "abcdef123456"
    generated = client_for("acme").get("/accounts/login/", HTTP_X_REQUEST_ID="bad id!")
    assert len(generated["X-Request-ID"]) == 32
