"""A viewer opens NPS over time: the chart with its benchmark line, the same numbers in the table,
the benchmark listed, and a segment filter."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from feedback.signals.models import SurveyResponse
from promises.commitments.services import benchmark_set, measures_ensure_builtin
from promises.models import Measure
from tenants.context import tenant_context
from tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, seed_demo_tenant

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _last_month() -> datetime:
    today = timezone.now().astimezone(UTC)
    m = today.year * 12 + today.month - 2
    return datetime(m // 12, m % 12 + 1, 10, tzinfo=UTC)


def test_a_viewer_sees_nps_over_time_with_its_benchmark(page, site):
    tenant = seed_demo_tenant(DEMO_TENANTS[0])
    measures_ensure_builtin(tenant=tenant)
    with tenant_context(tenant):
        nps = Measure.objects.get(key="nps")
        at = _last_month()
        # 10 answers: 5 promoters, 2 passives, 3 detractors → NPS 20; the premium ones alone → 60.
        for i, (score, plan) in enumerate(
            [(10, "premium"), (9, "premium"), (9, "premium"), (8, "premium"), (7, "premium")]
            + [(6, "standard"), (3, "standard"), (0, "standard"), (10, "standard"), (10, "standard")]
        ):
            SurveyResponse.objects.create(
                measure=nps,
                score=score,
                segment={"plan": plan},
                occurred_at=at + timedelta(hours=i),
                source_kind="member",
                source_id=1,
            )
    benchmark_set(tenant=tenant, measure=nps, label="Retail average", value="32", source="A study")
    base = site("acme")

    page.goto(f"{base}/accounts/login/?next=/scores/measures/")
    page.locator("input[name=login]").fill("viewer@acme.example")
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page).to_have_url(re.compile(r"/scores/measures/$"))
    page.get_by_role("link", name="NPS", exact=True).click()
    expect(page).to_have_url(re.compile(r"/scores/measures/nps/$"))
    expect(page.get_by_role("heading", name=re.compile("^NPS"), level=1)).to_be_visible()

    # The table: twelve months, last month's value, its n and its split.
    table = page.locator("#series-table")
    expect(table.locator("tbody tr")).to_have_count(12)
    row = table.locator("tbody tr").nth(10)
    expect(row).to_contain_text("20.00")
    expect(row).to_contain_text("5 (50.0 %)")
    expect(row).to_contain_text("3 (30.0 %)")
    expect(table.locator("tbody tr").nth(11)).to_contain_text("no answers")

    # The chart beside it, with the benchmark drawn as a dashed line across every month.
    expect(page.locator("canvas[data-chart=series-data]")).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart=series-data]'))"
    )
    datasets = page.evaluate(
        """() => Chart.getChart(document.querySelector('canvas[data-chart=series-data]')).data.datasets
                 .map(d => ({label: d.label, data: d.data, dashed: !!d.borderDash}))"""
    )
    assert datasets[0]["label"] == "NPS" and datasets[0]["data"][10] == 20
    assert datasets[1] == {"label": "Retail average (benchmark)", "data": [32] * 12, "dashed": True}
    expect(page.locator("canvas[data-chart=split-data]")).to_be_visible()

    # The benchmark is listed too; a viewer cannot change it.
    benchmarks = page.locator("#benchmarks")
    expect(benchmarks.get_by_role("rowheader", name="Retail average")).to_be_visible()
    expect(benchmarks).to_contain_text("32")
    expect(benchmarks).to_contain_text("A study")
    expect(page.locator("#benchmark-form")).to_have_count(0)

    # A segment from the answers: the premium plan alone.
    page.get_by_label("Segment").select_option("plan=premium")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"segment=plan%3Dpremium"))
    expect(page.locator("#series-table tbody tr").nth(10)).to_contain_text("60.00")
