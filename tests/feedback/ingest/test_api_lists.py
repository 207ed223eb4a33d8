"""The listing side of the signal endpoints (GET): pagination, filters, scopes, tenancy, queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.ingest.services import signals_ingest
from tenants.services import api_key_create, touchpoint_create
from tests.feedback.conftest import client_with, signal_setup

PROBLEM = "application/problem+json"


def at(day: int, hour: int = 10) -> str:
    return f"2026-01-{day:02d}T{hour:02d}:00:00Z"


def ingest(tenant, key, kind, items) -> list[int]:
    results = signals_ingest(tenant=tenant, kind=kind, items=items, source=key.api_key)
    assert all(r.status == "created" for r in results), [r.as_dict() for r in results]
    return [r.id for r in results]


def story(**overrides):
    return {"text": "It went fine", "occurred_at": at(5), "touchpoint": "delivery", **overrides}


def response(**overrides):
    return {"measure": "csat", "score": 4, "occurred_at": at(5), "touchpoint": "delivery", **overrides}


def event(**overrides):
    return {
        "measure": "refund_processing",
        "duration_seconds": 60,
        "occurred_at": at(5),
        "touchpoint": "delivery",
        **overrides,
    }


def every_page(client, url: str) -> list[dict]:
    rows, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        url = body["next"]
        pages += 1
        assert pages < 50
    return rows


def ids(client, url: str) -> list[int]:
    response = client.get(url)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def checkout(signals):
    return touchpoint_create(tenant=signals, name="Checkout")


# --- Rendering and pagination -----------------------------------------------------------------


def test_stories_render_related_objects_by_slug(api, signals, api_key):
    [pk] = ingest(
        signals,
        api_key,
        "stories",
        [story(promises=["fast-refunds"], department="customer-service", severity="high", external_id="t-1")],
    )
    [row] = api.get("/api/v1/stories").json()["results"]
    assert row["id"] == pk
    assert row["touchpoint"] == "delivery"
    assert row["promises"] == ["fast-refunds"]
    assert row["department"] == "customer-service"
    assert (row["severity"], row["channel"], row["source_kind"], row["external_id"]) == (
        "high",
        "api",
        "api_key",
        "t-1",
    )
    assert -1 <= row["sentiment"] <= 1


def test_responses_and_events_render_measures_by_key(api, signals, api_key):
    ingest(signals, api_key, "survey_responses", [response(touchpoint=None, segment={"plan": "pro"})])
    ingest(signals, api_key, "service_events", [event()])
    [row] = api.get("/api/v1/survey-responses").json()["results"]
    assert (row["measure"], row["score"], row["touchpoint"], row["segment"]) == (
        "csat",
        4,
        None,
        {"plan": "pro"},
    )
    [row] = api.get("/api/v1/service-events").json()["results"]
    assert (row["measure"], row["duration_seconds"], row["touchpoint"]) == (
        "refund_processing",
        60,
        "delivery",
    )


def test_pages_follow_the_cursor_newest_first_with_ties_broken_by_id(api, signals, api_key):
    # Three share one occurred_at: the order must still be total and no row repeated or lost.
    created = ingest(
        signals,
        api_key,
        "survey_responses",
        [response(occurred_at=at(day)) for day in (3, 7, 5, 5, 5, 9, 1)],
    )
    rows = every_page(api, "/api/v1/survey-responses?page_size=2")
    assert sorted(row["id"] for row in rows) == sorted(created)
    keys = [(row["occurred_at"], row["id"]) for row in rows]
    assert keys == sorted(keys, reverse=True)
    first = api.get("/api/v1/survey-responses?page_size=2").json()
    assert first["previous"] is None and "cursor=" in first["next"]


def test_a_bad_cursor_is_a_problem(api, signals):
    response = api.get("/api/v1/stories?cursor=not-a-cursor")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert "next" in response.json()["errors"]["cursor"][0]


# --- Filters ------------------------------------------------------------------------------------


def test_story_filters(api, signals, api_key, checkout):
    at_checkout, high, with_promise, late = ingest(
        signals,
        api_key,
        "stories",
        [
            story(touchpoint="checkout", occurred_at=at(2)),
            story(severity="high", occurred_at=at(3)),
            story(promises=["fast-refunds"], occurred_at=at(4)),
            story(occurred_at=at(20)),
        ],
    )
    assert ids(api, "/api/v1/stories?touchpoint=checkout") == [at_checkout]
    assert ids(api, "/api/v1/stories?severity=high") == [high]
    assert ids(api, "/api/v1/stories?promise=fast-refunds") == [with_promise]
    assert ids(api, "/api/v1/stories?promise=no-such-promise") == []
    assert ids(api, "/api/v1/stories?occurred_after=2026-01-10T00:00:00Z") == [late]
    assert ids(api, "/api/v1/stories?occurred_before=2026-01-03T00:00:00Z") == [at_checkout]
    assert ids(
        api, "/api/v1/stories?occurred_after=2026-01-03T00:00:00Z&occurred_before=2026-01-10T00:00:00Z"
    ) == [with_promise, high]


def test_survey_response_filters(api, signals, api_key, checkout):
    nps, csat_checkout, csat_late = ingest(
        signals,
        api_key,
        "survey_responses",
        [
            response(measure="nps", score=9, occurred_at=at(2)),
            response(touchpoint="checkout", occurred_at=at(3)),
            response(occurred_at=at(20)),
        ],
    )
    assert ids(api, "/api/v1/survey-responses?measure=nps") == [nps]
    assert ids(api, "/api/v1/survey-responses?measure=csat") == [csat_late, csat_checkout]
    assert ids(api, "/api/v1/survey-responses?touchpoint=checkout") == [csat_checkout]
    assert ids(api, "/api/v1/survey-responses?occurred_after=2026-01-10T00:00:00Z") == [csat_late]
    assert ids(api, "/api/v1/survey-responses?occurred_before=2026-01-03T00:00:00Z") == [nps]
    assert ids(api, "/api/v1/survey-responses?measure=csat&touchpoint=delivery") == [csat_late]


def test_service_event_filters(api, signals, api_key, checkout, in_tenant):
    from promises.models import Measure

    with in_tenant(signals):
        Measure.objects.create(key="claim_handling", name="Claim handling", kind="duration", unit="days")
    refund, claim, late = ingest(
        signals,
        api_key,
        "service_events",
        [
            event(occurred_at=at(2)),
            event(measure="claim_handling", touchpoint="checkout", occurred_at=at(3)),
            event(occurred_at=at(20)),
        ],
    )
    assert ids(api, "/api/v1/service-events?measure=claim_handling") == [claim]
    assert ids(api, "/api/v1/service-events?measure=refund_processing") == [late, refund]
    assert ids(api, "/api/v1/service-events?touchpoint=checkout") == [claim]
    assert ids(api, "/api/v1/service-events?occurred_after=2026-01-10T00:00:00Z") == [late]
    assert ids(api, "/api/v1/service-events?occurred_before=2026-01-03T00:00:00Z") == [refund]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/stories?severity=urgent", "severity"),
        ("/api/v1/survey-responses?occurred_after=yesterday", "occurred_after"),
        ("/api/v1/service-events?occurred_before=2026-13-01", "occurred_before"),
    ],
)
def test_invalid_filter_values_are_400_problems(api, signals, url, field):
    response = api.get(url)
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    assert field in response.json()["errors"]


# --- Scopes and tenancy ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "status"), [("promises:read", 200), ("feedback:write", 200), ("scores:read", 403)]
)
@pytest.mark.parametrize("url", ["/api/v1/stories", "/api/v1/survey-responses", "/api/v1/service-events"])
def test_listing_needs_promises_read_or_feedback_write(signals, scope, status, url):
    key = api_key_create(tenant=signals, name=f"key {scope}", scopes=[scope])
    response = client_with(key.secret).get(url)
    assert response.status_code == status, response.content
    if status == 403:
        assert "feedback:write, promises:read" in response.json()["detail"]


def test_listing_without_a_key_is_401(signals):
    from rest_framework.test import APIClient

    assert APIClient().get("/api/v1/stories").status_code == 401


def test_a_key_never_lists_another_tenants_signals(api, signals, api_key, other_tenant):
    signal_setup(other_tenant)
    other_key = api_key_create(tenant=other_tenant, name="CRM", scopes=["feedback:write"])
    mine = ingest(signals, api_key, "stories", [story(promises=["fast-refunds"])])
    ingest(other_tenant, other_key, "stories", [story(promises=["fast-refunds"])] * 2)
    ingest(other_tenant, other_key, "survey_responses", [response()])
    ingest(other_tenant, other_key, "service_events", [event()])
    # The same slugs exist in both tenants; only A's rows ever come back.
    assert ids(api, "/api/v1/stories") == mine
    assert ids(api, "/api/v1/stories?touchpoint=delivery&promise=fast-refunds") == mine
    assert ids(api, "/api/v1/survey-responses") == []
    assert ids(api, "/api/v1/service-events") == []
    assert len(ids(client_with(other_key.secret), "/api/v1/stories")) == 2


def test_post_still_ingests_on_the_same_url(api, signals):
    body = api.post("/api/v1/survey-responses", {"items": [response(), response(score=5)]}, format="json")
    assert body.status_code == 200 and body.json()["created"] == 2
    assert len(ids(api, "/api/v1/survey-responses")) == 2


# --- Queries --------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    client.get(url)  # warm-up: anything done once per key (e.g. last-used bookkeeping) happens here
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("kind", "url", "make"),
    [
        (
            "stories",
            "/api/v1/stories",
            lambda i: story(promises=["fast-refunds"], department="customer-service"),
        ),
        ("survey_responses", "/api/v1/survey-responses", lambda i: response()),
        ("service_events", "/api/v1/service-events", lambda i: event()),
    ],
)
def test_a_page_costs_the_same_queries_for_3_or_30_rows(api, signals, api_key, kind, url, make):
    ingest(signals, api_key, kind, [make(i) for i in range(3)])
    few = _queries(api, url)
    ingest(signals, api_key, kind, [make(i) for i in range(27)])
    assert len(ids(api, url)) == 30
    assert _queries(api, url) == few


def _page_query(client, url: str) -> tuple[int, str]:
    """The queries of a request (after a warm-up) and the SQL of the one that reads the page."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    [page] = [q["sql"] for q in ctx.captured_queries if 'FROM "feedback_' in q["sql"]]
    return len(ctx.captured_queries), page


