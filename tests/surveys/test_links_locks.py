"""Personalised links under concurrency, on the real database: two mints for one respondent at
once give one link, and two answers of one link at once store one answer."""

from __future__ import annotations

import pytest

from feedback.signals.models import SurveyResponse
from surveys import services
from surveys.models import SurveyLink
from tenants.context import tenant_context
from tests.feedback.ingest.test_ingest_locks import _held_open, _other_connection, _run, _waiting_on
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db(transaction=True)


def _race(first_target, second_target):
    first, first_outcome, ready, release = _held_open(first_target, commit=True)
    ready.wait(60)
    with _other_connection() as observer:
        observer.autocommit = True
        second, second_outcome = _run(second_target)
        waited_on = _waiting_on(second, observer)
        release.set()
        first.join()
        second.join()
    return first_outcome, second_outcome, waited_on


def test_two_mints_for_one_respondent_at_once_give_one_link(tenant):
    world = make_survey_world(tenant)

    def mint():
        return services.survey_link_mint(tenant=tenant, survey=world.survey, respondent_ref="C-1").pk

    first, second, waited_on = _race(mint, mint)
    assert waited_on is not None  # the second waited for the first
    assert "error" not in first, first
    assert isinstance(second.get("error"), services.SurveyLinkSuppressed), second
    with tenant_context(tenant):
        assert list(SurveyLink.objects.values_list("pk", flat=True)) == [first["value"]]


def test_two_answers_of_one_link_at_once_store_one(tenant):
    world = make_survey_world(tenant)
    link = services.survey_link_mint(tenant=tenant, survey=world.survey, respondent_ref="C-1")

    def answer(score, nonce):
        return lambda: (
            services.survey_link_answer(tenant=tenant, link=link, score=score, nonce=nonce).response_id
        )

    first, second, waited_on = _race(answer(9, "page-1"), answer(2, "page-2"))
    assert waited_on is not None
    assert "error" not in first, first
    assert second["error"].code == "answered"
    with tenant_context(tenant):
        assert list(SurveyResponse.objects.values_list("pk", "score", "respondent_ref")) == [
            (first["value"], 9, "C-1")
        ]
        assert SurveyLink.objects.get().response_id == first["value"]
