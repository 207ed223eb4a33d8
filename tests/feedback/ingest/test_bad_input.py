"""Bad input at the ingest API: every value PostgreSQL or Python would refuse later is refused
up front, as the item's own error (naming the field, what is wrong, what to do), and the
good items of the same batch are stored. Whole-body problems answer 400 problem+json."""

from __future__ import annotations

import json

import pytest

from feedback.ingest.models import IdempotencyRecord
from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from tenants.context import tenant_context
from tenants.services import api_key_create
from tests.feedback.conftest import client_with

PROBLEM = "application/problem+json"
NOW = "2026-01-05T10:00:00Z"
GOOD_STORY = {"text": "Parcel came on time.", "occurred_at": NOW, "touchpoint": "delivery"}
GOOD_RESPONSE = {"measure": "nps", "score": 9, "occurred_at": NOW, "touchpoint": "delivery"}
GOOD_EVENT = {
    "measure": "refund_processing",
    "duration_seconds": 3600,
    "occurred_at": NOW,
    "touchpoint": "delivery",
}
URLS = {
    "stories": "/api/v1/stories",
    "survey_responses": "/api/v1/survey-responses",
    "service_events": "/api/v1/service-events",
}
MODELS = {"stories": Story, "survey_responses": SurveyResponse, "service_events": ServiceEvent}
GOOD = {"stories": GOOD_STORY, "survey_responses": GOOD_RESPONSE, "service_events": GOOD_EVENT}


def count(tenant, model) -> int:
    with tenant_context(tenant):
        return model.objects.count()


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return response.json()


# (kind, field, bad item overrides, words the message must contain)
BAD_ITEMS = [
    ("stories", "occurred_at", {"occurred_at": "0001-01-01T00:00:00+14:00"}, "before 2000-01-01"),
    ("stories", "occurred_at", {"occurred_at": "9999-12-31T23:59:59-14:00"}, "in the future"),
    ("stories", "occurred_at", {"occurred_at": "1999-12-31T23:59:59Z"}, "before 2000-01-01"),
    ("stories", "occurred_at", {"occurred_at": "0001-01-01T00:00:00"}, "no time zone"),
    ("stories", "occurred_at", {"occurred_at": "2026-13-45T99:00:00Z"}, "not a date and time"),
    ("stories", "occurred_at", {"occurred_at": "2026-01-05\x00T10:00:00Z"}, "not a date and time"),
    ("stories", "text", {"text": "refund\x00late"}, "NUL character"),
    ("stories", "external_id", {"external_id": "ticket\x00-1"}, "NUL character"),
    ("stories", "segment", {"segment": "pro\x00"}, "NUL character"),
    ("stories", "touchpoint", {"touchpoint": "deli\x00very"}, "NUL character"),
    ("stories", "promises", {"promises": ["fast\x00refunds"]}, "Unknown promise"),
    ("survey_responses", "comment", {"comment": "\x00"}, "NUL character"),
    ("survey_responses", "respondent_ref", {"respondent_ref": "r\x00"}, "NUL character"),
    ("survey_responses", "segment", {"segment": {"pl\x00an": "pro"}}, "NUL character"),
    ("survey_responses", "segment", {"segment": {"plan": "pro\x00"}}, "NUL character"),
    ("survey_responses", "score", {"score": 10**30}, "between 0 and 32767"),
    ("survey_responses", "score", {"score": -(10**30)}, "between 0 and 32767"),
    ("survey_responses", "occurred_at", {"occurred_at": "0001-01-01T00:00:00+14:00"}, "before 2000-01-01"),
    ("service_events", "duration_seconds", {"duration_seconds": 10**30}, "more than ten years"),
    ("service_events", "duration_seconds", {"duration_seconds": 2**63}, "more than ten years"),
    ("service_events", "duration_seconds", {"duration_seconds": 1e30}, "more than ten years"),
    ("service_events", "duration_seconds", {"duration_seconds": 315_360_001}, "more than ten years"),
    ("service_events", "duration_seconds", {"duration_seconds": -1}, "cannot be negative"),
    ("service_events", "duration_seconds", {"duration_seconds": 1.5}, "whole number"),
    ("service_events", "external_id", {"external_id": "\x00"}, "NUL character"),
    ("service_events", "occurred_at", {"occurred_at": "0001-01-01T00:00:00+14:00"}, "before 2000-01-01"),
]


