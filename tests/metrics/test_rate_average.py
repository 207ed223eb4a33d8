"""Rate and average measures in the engine and the scores API (scoring.md, version 2): the
lower-is-better worked example, window edges, insufficient data, and the perception gap."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest

from metrics.engine import scores_compute
from tenants.services import api_key_create
from tests.feedback.conftest import client_with
from tests.metrics.conftest import T


@pytest.fixture
def api(scoring):
    return client_with(api_key_create(tenant=scoring.tenant, name="BI", scopes=["scores:read"]).secret)


def _commitment(body: dict, measure: str) -> dict:
    [row] = [c for c in body["commitments"] if c["measure"] == measure]
    return row


def test_lower_is_better_worked_example_through_the_api(api, scoring):
    """scoring.md: ``signin_blocked`` target 2 (%), A = 5 → norm(t) = 0.98, norm(A) = 0.95,
    s = 96.94, met = no, g = 3.0."""
    promise = scoring.promise("secure-signin", title="Security that does not get in the way")
    scoring.commitment(promise, "signin_blocked", target="2", window_days=30)
    scoring.outcomes(
        "signin_blocked", [True] * 5 + [False] * 95, at=T - timedelta(days=3), touchpoint=scoring.returns
    )
    # Outside the window (one older than 30 days, one after T): change nothing.
    scoring.outcomes("signin_blocked", [True] * 50, at=T - timedelta(days=30), touchpoint=scoring.returns)
    scoring.outcomes("signin_blocked", [True] * 50, at=T + timedelta(seconds=1), touchpoint=scoring.returns)
    body = api.get(f"/api/v1/scores?as_of={quote(T.isoformat())}").json()
    c = _commitment(body, "signin_blocked")
    assert (c["n"], c["actual"], c["score"], c["met"], c["gap"], c["status"]) == (
        100,
        5.0,
        96.94,
        False,
        3.0,
        "not_met",
    )
    assert (c["direction"], c["target"], c["target_label"], c["kind"]) == (
        "lower_is_better",
        2.0,
        "at most 2 %",
        "operational",
    )
    [p] = body["promises"]
    assert (p["score"], p["delivery_rate"], p["operational_score"], p["perceived_score"]) == (
        96.94,
        0.0,
        96.94,
        None,
    )
    # At 2 % blocked it is met, with full score and no gap; below the target, ahead (negative gap).
    scoring.outcomes("signin_blocked", [False] * 150, at=T - timedelta(days=1), touchpoint=scoring.returns)
    c = _commitment(scores_compute(tenant=scoring.tenant, at=T), "signin_blocked")
    assert (c["n"], c["actual"], c["score"], c["met"], c["gap"]) == (250, 2.0, 100.0, True, 0.0)
    scoring.outcomes("signin_blocked", [False] * 250, at=T - timedelta(days=1), touchpoint=scoring.returns)
    c = _commitment(scores_compute(tenant=scoring.tenant, at=T), "signin_blocked")
    assert (c["actual"], c["score"], c["met"], c["gap"]) == (1.0, 100.0, True, -1.0)


@pytest.mark.parametrize("source", ["rollup", "raw"])
def test_a_rate_commitment_counts_its_window_and_its_touchpoint_only(scoring, source):
    promise = scoring.promise()
    scoring.commitment(
        promise,
        "first_contact_resolution",
        target="75",
        touchpoint=scoring.returns,
        window_days=7,
        min_sample=4,
    )
    edge = T - timedelta(days=7)
    scoring.outcomes(
        "first_contact_resolution", [False], at=edge, touchpoint=scoring.returns
    )  # not in (T − 7 d, T]
    scoring.outcomes(
        "first_contact_resolution", [True], at=edge + timedelta(microseconds=1), touchpoint=scoring.returns
    )
    scoring.outcomes(
        "first_contact_resolution", [True, False], at=T - timedelta(days=2), touchpoint=scoring.returns
    )
    scoring.outcomes(
        "first_contact_resolution", [False] * 9, at=T - timedelta(days=2), touchpoint=scoring.delivery
    )
    scoring.outcomes("first_contact_resolution", [True], at=T, touchpoint=scoring.returns)  # T itself counts
    scoring.outcomes(
        "first_contact_resolution", [False], at=T + timedelta(microseconds=1), touchpoint=scoring.returns
    )
    c = _commitment(scores_compute(tenant=scoring.tenant, at=T, source=source), "first_contact_resolution")
    # 3 of 4 resolved: A = 75 = the target → met, s = 100, g = 0.
    assert (c["n"], c["actual"], c["met"], c["score"], c["gap"], c["status"]) == (
        4,
        75.0,
        True,
        100.0,
        0.0,
        "met",
    )
    assert (c["target_label"], c["kind"], c["threshold_seconds"]) == ("at least 75 %", "operational", None)
    # One second earlier the event at T is outside and the one at T − 7 days inside: 2 of 4.
    earlier = scores_compute(tenant=scoring.tenant, at=T - timedelta(seconds=1), source=source)
    c = _commitment(earlier, "first_contact_resolution")
    assert (c["n"], c["actual"], c["met"], c["score"], c["gap"]) == (4, 50.0, False, 66.67, 25.0)
    # Two days earlier only the two events at the window's old edge count: 2 < min_sample 4.
    before = scores_compute(tenant=scoring.tenant, at=T - timedelta(days=2, seconds=1), source=source)
    c = _commitment(before, "first_contact_resolution")
    assert (c["n"], c["actual"], c["status"], c["score"], c["met"]) == (
        2,
        None,
        "insufficient_data",
        None,
        None,
    )
    assert before["promises"][0]["score"] is None and before["promises"][0]["status"] == "insufficient_data"


@pytest.mark.parametrize("source", ["rollup", "raw"])
def test_an_average_commitment_on_its_declared_scale(scoring, source):
    promise = scoring.promise()
    scoring.commitment(promise, "review_stars", target="4.2", window_days=30, min_sample=3)
    scoring.values(
        "review_stars",
        ["5", "4.5", "3.125", "4"],
        at=T - timedelta(days=29, hours=23),
        touchpoint=scoring.returns,
    )
    scoring.values(
        "review_stars", ["1"], at=T - timedelta(days=30), touchpoint=scoring.delivery
    )  # the edge: out
    c = _commitment(scores_compute(tenant=scoring.tenant, at=T, source=source), "review_stars")
    # A = 16.625 / 4 = 4.15625 on 1…5: norm(A) = 0.7890625, norm(t) = 0.8 → s = 98.63, g = 1.09.
    assert (c["n"], c["actual"], c["met"], c["score"], c["gap"]) == (4, 4.16, False, 98.63, 1.09)
    assert (c["kind"], c["target_label"], c["direction"]) == ("perceived", "at least 4.2", "higher_is_better")
    # An hour later the first four are out of the window: n = 0 < 3.
    c = _commitment(
        scores_compute(tenant=scoring.tenant, at=T + timedelta(hours=1, seconds=1), source=source),
        "review_stars",
    )
    assert (c["n"], c["status"]) == (0, "insufficient_data")


def test_a_lower_is_better_average_and_the_perception_gap(scoring):
    promise = scoring.promise()
    scoring.commitment(promise, "first_contact_resolution", target="80", window_days=30, min_sample=1)
    scoring.commitment(promise, "effort_felt", target="2", window_days=30, min_sample=1)
    scoring.outcomes(
        "first_contact_resolution", [True] * 9 + [False], at=T - timedelta(days=1), touchpoint=scoring.returns
    )
    scoring.values("effort_felt", ["6", "7"], at=T - timedelta(days=1), touchpoint=scoring.returns)
    body = scores_compute(tenant=scoring.tenant, at=T)
    effort = _commitment(body, "effort_felt")
    # A = 6.5 on 0…10, lower is better: norm(A) = 0.35, norm(t) = 0.8 → s = 43.75, g = 45.
    assert (effort["actual"], effort["score"], effort["gap"], effort["met"]) == (6.5, 43.75, 45.0, False)
    assert effort["target_label"] == "at most 2"
    [p] = body["promises"]
    # Operational 100 (FCR 90 ≥ 80), perceived 43.75: a gap of 56.25 ≥ 20 → hidden breach.
    assert (p["operational_score"], p["perceived_score"], p["perception_gap"]) == (100.0, 43.75, 56.25)
    assert p["flags"] == ["hidden_breach"] and p["delivery_rate"] == 50.0
    assert Decimal(str(p["score"])) == Decimal("71.88")


# --- Wherever the target is shown -------------------------------------------------------------


def test_a_lower_is_better_breach_says_at_most(scoring):
    from metrics.models import BreachEvent, ScoreRun
    from metrics.services import scores_run

    promise = scoring.promise("secure-signin", title="Secure sign-in")
    scoring.commitment(promise, "signin_blocked", target="2", window_days=30, min_sample=10)
    scoring.outcomes(
        "signin_blocked", [True] + [False] * 99, at=T - timedelta(days=1), touchpoint=scoring.returns
    )
    first = scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE, at=T)
    assert first.result["commitments"][0]["status"] == "met"  # 1 % ≤ 2 %
    scoring.outcomes("signin_blocked", [True] * 4, at=T + timedelta(minutes=1), touchpoint=scoring.returns)
    scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE, at=T + timedelta(hours=1))
    (event,) = BreachEvent.objects.filter(kind="commitment_not_met")
    assert (
        event.title
        == "Signin blocked is no longer met for “Secure sign-in”: 4.81 against a target of at most 2 %"
    )
    assert (event.previous_value, event.current_value) == (1.0, 4.81)


def test_pages_and_digests_show_the_target_with_its_direction(scoring, member_clients):
    from metrics.digests.selectors import slice_content
    from metrics.models import ScoreRun
    from metrics.services import scores_run

    now = T + timedelta(days=1)
    promise = scoring.promise("secure-signin", title="Secure sign-in", owner=scoring.cs)
    scoring.commitment(promise, "signin_blocked", target="2", touchpoint=scoring.returns, window_days=30)
    scoring.commitment(promise, "review_stars", target="4.2", touchpoint=scoring.returns, window_days=30)
    scoring.outcomes("signin_blocked", [True] * 5 + [False] * 95, at=T, touchpoint=scoring.returns)
    scoring.values("review_stars", ["5", "4", "3", "4", "4"], at=T, touchpoint=scoring.returns)
    run = scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE, at=now)
    page = member_clients["viewer"].get("/scores/promises/secure-signin/").content.decode()
    rows = page[page.index('id="commitments"') :]
    assert "at most 2.00 %" in rows and "5.00 %" in rows  # target and actual of the rate, in %
    assert "at least 4.20" in rows and "4.00" in rows  # the average on its own scale, no %
    journey = member_clients["viewer"].get("/scores/journey/").content.decode()
    table = journey[journey.index('id="journey-table"') :]
    returns_row = table[table.index("Returns") :].split("</tr>")[0]
    assert "<td>105</td>" in returns_row  # the rate's and the average's events count as service events
    assert "<td>2</td>" in returns_row  # two commitments at Returns
    digest = slice_content(
        department={"id": scoring.cs.pk, "name": "Customer Service", "slug": "customer-service"},
        current=run.result,
        previous=None,
        quarter=None,
        contributed=set(),
        escalations=None,
        stories={"negative": [], "positive": []},
        base="https://acme.example",
    )
    assert {(c["measure"], c["target_label"]) for c in digest["not_met"]} == {
        ("signin_blocked", "at most 2 %"),
        ("review_stars", "at least 4.2"),
    }
