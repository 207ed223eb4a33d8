"""A viewer reads the demo tenant's scores: the overview with its trend, then the journey map."""

import re

import pytest
from playwright.sync_api import expect

from metrics.demo import seed_demo_signals
from promises.demo import seed_demo_promises
from promises.models import Commitment
from tenants.context import tenant_context
from tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, seed_demo_tenant
from tenants.models import Touchpoint

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_viewer_reads_the_scores_and_the_journey_map(page, new_page, site):
    tenant = seed_demo_tenant(DEMO_TENANTS[0])
    seed_demo_promises(tenant)
    assert seed_demo_signals(tenant) > 0
    base = site("acme")

    page.goto(f"{base}/accounts/login/?next=/scores/")
    page.locator("input[name=login]").fill("viewer@acme.example")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/scores/$"))
    expect(page.get_by_role("heading", name="Alignment scores")).to_be_visible()
    expect(page.locator("#tenant-score")).to_have_text(re.compile(r"^\d+\.\d\d$"))

    # The trend: a table (four quarter ends and now) and the chart drawn beside it.
    trend = page.locator("#trend-table")
    expect(trend).to_be_visible()
    expect(trend.locator("tbody tr")).to_have_count(5)
    expect(trend.get_by_role("rowheader", name="Now")).to_be_visible()
    canvas = page.locator("canvas[data-chart=trend-data]")
    expect(canvas).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart]'))"
    )

    # The hidden breach of the demo is called out, and its promise page opens from there.
    expect(page.locator("#hidden-breaches")).to_contain_text("Hassle-free returns")

    page.get_by_role("link", name="Journey map").click()
    expect(page).to_have_url(re.compile(r"/scores/journey/$"))
    names = page.locator("#journey .journey-stop h2").all_inner_texts()
    assert names == [
        "Website",
        "Mobile app",
        "Purchase",
        "Delivery",
        "Returns",
        "Customer support",
        "Social media",
        "Email",
    ]
    returns = page.locator(".journey-stop[data-slug=returns]")
    expect(returns.locator(".moment-of-truth")).to_have_text(re.compile("Moment of truth"))
    expect(returns.locator(".touchpoint-score")).to_have_text(re.compile(r"^\d+\.\d\d$"))
    expect(page.locator(".journey-stop[data-slug=website] .moment-of-truth")).to_have_count(0)
    expect(page.locator("#journey-table")).to_be_visible()

    # A touchpoint with signals but no commitment says so, instead of "no data".
    with tenant_context(tenant):
        # Commitments in force: those of active promises (drafts and retired ones are not scored).
        committed = set(
            Commitment.objects.filter(promise__status="active").values_list("touchpoint__slug", flat=True)
        )
        uncommitted = [t.slug for t in Touchpoint.objects.all() if t.slug not in committed]
    assert uncommitted
    for slug in uncommitted:
        stop = page.locator(f".journey-stop[data-slug={slug}]")
        expect(stop).to_contain_text("No commitment at this touchpoint")
        expect(stop).not_to_contain_text("no data")
        expect(stop.get_by_role("link", name="add one to a promise")).to_have_count(0)  # a viewer may not
    for slug in committed:
        expect(page.locator(f".journey-stop[data-slug={slug}]")).not_to_contain_text("No commitment")

    # A manager, who may add commitments, is linked to the promises to add one.
    manager = new_page(viewport={"width": 1280, "height": 900})
    manager.goto(f"{base}/accounts/login/?next=/scores/journey/")
    manager.locator("input[name=login]").fill("manager@acme.example")
    manager.locator("input[name=password]").fill(DEMO_PASSWORD)
    manager.locator("input[name=password]").press("Enter")
    expect(manager).to_have_url(re.compile(r"/scores/journey/$"))
    stop = manager.locator(f".journey-stop[data-slug={uncommitted[0]}]")
    stop.get_by_role("link", name="add one to a promise").click()
    expect(manager).to_have_url(re.compile(r"/promises/$"))
