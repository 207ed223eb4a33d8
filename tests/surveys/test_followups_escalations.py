"""Many unhappy answers of a hosted survey on one promise and touchpoint still feed the existing
escalation proposals: the score run finds the commitment no longer met and proposes one
escalation for that promise and touchpoint, while each answer has its own follow-up."""

from __future__ import annotations

import pytest

from feedback.escalations.models import Escalation
from metrics.models import BreachEvent, ScoreRun
from metrics.services import scores_run
from surveys.models import FollowUp
from surveys.services import survey_answer, survey_create
from tests.metrics.conftest import scoring, scoring_setup  # noqa: F401 (the fixture)

pytestmark = pytest.mark.django_db


def test_unhappy_hosted_answers_propose_an_escalation_for_the_promise_and_touchpoint(scoring):  # noqa: F811
    promise = scoring.promise(owner=scoring.cs)
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    survey = survey_create(
        tenant=scoring.tenant,
        name="Returns desk",
        touchpoint=scoring.returns,
        department=scoring.cs,
        measure=scoring.measures["csat"],
        promise=promise,
    )
    for n in range(10):
        survey_answer(tenant=scoring.tenant, survey=survey, score=5, nonce=f"happy-{n}")
    scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE)
    assert not Escalation.objects.exists()

    for n in range(20):
        survey_answer(tenant=scoring.tenant, survey=survey, score=1, nonce=f"unhappy-{n}")
    scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE)

    event = BreachEvent.objects.get(kind=BreachEvent.Kind.COMMITMENT_NOT_MET)
    escalation = Escalation.objects.get()
    assert event.escalation_id == escalation.pk
    assert (escalation.promise_id, escalation.touchpoint_id, escalation.proposer_kind) == (
        promise.pk,
        scoring.returns.pk,
        "system",
    )
    # And each unhappy answer has its follow-up for the department.
    assert FollowUp.objects.filter(department=scoring.cs, status="open").count() == 20
