"""Personalised survey links over the API: minting (per-field errors, scopes, another tenant's
survey), the pause between two links of one respondent, and revoking."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import Survey, SurveyLink
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import AuditEvent, Tenant
from tenants.services import api_key_create
from tenants.sites import tenant_url
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


def _client(tenant, scopes=("surveys:write",)) -> APIClient:
    client = APIClient()
    secret = api_key_create(tenant=tenant, name="CRM", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def api(world):
    return _client(world.tenant)


def _mint(api, world, **body):
    return api.post(
        f"/api/v1/surveys/{world.survey.pk}/links", {"respondent_ref": "C-1", **body}, format="json"
    )


def _links(tenant) -> list[SurveyLink]:
    with tenant_context(tenant):
        return list(SurveyLink.objects.order_by("id"))


def test_a_minted_link_carries_the_respondent_and_expires(api, world):
    before = timezone.now()
    response = _mint(api, world, segment={"plan": "pro", "channel": "email"}, expires_in_days=7)
    assert response.status_code == 201, response.json()
    body = response.json()
    (link,) = _links(world.tenant)
    assert body["id"] == link.pk and body["token"] == link.token
    assert body["url"] == tenant_url(world.tenant, f"/s/l/{link.token}/")
    # Beside it, the same link's page to show in a frame.
    assert body["embed_url"] == tenant_url(world.tenant, f"/s/l/{link.token}/embed/")
    assert (body["respondent_ref"], body["segment"], body["state"]) == (
        "C-1",
        {"plan": "pro", "channel": "email"},
        "open",
    )
    assert (link.respondent_ref, link.segment, link.survey_id) == (
        "C-1",
        {"plan": "pro", "channel": "email"},
        world.survey.pk,
    )
    assert before + dt.timedelta(days=7) <= link.expires_at <= timezone.now() + dt.timedelta(days=7)


def test_without_expiry_a_link_lasts_30_days(api, world):
    assert _mint(api, world).status_code == 201
    (link,) = _links(world.tenant)
    assert abs(link.expires_at - timezone.now() - dt.timedelta(days=30)) < dt.timedelta(minutes=1)


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"respondent_ref": None}, "respondent_ref", "may not be null"),
        ({"respondent_ref": ""}, "respondent_ref", "may not be blank"),
        ({"respondent_ref": "x" * 121}, "respondent_ref", "120"),
        ({"respondent_ref": 42}, "respondent_ref", "Expected a string"),
        ({"respondent_ref": "C\x001"}, "respondent_ref", "Null characters are not allowed"),
        ({"segment": "pro"}, "segment", "Expected an object"),
        ({"segment": {"plan": {"nested": 1}}}, "segment", "no nesting"),
        ({"segment": {f"k{i}": i for i in range(21)}}, "segment", "too large"),
        (
            {"segment": {f"k{i}": i for i in range(19)}},
            "segment",
            "its answer adds “link” and “language”, so keep it to 18",
        ),
        ({"expires_in_days": 0}, "expires_in_days", "greater than or equal to 1"),
        ({"expires_in_days": 366}, "expires_in_days", "less than or equal to 365"),
        ({"expires_in_days": "7"}, "expires_in_days", "Expected a whole number"),
    ],
)
def test_bad_input_is_refused_per_field(api, world, body, field, words):
    response = api.post(
        f"/api/v1/surveys/{world.survey.pk}/links", {"respondent_ref": "C-1", **body}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert response["Content-Type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert words in errors[field][0]
    assert _links(world.tenant) == []


def test_the_key_needs_the_surveys_write_scope(world):
    client = _client(world.tenant, scopes=("feedback:write", "promises:write"))
    response = _mint(client, world)
    assert response.status_code == 403
    assert "surveys:write" in response.json()["detail"]
    assert _links(world.tenant) == []


def test_another_tenants_survey_is_not_found(world, other_tenant):
    other = make_survey_world(other_tenant)
    response = _mint(_client(world.tenant), other)
    assert response.status_code == 404
    assert response.json()["detail"] == "Not found: no such object for this API key's tenant."
    assert _links(other_tenant) == []
    link = _mint(_client(other_tenant), other).json()
    path = f"/api/v1/surveys/{other.survey.pk}/links/{link['id']}"
    assert _client(world.tenant).delete(path).status_code == 404
    assert _client(world.tenant).get(path).status_code == 404
    assert [lk.revoked_at for lk in _links(other_tenant)] == [None]


def test_a_closed_survey_mints_no_link(api, world):
    with tenant_context(world.tenant):
        Survey.objects.filter(pk=world.survey.pk).update(is_active=False)
    response = _mint(api, world)
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "survey": ["This survey is closed; open it again in cxgov before minting links."]
    }


def test_a_respondent_asked_recently_is_not_asked_again(api, world):
    first = _mint(api, world)
    assert first.status_code == 201
    second_survey = survey_create(
        tenant=world.tenant,
        name="Store",
        touchpoint=world.returns,
        department=world.service,
        measure=world.measures["csat"],
    )
    again = api.post(f"/api/v1/surveys/{second_survey.pk}/links", {"respondent_ref": "C-1"}, format="json")
    assert again.status_code == 409
    body = again.json()
    (link,) = _links(world.tenant)
    ask_again_at = link.created_at + dt.timedelta(days=90)
    assert dt.datetime.fromisoformat(body["ask_again_at"]) == ask_again_at
    assert "within 90 days" in body["detail"] and f"{ask_again_at:%Y-%m-%d}" in body["detail"]
    assert list(body["errors"]) == ["respondent_ref"]
    # Another respondent is asked.
    assert _mint(api, world, respondent_ref="C-2").status_code == 201


def test_the_pause_ends_and_a_revoked_link_does_not_count(api, world):
    assert _mint(api, world).status_code == 201
    with tenant_context(world.tenant):
        SurveyLink.objects.update(created_at=timezone.now() - dt.timedelta(days=91))
    assert _mint(api, world).status_code == 201  # 91 days later
    newest = _links(world.tenant)[-1]
    assert api.delete(f"/api/v1/surveys/{world.survey.pk}/links/{newest.pk}").status_code == 200
    assert _mint(api, world).status_code == 201  # the revoked one does not count


def test_a_pause_of_zero_days_asks_every_time(api, world):
    Tenant.objects.filter(pk=world.tenant.pk).update(survey_suppression_days=0)
    assert [_mint(api, world).status_code for _ in range(2)] == [201, 201]


def test_a_revoked_link_says_so(api, world):
    link = _mint(api, world).json()
    path = f"/api/v1/surveys/{world.survey.pk}/links/{link['id']}"
    response = api.delete(path)
    assert response.status_code == 200
    assert response.json()["state"] == "revoked"
    (stored,) = _links(world.tenant)
    assert stored.revoked_at is not None
    assert api.delete(path).json()["revoked_at"] == response.json()["revoked_at"]  # again: unchanged
    assert api.get(path).json()["state"] == "revoked"
    assert api.delete(f"/api/v1/surveys/{world.survey.pk}/links/{link['id'] + 1000}").status_code == 404


def test_minting_and_revoking_are_in_the_audit_trail(api, world):
    link = _mint(api, world).json()
    api.delete(f"/api/v1/surveys/{world.survey.pk}/links/{link['id']}")
    with tenant_context(world.tenant):
        entries = list(
            AuditEvent.objects.filter(model="surveys.SurveyLink", object_id=str(link["id"])).order_by("id")
        )
    assert [(e.action, e.actor_kind) for e in entries] == [("insert", "api_key"), ("update", "api_key")]
