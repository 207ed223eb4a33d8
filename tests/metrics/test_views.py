"""The score dashboards: overview, promise, department, journey map.

They read the newest score run; these tests take runs with ``scores_run`` and check what each
page shows, who may see it, that another tenant's slugs answer 404, and that a page takes the
same number of queries however many promises and touchpoints there are — none of them while
the template renders.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics import views
from metrics.models import BreachEvent, ScoreRun
from metrics.services import quarter_ends, scores_run
from promises.models import Promise
from tenants.context import tenant_context
from tenants.models import Department, Membership, Touchpoint
from tests.metrics.conftest import Scoring

ROLES = Membership.Role.values
PAGES = (
    "/scores/",
    "/scores/promises/hassle-free-returns/",
    "/scores/departments/operations/",
    "/scores/journey/",
)


def _returns_promise(scoring: Scoring, *, refunds_within: int = 18, csat: list[int] | None = None) -> Promise:
    """Hassle-free returns: refunds fast (operational), CSAT low (perceived) → a hidden breach."""
    now = timezone.now()
    promise = scoring.promise(contributors=(scoring.cs,))
    scoring.commitment(
        promise,
        "refund_processing",
        target="90",
        weight="2",
        touchpoint=scoring.returns,
        threshold_seconds=432000,
    )
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    scoring.events(
        "refund_processing",
        [3600] * refunds_within + [900000] * (20 - refunds_within),
        at=now - timedelta(days=5),
        touchpoint=scoring.returns,
    )
    scoring.surveys(
        "csat", csat or [5, 4, 2, 1, 1, 2, 3, 5, 1, 2], at=now - timedelta(days=4), touchpoint=scoring.returns
    )
    scoring.stories(promise, [-0.8, -0.6], at=now - timedelta(days=3), touchpoint=scoring.returns)
    scoring.stories(promise, [0.7], at=now - timedelta(days=1), touchpoint=scoring.returns)
    return promise


def _more(scoring: Scoring, count: int) -> None:
    """``count`` more promises, each with its own touchpoint, commitment and signals."""
    now = timezone.now()
    for i in range(count):
        touchpoint = Touchpoint.objects.create(name=f"Extra {i}", slug=f"extra-{i}", position=100 + i)
        promise = scoring.promise(f"extra-promise-{i}", title=f"Extra promise {i}", owner=scoring.ops)
        scoring.commitment(promise, "csat", target="80", touchpoint=touchpoint)
        scoring.surveys("csat", [5, 4, 4, 5, 3], at=now - timedelta(days=2), touchpoint=touchpoint)
        scoring.stories(promise, [-0.5, 0.5], at=now - timedelta(days=2), touchpoint=touchpoint)


def _run(scoring: Scoring, kind: str = ScoreRun.Kind.RECOMPUTE, at=None) -> ScoreRun:
    return scores_run(tenant=scoring.tenant, kind=kind, at=at)


@pytest.fixture
def world(scoring) -> Scoring:
    _returns_promise(scoring)
    _run(scoring)
    return scoring


# --- Who may see them ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_role_sees_every_page(world, member_clients, role):
    for path in PAGES:
        response = member_clients[role].get(path)
        assert response.status_code == 200, (role, path)
        assert b"Scores" in response.content


def test_signed_out_visitors_are_asked_to_sign_in(world):
    from tests.conftest import client_for

    response = client_for("acme").get("/scores/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_nav_and_promise_page_link_to_the_scores(world, member_clients):
    promise = Promise.objects.get(slug="hassle-free-returns")
    page = member_clients["viewer"].get(f"/promises/{promise.pk}/").content.decode()
    assert 'href="/scores/promises/hassle-free-returns/"' in page
    assert 'href="/scores/"' in page


# --- Empty state ---------------------------------------------------------------------------------


def test_before_the_first_run_every_page_says_scores_come_later(scoring, member_clients):
    _returns_promise(scoring)
    for path in PAGES:
        response = member_clients["employee"].get(path)
        assert response.status_code == 200, path
        assert b"Scores appear after the first signals are processed" in response.content, path
        assert b"data-chart" not in response.content


# --- Content -------------------------------------------------------------------------------------


def test_overview_shows_score_trend_ranking_and_breaches(scoring, member_clients):
    promise = _returns_promise(scoring)
    ends = quarter_ends(tenant=scoring.tenant, before=timezone.now(), count=2)
    for end in ends:
        _run(scoring, ScoreRun.Kind.QUARTER_END, at=end)
    run = _run(scoring)
    tenant_scores = run.result["tenant"]
    (p,) = run.result["promises"]
    assert "hidden_breach" in p["flags"]

    page = member_clients["viewer"].get("/scores/").content.decode()
    assert f"{tenant_scores['score']:.2f}" in page
    assert f"{tenant_scores['delivery_rate']:.2f} %" in page
    assert 'id="trend-table"' in page and 'data-chart="trend-data"' in page
    assert 'id="trend-data" type="application/json"' in page
    assert "Now" in page
    # The quarter-end runs are in the trend (the oldest has no signals, so no score).
    assert page.count('<th scope="row">20') == 2
    assert 'id="hidden-breaches"' in page
    assert f"{100 - p['score']:.2f}" in page  # the gap the ranking sorts by
    assert f'href="/scores/promises/{promise.slug}/"' in page
    assert "Hidden breach of" in page  # the breach event of the recompute
    assert "1 open" in page


def test_overview_ranks_promises_by_gap_largest_first(scoring, member_clients):
    _returns_promise(scoring)
    _more(scoring, 2)
    _run(scoring)
    page = member_clients["viewer"].get("/scores/").content.decode()
    ranking = page[page.index('id="promise-ranking"') :]
    # The extra promises (CSAT 80 %, met: score 100) rank after the breached returns promise.
    assert ranking.index("Hassle-free returns") < ranking.index("Extra promise 0")


def test_overview_lists_open_breach_events_before_resolved_ones(world, member_clients):
    with tenant_context(world.tenant):
        BreachEvent.objects.create(
            kind=BreachEvent.Kind.SCORE_DROP,
            scope="tenant",
            title="An old drop, since recovered",
            as_of=timezone.now() - timedelta(days=30),
            resolved_at=timezone.now() - timedelta(days=20),
        )
    page = member_clients["viewer"].get("/scores/").content.decode()
    events = page[page.index('id="breach-events"') :]
    assert events.index("Hidden breach of") < events.index("An old drop, since recovered")


def test_promise_page_shows_commitments_both_sides_and_stories(world, member_clients):
    run = ScoreRun.objects.first()
    (p,) = run.result["promises"]
    refund, csat = run.result["commitments"]
    page = member_clients["employee"].get("/scores/promises/hassle-free-returns/").content.decode()
    commitments = page[page.index('id="commitments"') :]
    assert "Refund processing" in commitments and "CSAT" in commitments
    assert "90.00 % within 5 days" in commitments  # target of the duration commitment
    assert f"{refund['actual']:.2f} % within 5 days" in commitments
    assert f"{csat['actual']:.2f} %" in commitments
    assert ">20<" in commitments and ">10<" in commitments  # n
    assert "not met" in commitments and ">met<" in commitments
    assert f"{csat['gap']:.2f}" in commitments
    assert "90 days" in commitments
    sides = page[page.index('id="sides-table"') :]
    assert f"{p['operational_score']:.2f}" in sides and f"{p['perceived_score']:.2f}" in sides
    assert f"{p['perception_gap']:.2f}" in sides
    assert "Hidden breach" in page
    latest = page[page.index('id="latest-stories"') : page.index('id="negative-stories"')]
    negative = page[page.index('id="negative-stories"') :]
    assert "0.70" in latest and "-0.80" in latest
    assert "-0.80" in negative and "0.70" not in negative
    assert negative.index("-0.80") < negative.index("-0.60")


def test_promise_page_links_stories_for_those_who_may_open_them(world, member_clients):
    story_ids = list(world.returns.stories.values_list("pk", flat=True))
    manager_page = member_clients["manager"].get("/scores/promises/hassle-free-returns/").content.decode()
    assert f'href="/stories/{story_ids[0]}/"' in manager_page


def test_promise_without_score_says_why(world, member_clients):
    world.promise("draft-promise", title="A draft", activated_at=timezone.now() + timedelta(days=30))
    Promise.objects.filter(slug="draft-promise").update(status="draft", activated_at=None)
    page = member_clients["viewer"].get("/scores/promises/draft-promise/").content.decode()
    assert 'id="promise-not-scored"' in page


def test_department_page_shows_its_promises_and_open_breaches(world, member_clients):
    run = ScoreRun.objects.first()
    (p,) = run.result["promises"]
    ops = next(d for d in run.result["departments"] if d["slug"] == "operations")
    page = member_clients["manager"].get("/scores/departments/operations/").content.decode()
    assert f"{ops['score']:.2f}" in page
    assert "Hassle-free returns" in page and "owner" in page
    assert "Hidden breach of" in page
    # Customer Service contributes to the promise, so it shows there too.
    shared = member_clients["manager"].get("/scores/departments/customer-service/").content.decode()
    assert "Hassle-free returns" in shared and "contributor" in shared
    assert f"{p['score']:.2f}" in shared


def test_journey_map_in_order_with_scores_and_counts(world, member_clients):
    with tenant_context(world.tenant):
        Touchpoint.objects.create(name="Website", slug="website", position=1, journey_stage="consideration")
    run = ScoreRun.objects.first()
    returns = next(t for t in run.result["touchpoints"] if t["slug"] == "returns")
    page = member_clients["viewer"].get("/scores/journey/").content.decode()
    journey = page[page.index('id="journey"') : page.index('id="legend"')]
    # Journey order: Website (1), Returns (5), Delivery (10, moment of truth in the fixture).
    assert journey.index("Website") < journey.index("Returns") < journey.index("Delivery")
    assert journey.count("Moment of truth") == 1
    assert f"{returns['score']:.2f}" in journey
    # Returns: 20 events + 10 responses + 3 stories = 33 signals, 2 negative stories.
    assert "33 signals" in journey and "2 negative stories" in journey
    table = page[page.index('id="journey-table"') :]
    assert ">20<" in table and ">10<" in table and ">3<" in table


# --- Not found ---------------------------------------------------------------------------------


def test_unknown_slugs_are_not_found(world, member_clients):
    client = member_clients["admin"]
    assert client.get("/scores/promises/no-such-promise/").status_code == 404
    assert client.get("/scores/departments/no-such-department/").status_code == 404


def test_another_tenants_slugs_are_not_found(world, member_clients, other_tenant):
    with tenant_context(other_tenant):
        Department.objects.create(name="Security", slug="security")
        Promise.objects.create(
            kind="customer",
            slug="globex-only",
            title="Globex only",
            statement="Theirs.",
            owner=Department.objects.get(slug="security"),
        )
    client = member_clients["admin"]
    assert client.get("/scores/promises/globex-only/").status_code == 404
    assert client.get("/scores/departments/security/").status_code == 404
    # And globex's members see nothing of acme's.
    from tests.conftest import signed_in

    globex = signed_in("globex", "viewer@globex.test")
    assert globex.get("/scores/promises/hassle-free-returns/").status_code == 404
    assert globex.get("/scores/departments/operations/").status_code == 404
    assert b"Scores appear after the first signals are processed" in globex.get("/scores/").content


# --- Queries -------------------------------------------------------------------------------------


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_pages_take_a_constant_number_of_queries(scoring, member_clients):
    _returns_promise(scoring)
    _more(scoring, 1)  # 2 promises, 3 touchpoints
    _run(scoring)
    client = member_clients["manager"]
    few = [_queries(client, path) for path in PAGES]
    _more_from = 1
    for i in range(_more_from, _more_from + 6):
        touchpoint = Touchpoint.objects.create(name=f"More {i}", slug=f"more-{i}", position=200 + i)
        promise = scoring.promise(f"more-promise-{i}", title=f"More promise {i}", contributors=(scoring.cs,))
        scoring.commitment(promise, "csat", target="80", touchpoint=touchpoint)
        scoring.surveys("csat", [5, 4, 4, 5, 3], at=timezone.now() - timedelta(days=2), touchpoint=touchpoint)
        scoring.stories(
            promise, [-0.5, 0.5, -0.3], at=timezone.now() - timedelta(days=2), touchpoint=touchpoint
        )
    _run(scoring)  # 8 promises, 9 touchpoints
    assert len(ScoreRun.objects.first().result["promises"]) == 8
    many = [_queries(client, path) for path in PAGES]
    assert few == many


@pytest.fixture
def render_queries(monkeypatch):
    """Count the queries made while each dashboard template renders."""
    counts: list[int] = []
    real = views.render

    def counting(request, template_name, context=None, *args, **kwargs):
        with CaptureQueriesContext(connection) as captured:
            response = real(request, template_name, context, *args, **kwargs)
        counts.append(len(captured))
        return response

    monkeypatch.setattr(views, "render", counting)
    return counts


def test_templates_render_without_queries(scoring, member_clients, render_queries):
    _returns_promise(scoring)
    _more(scoring, 3)
    for end in quarter_ends(tenant=scoring.tenant, before=timezone.now(), count=2):
        _run(scoring, ScoreRun.Kind.QUARTER_END, at=end)
    _run(scoring)
    for role in ("manager", "viewer"):
        for path in PAGES:
            assert member_clients[role].get(path).status_code == 200
    assert render_queries == [0] * (2 * len(PAGES))
