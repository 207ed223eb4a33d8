""" "Did it work?": the commitment's score over its window before an action was done and the same
window after, computed by the scoring engine, checked against numbers worked out by hand."""

from __future__ import annotations

import zoneinfo
from datetime import timedelta

from django.utils import timezone

from metrics.actions.selectors import action_outcome, promise_actions
from metrics.actions.services import action_update
from metrics.engine import scores_compute
from metrics.models import Action
from tests.metrics.conftest import Scoring

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _done_at(world, action: Action, when) -> Action:
    action_update(tenant=world.tenant, actor=world.member("admin"), action=action, status="done")
    Action.objects.filter(pk=action.pk).update(done_at=when)
    return Action.objects.get(pk=action.pk)


def test_before_and_after_the_action_by_hand(world):
    scoring = Scoring(world.tenant, None, None, world.cs, None, measures={"csat": world.commitment.measure})
    returns = world.commitment.touchpoint
    done = timezone.now().replace(microsecond=0) - timedelta(days=40)
    # The 28 days before: 3 of 4 satisfied (≥ 4) → CSAT 75 %; target 80 % → score 100 × 75 / 80.
    scoring.surveys("csat", [5, 5, 4, 2], at=done - timedelta(days=5), touchpoint=returns)
    # The 28 days after: 4 of 5 → 80 % → the target is met → 100.
    scoring.surveys("csat", [5, 5, 5, 4, 1], at=done + timedelta(days=5), touchpoint=returns)
    # Outside both windows: counted in neither.
    scoring.surveys("csat", [1, 1], at=done - timedelta(days=29), touchpoint=returns)
    scoring.surveys("csat", [1], at=done + timedelta(days=29), touchpoint=returns)
    action = _done_at(world, world.plan(commitment=world.commitment), done)

    outcome = action_outcome(action=action, now=timezone.now(), zone=BERLIN)

    assert outcome.window_days == 28
    assert (outcome.before.n, outcome.before.actual, outcome.before.score) == (4, 75.0, 93.75)
    assert (outcome.after.n, outcome.after.actual, outcome.after.score) == (5, 80.0, 100.0)
    assert outcome.change == 6.25
    assert (outcome.before.until, outcome.after.since, outcome.after.until) == (
        done,
        done,
        done + timedelta(days=28),
    )
    # The same numbers as the scores the engine computes as of those instants.
    for side, at in ((outcome.before, done), (outcome.after, done + timedelta(days=28))):
        [scored] = [
            c
            for c in scores_compute(tenant=world.tenant, at=at)["commitments"]
            if c["id"] == world.commitment.pk
        ]
        assert (scored["score"], scored["actual"], scored["n"]) == (side.score, side.actual, side.n)


def test_until_the_window_after_has_passed_come_back_later(world):
    done = timezone.now() - timedelta(days=3)
    action = _done_at(world, world.plan(commitment=world.commitment), done)
    outcome = action_outcome(action=action, now=timezone.now(), zone=BERLIN)
    assert outcome.before is None and outcome.after is None
    assert outcome.come_back_on == (done + timedelta(days=28)).astimezone(BERLIN).date()


def test_no_outcome_without_a_commitment_or_before_it_is_done(world):
    plain = world.plan()
    open_with_commitment = world.plan(commitment=world.commitment)
    assert action_outcome(action=plain, now=timezone.now(), zone=BERLIN) is None
    assert action_outcome(action=open_with_commitment, now=timezone.now(), zone=BERLIN) is None
    rows = promise_actions(tenant=world.tenant, promise_id=world.promise.pk, now=timezone.now())
    assert [r.get("outcome") for r in rows] == [None, None]
