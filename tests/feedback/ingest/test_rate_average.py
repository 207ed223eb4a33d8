"""Service events of rate and average measures: each carries exactly the fact its measure's kind
needs, through the API (one item and batches, per-item errors), the list, and another tenant."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feedback.signals.models import ServiceEvent
from promises.commitments.services import measure_create
from tenants.context import tenant_context
from tests.factories import tenant_state

NOW = "2026-01-05T10:00:00Z"


@pytest.fixture
def kinds(signals):
    measure_create(tenant=signals, key="first_contact_resolution", name="FCR", kind="rate")
    measure_create(tenant=signals, key="review_stars", name="Stars", kind="average", scale_min=1, scale_max=5)
    return signals


def event(measure: str, **fact) -> dict:
    return {"measure": measure, "occurred_at": NOW, "touchpoint": "delivery", **fact}


def test_one_rate_event_and_one_average_event(api, kinds):
    assert (
        api.post(
            "/api/v1/service-events", event("first_contact_resolution", outcome=True), format="json"
        ).json()["created"]
        == 1
    )
    assert (
        api.post("/api/v1/service-events", event("review_stars", value=4.5), format="json").json()["created"]
        == 1
    )
    with tenant_context(kinds):
        rows = {e.measure.key: e for e in ServiceEvent.objects.select_related("measure")}
    assert (rows["first_contact_resolution"].outcome, rows["first_contact_resolution"].value) == (True, None)
    assert rows["first_contact_resolution"].duration_seconds is None
    assert (rows["review_stars"].value, rows["review_stars"].outcome) == (Decimal("4.5"), None)


def test_a_batch_answers_every_item_and_a_wrong_kind_fact_is_that_items_error(api, kinds):
    items = [
        event("first_contact_resolution", outcome=False, external_id="ok-1"),
        event("first_contact_resolution", duration_seconds=60),
        event("first_contact_resolution", outcome="yes"),
        event("first_contact_resolution"),
        event("review_stars", value=5, external_id="ok-2"),
        event("review_stars", value=6),
        event("review_stars", value=4, outcome=True),
        event("review_stars", value=4.1234),
        event("review_stars", value="four"),
        event("refund_processing", outcome=True),
        event("refund_processing", duration_seconds=60, value=3, external_id="dur"),
        event("nps", score=9),
    ]
    before = tenant_state(kinds)
    body = api.post("/api/v1/service-events", {"items": items}, format="json").json()
    statuses = [r["status"] for r in body["results"]]
    assert statuses == ["created"] + ["rejected"] * 3 + ["created"] + ["rejected"] * 7
    errors = [r["errors"] for r in body["results"]]
    assert errors[1] == {
        "duration_seconds": [
            "first_contact_resolution is a rate measure: its events carry outcome, not duration_seconds; "
            "remove duration_seconds."
        ],
        "outcome": ["outcome is required: true or false."],
    }
    assert errors[2] == {"outcome": ["outcome must be true or false, not 'yes'."]}
    assert errors[3] == {"outcome": ["outcome is required: true or false."]}
    assert errors[5] == {
        "value": ["review_stars value 6 is outside its scale 1…5; send a value on the measure's scale."]
    }
    assert set(errors[6]) == {"outcome"}
    assert "more than 3 decimal places" in errors[7]["value"][0]
    assert "must be a number" in errors[8]["value"][0]
    assert set(errors[9]) == {"outcome", "duration_seconds"}  # durations need their own fact
    assert set(errors[10]) == {"value"}
    assert "Unknown duration, rate or average measure 'nps'" in errors[11]["measure"][0]
    with tenant_context(kinds):
        stored = sorted(ServiceEvent.objects.values_list("external_id", "outcome", "value"))
    assert stored == [("ok-1", False, None), ("ok-2", None, Decimal("5.000"))]
    assert set(tenant_state(kinds)) == set(before)


def test_the_list_shows_each_events_fact(api, kinds):
    api.post(
        "/api/v1/service-events",
        {"items": [event("first_contact_resolution", outcome=True), event("review_stars", value=3.25)]},
        format="json",
    )
    rows = {r["measure"]: r for r in api.get("/api/v1/service-events").json()["results"]}
    assert (rows["first_contact_resolution"]["outcome"], rows["first_contact_resolution"]["value"]) == (
        True,
        None,
    )
    assert (rows["review_stars"]["value"], rows["review_stars"]["duration_seconds"]) == ("3.250", None)


def test_another_tenants_rate_measure_is_unknown(api, kinds, other_tenant):
    measure_create(tenant=other_tenant, key="signin_blocked", name="Blocked", kind="rate")
    body = api.post("/api/v1/service-events", event("signin_blocked", outcome=True), format="json")
    assert body.status_code == 422
    assert (
        "Unknown duration, rate or average measure 'signin_blocked'"
        in body.json()["results"][0]["errors"]["measure"][0]
    )
    with tenant_context(other_tenant):
        assert ServiceEvent.objects.count() == 0
