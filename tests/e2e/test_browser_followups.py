"""Closing the loop in a real browser: a detractor answers on a phone, agrees to be contacted
and leaves an e-mail address; the department's manager signs in and closes the follow-up as
"contacted" with a note."""

import re

import pytest
from playwright.sync_api import expect

from surveys.models import FollowUp
from tenants.context import tenant_context
from tests.conftest import TEST_PASSWORD, make_tenant
from tests.e2e.test_browser_accessibility import AXE, axe_violations
from tests.surveys.conftest import make_survey_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_detractor_consents_and_the_manager_closes_the_follow_up(new_page, site):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant, asks_consent=True)
    base = site("acme")

    phone = new_page(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True, locale="en-GB")
    phone.context.add_init_script(path=str(AXE))  # axe in every page, before its own scripts
    phone.goto(f"{base}/s/{world.survey.token}/")
    phone.get_by_role("button", name="3", exact=True).tap()
    phone.get_by_label("What is the main reason for your score?").fill("My refund never came.")
    phone.get_by_role("button", name="Send").tap()

    # One question per screen: first whether, then how.
    expect(phone.get_by_role("heading", name="May we contact you about your answer?")).to_be_visible()
    expect(phone.get_by_label("E-mail address")).to_have_count(0)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320
    assert axe_violations(phone, "consent question") == []
    yes = phone.get_by_role("button", name="Yes, you may contact me")
    box = yes.bounding_box()
    assert box["height"] >= 44
    yes.tap()
    email = phone.get_by_label("E-mail address")
    expect(email).to_be_visible()
    # Nothing given: a clear error, then by keyboard alone the address is entered and sent.
    phone.get_by_role("button", name="Send").tap()
    expect(phone.get_by_role("alert")).to_contain_text("give your e-mail address or your phone number")
    assert axe_violations(phone, "contact fields with an error") == []
    assert phone.evaluate("document.documentElement.scrollWidth") <= 320
    phone.get_by_label("E-mail address").focus()
    phone.keyboard.type("kim@example.com")
    phone.keyboard.press("Enter")
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()

    with tenant_context(tenant):
        followup = FollowUp.objects.get()
    assert (followup.score, followup.reason, followup.contact_email) == (
        3,
        "My refund never came.",
        "kim@example.com",
    )
    assert followup.status == "open"

    # The department's manager signs in, finds it in the inbox and closes it.
    page = new_page()
    page.goto(f"{base}/followups/")
    page.locator("input[name=login]").fill("manager@acme.test")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_role("heading", name="Follow-ups")).to_be_visible()
    page.get_by_role("link", name="NPS 3 at Returns").click()
    expect(page.locator("#followup-contact")).to_contain_text("kim@example.com")
    page.get_by_role("button", name="Close follow-up").click()
    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    page.get_by_label("Contacted").check()
    page.get_by_label("Note").fill("Called Kim; the refund went out today.")
    page.get_by_role("button", name="Close follow-up").click()
    expect(page.get_by_text("Follow-up closed: contacted.")).to_be_visible()
    expect(page.locator("#followup-status")).to_contain_text("Closed: contacted")
    expect(page).to_have_url(re.compile(rf"/followups/{followup.pk}/$"))

    with tenant_context(tenant):
        closed = FollowUp.objects.select_related("closed_by__user").get(pk=followup.pk)
    assert (closed.status, closed.outcome, closed.note) == (
        "closed",
        "contacted",
        "Called Kim; the refund went out today.",
    )
    assert closed.closed_by.user.email == "manager@acme.test" and closed.closed_at is not None
