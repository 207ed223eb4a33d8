"""Partner endpoints of survey distribution: bulk minting of personalised links (per-item results,
the pause, retries with an Idempotency-Key, a constant number of queries) and one link's e-mail
snippet; another tenant's survey or link is not found."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from surveys.models import SurveyLink
from tenants.context import tenant_context
from tenants.models import AuditEvent, Tenant
from tenants.services import api_key_create
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


def _bulk(api, world, items, **headers):
    return api.post(
        f"/api/v1/surveys/{world.survey.pk}/links/bulk", {"items": items}, format="json", **headers
    )


def _links(tenant) -> list[SurveyLink]:
    with tenant_context(tenant):
        return list(SurveyLink.objects.order_by("id"))


def test_each_item_is_created_suppressed_or_rejected_in_order(api, world):
    assert (
        api.post(
            f"/api/v1/surveys/{world.survey.pk}/links", {"respondent_ref": "C-0"}, format="json"
        ).status_code
        == 201
    )
    items = [
        {"respondent_ref": "C-1", "segment": {"plan": "pro"}, "expires_in_days": 7},
        {"respondent_ref": "C-0"},  # sent a link just now
        {"respondent_ref": ""},
        {"respondent_ref": "C-2", "expires_in_days": 0},
        {"respondent_ref": "C-3", "colour": "red"},
        "C-4",
        {"respondent_ref": "C-1"},  # the same respondent as item 0: within the pause too
        {"segment": {"plan": "pro"}},
    ]
    response = _bulk(api, world, items)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["created"], body["suppressed"], body["rejected"]) == (1, 2, 5)
    results = body["results"]
    assert [r["index"] for r in results] == list(range(len(items)))
    assert [r["status"] for r in results] == [
        "created",
        "suppressed",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "suppressed",
        "rejected",
    ]
    created = results[0]["link"]
    assert created["respondent_ref"] == "C-1" and created["segment"] == {"plan": "pro"}
    assert created["url"].endswith(f"/s/l/{created['token']}/") and created["state"] == "open"
    assert created["embed_url"] == created["url"] + "embed/"
    assert "within 90 days" in results[1]["detail"] and results[1]["ask_again_at"]
    assert "within 90 days" in results[6]["detail"]
    assert (
        list(results[2]["errors"]) == ["respondent_ref"]
        and "required" in results[2]["errors"]["respondent_ref"][0]
    )
    assert list(results[3]["errors"]) == ["expires_in_days"]
    assert list(results[4]["errors"]) == ["colour"]
    assert "JSON object" in results[5]["errors"]["non_field_errors"][0]
    assert list(results[7]["errors"]) == ["respondent_ref"]
    links = _links(world.tenant)
    assert [(lk.respondent_ref, lk.segment) for lk in links] == [("C-0", {}), ("C-1", {"plan": "pro"})]
    assert links[1].pk == created["id"]
    with tenant_context(world.tenant):  # every link written is in the audit trail
        assert AuditEvent.objects.filter(model="surveys.SurveyLink", object_id=str(links[1].pk)).exists()


def test_without_a_pause_one_respondent_may_get_two_links(api, world):
    Tenant.objects.filter(pk=world.tenant.pk).update(survey_suppression_days=0)
    body = _bulk(api, world, [{"respondent_ref": "C-1"}, {"respondent_ref": "C-1"}]).json()
    assert body["created"] == 2 and len(_links(world.tenant)) == 2


def test_a_thousand_respondents_take_a_constant_number_of_queries(api, world):
    def run(count: int, offset: int) -> int:
        items = [{"respondent_ref": f"R-{offset + i}", "segment": {"n": str(i)}} for i in range(count)]
        with CaptureQueriesContext(connection) as queries:
            response = _bulk(api, world, items)
        assert response.status_code == 200 and response.json()["created"] == count
        return len(queries)

    run(1, 90_000)  # the first request of a key also notes its use
    small = run(2, 0)
    large = run(1000, 10_000)
    assert large == small, f"{small} queries for 2 respondents, {large} for 1,000"
    assert len(_links(world.tenant)) == 1003


def test_a_retry_with_the_same_idempotency_key_mints_nothing_twice(api, world):
    Tenant.objects.filter(pk=world.tenant.pk).update(survey_suppression_days=0)
    items = [{"respondent_ref": "C-1"}, {"respondent_ref": "C-2"}]
    first = _bulk(api, world, items, HTTP_IDEMPOTENCY_KEY="batch-7")
    again = _bulk(api, world, items, HTTP_IDEMPOTENCY_KEY="batch-7")
    assert first.status_code == again.status_code == 200
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert len(_links(world.tenant)) == 2
    other = _bulk(api, world, [{"respondent_ref": "C-3"}], HTTP_IDEMPOTENCY_KEY="batch-7")
    assert other.status_code == 422 and "already used" in other.json()["detail"]
    assert len(_links(world.tenant)) == 2


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({}, 400, "list of respondents"),
        ({"items": "C-1"}, 400, "list of respondents"),
        ({"items": []}, 400, "non-empty list"),
        ({"items": [{"respondent_ref": f"C-{i}"} for i in range(1001)]}, 413, "At most 1000"),
    ],
)
def test_a_bad_request_is_refused_whole(api, world, body, status, words):
    response = api.post(f"/api/v1/surveys/{world.survey.pk}/links/bulk", body, format="json")
    assert response.status_code == status and words in response.json()["detail"]
    assert _links(world.tenant) == []


def test_a_closed_survey_mints_no_link_in_bulk(api, world):
    world.survey.is_active = False
    with tenant_context(world.tenant):
        world.survey.save()
    response = _bulk(api, world, [{"respondent_ref": "C-1"}])
    assert response.status_code == 400 and "closed" in response.json()["detail"]


def test_the_bulk_endpoint_needs_the_scope_and_the_own_tenants_survey(world, other_tenant):
    assert (
        _bulk(
            _client(world.tenant, scopes=("feedback:write",)), world, [{"respondent_ref": "C-1"}]
        ).status_code
        == 403
    )
    other = make_survey_world(other_tenant)
    # acme's key, the other tenant's survey: not found, nothing minted anywhere.
    response = _bulk(_client(world.tenant), other, [{"respondent_ref": "C-1"}])
    assert response.status_code == 404
    assert _links(other_tenant) == [] and _links(world.tenant) == []


def test_the_snippet_of_a_link_has_a_button_per_score_in_its_language(api, world):
    link = api.post(
        f"/api/v1/surveys/{world.survey.pk}/links", {"respondent_ref": "C-1"}, format="json"
    ).json()
    response = api.get(f"/api/v1/surveys/{world.survey.pk}/links/{link['id']}/snippet?lang=de")
    assert response.status_code == 200
    body = response.json()
    assert body["language"] == "de" and body["state"] == "open"
    assert [item["score"] for item in body["score_urls"]] == list(range(0, 11))
    assert body["score_urls"][9]["url"].endswith(f"/s/l/{link['token']}/score/9/?lang=de")
    html = body["html"]
    assert html.startswith("<table") and "Wie wahrscheinlich" in html
    assert "<script" not in html and "<img" not in html and "<style" not in html
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs == [item["url"] for item in body["score_urls"]]
    bad = api.get(f"/api/v1/surveys/{world.survey.pk}/links/{link['id']}/snippet?lang=it")
    assert bad.status_code == 400 and list(bad.json()["errors"]) == ["lang"]


def test_another_tenants_link_has_no_snippet(world, other_tenant):
    other = make_survey_world(other_tenant)
    theirs = (
        _client(other_tenant)
        .post(f"/api/v1/surveys/{other.survey.pk}/links", {"respondent_ref": "C-1"}, format="json")
        .json()
    )
    response = _client(world.tenant).get(f"/api/v1/surveys/{other.survey.pk}/links/{theirs['id']}/snippet")
    assert response.status_code == 404
