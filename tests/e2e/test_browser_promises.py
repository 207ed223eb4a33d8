"""A promise's way to active in a real browser: drafted and submitted by one manager, signed off
by the managers of the two departments it concerns, each in their own browser."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from promises.commitments.services import measure_create, measures_ensure_builtin
from promises.models import CommitmentVersion, Promise, SignOff
from tenants.context import tenant_context
from tenants.services import department_create, member_add
from tests.conftest import TEST_PASSWORD, make_tenant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/promises/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/promises/$"))


def test_a_manager_drafts_and_submits_a_promise_two_managers_sign_it_off(page, new_page, site):
    tenant = make_tenant("acme", "Acme Retail")
    operations = department_create(tenant=tenant, name="Operations")
    marketing = department_create(tenant=tenant, name="Marketing")
    for email, department in (("ops.manager@acme.test", operations), ("mkt.manager@acme.test", marketing)):
        member_add(
            tenant=tenant, email=email, role="manager", password=TEST_PASSWORD, departments=[department]
        )
    measures_ensure_builtin(tenant=tenant)
    measure_create(tenant=tenant, key="first_response", name="First response time", unit="hours")
    base = site("acme")

    # The Customer Service manager drafts a promise owned by Operations, with Marketing contributing.
    sign_in(page, base, "manager@acme.test")
    expect(page.get_by_text("No promises yet.")).to_be_visible()
    page.get_by_role("link", name="New promise").click()
    page.locator("select[name=kind]").select_option("customer")
    page.locator("input[name=title]").fill("A human answers within 4 hours")
    page.locator("textarea[name=statement]").fill("Write to us any time: a person answers within 4 hours.")
    page.locator("select[name=owner]").select_option(label="Operations")
    page.get_by_role("checkbox", name="Marketing").check()
    page.get_by_role("button", name="Create draft").click()
    expect(page.get_by_text("Draft “A human answers within 4 hours” created.")).to_be_visible()

    # Two commitments: a survey measure at a touchpoint, and a duration measure in hours.
    page.get_by_role("link", name="Add commitment").first.click()
    page.locator("select[name=measure]").select_option(label="CSAT (csat)")
    page.locator("select[name=touchpoint]").select_option(label="Delivery")
    page.locator("input[name=target]").fill("80")
    page.get_by_role("button", name="Add commitment").click()
    expect(page.get_by_text("Commitment on CSAT added")).to_be_visible()
    page.get_by_role("link", name="Add commitment").first.click()
    page.locator("select[name=measure]").select_option(
        label="First response time (first_response, duration in hours)"
    )
    page.locator("input[name=target]").fill("95")
    page.locator("input[name=threshold_hours]").fill("4")
    page.get_by_role("button", name="Add commitment").click()
    expect(page.get_by_text("Commitment on First response time added")).to_be_visible()
    expect(page.get_by_role("cell", name="4 h", exact=True)).to_be_visible()

    # Submit, with a confirmation step.
    page.get_by_role("link", name="Submit for sign-off").click()
    expect(page.get_by_role("heading", name=re.compile("for sign-off?"))).to_be_visible()
    page.get_by_role("button", name="Submit for sign-off").click()
    expect(page.get_by_text("is in review")).to_be_visible()
    expect(page.locator("#promise-status")).to_have_text("In review")
    promise_url = page.url
    asked = {address for message in mail.outbox for address in message.to}
    assert {"ops.manager@acme.test", "mkt.manager@acme.test"} <= asked

    # The managers of Operations and Marketing sign off, each in their own browser.
    for email, department in (
        ("ops.manager@acme.test", "Operations"),
        ("mkt.manager@acme.test", "Marketing"),
    ):
        other = new_page(viewport={"width": 1280, "height": 900})
        sign_in(other, base, email)
        other.get_by_role("link", name="My sign-offs").first.click()
        other.get_by_role("link", name=re.compile("Review")).click()
        expect(other.get_by_role("heading", name="Sign off “A human answers within 4 hours”")).to_be_visible()
        other.get_by_role("button", name="Approve").click()
        expect(other.get_by_text(f"Approved for {department}.")).to_be_visible()
        other.context.close()

    page.goto(promise_url)
    expect(page.locator("#promise-status")).to_have_text("Active")
    expect(page.get_by_text("Approved").first).to_be_visible()
    with tenant_context(tenant):
        promise = Promise.objects.get(title="A human answers within 4 hours")
        assert promise.status == Promise.Status.ACTIVE
        assert set(SignOff.objects.filter(promise=promise).values_list("status", flat=True)) == {"approved"}
        versions = CommitmentVersion.objects.filter(commitment__promise=promise)
        assert versions.count() == 2
        assert {v.effective_from for v in versions} == {promise.activated_at}
        assert versions.get(commitment__measure__key="first_response").threshold_seconds == 4 * 3600
