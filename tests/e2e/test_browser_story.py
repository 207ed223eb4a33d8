"""An employee logs a customer story on a phone: sign in, fill the short form, see the sentiment."""

import re

import pytest
from playwright.sync_api import expect

from feedback.signals.models import SourceKind
from feedback.stories.models import Story
from promises.commitments.services import commitment_create, measures_ensure_builtin
from promises.models import Measure, Promise
from tenants.context import tenant_context
from tenants.models import Department, Membership
from tenants.services import touchpoint_create
from tests.conftest import TEST_PASSWORD, make_tenant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(new_page):
    return new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)


def test_an_employee_logs_a_story_on_a_phone(phone, site):
    tenant = make_tenant("acme", "Acme Retail")
    returns = touchpoint_create(tenant=tenant, name="Returns", position=20)
    measures_ensure_builtin(tenant=tenant)
    with tenant_context(tenant):
        promise = Promise.objects.create(
            kind="customer",
            slug="easy-returns",
            title="Easy returns",
            statement="Send it back without a form.",
            owner=Department.objects.get(slug="customer-service"),
        )
        commitment_create(
            tenant=tenant,
            promise=promise,
            measure=Measure.objects.get(key="csat"),
            touchpoint=returns,
            target=80,
        )
    base = site("acme")
    page = phone

    page.goto(f"{base}/stories/new/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.locator("input[name=login]").fill("employee@acme.test")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/stories/new/"))
    expect(page.get_by_role("heading", name="Log a customer story")).to_be_visible()

    page.get_by_label("What happened").fill(
        "Great! The courier took the return at the door, so easy and friendly."
    )
    page.get_by_label("Where (touchpoint)").select_option(label="Returns")
    # htmx redraws the promise list: the promise committed at Returns is suggested first.
    expect(page.get_by_text("Easy returns (suggested)")).to_be_visible()
    page.get_by_label("Easy returns").check()
    # The whole form fits the phone's width: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_role("button", name="Log the story").click()

    expect(page.get_by_text("Story logged")).to_be_visible()
    expect(page.locator("#story-sentiment")).to_contain_text("positive")
    with tenant_context(tenant):
        story = Story.objects.get()
        employee = Membership.objects.get(user__email="employee@acme.test")
        assert story.source_kind == SourceKind.MEMBER and story.source_id == employee.pk
        assert story.touchpoint.slug == "returns"
        assert [p.slug for p in story.promises.all()] == ["easy-returns"]
        assert story.sentiment > 0.05
    expect(page).to_have_url(re.compile(rf"/stories/{story.pk}/$"))
