"""An admin previews the next digest of two departments in a real browser, then sets the schedule."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tenants.demo import DEMO_PASSWORD
from tenants.models import User
from tests.conftest import enrol_totp
from tests.metrics.digests.helpers import seed_digest_tenant
from tests.tenants.test_auth import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_previews_the_next_digest_of_departments(page, site):
    seeded = seed_digest_tenant(now=timezone.now())
    secret = enrol_totp(User.objects.get(email="admin@acme.example"))
    base = site("acme")

    page.goto(f"{base}/accounts/login/?next=/admin/digests/")
    page.locator("input[name=login]").fill("admin@acme.example")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page.get_by_role("heading", name="Department digests")).to_be_visible()

    # The schedule: daily at 07:00.
    page.locator("select[name=cadence]").select_option("daily")
    page.locator("select[name=send_hour]").select_option("7")
    page.get_by_role("button", name="Save schedule").click()
    expect(page.get_by_text("Digest schedule saved.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"Next digest: .*, sent .* 07:00\."))).to_be_visible()

    # Preview Customer Service's next digest: the shared core and its own slice.
    row = page.get_by_role("row").filter(has_text="Customer Service")
    row.get_by_role("link", name="Preview next digest").click()
    expect(page.get_by_role("heading", name="Next digest of Customer Service")).to_be_visible()
    expect(page.locator("#digest-subject")).to_contain_text("Acme Retail · Customer Service digest")
    email = page.frame_locator("#digest-html")
    expect(email.get_by_role("heading", name="Customer Service: the customer reality")).to_be_visible()
    expect(
        email.get_by_role("heading", name="Across Acme Retail (the same for every department)")
    ).to_be_visible()
    expect(email.get_by_role("link", name="Unsubscribe")).to_be_visible()
    core = email.locator("#core").inner_text()

    # Another department: the same core, another slice.
    page.get_by_role("navigation", name="Department to preview").get_by_role("link", name="Marketing").click()
    expect(page.get_by_role("heading", name="Next digest of Marketing")).to_be_visible()
    email = page.frame_locator("#digest-html")
    expect(email.get_by_role("heading", name="Marketing: the customer reality")).to_be_visible()
    assert email.locator("#core").inner_text() == core
    expect(email.locator("#slice")).to_contain_text("Marketing")

    # The log of sent digests is one click away (none sent yet).
    page.get_by_role("link", name="Sent digests").click()
    expect(page.get_by_text("No digest has been sent yet.")).to_be_visible()
    assert seeded.tenant.slug == "acme"
