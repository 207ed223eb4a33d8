"""The story form refuses a story from 1900 that says "x"; every page has an icon."""

import re

import pytest
from playwright.sync_api import expect

from feedback.stories.models import Story
from tenants.context import tenant_context
from tenants.services import touchpoint_create
from tests.conftest import TEST_PASSWORD, make_tenant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_story_from_1900_saying_x_is_refused_and_the_site_has_an_icon(page, site):
    tenant = make_tenant("acme", "Acme Retail")
    touchpoint_create(tenant=tenant, name="Returns", position=20)
    base = site("acme")
    icon_answers = []
    page.on("response", lambda r: icon_answers.append(r.status) if r.url.endswith("/favicon.ico") else None)

    page.goto(f"{base}/stories/new/")
    page.locator("input[name=login]").fill("employee@acme.test")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/stories/new/$"))

    page.get_by_label("What happened").fill("x")
    page.get_by_label("When").fill("1900-01-01T10:00")
    page.get_by_label("Where (touchpoint)").select_option(label="Returns")
    page.get_by_role("button", name="Log the story").click()
    expect(page.get_by_text("Describe what happened in words: at least 10 characters")).to_be_visible()
    expect(page.get_by_text("is before 2000-01-01")).to_be_visible()
    with tenant_context(tenant):
        assert not Story.objects.exists()

    # The icon: linked from every page, and /favicon.ico answers too.
    icon = page.locator("link[rel=icon]")
    expect(icon).to_have_attribute("href", re.compile(r"favicon\.svg$"))
    status, content_type = page.evaluate(
        "fetch('/favicon.ico').then(r => [r.status, r.headers.get('content-type')])"
    )
    assert status == 200 and "image/svg+xml" in content_type
    assert all(status != 404 for status in icon_answers), icon_answers
