"""Score runs and snapshots, the daily and quarter-end runs, breach events, the run lock."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, transaction

from feedback.signals.models import SurveyResponse
from metrics.models import BreachEvent, Scope, ScoreRun, ScoreSnapshot, ScoringLock
from metrics.services import breaches_detect, quarter_ends, scores_daily, scores_run
from tenants.context import tenant_context
from tenants.models import Department, Touchpoint
from tests.metrics.conftest import T

H = timedelta(hours=1)


def recompute(scoring, at):
    run = scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE, at=at)
    assert run is not None
    return run


# --- Runs and snapshots -----------------------------------------------------------------------


def test_a_run_stores_the_result_and_one_snapshot_per_scope(scoring, worked_example):
    run = recompute(scoring, T)
    assert (run.kind, run.source, run.as_of) == ("recompute", "rollup", T)
    assert run.result["tenant"] == {"score": 92.13, "delivery_rate": 0.0}
    snapshots = list(ScoreSnapshot.objects.filter(run=run))
    scopes = sorted((s.scope, s.scope_id) for s in snapshots)
    commitments = sorted(c.pk for c in worked_example.commitments.all())
    expected = (
        [(Scope.TENANT, None), (Scope.PROMISE, worked_example.pk)]
        + [(Scope.COMMITMENT, pk) for pk in commitments]
        + [(Scope.DEPARTMENT, pk) for pk in Department.objects.values_list("pk", flat=True)]
        + [(Scope.TOUCHPOINT, pk) for pk in Touchpoint.objects.values_list("pk", flat=True)]
    )
    assert scopes == sorted(expected, key=lambda x: (x[0], x[1] or 0))
    tenant = next(s for s in snapshots if s.scope == Scope.TENANT)
    assert (tenant.score, tenant.delivery_rate, tenant.as_of, tenant.kind) == (92.13, 0.0, T, "recompute")
    promise = next(s for s in snapshots if s.scope == Scope.PROMISE)
    assert promise.values["perception_gap"] == 6.94
    assert sorted(s.n for s in snapshots if s.scope == Scope.COMMITMENT) == [10, 20]


# --- Quarter ends and the daily run --------------------------------------------------------------


def test_quarter_ends_in_the_tenants_time_zone(scoring):
    tenant = scoring.tenant
    tenant.time_zone = "America/New_York"
    ends = quarter_ends(tenant=tenant, before=datetime(2026, 5, 10, 12, tzinfo=UTC), count=4)
    assert ends == [
        datetime(2025, 7, 1, 4, tzinfo=UTC),  # midnight EDT
        datetime(2025, 10, 1, 4, tzinfo=UTC),
        datetime(2026, 1, 1, 5, tzinfo=UTC),  # midnight EST
        datetime(2026, 4, 1, 4, tzinfo=UTC),
    ]
    tenant.time_zone = "Europe/Berlin"
    # 23:30 UTC on 31 March is already 1 April in Berlin: that quarter has ended there.
    assert quarter_ends(tenant=tenant, before=datetime(2026, 3, 31, 23, 30, tzinfo=UTC), count=1) == [
        datetime(2026, 3, 31, 22, tzinfo=UTC)
    ]
    assert quarter_ends(tenant=tenant, before=datetime(2026, 3, 31, 21, 30, tzinfo=UTC), count=1) == [
        datetime(2025, 12, 31, 23, tzinfo=UTC)
    ]


def test_daily_is_idempotent_and_fills_missing_quarter_ends(scoring, worked_example):
    now = T + timedelta(hours=3)
    ends = quarter_ends(tenant=scoring.tenant, before=now, count=4)
    recompute_at_end = scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.QUARTER_END, at=ends[-1])
    assert recompute_at_end is not None
    first = scores_daily(tenant=scoring.tenant, now=now)
    assert sorted((r.kind, r.as_of) for r in first) == sorted(
        [("quarter_end", e) for e in ends[:-1]] + [("daily", now.replace(hour=0, minute=0, second=0))]
    )
    assert scores_daily(tenant=scoring.tenant, now=now) == []
    assert ScoreRun.objects.filter(kind="daily").count() == 1
    assert sorted(ScoreRun.objects.filter(kind="quarter_end").values_list("as_of", flat=True)) == ends
    daily = ScoreRun.objects.get(kind="daily")
    assert daily.result["tenant"]["score"] == 92.13


def test_daily_prunes_recompute_runs_older_than_30_days(scoring):
    now = T
    old = recompute(scoring, now - timedelta(days=31))
    kept = recompute(scoring, now - timedelta(days=29))
    old_daily = scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.DAILY, at=now - timedelta(days=40))
    scores_daily(tenant=scoring.tenant, now=now)
    remaining = set(ScoreRun.objects.values_list("pk", flat=True))
    assert old.pk not in remaining
    assert {kept.pk, old_daily.pk} <= remaining
    assert not ScoreSnapshot.objects.filter(run_id=old.pk).exists()


# --- Breach events -------------------------------------------------------------------------------


def test_commitment_breach_lifecycle(scoring):
    promise = scoring.promise()
    scoring.commitment(promise, "csat", target="80", min_sample=1, window_days=30)
    scoring.surveys("csat", [5, 5, 5, 5], at=T - timedelta(days=1))
    first = recompute(scoring, T)
    assert first.result["commitments"][0]["status"] == "met"
    assert not BreachEvent.objects.exists()

    scoring.surveys("csat", [1, 1], at=T + H)  # 4/6 satisfied: 66.67 < 80
    broken = recompute(scoring, T + 2 * H)
    (event,) = BreachEvent.objects.filter(kind="commitment_not_met")
    assert (event.kind, event.scope, event.scope_id) == (
        "commitment_not_met",
        "commitment",
        promise.commitments.get().pk,
    )
    assert (event.previous_value, event.current_value, event.run_id) == (100.0, 66.67, broken.pk)
    assert event.is_open

    recompute(scoring, T + 3 * H)  # still not met: the same event
    recompute(scoring, T + 4 * H)
    breaches_detect(run=broken, previous=first)  # the same transition again
    assert BreachEvent.objects.filter(kind="commitment_not_met").count() == 1

    scoring.surveys("csat", [5] * 6, at=T + 5 * H)  # 10/12: met again
    recompute(scoring, T + 6 * H)
    event.refresh_from_db()
    assert event.resolved_at is not None

    scoring.surveys("csat", [1] * 10, at=T + 7 * H)
    recompute(scoring, T + 8 * H)
    events = BreachEvent.objects.filter(kind="commitment_not_met")
    assert events.count() == 2
    assert events.filter(resolved_at__isnull=True).count() == 1


def test_the_same_transition_detected_twice_is_one_event(scoring):
    promise = scoring.promise()
    scoring.commitment(promise, "csat", target="80", min_sample=1, window_days=30)
    scoring.surveys("csat", [5], at=T - timedelta(days=1))
    first = recompute(scoring, T)
    scoring.surveys("csat", [1, 1], at=T + H)
    second = recompute(scoring, T + 2 * H)
    assert BreachEvent.objects.filter(kind="commitment_not_met").count() == 1
    breaches_detect(run=second, previous=first)
    breaches_detect(run=second, previous=first)
    assert BreachEvent.objects.filter(kind="commitment_not_met").count() == 1


def test_a_newly_flagged_hidden_breach_is_an_event(scoring):
    promise = scoring.promise()
    scoring.commitment(
        promise, "refund_processing", target="90", touchpoint=scoring.returns, threshold_seconds=60
    )
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    scoring.events("refund_processing", [60] * 10, at=T - timedelta(days=1), touchpoint=scoring.returns)
    scoring.surveys("csat", [5] * 10, at=T - timedelta(days=1), touchpoint=scoring.returns)
    recompute(scoring, T)
    scoring.surveys("csat", [1] * 10, at=T + H, touchpoint=scoring.returns)  # perceived 62.5, operational 100
    recompute(scoring, T + 2 * H)
    hidden = BreachEvent.objects.get(kind="hidden_breach")
    assert (hidden.scope, hidden.scope_id, hidden.promise_id) == ("promise", promise.pk, promise.pk)
    assert hidden.current_value == 37.5
    recompute(scoring, T + 3 * H)
    assert BreachEvent.objects.filter(kind="hidden_breach").count() == 1


@pytest.mark.parametrize(("replace", "after", "events"), [(True, 95.0, 3), (False, 95.24, 0)])
def test_a_score_drop_of_5_points_is_an_event(scoring, replace, after, events):
    """csat target 100: the score is the satisfied share. 20/20 → 19/20 drops 5 points (the
    tenant, the promise and its owning department); 20/20 → 20/21 drops 4.76 (nothing)."""
    promise = scoring.promise(owner=scoring.ops)
    scoring.commitment(promise, "csat", target="100", min_sample=1, window_days=30)
    scoring.surveys("csat", [5] * 20, at=T - timedelta(days=1))
    recompute(scoring, T)
    if replace:
        SurveyResponse.objects.filter(pk=SurveyResponse.objects.order_by("pk").first().pk).delete()
    scoring.surveys("csat", [1], at=T + H)
    run = recompute(scoring, T + 2 * H)
    assert run.result["tenant"]["score"] == after
    drops = BreachEvent.objects.filter(kind="score_drop")
    assert drops.count() == events
    if events:
        assert set(drops.values_list("scope", "department_id")) == {
            ("tenant", None),
            ("department", scoring.ops.pk),
            ("promise", scoring.ops.pk),
        }


def test_score_drop_thresholds_exactly(scoring):
    """A drop of exactly 5.00 points is an event, 4.99 is not (scores are 2-decimal floats)."""

    def run_with(tenant_score, departments=()):
        return ScoreRun.objects.create(
            kind="recompute",
            source="rollup",
            as_of=T,
            result={
                "tenant": {"score": tenant_score, "delivery_rate": None},
                "promises": [],
                "commitments": [],
                "departments": [{"id": d, "name": "D", "score": s} for d, s in departments],
            },
        )

    ops = scoring.ops.pk
    breaches_detect(run=run_with(3.04, [(ops, 3.04)]), previous=run_with(8.04, [(ops, 8.04)]))
    assert sorted(BreachEvent.objects.values_list("scope", "previous_value", "current_value")) == [
        ("department", 8.04, 3.04),
        ("tenant", 8.04, 3.04),
    ]
    BreachEvent.objects.all().delete()
    breaches_detect(run=run_with(80.01, [(ops, 80.01)]), previous=run_with(85.0, [(ops, 85.0)]))
    assert not BreachEvent.objects.exists()


def test_a_tenant_score_drop_via_runs(scoring):
    a = scoring.promise("a", title="A", owner=scoring.ops)
    b = scoring.promise("b", title="B", owner=scoring.cs)
    scoring.commitment(a, "csat", target="100", min_sample=1, window_days=30)
    scoring.commitment(b, "nps", target="-100", min_sample=1, window_days=30)
    scoring.surveys("csat", [5] * 10, at=T - timedelta(days=1))
    scoring.surveys("nps", [10], at=T - timedelta(days=1))
    recompute(scoring, T)  # tenant 100, ops 100, cs 100
    scoring.surveys("csat", [1] * 10, at=T + H)  # A: 50 → tenant 75, ops 50; cs unchanged
    run = recompute(scoring, T + 2 * H)
    assert run.result["tenant"]["score"] == 75.0
    events = {(e.scope, e.scope_id): e for e in BreachEvent.objects.filter(kind="score_drop")}
    assert set(events) == {("tenant", None), ("department", scoring.ops.pk), ("promise", a.pk)}
    assert (events[("tenant", None)].previous_value, events[("tenant", None)].current_value) == (100.0, 75.0)
    scoring.surveys("csat", [5] * 1, at=T + 3 * H)  # 11/21 → a drop of 2.38 more: no new event
    recompute(scoring, T + 4 * H)
    assert BreachEvent.objects.filter(kind="score_drop").count() == 3


# --- The run lock --------------------------------------------------------------------------------


# Committed rows: the holder, on a connection of its own, locks the tenant's lock row.
@pytest.mark.django_db(transaction=True)
def test_a_run_gives_up_while_another_holds_the_lock(scoring):
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:  # this thread has a database connection of its own
            with tenant_context(scoring.tenant):
                ScoringLock.objects.get_or_create()
                with transaction.atomic():
                    list(ScoringLock.objects.select_for_update())  # what a run in progress holds
                    locked.set()
                    release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(30)
        assert scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE, at=T) is None
        assert not ScoreRun.objects.exists()
    finally:
        release.set()
        holder.join(30)
    assert recompute(scoring, T).pk is not None  # free again
