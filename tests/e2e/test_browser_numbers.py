"""Numbers that agree, in a real browser: a band says why on hover, click or tap; a breach follows
its escalation to "Resolved"; the audit log reads as sentences without housekeeping."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.escalations.models import Escalation
from metrics.models import BreachEvent, ScoreRun
from metrics.services import scores_run
from tenants.context import tenant_context
from tenants.models import ApiKey, User
from tenants.services import api_key_create
from tests.conftest import TEST_PASSWORD, enrol_totp, make_tenant
from tests.e2e.test_browser_escalation import sign_in
from tests.metrics.conftest import scoring_setup
from tests.metrics.test_bands import refunds_on_time_and_csat
from tests.tenants.test_auth import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _a_commitment_slips(tenant):
    """Refunds on time (weight 2) and CSAT at Returns met, then CSAT slips to 71 %: the promise
    scores 96.43 — "strong" by its score alone — with 2 of 3 parts of its weight delivered; the
    breach is escalated by cxgov itself."""
    scoring = scoring_setup(tenant)
    now = timezone.now()
    with tenant_context(tenant):
        refunds_on_time_and_csat(scoring, owner=scoring.cs)
        scoring.surveys("csat", [5] * 10, at=now - timedelta(days=4), touchpoint=scoring.returns)
        scores_run(tenant=tenant, kind=ScoreRun.Kind.RECOMPUTE)
        scoring.surveys("csat", [1] * 4, at=now - timedelta(days=1), touchpoint=scoring.returns)
        run = scores_run(tenant=tenant, kind=ScoreRun.Kind.RECOMPUTE)
        assert run.result["tenant"] == {"score": 96.43, "delivery_rate": 66.67}
        return BreachEvent.objects.get(), Escalation.objects.get()


def test_a_band_says_why_and_a_breach_follows_its_escalation(page, site):
    tenant = make_tenant("acme", "Acme Retail")
    breach, escalation = _a_commitment_slips(tenant)
    base = site("acme")
    sign_in(page, base, "manager@acme.test", "/scores/")

    tenant_band = page.locator("button[popovertarget=band-tenant]")
    expect(tenant_band).to_have_text(re.compile(r"^96\.43 · fair"))
    why = page.locator("#band-tenant")
    expect(why).to_be_hidden()
    # Hover shows why …
    tenant_band.hover()
    expect(why).to_be_visible()
    expect(why).to_contain_text("A score of 96.43 alone is “strong” (90 and above).")
    expect(why).to_contain_text("The delivery rate is 66.67 %, under 75 %: at most “fair”.")
    page.mouse.move(0, 0)
    expect(why).to_be_hidden()
    # … and so do a click and the keyboard; Escape closes it.
    tenant_band.click()
    page.mouse.move(0, 0)
    expect(why).to_be_visible()  # open, not just hovered
    assert why.evaluate("e => e.matches(':popover-open')")
    page.keyboard.press("Escape")
    expect(why).to_be_hidden()
    tenant_band.focus()
    page.keyboard.press("Enter")
    expect(why).to_be_visible()
    page.keyboard.press("Escape")
    expect(why).to_be_hidden()

    row = page.locator(f"#breach-events tr[data-breach='{breach.pk}']")
    expect(row.locator(".breach-state")).to_contain_text("Escalated — awaiting decision")
    row.get_by_role("link", name=f"Escalation {escalation.pk}").click()
    expect(page).to_have_url(re.compile(rf"/escalations/{escalation.pk}/$"))
    expect(page.get_by_text("by cxgov (automatic)")).to_be_visible()
    page.get_by_role("button", name="Approve").click()
    expect(page.locator("#escalation-state")).to_contain_text("Approved")

    page.goto(f"{base}/scores/")
    expect(row.locator(".breach-state")).to_contain_text("In progress")
    page.goto(f"{base}/escalations/{escalation.pk}/")
    page.locator("#id_note").fill("CSAT follow-up calls made; refunds re-sent.")
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#escalation-state")).to_contain_text("Resolved")

    page.goto(f"{base}/scores/")
    expect(row.locator(".breach-state")).to_contain_text("Resolved")
    expect(page.get_by_role("heading", name="Recent breach events")).to_contain_text("0 open")


def test_a_band_says_why_on_a_tap(new_page, site):
    tenant = make_tenant("acme", "Acme Retail")
    _a_commitment_slips(tenant)
    phone = new_page(viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    sign_in(phone, site("acme"), "viewer@acme.test", "/scores/")
    promise_band = phone.locator("#promise-ranking button.band-why-toggle").first
    expect(promise_band).to_have_text(re.compile(r"^96\.43 · fair"))
    panel_id = promise_band.get_attribute("popovertarget")
    promise_band.tap()
    why = phone.locator(f"[id='{panel_id}']")
    expect(why).to_be_visible()
    expect(why).to_contain_text("1 of the 2 commitments is not met")
    box = why.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390  # on the screen


def test_the_audit_log_reads_as_sentences_without_housekeeping(page, site):
    tenant = make_tenant("acme", "Acme Retail")
    User.objects.filter(email="admin@acme.test").update(first_name="Ada", last_name="Lovelace")
    secret = enrol_totp(User.objects.get(email="admin@acme.test"))
    with tenant_context(tenant):
        key = api_key_create(tenant=tenant, name="crm", scopes=["feedback:write"]).api_key
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())  # housekeeping
    base = site("acme")
    page.goto(f"{base}/accounts/login/?next=/admin/departments/")
    page.locator("input[name=login]").fill("admin@acme.test")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page).to_have_url(re.compile(r"/admin/departments/$"))
    page.get_by_label("Name").fill("Logistics")
    page.get_by_role("button", name="Add department").click()

    page.goto(f"{base}/admin/audit/")
    entries = page.locator("#audit-entries .audit-sentence")
    expect(entries.first).to_have_text("Ada Lovelace created the department “Logistics”.")
    expect(page.locator("#audit-entries")).not_to_contain_text("last used at")
    page.get_by_label("About").select_option(label="Departments")
    page.get_by_role("button", name="Filter").click()
    assert set(entries.all_inner_texts()) <= {
        "Ada Lovelace created the department “Logistics”.",
        "cxgov (automatic) created the department “Customer Service”.",
    }
    page.get_by_role("link", name="Clear filters").click()
    page.get_by_label("Show system housekeeping").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.locator("#audit-entries")).to_contain_text(
        "changed the API key “crm”: last used at from nothing to"
    )
