"""Answers of a hosted survey count like any survey response: rollups, the rescoring mark, scores."""

from __future__ import annotations

import re

import pytest
import redis
from django.conf import settings

from metrics.models import SurveyRollup
from metrics.services import scores_run
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.rescoring import dirty_key
from tests.conftest import client_for
from tests.metrics.conftest import scoring_setup

pytestmark = pytest.mark.django_db


def test_answers_reach_the_rollups_and_after_the_recompute_the_scores(
    tenant, django_capture_on_commit_callbacks
):
    scoring = scoring_setup(tenant)
    with tenant_context(tenant):
        promise = scoring.promise()
        scoring.commitment(promise, "nps", target="0", touchpoint=scoring.returns, min_sample=1)
    survey = survey_create(
        tenant=tenant,
        name="Returns counter",
        touchpoint=scoring.returns,
        department=scoring.cs,
        measure=scoring.measures["nps"],
        asks_reason=False,
    )
    marks = redis.Redis.from_url(settings.REDIS_URL)
    marks.delete(dirty_key(tenant.pk))
    client = client_for("acme")
    for score in (10, 9, 0):
        page = client.get(f"/s/{survey.token}/").content.decode()
        nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(f"/s/{survey.token}/", {"score": score, "nonce": nonce}).status_code == 302
    assert marks.exists(dirty_key(tenant.pk))  # the tenant waits for its recompute

    with tenant_context(tenant):
        rollup = SurveyRollup.objects.get(measure=scoring.measures["nps"], touchpoint=scoring.returns)
        assert (rollup.n, rollup.score_sum) == (3, 19)
        run = scores_run(tenant=tenant, kind="recompute")
    (commitment,) = run.result["commitments"]
    # 2 promoters and 1 detractor of 3 answers: NPS 33.33.
    assert commitment["actual"] == 33.33
