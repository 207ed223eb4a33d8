"""Re-authenticating keeps the form: the person lands back on it with what they typed."""

import re

import pytest
from playwright.sync_api import expect

from tenants.context import tenant_context
from tenants.models import ApiKey, User
from tests.conftest import TEST_PASSWORD, enrol_totp, make_tenant, signed_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_after_reauthenticating_a_refused_api_key_form_is_back_at_its_address(page, site):
    tenant = make_tenant("acme", "Acme Retail")
    enrol_totp(User.objects.get(email="admin@acme.test"))
    base = site("acme")
    # The admin signed in more than five minutes ago: their session, in this browser.
    stale = signed_in("acme", "admin@acme.test", recently=False)
    page.context.add_cookies([{"name": "sessionid", "value": stale.cookies["sessionid"].value, "url": base}])

    page.goto(f"{base}/admin/api-keys/new/")
    page.locator("input[name=name]").fill("Helpdesk (Zendesk)")
    page.locator("input[name=scopes][value='feedback:write']").check()
    page.locator("input[name=expires_on]").fill("1999-12-31")
    page.get_by_role("button", name="Create key").click()

    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")

    # Back on the form, at its own address, with what was typed and why it was refused.
    expect(page).to_have_url(f"{base}/admin/api-keys/new/")
    expect(page.locator("input[name=name]")).to_have_value("Helpdesk (Zendesk)")
    expect(page.locator("input[name=scopes][value='feedback:write']")).to_be_checked()
    expect(page.locator("input[name=expires_on]")).to_have_value("1999-12-31")
    expect(page.locator(".invalid-feedback, .alert-danger").first).to_be_visible()
    with tenant_context(tenant):
        assert not ApiKey.objects.exists()

    page.locator("input[name=expires_on]").fill("2099-12-31")
    page.get_by_role("button", name="Create key").click()
    expect(page).to_have_url(f"{base}/admin/api-keys/new/")
    assert page.locator("#api-key-secret").input_value().startswith("cxg_")
    with tenant_context(tenant):
        assert list(ApiKey.objects.values_list("name", flat=True)) == ["Helpdesk (Zendesk)"]
