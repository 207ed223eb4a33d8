"""A form sent twice (Back, then submit again) creates one object and keeps what was ticked."""

import re

import pytest
from playwright.sync_api import expect

from feedback.escalations.models import Escalation
from feedback.stories.models import Story
from promises.commitments.services import commitment_create, measures_ensure_builtin
from promises.models import Measure, Promise
from tenants.context import tenant_context
from tenants.models import Department
from tenants.services import touchpoint_create
from tests.conftest import TEST_PASSWORD, make_tenant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base, email, next_path):
    page.goto(f"{base}{next_path}")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(re.escape(next_path) + "$"))


def test_a_story_sent_again_after_back_is_logged_once_with_the_promise_ticked(page, site):
    tenant = make_tenant("acme", "Acme Retail")
    returns = touchpoint_create(tenant=tenant, name="Returns", position=20)
    measures_ensure_builtin(tenant=tenant)
    with tenant_context(tenant):
        owner = Department.objects.get(slug="customer-service")
        # Alphabetically first, so the list without a touchpoint differs from the suggested order.
        Promise.objects.create(
            kind="customer",
            slug="a-call",
            title="A call back within a day",
            statement="We call back.",
            owner=owner,
        )
        hassle_free = Promise.objects.create(
            kind="customer",
            slug="hassle-free",
            title="Hassle-free returns",
            statement="Send it back without a form.",
            owner=owner,
        )
        commitment_create(
            tenant=tenant,
            promise=hassle_free,
            measure=Measure.objects.get(key="csat"),
            touchpoint=returns,
            target=80,
        )
    base = site("acme")
    _sign_in(page, base, "employee@acme.test", "/stories/new/")

    page.get_by_label("What happened").fill("Terrible: the return label never arrived and nobody answered.")
    page.get_by_label("Where (touchpoint)").select_option(label="Returns")
    expect(page.get_by_text("Hassle-free returns (suggested)")).to_be_visible()
    page.get_by_label("Hassle-free returns").check()
    page.get_by_role("button", name="Log the story").click()
    expect(page.get_by_text("Story logged")).to_be_visible()
    with tenant_context(tenant):
        first = Story.objects.get()
        escalations = Escalation.objects.count()

    page.go_back()
    expect(page.get_by_role("heading", name="Log a customer story")).to_be_visible()
    # What the person ticked is still what is ticked, and nothing else.
    expect(page.get_by_label("Hassle-free returns")).to_be_checked()
    expect(page.get_by_label("A call back within a day")).not_to_be_checked()
    page.get_by_role("button", name="Log the story").click()

    expect(page).to_have_url(re.compile(rf"/stories/{first.pk}/$"))
    expect(page.get_by_text("already")).to_be_visible()
    with tenant_context(tenant):
        assert Story.objects.count() == 1
        assert [p.slug for p in Story.objects.get().promises.all()] == ["hassle-free"]
        assert Escalation.objects.count() == escalations
