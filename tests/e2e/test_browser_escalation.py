"""An employee escalates a story, the manager approves it from the inbox, the owner resolves
it, and the employee sees the outcome on "My stories"."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.escalations.models import Escalation
from feedback.stories.services import story_create
from tenants.context import tenant_context
from tenants.models import Membership, Touchpoint
from tests.conftest import TEST_PASSWORD, make_tenant
from tests.feedback.conftest import escalation_setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page, base: str, email: str, path: str) -> None:
    page.goto(f"{base}{path}")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(re.escape(path) + "$"))


def test_a_story_escalated_approved_resolved_and_seen_by_its_author(new_page, site):
    tenant = make_tenant("acme", "Acme Retail")
    escalation_setup(tenant)
    with tenant_context(tenant):
        employee = Membership.objects.get(user__email="employee@acme.test")
        delivery = Touchpoint.objects.get(slug="delivery")
    story = story_create(
        tenant=tenant,
        text="The courier left the parcel in the rain and the refund never came.",
        occurred_at=timezone.now(),
        touchpoint=delivery,
        source=employee,
    )
    base = site("acme")

    # The employee escalates their story.
    employee_page = new_page()
    sign_in(employee_page, base, "employee@acme.test", f"/stories/{story.pk}/")
    employee_page.get_by_role("link", name="Escalate this story").click()
    employee_page.get_by_label("Title").fill("Parcels left in the rain, refunds missing")
    employee_page.get_by_label("Severity").select_option("high")
    employee_page.get_by_label("Responsible department").select_option(label="Customer Service")
    employee_page.get_by_role("button", name="Propose the escalation").click()
    expect(employee_page.get_by_text("Escalation proposed")).to_be_visible()
    expect(employee_page.locator("#escalation-state")).to_contain_text("Proposed")
    with tenant_context(tenant):
        escalation = Escalation.objects.get()

    # The manager approves it from the inbox, inline.
    manager_page = new_page()
    sign_in(manager_page, base, "manager@acme.test", "/escalations/inbox/")
    row = manager_page.locator(f"#escalation-{escalation.pk}")
    expect(row).to_contain_text("Parcels left in the rain")
    row.get_by_label("Note").fill("Taking this one myself.")
    row.get_by_role("button", name="Approve").click()
    expect(manager_page.locator(f"#escalation-{escalation.pk}")).to_contain_text(
        "Approved — owner manager@acme.test"
    )
    assert manager_page.url.endswith("/escalations/inbox/")  # htmx swapped the row in place

    # The owner (the approving manager) resolves it from the escalation page.
    manager_page.goto(f"{base}/escalations/{escalation.pk}/")
    manager_page.get_by_label("Resolution note").fill(
        "Refund paid; the courier now hands parcels over in person."
    )
    manager_page.get_by_role("button", name="Resolve").click()
    expect(manager_page.locator("#escalation-state")).to_contain_text("Resolved")

    # The employee sees the outcome on "My stories".
    employee_page.goto(f"{base}/stories/mine/")
    expect(employee_page.get_by_text("Escalations from my stories")).to_be_visible()
    expect(employee_page.get_by_text("Resolved", exact=True)).to_be_visible()
    expect(
        employee_page.get_by_text("Refund paid; the courier now hands parcels over in person.")
    ).to_be_visible()
    with tenant_context(tenant):
        escalation = Escalation.objects.select_related("owner__user").get()
    assert escalation.state == "resolved" and escalation.owner.user.email == "manager@acme.test"
