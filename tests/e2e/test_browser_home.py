"""Each role signs in and lands on its own home page; a manager's counts follow a decision
without a reload; on a phone (390 × 844) no list page is wider than the screen and a page of
stories stays a sane length."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.escalations.proposals import escalation_propose_from_story
from feedback.stories.services import story_create
from metrics.demo import seed_demo_signals
from metrics.models import ScoreRun
from metrics.services import scores_run
from promises.demo import seed_demo_promises
from promises.models import Promise
from tenants.context import tenant_context
from tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, seed_demo_tenant
from tenants.models import Department, Membership, Touchpoint, User
from tenants.services import touchpoint_create
from tests.conftest import TEST_PASSWORD, enrol_totp, make_tenant
from tests.feedback.conftest import escalation_setup
from tests.tenants.test_auth import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# A page of 25 stories as cards, with the page's title, folded filters and pagination: about
# 150 px a story at most (it was some 6,500 px as a squeezed table).
STORIES_PAGE_MAX_HEIGHT = 4500
LIST_PAGES = (
    "/",
    "/stories/",
    "/stories/mine/",
    "/escalations/",
    "/escalations/inbox/",
    "/promises/",
    "/promises/measures/",
    "/scores/",
    "/scores/journey/",
    "/admin/members/",
    "/admin/departments/",
    "/admin/touchpoints/",
    "/admin/api-keys/",
    "/admin/audit/",
    "/admin/digests/",
    "/admin/digests/log/",
    "/signals/import/",
)


def _two_escalations() -> None:
    """Acme with Fast refunds active, and two escalations the employee proposed for Customer
    Service from their stories; then a score run."""
    tenant = make_tenant("acme", "Acme Retail")
    escalation_setup(tenant)
    with tenant_context(tenant):
        employee = Membership.objects.get(user__email="employee@acme.test")
        service = Department.objects.get(slug="customer-service")
        delivery = Touchpoint.objects.get(slug="delivery")
        refunds = Promise.objects.get(slug="fast-refunds")
    touchpoints = [delivery, touchpoint_create(tenant=tenant, name="Refunds", position=90)]
    for touchpoint, title in zip(touchpoints, ["Parcels left in the rain", "Refund never came"], strict=True):
        story = story_create(
            tenant=tenant,
            text=f"{title}: the customer told us at the counter.",  # not an automatic escalation
            occurred_at=timezone.now(),
            touchpoint=touchpoint,
            source=employee,
            promises=[refunds],
        )
        escalation_propose_from_story(
            tenant=tenant, story=story, actor=employee, severity="high", title=title, description="",
            department=service,
        )  # fmt: skip
    with tenant_context(tenant):
        scores_run(tenant=tenant, kind=ScoreRun.Kind.RECOMPUTE)


def _sign_in(
    page, base: str, email: str, password: str = TEST_PASSWORD, totp_secret: str | None = None
) -> None:
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password]").press("Enter")
    if totp_secret:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        page.locator("input[name=code]").fill(totp_code(totp_secret))
        page.locator("input[name=code]").press("Enter")
    expect(page).to_have_url(f"{base}/")


@pytest.mark.parametrize("role", Membership.Role.values)
def test_each_role_lands_on_its_home(role, page, site):
    _two_escalations()
    secret = enrol_totp(User.objects.get(email="admin@acme.test")) if role == "admin" else None
    _sign_in(page, site("acme"), f"{role}@acme.test", totp_secret=secret)

    home = page.locator("main")
    if role == "employee":
        stories = page.locator("#my-stories")
        expect(home.get_by_role("heading", name="My stories")).to_be_visible()
        expect(stories).to_contain_text("Parcels left in the rain: the customer told us at the counter.")
        expect(stories).to_contain_text("Counts towards Fast refunds")
        expect(stories.get_by_role("link", name="Refund never came", exact=True)).to_be_visible()
        expect(home.get_by_role("link", name="Log a story")).to_be_visible()
        expect(home.get_by_role("heading", name="Awaiting my decision")).to_have_count(0)
    elif role == "manager":
        expect(home.get_by_role("navigation", name="What needs me")).to_be_visible()
        expect(page.locator("#awaiting-count")).to_have_text("2")
        expect(page.locator("#awaiting").get_by_role("button", name="Approve")).to_have_count(2)
        expect(home.get_by_role("heading", name="Sign-offs waiting for me")).to_be_visible()
        expect(home.get_by_role("heading", name="My departments' promises at risk")).to_be_visible()
    elif role == "admin":
        expect(home.get_by_role("heading", name="Set up Acme Retail")).to_be_visible()
        expect(page.locator("#setup-api_key")).to_have_attribute("data-done", "no")
        expect(page.locator("#setup-api_key").get_by_role("link", name="Create an API key")).to_be_visible()
        expect(page.locator("#awaiting-count")).to_have_text("2")  # admins decide too
    else:
        expect(home.get_by_role("heading", name="How we keep our promises")).to_be_visible()
        expect(home.get_by_role("heading", name="My stories")).to_have_count(0)
        expect(page.locator("#home-counts")).to_have_count(0)


def test_the_counts_follow_a_decision_without_a_reload(page, site):
    _two_escalations()
    base = site("acme")
    _sign_in(page, base, "manager@acme.test")
    expect(page.locator("#awaiting-count")).to_have_text("2")
    expect(page.locator("#owned-count")).to_have_text("0")
    page.evaluate("window.cxgovSamePage = true")

    row = page.locator("#awaiting .list-group-item").first
    row.get_by_role("button", name="Approve").click()
    expect(row).to_contain_text("Approved — owner manager@acme.test")
    expect(page.locator("#awaiting-count")).to_have_text("1")
    expect(page.locator("#owned-count")).to_have_text("1")  # approving made the manager its owner
    assert page.evaluate("window.cxgovSamePage") is True  # htmx redrew the counts in place
    assert page.url == f"{base}/"


def test_list_pages_fit_a_phone(new_page, site):
    tenant = seed_demo_tenant(DEMO_TENANTS[0])
    seed_demo_promises(tenant)
    assert seed_demo_signals(tenant) > 0
    secret = enrol_totp(User.objects.get(email="admin@acme.example"))
    phone = new_page(viewport=PHONE)
    _sign_in(phone, site("acme"), "admin@acme.example", DEMO_PASSWORD, totp_secret=secret)

    too_wide = {}
    for path in LIST_PAGES:
        response = phone.goto(site("acme") + path)
        assert response.status == 200, path
        widths = phone.evaluate(
            "() => [document.body.scrollWidth, document.body.clientWidth,"
            " document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if widths[0] > widths[1] or widths[2] > widths[3]:
            too_wide[path] = widths
    assert too_wide == {}

    phone.goto(site("acme") + "/stories/")
    expect(phone.locator("table.table-cards tbody tr")).to_have_count(25)
    expect(phone.get_by_role("navigation", name="Pages")).to_be_visible()
    height = phone.evaluate("() => document.documentElement.scrollHeight")
    assert height <= STORIES_PAGE_MAX_HEIGHT, height
    # The filters fold away on a phone and open on demand.
    expect(phone.locator("#story-filters")).to_be_hidden()
    phone.get_by_role("button", name="Filters").click()
    expect(phone.locator("#story-filters")).to_be_visible()
