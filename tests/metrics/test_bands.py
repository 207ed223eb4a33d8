"""Bands: the word beside a score never contradicts what is shown next to it (docs/scoring.md, "Bands").

The band is derived from the score and the facts beside it — delivery rate, commitments not
met, hidden breaches, open breach events, commitments with too few signals — and says why.
The numbers themselves are the engine's, unchanged.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from metrics.bands import Facts, band_of, commitment_counts
from metrics.models import ScoreRun
from metrics.services import scores_run
from promises.models import Promise
from tests.metrics.conftest import Scoring


def label(**facts) -> str:
    return band_of(Facts(**facts), key="x")["label"]


# --- The rule, without a database ------------------------------------------------------------


def test_a_score_alone_keeps_its_own_band():
    assert label(subject="promise", score=93.68, delivery_rate=100.0, counted=3) == "strong"
    assert label(subject="promise", score=80, delivery_rate=100.0, counted=1) == "good"
    assert label(subject="promise", score=39.99, delivery_rate=100.0, counted=1) == "poor"
    assert label(subject="promise", score=None) == "no data"


def test_a_promise_with_a_commitment_not_met_is_never_strong():
    assert label(subject="promise", score=99, delivery_rate=95.0, counted=20, not_met=1) == "good"
    assert label(subject="commitment", score=97, counted=1, not_met=1) == "good"


def test_the_delivery_rate_caps_the_band():
    # The numbers: 93.68 beside 66.67 % delivered and a hidden breach.
    tenant = Facts(
        subject="tenant",
        score=93.68,
        delivery_rate=66.67,
        counted=3,
        not_met=1,
        hidden_breaches=("Hassle-free returns",),
    )
    band = band_of(tenant, key="tenant")
    assert band["label"] == "fair" and band["lowered"]
    assert band["reasons"] == [
        "A score of 93.68 alone is “strong” (90 and above).",
        "1 of the 3 commitments is not met: “strong” needs every commitment met, so at most “good”.",
        "The delivery rate is 66.67 %, under 75 %: at most “fair”.",
        "1 promise has a hidden breach (Hassle-free returns): at most “fair”.",
    ]
    assert label(subject="promise", score=88.77, delivery_rate=66.67, counted=3, not_met=1) == "fair"
    # The worked example of docs/scoring.md: 92.13, no commitment met.
    assert label(subject="promise", score=92.13, delivery_rate=0.0, counted=2, not_met=2) == "weak"


def test_hidden_breaches_open_events_and_missing_signals_cap_the_band():
    assert (
        label(subject="promise", score=95, delivery_rate=100.0, counted=2, hidden_breaches=("P",)) == "fair"
    )
    facts = Facts(subject="department", score=95, delivery_rate=100.0, counted=2, open_breaches=2)
    assert band_of(facts, key="d")["label"] == "good"
    assert (
        "2 breach events are open: at most “good” until they are resolved."
        in band_of(facts, key="d")["reasons"]
    )
    facts = Facts(subject="promise", score=95, delivery_rate=100.0, counted=2, too_few=1)
    assert band_of(facts, key="p")["label"] == "good"
    assert (
        "1 of the 3 commitments has too few signals to count: the score rests on the others, so at most “good”."
        in band_of(facts, key="p")["reasons"]
    )


def test_caps_that_do_not_lower_the_band_are_not_given_as_reasons():
    band = band_of(Facts(subject="promise", score=50, delivery_rate=100.0, counted=2, not_met=1), key="p")
    assert band["label"] == "weak" and not band["lowered"]
    assert band["reasons"] == [
        "A score of 50.00 alone is “weak” (40 to under 60).",
        "Nothing shown beside it lowers it.",
    ]


def test_commitment_counts_weigh_what_is_met():
    counts = commitment_counts(
        [
            {"status": "met", "weight": 2.0},
            {"status": "not_met", "weight": 1.0},
            {"status": "insufficient_data", "weight": 5.0},
        ]
    )
    assert (counts.counted, counts.not_met, counts.too_few, counts.delivery_rate) == (2, 1, 1, 66.67)


# --- On the pages --------------------------------------------------------------------------------


def refunds_on_time_and_csat(scoring: Scoring, **promise) -> Promise:
    """Hassle-free returns: refunds within 5 days (weight 2, all 20 on time: met) and CSAT at
    Returns, target 80 (no responses yet)."""
    promise = scoring.promise(**promise)
    scoring.commitment(
        promise,
        "refund_processing",
        target="90",
        weight="2",
        touchpoint=scoring.returns,
        threshold_seconds=432000,
    )
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    at = timezone.now() - timedelta(days=5)
    scoring.events("refund_processing", [3600] * 20, at=at, touchpoint=scoring.returns)
    return promise


def _strong_score_one_commitment_missed(scoring: Scoring):
    """Refunds on time and CSAT 70 % against 80 % (not met): the promise scores 95.83 — "strong"
    by its score alone — with a delivery rate of 66.67 % and, at a perception-gap threshold of
    10, a hidden breach."""
    scoring.tenant.perception_gap_threshold = 10
    scoring.tenant.save(update_fields=["perception_gap_threshold"])
    promise = refunds_on_time_and_csat(scoring, contributors=(scoring.cs,))
    at = timezone.now() - timedelta(days=4)
    scoring.surveys("csat", [5, 5, 4, 4, 4, 5, 4, 1, 2, 3], at=at, touchpoint=scoring.returns)
    run = scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE)
    (p,) = run.result["promises"]
    assert (p["score"], p["delivery_rate"], p["flags"]) == (95.83, 66.67, ["hidden_breach"])
    return promise


def _badges(page: str) -> list[str]:
    """The text of every score badge: "95.83 · fair"."""
    found = re.findall(
        r'class="badge text-dark border band-why-toggle[^"]*"[^>]*>(.*?)<span class="visually-hidden">', page
    )
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", "", b)).split()) for b in found]


def _why(page: str, band_id: str) -> str:
    panel = re.search(rf'<span popover id="{band_id}"[^>]*>(.*?)</span></span>', page, re.S).group(1)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", panel)).split())


@pytest.fixture
def missed(scoring):
    return _strong_score_one_commitment_missed(scoring)


def test_the_overview_never_calls_a_score_strong_beside_a_missed_commitment(missed, member_clients):
    page = member_clients["viewer"].get("/scores/").content.decode()
    badges = _badges(page)
    assert "95.83 · fair" in badges  # the tenant and the promise; never "95.83 · strong"
    assert not any(b.endswith("strong") for b in badges)
    why = _why(page, "band-tenant")
    assert why.startswith("Why “fair” A score of 95.83 alone is “strong” (90 and above).")
    assert "The delivery rate is 66.67 %, under 75 %: at most “fair”." in why
    assert "1 promise has a hidden breach (Hassle-free returns): at most “fair”." in why
    assert "1 breach event is open: at most “good” until it is resolved." in why  # the hidden breach's
    # The reasons are the button's description, and the button opens them (no script).
    assert 'popovertarget="band-tenant" aria-describedby="band-tenant"' in page
    assert f'popovertarget="band-promise-{missed.pk}"' in page


def test_the_promise_department_and_journey_pages_apply_the_same_rule(missed, member_clients, scoring):
    client = member_clients["manager"]
    promise_page = client.get(f"/scores/promises/{missed.slug}/").content.decode()
    assert _badges(promise_page)[0] == "95.83 · fair"
    # Its commitments: refunds met (100 · strong), CSAT 87.5 not met (good: below strong anyway).
    assert _badges(promise_page)[1:] == ["100.00 · strong", "87.50 · good"]
    department = client.get(f"/scores/departments/{scoring.cs.slug}/").content.decode()
    assert _badges(department) == ["95.83 · fair", "95.83 · fair"]
    journey = client.get("/scores/journey/").content.decode()
    assert "95.83 · fair" in _badges(journey)
    card = journey[journey.index('data-slug="returns"') :]
    assert card[: card.index("</li>")].count("fair · 2 commitments") == 1
    assert "1 of the 2 commitments is not met" in _why(journey, f"band-touchpoint-{scoring.returns.pk}")


def test_showing_bands_changes_no_stored_number(missed, member_clients):
    run = ScoreRun.objects.order_by("-as_of").first()
    before = run.result
    for path in ("/scores/", f"/scores/promises/{missed.slug}/", "/scores/journey/"):
        assert member_clients["viewer"].get(path).status_code == 200
    assert ScoreRun.objects.get(pk=run.pk).result == before


def test_the_home_page_gives_each_score_the_band_its_dashboard_gives_it(missed, member_clients, scoring):
    """The home page's scores (every role) and a manager's promises at risk: never "strong"
    beside a missed commitment, with the same reasons as the dashboards."""
    viewer = member_clients["viewer"].get("/").content.decode()
    badges = _badges(viewer)
    # The company, the promise and its two departments (owner and contributor).
    assert badges == ["95.83 · fair"] * 4
    overview = member_clients["viewer"].get("/scores/").content.decode()
    assert _why(viewer, "band-home-tenant") == _why(overview, "band-tenant")
    assert _why(viewer, f"band-home-promise-{missed.pk}") == _why(overview, f"band-promise-{missed.pk}")
    department = _why(viewer, f"band-home-department-{scoring.cs.pk}")
    assert "1 promise has a hidden breach (Hassle-free returns): at most “fair”." in department
    manager = member_clients["manager"].get("/").content.decode()
    assert "95.83 · fair" in _badges(manager)
    assert _why(manager, f"band-risk-promise-{missed.pk}") == _why(overview, f"band-promise-{missed.pk}")
