"""The scoring engine against docs/scoring.md: formulas, windows, effective dates, aggregates.

Every score is asserted on both paths: ``source="raw"`` (the reference) and
``source="rollup"`` (whole UTC days from the rollups, the edge days raw).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection

from metrics.engine import scores_compute
from tenants.context import tenant_context
from tenants.models import Tenant
from tests.metrics.conftest import T, scoring_setup

SOURCES = ("rollup", "raw")


def both(tenant: Tenant, at: datetime) -> dict:
    """The result of both paths, asserted identical."""
    rollup = scores_compute(tenant=tenant, at=at, source="rollup")
    raw = scores_compute(tenant=tenant, at=at, source="raw")
    assert rollup == raw
    return raw


def by(items: list[dict], **match) -> dict:
    (found,) = [i for i in items if all(i[k] == v for k, v in match.items())]
    return found


# --- The worked example -----------------------------------------------------------------------


@pytest.mark.parametrize("source", SOURCES)
def test_worked_example(scoring, worked_example, source):
    result = scores_compute(tenant=scoring.tenant, at=T, source=source)
    (p,) = result["promises"]
    assert p["score"] == 92.13
    assert p["delivery_rate"] == 0.0
    assert p["operational_score"] == 94.44
    assert p["perceived_score"] == 87.5
    assert p["perception_gap"] == 6.94
    assert p["flags"] == []
    assert p["status"] == "not_met"
    c1, c2 = result["commitments"]
    assert (c1["actual"], c1["n"], c1["met"], c1["score"], c1["gap"]) == (85.0, 20, False, 94.44, 5.0)
    assert (c1["kind"], c1["status"]) == ("operational", "not_met")
    assert (c2["actual"], c2["n"], c2["met"], c2["score"], c2["gap"]) == (70.0, 10, False, 87.5, 10.0)
    assert c2["kind"] == "perceived"
    assert result["tenant"] == {"score": 92.13, "delivery_rate": 0.0}
    assert by(result["touchpoints"], slug="returns")["score"] == 92.13


# --- Windows ----------------------------------------------------------------------------------


def _edge_world(scoring, window_days: int):
    promise = scoring.promise()
    for measure, extra in (
        ("csat", {}),
        ("refund_processing", {"threshold_seconds": 100, "touchpoint": scoring.returns}),
        ("story_sentiment", {}),
    ):
        scoring.commitment(promise, measure, target="50", window_days=window_days, min_sample=1, **extra)
    return promise


def _put_signals(scoring, promise, instants: list[datetime]) -> None:
    for at in instants:
        scoring.surveys("csat", [5], at=at)
        scoring.events("refund_processing", [50], at=at, touchpoint=scoring.returns)
        scoring.stories(promise, [0.5], at=at, touchpoint=scoring.returns)


MIDNIGHT = T.replace(hour=0, minute=0, second=0)
S = timedelta(seconds=1)
D = timedelta(days=1)


@pytest.mark.parametrize(
    ("at", "window_days"),
    [
        (T, 10),  # neither end at midnight
        (T, 1),
        (MIDNIGHT, 10),  # T at midnight: T − w at midnight too
        (MIDNIGHT, 1),
        (MIDNIGHT + S, 3),
        (MIDNIGHT - S, 3),
        (T.replace(hour=0, minute=0, second=0) + timedelta(hours=13, minutes=37, seconds=21), 7),
    ],
)
def test_window_edges_on_both_paths(scoring, at, window_days):
    promise = _edge_world(scoring, window_days)
    since = at - timedelta(days=window_days)
    since_midnight = since.replace(hour=0, minute=0, second=0)
    at_midnight = at.replace(hour=0, minute=0, second=0)
    candidates = {since - S, since, since + S, at - S, at, at + S}
    for midnight in (since_midnight, since_midnight + D, at_midnight, at_midnight + D):
        candidates |= {midnight - S, midnight, midnight + S}
    candidates |= {since + D / 2, at - D / 2}
    instants = sorted(candidates)
    _put_signals(scoring, promise, instants)
    expected = sum(1 for x in instants if since < x <= at)
    result = both(scoring.tenant, at)
    assert [c["n"] for c in result["commitments"]] == [expected] * 3
    assert expected >= 3


@pytest.mark.parametrize("source", SOURCES)
def test_signal_at_t_minus_w_excluded_at_t_included_after_t_excluded(scoring, source):
    promise = scoring.promise()
    scoring.commitment(promise, "csat", target="80", window_days=30, min_sample=1)
    scoring.surveys("csat", [1], at=T - timedelta(days=30))  # excluded: the window is open at T − w
    scoring.surveys("csat", [5], at=T)  # included
    scoring.surveys("csat", [1], at=T + S)  # excluded
    (c,) = scores_compute(tenant=scoring.tenant, at=T, source=source)["commitments"]
    assert (c["n"], c["actual"], c["met"]) == (1, 100.0, True)
    scoring.surveys("csat", [1, 1, 1], at=T - timedelta(days=30) + S)  # just inside
    (c,) = scores_compute(tenant=scoring.tenant, at=T, source=source)["commitments"]
    assert (c["n"], c["actual"]) == (4, 25.0)


def test_the_same_instant_in_another_time_zone_gives_the_same_window(scoring):
    """T − w days is an absolute span, also when T is given in a zone with daylight saving."""
    berlin = ZoneInfo("Europe/Berlin")
    at_local = T.astimezone(berlin)
    window = next(
        w
        for w in range(30, 731)
        if (T - timedelta(days=w)).astimezone(berlin).utcoffset() != at_local.utcoffset()
    )
    promise = scoring.promise()
    scoring.commitment(promise, "csat", target="80", window_days=window, min_sample=1)
    since = T - timedelta(days=window)
    scoring.surveys("csat", [1], at=since - timedelta(minutes=30))
    scoring.surveys("csat", [5], at=since + timedelta(minutes=30))
    for source in SOURCES:
        utc = scores_compute(tenant=scoring.tenant, at=T, source=source)
        local = scores_compute(tenant=scoring.tenant, at=at_local, source=source)
        assert utc["commitments"][0]["n"] == local["commitments"][0]["n"] == 1, source
        assert utc["promises"] == local["promises"]


# --- Effective-dated commitments ------------------------------------------------------------------


def test_a_target_change_applies_from_its_effective_instant(scoring):
    promise = scoring.promise()
    change = T - timedelta(days=5)
    commitment = scoring.commitment(
        promise, "csat", target="80", min_sample=1, effective_to=change, window_days=90
    )
    scoring.version(commitment, number=2, target="60", window_days=90, min_sample=1, effective_from=change)
    scoring.surveys("csat", [5, 5, 1], at=T - timedelta(days=20))  # A = 66.67

    before = both(scoring.tenant, change - S)["commitments"]
    assert [(c["version"], c["target"], c["met"]) for c in before] == [(1, 80.0, False)]
    at_change = both(scoring.tenant, change)["commitments"]
    assert [(c["version"], c["target"], c["met"]) for c in at_change] == [(2, 60.0, True)]
    assert both(scoring.tenant, T)["commitments"][0]["version"] == 2


def test_draft_and_retired_versions_count_nowhere(scoring):
    promise = scoring.promise()
    draft = scoring.commitment(promise, "nps", target="0", min_sample=1)
    draft.versions.update(effective_from=None)
    retired_at = T - timedelta(days=1)
    scoring.commitment(promise, "csat", target="50", min_sample=1, effective_to=retired_at)
    scoring.surveys("nps", [10] * 5, at=T - timedelta(days=3))
    scoring.surveys("csat", [5] * 5, at=T - timedelta(days=3))

    now = both(scoring.tenant, T)
    assert now["commitments"] == []
    (p,) = now["promises"]
    assert (p["score"], p["status"]) == (None, "insufficient_data")
    earlier = both(scoring.tenant, retired_at - S)
    assert [c["measure"] for c in earlier["commitments"]] == ["csat"]
    assert earlier["promises"][0]["score"] == 100.0


# --- Insufficient data --------------------------------------------------------------------------


def test_insufficient_data_is_left_out_not_counted_as_zero(scoring):
    promise = scoring.promise()
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns, weight="5")  # 4 < 5
    scoring.commitment(
        promise, "refund_processing", target="50", touchpoint=scoring.delivery, threshold_seconds=60
    )
    scoring.surveys("csat", [1, 1, 1, 1], at=T - D, touchpoint=scoring.returns)
    scoring.events("refund_processing", [10] * 5, at=T - D, touchpoint=scoring.delivery)

    result = both(scoring.tenant, T)
    short = by(result["commitments"], measure="csat")
    assert short["status"] == "insufficient_data"
    assert short["n"] == 4
    assert (short["actual"], short["score"], short["gap"], short["met"]) == (None, None, None, None)
    (p,) = result["promises"]
    assert (p["score"], p["delivery_rate"], p["status"]) == (100.0, 100.0, "met")
    assert (p["operational_score"], p["perceived_score"], p["perception_gap"]) == (100.0, None, None)
    assert by(result["touchpoints"], slug="returns")["score"] is None
    assert by(result["touchpoints"], slug="delivery")["score"] == 100.0


def test_nothing_scored_gives_nulls_everywhere(scoring):
    promise = scoring.promise(owner=scoring.cs)
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    scoring.surveys("csat", [5, 5], at=T - D, touchpoint=scoring.returns)
    result = both(scoring.tenant, T)
    (p,) = result["promises"]
    assert p["status"] == "insufficient_data"
    assert p["flags"] == []
    for key in ("score", "delivery_rate", "operational_score", "perceived_score", "perception_gap"):
        assert p[key] is None, key
    assert result["tenant"] == {"score": None, "delivery_rate": None}
    assert all(d["score"] is None and d["delivery_rate"] is None for d in result["departments"])
    assert all(t["score"] is None for t in result["touchpoints"])


# --- Weights and aggregates ---------------------------------------------------------------------


def test_commitment_and_promise_weights_in_every_aggregate(scoring):
    a = scoring.promise("a", title="A", weight="3", owner=scoring.ops)
    scoring.commitment(a, "csat", target="80", weight="3", touchpoint=scoring.returns)  # 100, met
    scoring.commitment(a, "nps", target="50", weight="1", touchpoint=scoring.returns)  # 86.67, not met
    b = scoring.promise("b", title="B", weight="1", owner=scoring.cs, contributors=(scoring.ops,))
    scoring.commitment(b, "ces", target="5", touchpoint=scoring.delivery)  # 75, not met
    scoring.surveys("csat", [5, 4, 5, 4, 5], at=T - D, touchpoint=scoring.returns)
    scoring.surveys("nps", [9, 10, 9, 10, 9, 8, 7, 8, 3, 0], at=T - D, touchpoint=scoring.returns)  # 30
    scoring.surveys("ces", [6, 5, 4, 3, 2], at=T - D, touchpoint=scoring.delivery)  # mean 4

    result = both(scoring.tenant, T)
    nps = by(result["commitments"], measure="nps")
    assert (nps["actual"], nps["score"], nps["gap"], nps["met"]) == (30.0, 86.67, 10.0, False)
    ces = by(result["commitments"], measure="ces")
    assert (ces["actual"], ces["score"], ces["gap"], ces["met"]) == (4.0, 75.0, 16.67, False)
    pa, pb = by(result["promises"], slug="a"), by(result["promises"], slug="b")
    assert (pa["score"], pa["delivery_rate"]) == (96.67, 75.0)
    assert (pb["score"], pb["delivery_rate"]) == (75.0, 0.0)
    # Tenant: (3 × 96.667 + 1 × 75) / 4; delivery (3 × 75 + 0) / 4.
    assert result["tenant"] == {"score": 91.25, "delivery_rate": 56.25}
    ops = by(result["departments"], id=scoring.ops.pk)  # owns A, contributes to B
    assert (ops["score"], ops["delivery_rate"], ops["promises"]) == (91.25, 56.25, 2)
    cs = by(result["departments"], id=scoring.cs.pk)  # owns B only
    assert (cs["score"], cs["delivery_rate"], cs["promises"]) == (75.0, 0.0, 1)
    returns = by(result["touchpoints"], slug="returns")
    assert (returns["score"], returns["commitments"]) == (96.67, 2)
    assert by(result["touchpoints"], slug="delivery")["score"] == 75.0


# --- Perception gap, measures ---------------------------------------------------------------------


def _gap_world(scoring, *, within: int, satisfied: int, n: int = 25):
    promise = scoring.promise()
    scoring.commitment(
        promise, "refund_processing", target="90", touchpoint=scoring.returns, threshold_seconds=60
    )
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    scoring.events(
        "refund_processing", [60] * within + [61] * (n - within), at=T - D, touchpoint=scoring.returns
    )
    scoring.surveys("csat", [4] * satisfied + [3] * (n - satisfied), at=T - D, touchpoint=scoring.returns)
    return promise


def test_hidden_breach_at_a_gap_of_exactly_20(scoring):
    _gap_world(scoring, within=25, satisfied=16)  # operational 100, perceived 64/80 → 80
    (p,) = both(scoring.tenant, T)["promises"]
    assert (p["operational_score"], p["perceived_score"], p["perception_gap"]) == (100.0, 80.0, 20.0)
    assert p["flags"] == ["hidden_breach"]


def test_unseen_delivery_at_a_gap_of_exactly_minus_20(scoring):
    _gap_world(scoring, within=18, satisfied=25)  # operational 72/90 → 80, perceived 100
    (p,) = both(scoring.tenant, T)["promises"]
    assert (p["operational_score"], p["perceived_score"], p["perception_gap"]) == (80.0, 100.0, -20.0)
    assert p["flags"] == ["unseen_delivery"]


def test_a_gap_below_the_threshold_is_not_flagged(scoring):
    _gap_world(scoring, within=25, satisfied=17)  # perceived 68/80 → 85, gap 15
    (p,) = both(scoring.tenant, T)["promises"]
    assert (p["perception_gap"], p["flags"]) == (15.0, [])


def test_the_tenant_sets_the_perception_gap_threshold(scoring):
    _gap_world(scoring, within=25, satisfied=15)  # perceived 60/80 → 75, gap 25
    assert both(scoring.tenant, T)["promises"][0]["flags"] == ["hidden_breach"]
    scoring.tenant.perception_gap_threshold = Decimal("30")
    scoring.tenant.save(update_fields=["perception_gap_threshold"])
    assert both(scoring.tenant, T)["promises"][0]["flags"] == []
    scoring.tenant.perception_gap_threshold = Decimal("10")
    scoring.tenant.save(update_fields=["perception_gap_threshold"])
    _gap_world_promise = both(scoring.tenant, T)["promises"][0]
    assert (_gap_world_promise["perception_gap"], _gap_world_promise["flags"]) == (25.0, ["hidden_breach"])


def test_nps(scoring):
    promise = scoring.promise()
    scoring.commitment(promise, "nps", target="0")
    scoring.surveys("nps", [10, 9, 9, 8, 7, 6, 0, 3, 10, 9], at=T - D)  # 5 promoters, 3 detractors
    (c,) = both(scoring.tenant, T)["commitments"]
    # norm(20) = 0.6 ≥ norm(0) = 0.5: capped at 100; gap 100 × (0.5 − 0.6) = −10 (ahead).
    assert (c["actual"], c["met"], c["score"], c["gap"], c["kind"]) == (20.0, True, 100.0, -10.0, "perceived")


def test_ces_is_a_mean_on_1_to_7(scoring):
    promise = scoring.promise()
    scoring.commitment(promise, "ces", target="5.5")
    scoring.surveys("ces", [7, 1, 4, 4, 5], at=T - D)  # mean 4.2
    (c,) = both(scoring.tenant, T)["commitments"]
    # norm(4.2) = 3.2/6, norm(5.5) = 4.5/6 → 100 × 3.2/4.5 = 71.11; gap 100 × 1.3/6 = 21.67.
    assert (c["actual"], c["met"], c["score"], c["gap"]) == (4.2, False, 71.11, 21.67)


@pytest.mark.parametrize(("measure", "target", "scores"), [("nps", "-100", [0] * 5), ("ces", "1", [1] * 5)])
def test_a_target_at_the_bottom_of_the_scale_scores_100(scoring, measure, target, scores):
    promise = scoring.promise()
    scoring.commitment(promise, measure, target=target)
    scoring.surveys(measure, scores, at=T - D)
    (c,) = both(scoring.tenant, T)["commitments"]
    assert (c["score"], c["met"], c["gap"]) == (100.0, True, 0.0)


def test_story_sentiment_uses_the_promises_stories(scoring):
    promise = scoring.promise()
    other = scoring.promise("other", title="Other")
    scoring.commitment(promise, "story_sentiment", target="80")
    scoring.commitment(promise, "story_sentiment", target="50", touchpoint=scoring.returns, min_sample=1)
    # −0.05 counts as non-negative, −0.0501 does not.
    scoring.stories(promise, [-0.05, -0.0501, 0.5, -0.9, 0.0], at=T - D, touchpoint=scoring.returns)
    scoring.stories(promise, [-0.8], at=T - D, touchpoint=scoring.delivery)
    scoring.stories(other, [0.9] * 10, at=T - D, touchpoint=scoring.returns)
    result = both(scoring.tenant, T)
    everywhere, at_returns = [c for c in result["commitments"] if c["promise"] == promise.slug]
    assert (everywhere["n"], everywhere["actual"], everywhere["score"]) == (6, 50.0, 62.5)
    assert (at_returns["n"], at_returns["actual"], at_returns["met"]) == (5, 60.0, True)
    assert [c["promise"] for c in result["commitments"]].count("other") == 0
    assert by(result["promises"], slug="other")["status"] == "insufficient_data"


def test_survey_touchpoint_filter(scoring):
    promise = scoring.promise()
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns, min_sample=1)
    scoring.commitment(promise, "csat", target="80", min_sample=1)
    scoring.surveys("csat", [5, 5], at=T - D, touchpoint=scoring.returns)
    scoring.surveys("csat", [1], at=T - D, touchpoint=scoring.delivery)
    scoring.surveys("csat", [1], at=T - D)
    at_returns, everywhere = both(scoring.tenant, T)["commitments"]
    assert (at_returns["n"], at_returns["actual"]) == (2, 100.0)
    assert (everywhere["n"], everywhere["actual"]) == (4, 50.0)


# --- Tenant isolation ---------------------------------------------------------------------------


def test_another_tenants_signals_never_count(scoring, worked_example, other_tenant):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == settings.CXGOV_DB_APP_ROLE
    other = scoring_setup(other_tenant)
    with tenant_context(other_tenant):
        promise = other.promise()
        other.commitment(
            promise, "refund_processing", target="90", touchpoint=other.returns, threshold_seconds=432000
        )
        other.commitment(promise, "csat", target="80", touchpoint=other.returns)
        other.events("refund_processing", [999999] * 50, at=T - D, touchpoint=other.returns)
        other.surveys("csat", [1] * 50, at=T - D, touchpoint=other.returns)
        other.surveys("csat", [1] * 50, at=T - D)
        other.stories(promise, [-0.9] * 5, at=T - D, touchpoint=other.returns)
        theirs = both(other_tenant, T)
        assert [c["n"] for c in theirs["commitments"]] == [50, 50]
        assert theirs["promises"][0]["score"] == 0.0

    for source in SOURCES:
        result = scores_compute(tenant=scoring.tenant, at=T, source=source)
        assert [c["n"] for c in result["commitments"]] == [20, 10]
        assert result["promises"][0]["score"] == 92.13
        assert [p["id"] for p in result["promises"]] == [worked_example.pk]
