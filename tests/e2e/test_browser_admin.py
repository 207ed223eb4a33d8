"""An admin's day in a real browser: sign in with TOTP, invite a member, issue and revoke an API key."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tenants.context import tenant_context
from tenants.models import ApiKey, Invitation, User
from tests.conftest import TEST_PASSWORD, enrol_totp, make_tenant
from tests.tenants.test_auth import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_signs_in_with_totp_invites_a_member_and_manages_an_api_key(page, site):
    tenant = make_tenant("acme", "Acme Retail")
    secret = enrol_totp(User.objects.get(email="admin@acme.test"))
    base = site("acme")

    # Sign in: password, then the TOTP code.
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("input[name=login]").fill("admin@acme.test")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page.get_by_role("heading", name="Acme Retail", exact=True)).to_be_visible()

    # Invite a member.
    page.goto(f"{base}/admin/members/invite/")
    page.locator("input[name=email]").fill("new.colleague@acme.test")
    page.locator("select[name=role]").select_option("employee")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("new.colleague@acme.test").first).to_be_visible()
    with tenant_context(tenant):
        assert (
            Invitation.objects.filter(email="new.colleague@acme.test", accepted_at__isnull=True).count() == 1
        )
    [invitation_mail] = [m for m in mail.outbox if "new.colleague@acme.test" in m.to]
    assert f"{base}/invitations/" in invitation_mail.body

    # Create an API key: its secret is shown once.
    page.goto(f"{base}/admin/api-keys/new/")
    page.locator("input[name=name]").fill("Helpdesk")
    page.locator("input[name=scopes][value='promises:read']").check()
    page.get_by_role("button", name="Create key").click()
    key = page.locator("#api-key-secret").input_value()
    assert key.startswith("cxg_")
    # The API answers on any host: the key alone decides the tenant.
    api = base.replace("acme.localhost", "127.0.0.1") + "/api/v1/tenant"
    response = page.request.get(api, headers={"Authorization": f"Bearer {key}"})
    assert response.status == 200 and response.json()["slug"] == "acme"

    page.goto(f"{base}/admin/api-keys/")
    expect(page.get_by_role("cell", name="Helpdesk", exact=True)).to_be_visible()
    assert key not in page.content()

    # Revoke it: the key stops working at once.
    page.get_by_role("link", name=re.compile("Revoke")).click()
    page.get_by_role("button", name="Revoke key").click()
    expect(page.get_by_text(re.compile("^Revoked")).first).to_be_visible()
    response = page.request.get(api, headers={"Authorization": f"Bearer {key}"})
    assert response.status == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    with tenant_context(tenant):
        assert ApiKey.objects.get(name="Helpdesk").revoked_at is not None
