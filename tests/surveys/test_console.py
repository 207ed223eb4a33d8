"""The staff's survey pages: create, list, change, share (link and QR code), and who may."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.signals.models import SurveyResponse
from surveys import services
from surveys.models import Survey
from tenants.context import tenant_context
from tenants.models import User
from tests.conftest import enrol_totp, signed_in
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world):
    enrol_totp(User.objects.get(email="admin@acme.test"))
    return signed_in("acme", "admin@acme.test")


@pytest.fixture
def manager(world):
    return signed_in("acme", "manager@acme.test")


def test_an_admin_creates_a_survey_and_sees_its_link_and_qr_code(admin, world):
    response = admin.get("/surveys/new/")
    token = re.search(r'name="form_token"[^>]*value="([^"]+)"', response.content.decode())
    data = {
        "name": "Returns desk",
        "touchpoint": world.returns.pk,
        "department": world.service.pk,
        "measure": "csat",
        "asks_reason": "on",
        "thank_you": "Thanks, see you soon.",
        "form_token": token.group(1) if token else "",
    }
    created = admin.post("/surveys/new/", data)
    assert created.status_code == 302
    with tenant_context(world.tenant):
        survey = Survey.objects.select_related("measure", "created_by__user").get(name="Returns desk")
    assert created["Location"] == f"/surveys/{survey.pk}/"
    assert (survey.measure.key, survey.touchpoint_id, survey.thank_you) == (
        "csat",
        world.returns.pk,
        "Thanks, see you soon.",
    )
    assert survey.created_by.user.email == "admin@acme.test"
    # Sent twice (a double click): still one survey.
    assert admin.post("/surveys/new/", data).status_code == 302
    with tenant_context(world.tenant):
        assert Survey.objects.filter(name="Returns desk").count() == 1

    page = admin.get(created["Location"]).content.decode()
    assert f"/s/{survey.token}/" in page
    assert 'id="copy-survey-link"' in page
    png = admin.get(f"/surveys/{survey.pk}/qr.png?download=1")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    assert 'filename="survey-' in png["Content-Disposition"]
    svg = admin.get(f"/surveys/{survey.pk}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content


def test_bad_input_says_which_field_and_what_to_do(admin, world):
    response = admin.post("/surveys/new/", {"name": "", "touchpoint": "999999", "measure": "story_sentiment"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["name"] == ["Give the survey a name, e.g. “Returns counter”."]
    assert errors["touchpoint"] == ["That touchpoint does not exist (any more); choose one from the list."]
    assert errors["department"] == ["Choose the department responsible for the answers."]
    assert errors["measure"] == ["A hosted survey asks NPS, CSAT or CES; choose one of these."]


def test_the_list_takes_the_same_queries_however_many_surveys(admin, world):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get("/surveys/").status_code == 200
        return len(captured)

    services.survey_answer(tenant=world.tenant, survey=world.survey, score=9, nonce="a")
    few = queries()
    for n in range(5):
        services.survey_create(
            tenant=world.tenant,
            name=f"Survey {n}",
            touchpoint=world.returns,
            department=world.marketing,
            measure=world.measures["ces"],
        )
    assert queries() == few
    page = admin.get("/surveys/").content.decode()
    assert re.search(r"Returns counter</a>.*?<td class=\"text-end\">1</td>", page, re.S)


def test_an_admin_closes_a_survey_and_its_link_says_so(admin, world):
    data = {
        "name": "Returns counter",
        "touchpoint": world.returns.pk,
        "department": world.service.pk,
        "measure": "nps",
        "asks_reason": "on",
        "thank_you": "",
    }
    assert admin.post(f"/surveys/{world.survey.pk}/edit/", data).status_code == 302
    with tenant_context(world.tenant):
        world.survey.refresh_from_db()
    assert not world.survey.is_active
    assert world.public().status_code == 404


def test_a_manager_manages_only_their_departments_surveys(manager, world, marketing_manager):
    assert manager.get("/surveys/").status_code == 200
    assert manager.get(f"/surveys/{world.survey.pk}/").status_code == 200
    theirs = services.survey_create(
        tenant=world.tenant,
        name="Marketing booth",
        touchpoint=world.returns,
        department=world.marketing,
        measure=world.measures["nps"],
    )
    listing = manager.get("/surveys/").content.decode()
    assert "Returns counter" in listing and "Marketing booth" not in listing
    assert manager.get(f"/surveys/{theirs.pk}/").status_code == 403
    assert manager.get(f"/surveys/{theirs.pk}/qr.png").status_code == 403
    edit = {
        "name": "Moved",
        "touchpoint": world.returns.pk,
        "department": world.marketing.pk,
        "measure": "nps",
        "is_active": "on",
    }
    refused = manager.post(f"/surveys/{world.survey.pk}/edit/", edit)
    assert refused.status_code == 200
    assert refused.context["form"].errors["department"] == ["Choose one of your departments from the list."]
    with tenant_context(world.tenant):
        assert Survey.objects.get(pk=world.survey.pk).department == world.service


@pytest.mark.parametrize("role", ["employee", "viewer"])
def test_employees_and_viewers_cannot_manage_surveys(world, role):
    client = signed_in("acme", f"{role}@acme.test")
    assert client.get("/surveys/").status_code == 403
    assert client.get(f"/surveys/{world.survey.pk}/").status_code == 403


def test_another_tenants_survey_is_not_found(admin, world, other_tenant):
    other = make_survey_world(other_tenant)
    services.survey_answer(tenant=other_tenant, survey=other.survey, score=1, nonce="x")
    for path in ("", "edit/", "qr.png", "qr.svg"):
        assert admin.get(f"/surveys/{other.survey.pk}/{path}").status_code == 404
    listing = admin.get("/surveys/").content.decode()
    assert f"/surveys/{world.survey.pk}/" in listing
    assert f"/surveys/{other.survey.pk}/" not in listing
    with tenant_context(world.tenant):
        assert not SurveyResponse.objects.exists()


def test_anonymous_visitors_are_sent_to_sign_in(world):
    from tests.conftest import client_for

    response = client_for("acme").get("/surveys/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
