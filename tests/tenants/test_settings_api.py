"""``GET``/``PATCH /api/v1/tenant/settings``: the settings of the console's Settings page by API
key (``tenant:settings``), with the same checks, audited; another tenant's key reaches only its own."""

from __future__ import annotations

import pytest

from tenants.models import Tenant
from tenants.services import api_key_create
from tests.tenants.test_api import assert_problem, audit, client_with

pytestmark = pytest.mark.django_db

URL = "/api/v1/tenant/settings"
DEFAULTS = {
    "name": "Acme",
    "time_zone": "Europe/Berlin",
    "perception_gap_threshold": 20.0,
    "survey_suppression_days": 90,
    "followup_due_hours": 48,
    "business_hours_clocks": False,
    "clock_reminder_percent": 75,
    "score_drop_points": 5.0,
    "score_drop_window_days": 7,
}


@pytest.fixture
def api(tenant):
    return client_with(api_key_create(tenant=tenant, name="Ops", scopes=["tenant:settings"]).secret)


def test_a_key_reads_the_settings(tenant, api, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = api.get(URL)
    assert response.status_code == 200, response.content
    assert response.json() == {**DEFAULTS, "name": tenant.name}


def test_a_patch_changes_only_what_it_sends_and_is_audited(tenant, api):
    change = {
        "time_zone": "America/New_York",
        "business_hours_clocks": True,
        "clock_reminder_percent": 80,
        "score_drop_points": "7.5",
        "score_drop_window_days": 14,
        "followup_due_hours": 24,
        "survey_suppression_days": 30,
        "perception_gap_threshold": 25,
    }
    response = api.patch(URL, change, format="json")
    assert response.status_code == 200, response.content
    expected = {
        **DEFAULTS,
        **change,
        "name": tenant.name,
        "score_drop_points": 7.5,
        "perception_gap_threshold": 25.0,
    }
    assert response.json() == expected
    assert api.get(URL).json() == expected
    stored = Tenant.objects.get(pk=tenant.pk)
    assert (stored.time_zone, stored.business_hours_clocks, stored.clock_reminder_percent) == (
        "America/New_York",
        True,
        80,
    )
    [event] = audit(tenant, action="tenant.settings_changed")
    assert event.actor_kind == "api_key"
    assert (event.actor_kind, event.actor_label) == ("api_key", "Ops")
    assert event.detail["time_zone"] == ["Europe/Berlin", "America/New_York"]
    assert event.detail["score_drop_points"] == ["5.00", "7.50"]
    assert "name" not in event.detail  # unchanged: not sent


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone", ""),
        ({"followup_due_hours": 0}, "followup_due_hours", "1 to 720"),
        ({"clock_reminder_percent": 100}, "clock_reminder_percent", "0 to 99"),
        ({"score_drop_points": 0}, "score_drop_points", "1 to 100"),
        ({"score_drop_window_days": 91}, "score_drop_window_days", "1 to 90"),
        ({"survey_suppression_days": -1}, "survey_suppression_days", "0 to"),
        ({"perception_gap_threshold": 101}, "perception_gap_threshold", "between 1 and 100"),
        ({"followup_due_hours": "soon"}, "followup_due_hours", "integer"),
        ({"clock_reminder_percent": 10**40}, "clock_reminder_percent", "0 to 99"),
        ({"business_hours_clocks": "perhaps"}, "business_hours_clocks", "boolean"),
        ({"name": ""}, "name", "blank"),
        ({"name": "x" * 201}, "name", "200"),
    ],
)
def test_a_refused_value_answers_400_naming_the_field_and_changes_nothing(tenant, api, change, field, words):
    body = assert_problem(api.patch(URL, change, format="json"), 400)
    assert field in body["errors"] and words in " ".join(body["errors"][field]), body
    assert api.get(URL).json() == {**DEFAULTS, "name": tenant.name}
    assert not audit(tenant, action="tenant.settings_changed")


def test_settings_need_the_tenant_settings_scope(tenant):
    other = client_with(
        api_key_create(tenant=tenant, name="CRM", scopes=["feedback:write", "promises:write"]).secret
    )
    assert_problem(other.get(URL), 403)
    assert_problem(other.patch(URL, {"followup_due_hours": 12}, format="json"), 403)
    assert Tenant.objects.get(pk=tenant.pk).followup_due_hours == 48


def test_a_key_reads_and_changes_only_its_own_tenant(tenant, other_tenant, api):
    theirs = client_with(api_key_create(tenant=other_tenant, name="Ops", scopes=["tenant:settings"]).secret)
    assert (
        theirs.patch(URL, {"followup_due_hours": 12, "name": "Taken over"}, format="json").status_code == 200
    )
    assert api.get(URL).json()["name"] == tenant.name
    assert Tenant.objects.get(pk=tenant.pk).followup_due_hours == 48
    assert theirs.get(URL).json()["name"] == "Taken over"
    assert not audit(tenant, action="tenant.settings_changed")
