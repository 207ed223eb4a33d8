"""The ingest endpoints: envelope, limits, scope, Idempotency-Key, cross-tenant."""

from __future__ import annotations

import json
import re
import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from feedback.ingest.models import IdempotencyRecord
from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from tenants.context import tenant_context
from tenants.services import api_key_create, touchpoint_create
from tests.factories import tenant_state
from tests.feedback.conftest import client_with, signal_setup

PROBLEM = "application/problem+json"
NOW = "2026-01-05T10:00:00Z"


def response_item(**overrides):
    return {"measure": "nps", "score": 9, "occurred_at": NOW, "touchpoint": "delivery", **overrides}


def count(tenant, model) -> int:
    with tenant_context(tenant):
        return model.objects.count()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return response.json()


def test_one_story_as_the_whole_body(api, signals):
    response = api.post(
        "/api/v1/stories",
        {"text": "Terrible, the refund took weeks", "occurred_at": NOW, "touchpoint": "delivery"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["created"], body["duplicate"], body["rejected"]) == (1, 0, 0)
    [result] = body["results"]
    with tenant_context(signals):
        story = Story.objects.get(pk=result["id"])
        assert story.sentiment < 0 and story.channel == "api"


def test_a_batch_answers_every_item(api, signals):
    items = [response_item(external_id="1"), response_item(score=42), response_item(external_id="1")]
    body = api.post("/api/v1/survey-responses", {"items": items}, format="json").json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected", "duplicate"]
    assert body["results"][1]["errors"] == {"score": ["nps score 42 is outside 0…10."]}
    assert (body["created"], body["duplicate"], body["rejected"]) == (1, 1, 1)
    assert count(signals, SurveyResponse) == 1


def test_service_events_endpoint(api, signals):
    item = {
        "measure": "refund_processing",
        "duration_seconds": 60,
        "occurred_at": NOW,
        "touchpoint": "delivery",
    }
    body = api.post("/api/v1/service-events", item, format="json").json()
    assert body["created"] == 1
    assert count(signals, ServiceEvent) == 1


def test_more_than_1000_items_is_413(api, signals):
    response = api.post("/api/v1/survey-responses", {"items": [response_item()] * 1001}, format="json")
    body = assert_problem(response, 413)
    assert "at most 1000 items per request; split the batch" in body["detail"]
    assert count(signals, SurveyResponse) == 0


def test_a_body_over_the_size_limit_is_413(api, signals, settings):
    """Over the limit, nothing of the batch is stored, not even the Idempotency-Key's answer
    (a retry with a smaller body must not be answered from it); under it, the same items go in."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    items = [response_item(external_id=str(n)) for n in range(50)]
    for path in ("/api/v1/survey-responses", "/api/v1/stories"):
        response = api.post(path, {"items": items}, format="json", HTTP_IDEMPOTENCY_KEY=f"big-{path}")
        assert "size limit" in assert_problem(response, 413)["detail"]
    assert count(signals, SurveyResponse) == count(signals, Story) == count(signals, IdempotencyRecord) == 0

    small = api.post("/api/v1/survey-responses", {"items": items[:5]}, format="json")
    assert small.status_code == 200 and small.json()["created"] == 5
    assert count(signals, SurveyResponse) == 5


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"items": []}, "The batch is empty"),
        ({"items": {"a": 1}}, '"items" must be a list'),
        ([1, 2], "Send one item as a JSON object"),
    ],
)
def test_malformed_bodies_are_400(api, signals, body, detail):
    before = tenant_state(signals)
    assert detail in assert_problem(api.post("/api/v1/stories", body, format="json"), 400)["detail"]
    assert tenant_state(signals) == before


def test_invalid_json_is_400(api, signals):
    before = tenant_state(signals)
    response = api.post("/api/v1/stories", "{not json", content_type="application/json")
    assert_problem(response, 400)
    assert tenant_state(signals) == before


def test_a_key_without_feedback_write_is_403(signals):
    key = api_key_create(tenant=signals, name="Reader", scopes=["promises:read"])
    response = client_with(key.secret).post("/api/v1/stories", {"text": "x"}, format="json")
    assert "feedback:write" in assert_problem(response, 403)["detail"]
    assert count(signals, Story) == 0


def test_no_key_is_401(signals):
    from rest_framework.test import APIClient

    before = tenant_state(signals)
    body = {"text": "Refund took weeks", "occurred_at": NOW, "touchpoint": "delivery"}
    assert_problem(APIClient().post("/api/v1/stories", body, format="json"), 401)
    assert tenant_state(signals) == before


def test_a_key_of_one_tenant_cannot_name_anothers_touchpoint(api, signals, other_tenant):
    signal_setup(other_tenant)
    touchpoint_create(tenant=other_tenant, name="Branch visit")
    body = api.post(
        "/api/v1/survey-responses", response_item(touchpoint="branch-visit"), format="json"
    ).json()
    [result] = body["results"]
    assert result["status"] == "rejected"
    assert result["errors"]["touchpoint"][0].startswith("Unknown touchpoint 'branch-visit'")
    other_key = api_key_create(tenant=other_tenant, name="CRM", scopes=["feedback:write"])
    body = (
        client_with(other_key.secret)
        .post("/api/v1/survey-responses", response_item(touchpoint="branch-visit"), format="json")
        .json()
    )
    assert body["created"] == 1
    assert count(signals, SurveyResponse) == 0
    assert count(other_tenant, SurveyResponse) == 1


def test_idempotency_key_replays_the_stored_answer(api_key, signals):
    client = client_with(api_key.secret, HTTP_IDEMPOTENCY_KEY="batch-1")
    items = {"items": [response_item(), response_item(score=3)]}
    first = client.post("/api/v1/survey-responses", items, format="json")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first
    # Same body with other key order and spacing: the same request.
    again = client.post(
        "/api/v1/survey-responses",
        json.dumps({"items": [dict(reversed(list(i.items()))) for i in items["items"]]}, indent=2),
        content_type="application/json",
    )
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert count(signals, SurveyResponse) == 2


def test_idempotency_key_with_another_body_is_422(api_key, signals):
    client = client_with(api_key.secret, HTTP_IDEMPOTENCY_KEY="batch-1")
    client.post("/api/v1/survey-responses", response_item(), format="json")
    response = client.post("/api/v1/survey-responses", response_item(score=1), format="json")
    assert "already used for a different request" in assert_problem(response, 422)["detail"]
    other_endpoint = client.post(
        "/api/v1/stories", {"text": "Good", "occurred_at": NOW, "touchpoint": "delivery"}, format="json"
    )
    assert_problem(other_endpoint, 422)
    assert count(signals, SurveyResponse) == 1
    assert count(signals, Story) == 0


def test_idempotency_keys_are_per_tenant(api_key, signals, other_tenant):
    signal_setup(other_tenant)
    other_key = api_key_create(tenant=other_tenant, name="CRM", scopes=["feedback:write"])
    for secret in (api_key.secret, other_key.secret):
        response = client_with(secret, HTTP_IDEMPOTENCY_KEY="same").post(
            "/api/v1/survey-responses", response_item(), format="json"
        )
        assert response.status_code == 200 and "Idempotent-Replayed" not in response
    assert count(signals, SurveyResponse) == count(other_tenant, SurveyResponse) == 1
    with tenant_context(signals):
        assert IdempotencyRecord.objects.get().key == "same"


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_idempotency_key_create_one_result(tenant):
    signal_setup(tenant)
    secret = api_key_create(tenant=tenant, name="CRM", scopes=["feedback:write"]).secret
    items = {"items": [response_item(score=s) for s in range(10)]}
    barrier = threading.Barrier(2)
    answers = []

    def post():
        try:
            client = client_with(secret, HTTP_IDEMPOTENCY_KEY="retry-me")
            barrier.wait()
            answers.append(client.post("/api/v1/survey-responses", items, format="json"))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json() == answers[1].json()
    assert sorted("Idempotent-Replayed" in a for a in answers) == [False, True]
    assert count(tenant, SurveyResponse) == 10


def _statements(captured) -> list[str]:
    """The captured statements, each cut to its verb and table (savepoints: the test's own
    transaction stands in for the request's BEGIN and COMMIT)."""
    return [
        re.sub(
            r'^((?:RELEASE )?SAVEPOINT|SET LOCAL [\w.]+|SELECT metrics_rollups_add|\w+(?: INTO| FROM)? "\w+").*',
            r"\1",
            q["sql"],
            flags=re.S,
        )
        for q in captured.captured_queries
    ]


# The touchpoints and measures named, one insert (its rollups counted once for the statement:
# the setting that makes the row triggers skip it is sent in the insert's round trip, the
# grouped rollup upserts with the setting's reset in one more), one audit entry (the API key
# and its tenant come from the key cache after the key's first request).
ONE_WRITE = [
    "SAVEPOINT",
    'SELECT "tenants_touchpoint"',
    'SELECT "promises_measure"',
    "SET LOCAL cxgov.rollups_by_statement",
    'INSERT INTO "feedback_surveyresponse"',
    "SELECT metrics_rollups_add",
    "SET LOCAL cxgov.rollups_by_statement",
    'INSERT INTO "tenants_auditevent"',
    "RELEASE SAVEPOINT",
]


# Once the tenant's touchpoints and measures are kept (read with the API key after a request
# that read them committed: feedback.ingest.lookups_cache), a request reads no table before its
# insert; the audit entry goes to the server with the rollups.
KEPT_WRITE = [statement for statement in ONE_WRITE if statement not in ONE_WRITE[1:3]]


@pytest.mark.parametrize("n", [1, 10, 1000])
def test_queries_per_request_are_constant(api, signals, n, django_capture_on_commit_callbacks):
    # Built-ins ready; once the request commits, what it read is kept.
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as first:
        api.post("/api/v1/survey-responses", response_item(), format="json")
    assert set(ONE_WRITE[1:3]) <= set(_statements(first))  # the key's first request reads them
    items = {"items": [response_item(external_id=f"{n}-{i}") for i in range(n)]}
    with CaptureQueriesContext(connection) as captured:
        body = api.post("/api/v1/survey-responses", items, format="json").json()
    assert body["created"] == n
    assert _statements(captured) == KEPT_WRITE


@pytest.mark.parametrize("n", [1, 1000])
def test_a_resent_batch_costs_one_more_query_to_name_the_stored_ids(api, signals, n):
    items = {"items": [response_item(external_id=f"{n}-{i}") for i in range(n)]}
    first = api.post("/api/v1/survey-responses", items, format="json").json()
    with CaptureQueriesContext(connection) as captured:
        again = api.post("/api/v1/survey-responses", items, format="json").json()
    assert again["duplicate"] == n and [r["id"] for r in again["results"]] == [
        r["id"] for r in first["results"]
    ]
    # No write, no audit entry: the stored ids are read instead.
    assert _statements(captured) == [
        *ONE_WRITE[:5],
        ONE_WRITE[6],
        'SELECT "feedback_surveyresponse"',
        ONE_WRITE[-1],
    ]


def test_the_endpoints_are_in_the_schema(db):
    from django.test import Client
    from drf_spectacular.validation import validate_schema

    schema = Client().get("/api/schema/?format=json").json()
    validate_schema(schema)
    for path in ("/api/v1/stories", "/api/v1/survey-responses", "/api/v1/service-events"):
        post = schema["paths"][path]["post"]
        assert "feedback:write" in post["description"]
        assert {"200", "413", "422"} <= post["responses"].keys()


def test_an_overlong_idempotency_key_is_400(api_key, signals):
    client = client_with(api_key.secret, HTTP_IDEMPOTENCY_KEY="k" * 256)
    response = client.post("/api/v1/survey-responses", response_item(), format="json")
    assert "Idempotency-Key" in assert_problem(response, 400)["detail"]
    assert count(signals, SurveyResponse) == 0