@pytest.mark.parametrize(
    ("url", "kind", "make"),
    [
        (
            "/api/v1/survey-responses",
            "survey_responses",
            lambda i: response(touchpoint="checkout"),
        ),
        (
            "/api/v1/service-events",
            "service_events",
            lambda i: event(touchpoint="checkout"),
        ),
    ],
)
def test_a_touchpoint_filter_reads_the_touchpoint_index_without_a_join(
    api, signals, api_key, checkout, url, kind, make
):
    ingest(signals, api_key, kind, [make(i) for i in range(5)])
    unfiltered, _ = _page_query(api, url)
    filtered, page = _page_query(api, f"{url}?touchpoint=checkout")

    # One more query, the slug's id, and the page filters on the id: no join to filter on.
    assert filtered == unfiltered + 1
    assert f'"touchpoint_id" = {checkout.pk}' in page
    assert '"tenants_touchpoint"."slug" =' not in page
    # So the (tenant_id, touchpoint_id, occurred_at) index can give the page its order (the
    # plan on a million rows: bench/README.md); a plan on five rows says nothing.
    assert len(ids(api, f"{url}?touchpoint=checkout")) == 5


def test_an_unknown_touchpoint_or_measure_lists_nothing(api, signals, api_key):
    ingest(signals, api_key, "survey_responses", [response()])
    assert ids(api, "/api/v1/survey-responses?touchpoint=nowhere") == []
    assert ids(api, "/api/v1/survey-responses?measure=nothing") == []
    assert len(ids(api, "/api/v1/survey-responses?touchpoint=delivery&measure=csat")) == 1


# --- The future-date rule (ingest) ------------------------------------------------------------------


def test_occurred_at_within_the_clock_skew_is_accepted_beyond_it_rejected(api, signals):
    soon = (timezone.now() + timedelta(minutes=3)).isoformat()
    later = timezone.now() + timedelta(minutes=30)
    body = api.post(
        "/api/v1/service-events",
        {"items": [event(occurred_at=soon), event(occurred_at=later.isoformat())]},
        format="json",
    ).json()
    assert [r["status"] for r in body["results"]] == ["created", "rejected"]
    [message] = body["results"][1]["errors"]["occurred_at"]
    assert message == (
        f"occurred_at {later.isoformat()} is in the future (more than 5 minutes ahead of the server's clock); "
        "give the time it really happened, with the right time zone."
    )
