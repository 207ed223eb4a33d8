"""Measures over time: each measure's value per month and quarter, with its filters (touchpoint,
segment, channel), the NPS split, benchmarks, empty states, who may change what, another tenant's
measure, and the page's queries."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.signals.models import SurveyResponse
from feedback.stories.models import StoryPromise
from metrics.measures import Filters, measure_series, period_starts
from metrics.models import ScoreRun
from metrics.rollups import thresholds_register
from metrics.services import scores_run
from promises.commitments.services import benchmark_set, measure_create
from promises.models import MeasureBenchmark
from tenants.context import tenant_context
from tests.metrics.conftest import Scoring

NOW = timezone.now()


def _month(back: int) -> datetime:
    """The first instant (UTC) of the month ``back`` months before the current one."""
    today = NOW.astimezone(UTC)
    m = today.year * 12 + today.month - 1 - back
    return datetime(m // 12, m % 12 + 1, 1, tzinfo=UTC)


def _answers(scoring: Scoring, measure: str, scores: list[int], *, at: datetime, touchpoint=None,
             plan: str | None = None, source_kind: str = "member") -> None:  # fmt: skip
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            measure=scoring.measures[measure],
            score=score,
            touchpoint=touchpoint,
            segment={"plan": plan} if plan else {},
            occurred_at=at,
            source_kind=source_kind,
            source_id=1,
        )
        for score in scores
    )


@pytest.fixture
def nps_year(scoring):
    """A small NPS data set, computed by hand:

    - two months back, at Returns: 10 9 9 8 7 (premium) and 6 3 0 10 10 (standard): 5 promoters,
      2 passives, 3 detractors → NPS 20; premium alone 60, standard alone −20;
    - last month, at Delivery, through the API: 9 6 6 → 1 promoter, 2 detractors → NPS −33.33 (too few);
    - this month, at its first instant, at Returns: 10 10 10 10 7 0 → NPS 50;
    - thirteen months back: 0, shown nowhere.
    """
    _answers(
        scoring,
        "nps",
        [10, 9, 9, 8, 7],
        at=_month(2) + timedelta(days=9),
        touchpoint=scoring.returns,
        plan="premium",
    )
    _answers(
        scoring,
        "nps",
        [6, 3, 0, 10, 10],
        at=_month(2) + timedelta(days=20),
        touchpoint=scoring.returns,
        plan="standard",
    )
    _answers(
        scoring,
        "nps",
        [9, 6, 6],
        at=_month(1) + timedelta(days=3),
        touchpoint=scoring.delivery,
        source_kind="api_key",
    )
    _answers(scoring, "nps", [10, 10, 10, 10, 7, 0], at=_month(0), touchpoint=scoring.returns)
    _answers(scoring, "nps", [0], at=_month(13), touchpoint=scoring.returns)  # fmt: skip
    return scoring


def _by_start(series) -> dict[date, dict]:
    return {p["start"]: p for p in series.points}


def test_nps_per_month_with_the_promoter_passive_detractor_split(nps_year):
    series = measure_series(measure=nps_year.measures["nps"], filters=Filters())
    assert series.source == "rollup"
    assert [p["start"] for p in series.points] == [_month(back).date() for back in range(11, -1, -1)]
    points = _by_start(series)
    two_back, last, this = points[_month(2).date()], points[_month(1).date()], points[_month(0).date()]
    assert (two_back["n"], two_back["value"], two_back["too_few"]) == (10, 20.0, False)
    assert (two_back["promoters"], two_back["passives"], two_back["detractors"]) == (5, 2, 3)
    assert (two_back["promoters_share"], two_back["passives_share"], two_back["detractors_share"]) == (
        50.0,
        20.0,
        30.0,
    )
    assert (last["n"], last["value"], last["too_few"]) == (3, -33.33, True)
    assert (last["promoters"], last["passives"], last["detractors"]) == (1, 0, 2)
    assert (this["n"], this["value"], this["promoters"], this["passives"], this["detractors"]) == (
        6,
        50.0,
        4,
        1,
        1,
    )
    empty = points[_month(5).date()]
    assert (empty["n"], empty["value"], empty["too_few"]) == (0, None, False)
    assert series.answers == 19  # thirteen months back is not shown


def test_nps_per_quarter_adds_the_months_counts_before_computing(nps_year):
    series = measure_series(measure=nps_year.measures["nps"], filters=Filters(period="quarter"))
    assert len(series.points) == 4 and series.points[-1]["start"] == period_starts("quarter")[-1]
    # Counts per quarter, by hand: (promoters, passives, detractors) of each month, added.
    months = {2: (5, 2, 3), 1: (1, 0, 2), 0: (4, 1, 1)}
    expected: dict[date, list[int]] = {}
    for back, (pro, pas, det) in months.items():
        start = _month(back).date()
        quarter = date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
        totals = expected.setdefault(quarter, [0, 0, 0])
        totals[0], totals[1], totals[2] = totals[0] + pro, totals[1] + pas, totals[2] + det
    points = _by_start(series)
    for quarter, (pro, pas, det) in expected.items():
        n = pro + pas + det
        point = points[quarter]
        assert (point["n"], point["promoters"], point["passives"], point["detractors"]) == (n, pro, pas, det)
        assert point["value"] == float((Decimal(100) * (pro - det) / n).quantize(Decimal("0.01")))
    assert re.fullmatch(r"Q[1-4] \d{4}", series.points[0]["label"])


def test_filters_by_touchpoint_segment_and_channel(nps_year):
    nps = nps_year.measures["nps"]
    at_returns = measure_series(measure=nps, filters=Filters(touchpoint=nps_year.returns))
    assert at_returns.source == "rollup"  # the month rollups keep the touchpoint
    assert [(p["n"], p["value"]) for p in at_returns.points if p["n"]] == [(10, 20.0), (6, 50.0)]

    premium = measure_series(measure=nps, filters=Filters(segment=("plan", "premium")))
    assert premium.source == "raw"
    assert [(p["n"], p["value"], p["passives"]) for p in premium.points if p["n"]] == [(5, 60.0, 2)]
    standard = measure_series(measure=nps, filters=Filters(segment=("plan", "standard")))
    assert [(p["n"], p["value"]) for p in standard.points if p["n"]] == [(5, -20.0)]

    api = measure_series(measure=nps, filters=Filters(channel="api"))
    assert api.source == "raw"
    assert [(p["n"], p["value"]) for p in api.points if p["n"]] == [(3, -33.33)]
    csv = measure_series(measure=nps, filters=Filters(channel="csv", touchpoint=nps_year.returns))
    assert [(p["n"], p["value"]) for p in csv.points if p["n"]] == [(10, 20.0), (6, 50.0)]

    _answers(
        nps_year, "nps", [10, 10], at=_month(0), touchpoint=nps_year.returns, source_kind="hosted_survey"
    )
    hosted = measure_series(measure=nps, filters=Filters(channel="hosted_survey"))
    assert [(p["n"], p["value"]) for p in hosted.points if p["n"]] == [(2, 100.0)]

    nobody = measure_series(measure=nps, filters=Filters(segment=("plan", "business")))
    assert nobody.answers == 0 and all(p["value"] is None for p in nobody.points)


def test_the_raw_signals_and_the_rollups_give_the_same_values(nps_year):
    """A channel filter that keeps every answer reads the raw rows: the same numbers as the rollups."""
    _answers(nps_year, "nps", [8, 9], at=_month(3), touchpoint=nps_year.returns, source_kind="api_key")
    nps = nps_year.measures["nps"]
    rollup = measure_series(measure=nps, filters=Filters(period="quarter"))
    api = measure_series(measure=nps, filters=Filters(period="quarter", channel="api"))
    csv = measure_series(measure=nps, filters=Filters(period="quarter", channel="csv"))
    for r, a, c in zip(rollup.points, api.points, csv.points, strict=True):
        assert r["n"] == a["n"] + c["n"]
        assert r["promoters"] == a["promoters"] + c["promoters"]
        assert r["detractors"] == a["detractors"] + c["detractors"]


def test_every_kind_uses_the_engines_definition(scoring):
    at = _month(1) + timedelta(days=2)
    _answers(scoring, "csat", [5, 4, 3, 1], at=at, touchpoint=scoring.returns)  # 2 of 4 satisfied: 50 %
    _answers(scoring, "ces", [2, 3, 7], at=at, touchpoint=scoring.returns)  # mean 4
    scoring.outcomes("first_contact_resolution", [True, True, False], at=at, touchpoint=scoring.returns)
    scoring.values("review_stars", ["4.5", "3", "5"], at=at, touchpoint=scoring.returns)  # mean 4.1666…
    promise = scoring.promise()
    scoring.commitment(
        promise, "refund_processing", target="90", touchpoint=scoring.returns, threshold_seconds=432000
    )
    thresholds_register()
    scoring.events(
        "refund_processing", [3600] * 3 + [900000], at=at, touchpoint=scoring.returns
    )  # 3 of 4 within
    stories = scoring.stories(promise, [0.5, -0.8, 0.0], at=at, touchpoint=scoring.returns)
    other = scoring.promise("other", title="Other")
    StoryPromise.objects.create(story=stories[0], promise=other)  # a story about two promises counts once

    def last_month(key: str, **filters) -> tuple[int, float | None]:
        series = measure_series(measure=scoring.measures[key], filters=Filters(**filters))
        point = _by_start(series)[_month(1).date()]
        return point["n"], point["value"]

    assert last_month("csat") == (4, 50.0)
    assert last_month("ces") == (3, 4.0)
    assert last_month("first_contact_resolution") == (3, 66.67)
    assert last_month("review_stars") == (3, 4.17)
    assert last_month("refund_processing", threshold_seconds=432000) == (4, 75.0)
    assert last_month("refund_processing", threshold_seconds=432000, channel="api") == (4, 75.0)  # raw
    assert last_month("refund_processing") == (4, None)  # no threshold: no share to show
    assert last_month("story_sentiment") == (3, 66.67)
    assert last_month("story_sentiment", channel="web_form") == (0, None)


# --- The pages ----------------------------------------------------------------------------------


def test_every_role_sees_the_measures_and_a_measure_page(nps_year, member_clients):
    for role, client in member_clients.items():
        listing = client.get("/scores/measures/")
        assert listing.status_code == 200, role
        assert 'href="/scores/measures/nps/"' in listing.content.decode()
        page = client.get("/scores/measures/nps/")
        assert page.status_code == 200, role
        html = page.content.decode()
        assert 'id="series-table"' in html and 'data-chart="series-data"' in html
        assert "too few answers" in html  # last month: 3 answers
        assert "<td>3</td>" in html and "(50.0 %)" in html  # n, and the promoters' share two months back


def test_the_page_filters_and_says_when_nothing_was_counted(nps_year, member_clients):
    client = member_clients["viewer"]
    page = client.get(
        "/scores/measures/nps/", {"segment": "plan=premium", "period": "quarter"}
    ).content.decode()
    assert "segment plan: premium" in page
    assert '<option value="plan=standard">plan: standard</option>' in page  # the segments there are
    assert "60.00" in page

    empty = client.get("/scores/measures/ces/").content.decode()
    assert "No answers in this period" in empty and 'data-chart="series-data"' not in empty


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ({"touchpoint": "nowhere"}, "There is no touchpoint “nowhere” here; pick one from the list."),
        ({"period": "week"}, "There is no period “week” here; show the measure per month or per quarter."),
        ({"segment": "plan=gold"}, "There is no segment “plan=gold” here"),
        ({"channel": "fax"}, "There is no channel “fax” here"),
    ],
)
def test_a_bad_filter_is_explained_not_a_500(nps_year, member_clients, query, words):
    response = member_clients["viewer"].get("/scores/measures/nps/", query)
    assert response.status_code == 400
    assert words in response.content.decode()


def test_an_admin_sets_benchmarks_on_the_page_and_the_chart_draws_them(nps_year, member_clients):
    admin = member_clients["admin"]
    saved = admin.post(
        "/scores/measures/nps/", {"label": "Industry average", "value": "32", "source": "A study"}
    )
    assert saved.status_code == 302
    assert list(MeasureBenchmark.objects.values_list("label", "value")) == [("Industry average", Decimal(32))]
    page = admin.get("/scores/measures/nps/").content.decode()
    assert "Industry average (benchmark)" in page  # the chart's dashed line
    assert re.search(r"<th scope=\"row\">Industry average</th>\s*<td>32</td>", page)

    refused = admin.post("/scores/measures/nps/", {"label": "Best in class", "value": "130"})
    assert refused.status_code == 400
    assert (
        "The value 130 lies outside the NPS scale (−100 to 100); give a value on that scale."
        in refused.content.decode()
    )
    assert MeasureBenchmark.objects.count() == 1

    benchmark = MeasureBenchmark.objects.get()
    assert admin.post(f"/scores/measures/nps/benchmarks/{benchmark.pk}/remove/").status_code == 302
    assert not MeasureBenchmark.objects.exists()


def test_only_admins_change_benchmarks(nps_year, member_clients):
    benchmark = benchmark_set(
        tenant=nps_year.tenant, measure=nps_year.measures["nps"], label="Peers", value="10"
    )
    for role in ("manager", "employee", "viewer"):
        client = member_clients[role]
        assert "benchmark-form" not in client.get("/scores/measures/nps/").content.decode()
        assert client.post("/scores/measures/nps/", {"label": "Mine", "value": "1"}).status_code == 403
        assert client.post(f"/scores/measures/nps/benchmarks/{benchmark.pk}/remove/").status_code == 403
    assert list(MeasureBenchmark.objects.values_list("label", flat=True)) == ["Peers"]


def test_another_tenants_measure_and_benchmark_answer_404(nps_year, member_clients, other_tenant):
    theirs = measure_create(tenant=other_tenant, key="their_rate", name="Theirs", kind="rate")
    their_benchmark = benchmark_set(tenant=other_tenant, measure=theirs, label="Peers", value="10")
    admin = member_clients["admin"]
    assert admin.get("/scores/measures/their_rate/").status_code == 404
    assert admin.post(f"/scores/measures/nps/benchmarks/{their_benchmark.pk}/remove/").status_code == 404
    with tenant_context(other_tenant):
        assert MeasureBenchmark.objects.filter(pk=their_benchmark.pk).exists()


def _queries(client, path: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    grouped = [q["sql"] for q in captured if "GROUP BY 1" in q["sql"]]
    return len(captured), len(grouped)


@pytest.mark.parametrize(
    "query", ["", "?period=quarter&touchpoint=returns", "?segment=plan%3Dpremium&channel=csv"]
)
def test_a_measure_page_reads_its_periods_in_one_grouped_query(scoring, member_clients, query):
    client = member_clients["viewer"]
    _answers(scoring, "nps", [9, 3], at=_month(1), touchpoint=scoring.returns, plan="premium")
    few, grouped = _queries(client, f"/scores/measures/nps/{query}")
    assert grouped == 1
    for back in range(12):
        _answers(scoring, "nps", list(range(11)), at=_month(back), touchpoint=scoring.returns, plan="premium")
    benchmark_set(tenant=scoring.tenant, measure=scoring.measures["nps"], label="Peers", value="10")
    benchmark_set(tenant=scoring.tenant, measure=scoring.measures["nps"], label="Best", value="50")
    assert _queries(client, f"/scores/measures/nps/{query}") == (few, 1)


def test_a_promises_commitments_open_their_measure_over_time_at_their_touchpoint(scoring, member_clients):
    """From the promise's scores to the measure page, filtered to the commitment's touchpoint and
    (for a duration) its threshold: the page answers with the commitment's own numbers."""
    promise = scoring.promise()
    scoring.commitment(
        promise, "refund_processing", target="90", touchpoint=scoring.returns, threshold_seconds=432000
    )
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    at = NOW - timedelta(minutes=5)
    scoring.events("refund_processing", [3600] * 3 + [900000], at=at, touchpoint=scoring.returns)
    _answers(scoring, "csat", [5, 4, 1, 2], at=at, touchpoint=scoring.returns)
    scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE)
    client = member_clients["viewer"]
    page = client.get("/scores/promises/hassle-free-returns/").content.decode()
    links = re.findall(r'href="(/scores/measures/[^"]+)"', page)
    assert links == [
        "/scores/measures/refund_processing/?touchpoint=returns&amp;threshold=432000",
        "/scores/measures/csat/?touchpoint=returns",
    ]
    refunds = client.get(
        "/scores/measures/refund_processing/", {"touchpoint": "returns", "threshold": "432000"}
    )
    assert refunds.status_code == 200
    html = refunds.content.decode()
    assert "Refund processing within 5 days" in html and "75.00 %" in html
    assert "50.00 %" in client.get("/scores/measures/csat/", {"touchpoint": "returns"}).content.decode()
