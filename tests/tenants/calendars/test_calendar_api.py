"""``/api/v1/calendar`` and ``/api/v1/departments/<slug>/calendar``: read, replace, validation
with a message naming the field, scopes, audit, and another tenant's department not found."""

from __future__ import annotations

import pytest

from tenants.context import tenant_context
from tenants.models import AuditEvent, BusinessCalendar
from tests.tenants.test_api import client_with, issue

HOURS = {"mon": [["09:00", "12:30"], ["13:30", "17:00"]], "tue": [["09:00", "17:00"]]}


@pytest.fixture
def writer(tenant):
    return client_with(issue(tenant, ["escalations:write"]))


def test_an_unset_calendar_reads_as_the_defaults(tenant):
    response = client_with(issue(tenant, ["escalations:read"])).get("/api/v1/calendar")
    assert response.status_code == 200
    body = response.json()
    assert body["configured"] is False and body["business_hours_clocks"] is False
    assert body["weekly_hours"]["mon"] == [["09:00", "17:00"]] and body["weekly_hours"]["sat"] == []
    assert body["time_zone"] == "Europe/Berlin"


def test_put_replaces_the_calendar_and_is_audited(tenant, writer):
    response = writer.put(
        "/api/v1/calendar",
        {"weekly_hours": HOURS, "country": "de", "subdivision": "by", "closed_dates": ["2026-12-24"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["configured"] is True
    assert body["weekly_hours"]["mon"] == HOURS["mon"] and body["weekly_hours"]["sun"] == []
    assert (body["country"], body["subdivision"], body["closed_dates"]) == ("DE", "BY", ["2026-12-24"])
    with tenant_context(tenant):
        row = BusinessCalendar.objects.get()
        assert row.country == "DE"
        audit = AuditEvent.objects.get(model="tenants.BusinessCalendar", object_id=str(row.pk))
        assert (audit.action, audit.actor_kind) == ("insert", "api_key")
    writer.put("/api/v1/calendar", {"weekly_hours": HOURS, "country": ""}, format="json")
    with tenant_context(tenant):
        change = AuditEvent.objects.get(model="tenants.BusinessCalendar", action="update")
        assert change.changes["country"] == ["DE", ""]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"weekly_hours": {"mon": [["17:00", "09:00"]]}}, "weekly_hours.mon", "ends before it starts"),
        (
            {"weekly_hours": {"tue": [["09:00", "13:00"], ["12:00", "17:00"]]}},
            "weekly_hours.tue",
            "overlap",
        ),
        ({"weekly_hours": {"wed": [["9am", "5pm"]]}}, "weekly_hours.wed", "HH:MM"),
        ({"weekly_hours": {"funday": [["09:00", "17:00"]]}}, "weekly_hours", "Unknown weekday"),
        ({"weekly_hours": {}}, "weekly_hours", "at least one weekday"),
        ({"weekly_hours": HOURS, "country": "XX"}, "country", "two-letter ISO code"),
        (
            {"weekly_hours": HOURS, "country": "DE", "subdivision": "ZZ"},
            "subdivision",
            "not a subdivision of DE",
        ),
        ({"weekly_hours": HOURS, "closed_dates": ["24.12.2026"]}, "closed_dates", "YYYY-MM-DD"),
        ({"weekly_hours": HOURS, "closed_dates": 0}, "closed_dates", "as a list"),
        ({"weekly_hours": {"mon": "09:00-17:00"}}, "weekly_hours.mon", "up to 6 intervals"),
        ({"weekly_hours": {"mon": [[9, 17]]}}, "weekly_hours.mon", "not a time interval"),
        ({"weekly_hours": [1, 2]}, "weekly_hours", "per weekday"),
    ],
)
def test_bad_input_names_the_field(tenant, writer, body, field, words):
    response = writer.put("/api/v1/calendar", body, format="json")
    assert response.status_code == 400
    problem = response.json()
    assert words in problem["errors"][field][0]
    with tenant_context(tenant):
        assert not BusinessCalendar.objects.exists()


def test_a_department_keeps_its_own_hours_until_removed(tenant, writer):
    writer.put("/api/v1/calendar", {"weekly_hours": HOURS}, format="json")
    url = "/api/v1/departments/customer-service/calendar"
    assert writer.get(url).json()["own"] is False
    always = {"sat": [["00:00", "24:00"]]}
    response = writer.put(url, {"weekly_hours": always}, format="json")
    assert response.status_code == 200
    assert response.json()["own"] is True and response.json()["weekly_hours"]["sat"] == [["00:00", "24:00"]]
    assert writer.get("/api/v1/calendar").json()["weekly_hours"]["sat"] == []
    assert writer.delete(url).status_code == 204
    assert writer.get(url).json()["own"] is False


def test_scopes(tenant):
    reader = client_with(issue(tenant, ["escalations:read"]))
    assert reader.put("/api/v1/calendar", {"weekly_hours": HOURS}, format="json").status_code == 403
    assert client_with(issue(tenant, ["promises:read"])).get("/api/v1/calendar").status_code == 403
    assert client_with().get("/api/v1/calendar").status_code == 401


def test_another_tenants_department_is_not_found(tenant, other_tenant):
    from tenants.services import department_create

    department_create(tenant=other_tenant, name="Globex Only")
    writer = client_with(issue(tenant, ["escalations:write"]))
    assert writer.get("/api/v1/departments/globex-only/calendar").status_code == 404
    assert (
        writer.put(
            "/api/v1/departments/globex-only/calendar", {"weekly_hours": HOURS}, format="json"
        ).status_code
        == 404
    )
