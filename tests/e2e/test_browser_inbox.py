"""The inbox after an inline decision: the redrawn row keeps the tenant's time zone and the
"Awaiting my decision" count follows, without a reload."""

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.escalations.models import Escalation
from feedback.escalations.proposals import escalation_propose_from_story
from feedback.stories.services import story_create
from tenants.context import tenant_context
from tenants.models import Department, Membership, Touchpoint
from tenants.services import touchpoint_create
from tests.conftest import make_tenant
from tests.e2e.test_browser_escalation import sign_in
from tests.feedback.conftest import escalation_setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_inline_decision_keeps_local_times_and_updates_the_count(page, site):
    tenant = make_tenant("acme", "Acme Retail")
    assert tenant.time_zone == "Europe/Berlin"
    escalation_setup(tenant)
    with tenant_context(tenant):
        employee = Membership.objects.get(user__email="employee@acme.test")
        service = Department.objects.get(slug="customer-service")
        delivery = Touchpoint.objects.get(slug="delivery")
    touchpoints = [delivery, touchpoint_create(tenant=tenant, name="Refunds", position=90)]
    for touchpoint, title in zip(touchpoints, ["Parcels left in the rain", "Refund never came"], strict=True):
        story = story_create(
            tenant=tenant,
            text=f"{title}, and nobody called back.",
            occurred_at=timezone.now(),
            touchpoint=touchpoint,
            source=employee,
        )
        escalation_propose_from_story(
            tenant=tenant, story=story, actor=employee, severity="high", title=title,
            description="", department=service,
        )  # fmt: skip
    with tenant_context(tenant):
        first = Escalation.objects.order_by("proposed_at", "id").first()
    berlin = first.proposed_at.astimezone(zoneinfo.ZoneInfo("Europe/Berlin"))
    utc = first.proposed_at.astimezone(dt.UTC)
    local_text = f"proposed {berlin:%-d %b %Y, %H:%M}"
    assert local_text != f"proposed {utc:%-d %b %Y, %H:%M}"

    base = site("acme")
    sign_in(page, base, "manager@acme.test", "/escalations/inbox/")
    expect(page.locator("#awaiting-count")).to_have_text("2")
    row = page.locator(f"#escalation-{first.pk}")
    expect(row).to_contain_text(local_text)
    row.get_by_role("button", name="Approve").click()

    row = page.locator(f"#escalation-{first.pk}")
    expect(row).to_contain_text("Approved — owner manager@acme.test")
    expect(row).to_contain_text(local_text)
    expect(page.locator("#awaiting-count")).to_have_text("1")
    assert page.url.endswith("/escalations/inbox/")  # no reload: htmx swapped the row in place