@pytest.mark.parametrize(("kind", "field", "overrides", "words"), BAD_ITEMS)
def test_a_bad_value_rejects_its_item_and_the_good_ones_are_stored(
    api, signals, kind, field, overrides, words
):
    bad = {**GOOD[kind], **overrides}
    good = {**GOOD[kind], "external_id": "good-1"}
    response = api.post(URLS[kind], {"items": [good, bad]}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    [message] = body["results"][1]["errors"][field]
    assert words in message
    assert "\x00" not in message  # the message never echoes the bad character
    with tenant_context(signals):
        assert list(MODELS[kind].objects.values_list("external_id", flat=True)) == ["good-1"]


def test_ten_years_exactly_is_a_duration(api, signals):
    response = api.post(
        URLS["service_events"], {**GOOD_EVENT, "duration_seconds": 315_360_000}, format="json"
    )
    assert response.json()["created"] == 1


def test_a_batch_that_stored_nothing_is_422_with_every_items_result(api, signals):
    items = [
        {**GOOD_STORY, "occurred_at": "0001-01-01T00:00:00+14:00"},
        {**GOOD_STORY, "text": "a\x00b"},
    ]
    body = assert_problem(api.post(URLS["stories"], {"items": items}, format="json"), 422)
    assert body["title"] == "Unprocessable request"
    assert "No item was stored" in body["detail"]
    assert (body["created"], body["duplicate"], body["rejected"]) == (0, 0, 2)
    assert [sorted(r["errors"]) for r in body["results"]] == [["occurred_at"], ["text"]]
    assert count(signals, Story) == 0


def test_one_rejected_item_sent_alone_is_422(api, signals):
    body = assert_problem(
        api.post(URLS["service_events"], {**GOOD_EVENT, "duration_seconds": 10**30}, format="json"), 422
    )
    assert body["results"][0]["status"] == "rejected"
    assert count(signals, ServiceEvent) == 0


def test_a_replayed_422_is_422_again(api, signals):
    item = {**GOOD_EVENT, "duration_seconds": 10**30}
    first = api.post(URLS["service_events"], item, format="json", HTTP_IDEMPOTENCY_KEY="k-422")
    again = api.post(URLS["service_events"], item, format="json", HTTP_IDEMPOTENCY_KEY="k-422")
    assert assert_problem(first, 422) == assert_problem(again, 422)
    assert again["Idempotent-Replayed"] == "true"
    with tenant_context(signals):
        assert IdempotencyRecord.objects.get().response_status == 422
    assert count(signals, ServiceEvent) == 0


def test_a_batch_of_duplicates_only_is_200(api, signals):
    item = {**GOOD_EVENT, "external_id": "same"}
    api.post(URLS["service_events"], item, format="json")
    response = api.post(URLS["service_events"], item, format="json")
    assert response.status_code == 200
    assert response.json()["duplicate"] == 1


# --- Whole bodies that cannot be parsed safely -----------------------------------------------


@pytest.fixture
def full_api(signals):
    key = api_key_create(
        tenant=signals,
        name="Everything",
        scopes=["feedback:write", "promises:read", "promises:write", "scores:read", "escalations:write"],
    )
    return client_with(key.secret)


DEEP_BODIES = [
    "[" * 5000,
    '{"a":' * 5000 + "1" + "}" * 5000,
    '{"items": ' + "[" * 40 + "]" * 40 + "}",
    "[" * 100_000,
]
JSON_ENDPOINTS = [
    "/api/v1/stories",
    "/api/v1/survey-responses",
    "/api/v1/service-events",
    "/api/v1/escalations",
    "/api/v1/touchpoints",
    "/api/v1/departments",
    "/api/v1/promises",
]


@pytest.mark.parametrize(
    "body", DEEP_BODIES, ids=["5000-arrays", "5000-objects", "41-levels", "100000-arrays"]
)
@pytest.mark.parametrize("url", JSON_ENDPOINTS)
def test_deeply_nested_json_is_400_before_parsing(full_api, signals, url, body):
    response = full_api.generic("POST", url, body, content_type="application/json")
    problem = assert_problem(response, 400)
    assert "nests deeper than 32 levels" in problem["detail"]
    assert count(signals, Story) == 0


def test_nesting_inside_strings_does_not_count(api, signals):
    item = {**GOOD_STORY, "text": "[" * 4000 + '\\"{' * 100}
    response = api.post(URLS["stories"], item, format="json")
    assert response.json()["created"] == 1


SURROGATE_BODIES = [
    (f'{{"text": "\\ud800", "occurred_at": "{NOW}", "touchpoint": "delivery"}}', "text"),
    (f'{{"items": [{json.dumps(GOOD_STORY)}, {{"text": "x\\udfff", "occurred_at": "{NOW}", "touchpoint": "delivery"}}]}}', "items[1].text"),
    (f'{{"text": "ok", "occurred_at": "{NOW}", "touchpoint": "delivery", "\\ud83d": 1}}', "body"),
    (f'{{"text": "\\ude00\\ud83d", "occurred_at": "{NOW}", "touchpoint": "delivery"}}', "text"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "path"), SURROGATE_BODIES)
@pytest.mark.parametrize("debug", [False, True])
def test_an_unpaired_surrogate_is_400_naming_where(api, signals, settings, body, path, debug):
    # With DEBUG on, the surrogate used to reach the error page, which then failed to encode
    # itself after seconds of rendering.
    settings.DEBUG = debug
    problem = assert_problem(api.generic("POST", URLS["stories"], body, content_type="application/json"), 400)
    assert problem["detail"].startswith(f"At {path}: ")
    assert "unpaired UTF-16 surrogate" in problem["detail"]
    assert count(signals, Story) == 0


def test_a_surrogate_pair_is_a_character(api, signals):
    body = f'{{"text": "Great \\ud83d\\ude00", "occurred_at": "{NOW}", "touchpoint": "delivery"}}'
    response = api.generic("POST", URLS["stories"], body, content_type="application/json")
    assert response.json()["created"] == 1
    with tenant_context(signals):
        assert Story.objects.get().text == "Great \U0001f600"


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_a_number_json_cannot_hold_is_400(api, signals, number):
    body = f'{{"measure": "refund_processing", "duration_seconds": {number}, "occurred_at": "{NOW}", "touchpoint": "delivery"}}'
    assert_problem(api.generic("POST", URLS["service_events"], body, content_type="application/json"), 400)
    assert count(signals, ServiceEvent) == 0


def test_a_body_that_is_not_utf8_is_400(api, signals):
    body = b'{"text": "caf\xe9", "occurred_at": "2026-01-05T10:00:00Z", "touchpoint": "delivery"}'
    problem = assert_problem(api.generic("POST", URLS["stories"], body, content_type="application/json"), 400)
    assert "UTF-8" in problem["detail"]
    assert count(signals, Story) == 0


# --- Query parameters --------------------------------------------------------------------------

BAD_QUERIES = [
    "occurred_before=0001-01-01T00:00:00%2B14:00",
    "occurred_after=0001-01-01T00:00:00%2B14:00",
    "occurred_after=9999-12-31T23:59:59-14:00",
    "occurred_before=1999-12-31T00:00:00Z",
    "touchpoint=deli%00very",
    "occurred_before=2026-01-01%00",
]


@pytest.mark.parametrize("query", BAD_QUERIES)
@pytest.mark.parametrize("url", list(URLS.values()))
def test_a_bad_filter_value_is_400(full_api, signals, url, query):
    problem = assert_problem(full_api.get(f"{url}?{query}"), 400)
    assert problem["errors"]


# --- Unknown paths and methods -----------------------------------------------------------------

UNKNOWN_PATHS = ["/api/v1/nope", "/api/v2/stories", "/api/", "/api/v1/escalations/abc", "/api/v1/stories/"]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_api_path_is_problem_json_404(api, signals, settings, path, debug):
    settings.DEBUG = debug
    for method in ("get", "post", "delete"):
        problem = assert_problem(getattr(api, method)(path), 404)
        assert problem["detail"] == f"No API endpoint at {path}; the endpoints are listed at /api/docs/."


@pytest.mark.parametrize(
    ("method", "path"),
    [("delete", "/api/v1/stories"), ("put", "/api/v1/scores"), ("patch", "/api/v1/survey-responses")],
)
def test_a_wrong_method_is_problem_json_405(full_api, signals, method, path):
    response = getattr(full_api, method)(path)
    problem = assert_problem(response, 405)
    assert method.upper() in problem["detail"]
    assert "Allow" in response
