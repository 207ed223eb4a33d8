"""Surveys and answers through the services: validation, the ingest path, the reason, isolation."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from feedback.signals.models import SourceKind, SurveyResponse
from promises.models import Measure
from surveys import services
from surveys.forms import SurveyCreateForm
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import AuditEvent, Department, Membership, Touchpoint
from tenants.services import touchpoint_delete
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


def test_a_new_survey_has_an_unguessable_token_of_its_own(world):
    other = services.survey_create(
        tenant=world.tenant,
        name="Returns desk",
        touchpoint=world.returns,
        department=world.service,
        measure=world.measures["csat"],
    )
    assert len(world.survey.token) >= 22
    assert other.token != world.survey.token
    assert (other.is_active, other.asks_reason, other.asks_consent) == (True, True, False)


def test_a_survey_asks_only_nps_csat_or_ces(world):
    with tenant_context(world.tenant):
        duration = Measure.objects.create(key="refund-time", name="Refund time", kind="duration", unit="days")
    with pytest.raises(DomainError) as caught:
        services.survey_create(
            tenant=world.tenant,
            name="Refunds",
            touchpoint=world.returns,
            department=world.service,
            measure=duration,
        )
    assert (caught.value.field, caught.value.message) == (
        "measure",
        "A hosted survey asks NPS, CSAT or CES; choose one of these measures.",
    )
    # The model refuses it too, whoever saves it.
    survey = Survey(tenant=world.tenant, name="Refunds", touchpoint=world.returns, department=world.service)
    survey.measure = duration
    with tenant_context(world.tenant), pytest.raises(ValidationError) as invalid:
        survey.full_clean()
    assert (
        "A hosted survey asks NPS, CSAT or CES; choose one of these measures."
        in invalid.value.message_dict["measure"]
    )


def test_a_survey_needs_a_name_and_a_short_thank_you(world):
    with pytest.raises(DomainError) as caught:
        services.survey_create(
            tenant=world.tenant,
            name="  ",
            touchpoint=world.returns,
            department=world.service,
            measure=world.measures["nps"],
        )
    assert caught.value.field == "name"
    with pytest.raises(DomainError) as caught:
        services.survey_create(
            tenant=world.tenant,
            name="Returns",
            touchpoint=world.returns,
            department=world.service,
            measure=world.measures["nps"],
            thank_you="x" * 501,
        )
    assert caught.value.field == "thank_you"
    assert "keep it to at most 500" in caught.value.message


def test_another_tenants_rows_are_refused_like_missing_ones(world, other_tenant):
    other = make_survey_world(other_tenant)
    with pytest.raises(DomainError) as caught:
        services.survey_create(
            tenant=world.tenant,
            name="Mixed",
            touchpoint=other.returns,
            department=world.service,
            measure=world.measures["nps"],
        )
    assert (caught.value.field, caught.value.code) == ("touchpoint", "not_found")
    with tenant_context(world.tenant):
        assert Survey.objects.count() == 1


def test_the_form_offers_a_manager_only_their_departments(world, marketing_manager):
    with tenant_context(world.tenant):
        manager = Membership.objects.get(user__email="manager@acme.test")
        form = SurveyCreateForm(membership=manager)
        assert list(form.fields["department"].queryset) == [world.service]
        admin = Membership.objects.get(user__email="admin@acme.test")
        assert set(SurveyCreateForm(membership=admin).fields["department"].queryset) == set(
            Department.objects.all()
        )
        form = SurveyCreateForm(
            {
                "name": "Marketing booth",
                "touchpoint": world.returns.pk,
                "department": world.marketing.pk,
                "measure": "nps",
            },
            membership=manager,
        )
        assert not form.is_valid()
        assert form.errors["department"] == ["Choose one of your departments from the list."]
        measures = [m.key for m in SurveyCreateForm(membership=admin).fields["measure"].queryset]
        assert sorted(measures) == ["ces", "csat", "nps"]


def test_an_answer_is_a_survey_response_through_ingest(world):
    answer = services.survey_answer(
        tenant=world.tenant, survey=world.survey, score=9, nonce="n-1", language="de"
    )
    with tenant_context(world.tenant):
        response = SurveyResponse.objects.get()
        entry = AuditEvent.objects.get(action="ingest")
    assert answer.response_id == response.pk and not answer.duplicate
    assert (response.score, response.touchpoint_id, response.measure_id) == (
        9,
        world.returns.pk,
        world.measures["nps"].pk,
    )
    assert (response.source_kind, response.source_id) == (SourceKind.HOSTED_SURVEY, world.survey.pk)
    assert response.respondent_ref == ""
    assert response.segment == {"link": "anonymous", "language": "de"}
    assert (entry.actor_kind, entry.detail["channel"], entry.detail["survey"]) == (
        "anonymous",
        "hosted_survey",
        world.survey.pk,
    )


def test_the_same_page_sent_twice_stores_one_answer(world):
    first = services.survey_answer(tenant=world.tenant, survey=world.survey, score=3, nonce="same")
    again = services.survey_answer(tenant=world.tenant, survey=world.survey, score=3, nonce="same")
    assert again.duplicate and again.response_id == first.response_id
    with tenant_context(world.tenant):
        assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize(("measure", "bad"), [("nps", 11), ("csat", 0), ("ces", 8)])
def test_a_score_off_the_scale_is_refused(tenant, measure, bad):
    world = make_survey_world(tenant, measure=None)
    with tenant_context(tenant):
        world.survey.measure = Measure.objects.get(key=measure)
        world.survey.save()
    with pytest.raises(DomainError) as caught:
        services.survey_answer(tenant=tenant, survey=world.survey, score=bad, nonce="n")
    assert caught.value.field == "score"
    with tenant_context(tenant):
        assert not SurveyResponse.objects.exists()


def test_a_closed_survey_takes_no_answer(world):
    world.survey.is_active = False
    with tenant_context(world.tenant):
        world.survey.save()
    with pytest.raises(DomainError, match="closed"):
        services.survey_answer(tenant=world.tenant, survey=world.survey, score=5, nonce="n")


def test_the_reason_lands_on_its_own_answer_once(world):
    one = services.survey_answer(tenant=world.tenant, survey=world.survey, score=2, nonce="a")
    two = services.survey_answer(tenant=world.tenant, survey=world.survey, score=8, nonce="b")
    token = services.answer_token(tenant=world.tenant, survey=world.survey, response_id=one.response_id)
    services.survey_answer_reason(tenant=world.tenant, survey=world.survey, token=token, reason=" Too slow. ")
    with pytest.raises(DomainError) as caught:
        services.survey_answer_reason(tenant=world.tenant, survey=world.survey, token=token, reason="Again")
    assert caught.value.code == "answered"
    with tenant_context(world.tenant):
        assert SurveyResponse.objects.get(pk=one.response_id).comment == "Too slow."
        assert SurveyResponse.objects.get(pk=two.response_id).comment == ""


def test_the_reason_is_stored_with_its_sentiment_read_in_the_page_language(world):
    answer = services.survey_answer(tenant=world.tenant, survey=world.survey, score=1, nonce="a")
    token = services.answer_token(tenant=world.tenant, survey=world.survey, response_id=answer.response_id)
    reason = "Der Techniker ist nicht erschienen und keiner hat Bescheid gesagt."
    services.survey_answer_reason(
        tenant=world.tenant, survey=world.survey, token=token, reason=reason, language="de"
    )
    with tenant_context(world.tenant):
        stored = SurveyResponse.objects.get(pk=answer.response_id)
    assert stored.comment == reason
    assert stored.comment_sentiment < -0.05


def test_a_reason_token_of_another_survey_or_tenant_or_forged_is_refused(world, other_tenant):
    answer = services.survey_answer(tenant=world.tenant, survey=world.survey, score=2, nonce="a")
    token = services.answer_token(tenant=world.tenant, survey=world.survey, response_id=answer.response_id)
    second = services.survey_create(
        tenant=world.tenant,
        name="Other",
        touchpoint=world.returns,
        department=world.service,
        measure=world.measures["csat"],
    )
    other = make_survey_world(other_tenant)
    for tenant, survey, tampered in (
        (world.tenant, second, token),
        (other_tenant, other.survey, token),
        (world.tenant, world.survey, token[:-2] + "xx"),
    ):
        with pytest.raises(DomainError) as caught:
            services.survey_answer_reason(tenant=tenant, survey=survey, token=tampered, reason="Hacked")
        assert caught.value.code in {"invalid_token", "not_found"}
    with tenant_context(world.tenant):
        assert SurveyResponse.objects.get().comment == ""


def test_a_touchpoint_with_a_survey_is_not_deleted_and_the_refusal_says_why(world):
    with pytest.raises(DomainError) as caught:
        touchpoint_delete(tenant=world.tenant, touchpoint=world.returns)
    assert caught.value.message == (
        "Returns is still used by surveys; move those to another touchpoint or end them before deleting it."
    )
    with tenant_context(world.tenant):
        assert Touchpoint.objects.filter(pk=world.returns.pk).exists()
