"""``manage.py repair_signals``: finds the rows stored before the input rules, fixes or deletes
them inside each tenant's context (row-level security and the audit trail apply), and
leaves every good row and every other tenant alone."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from metrics.models import ServiceEventRollup
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tests.feedback.conftest import signal_setup
from tests.feedback.poison import (
    BC,
    YEAR_10000,
    poison_service_event,
    poison_story,
    poison_survey_response,
)

GOOD = "2026-01-05T10:00:00Z"


@pytest.fixture
def world(tenant, other_tenant):
    signal_setup(tenant)
    signal_setup(other_tenant)
    rows = {
        "bc_story": poison_story(tenant, BC),
        "future_story": poison_story(tenant, YEAR_10000),
        "good_story": poison_story(tenant, GOOD, text="Fine"),
        "bc_event": poison_service_event(tenant, BC),
        "long_event": poison_service_event(tenant, GOOD, duration_seconds=400_000_000),
        "good_event": poison_service_event(tenant, GOOD),
        "off_scale": poison_survey_response(tenant, GOOD, measure="csat", score=9),
        "good_response": poison_survey_response(tenant, GOOD, measure="nps", score=9),
        "other_bc_story": poison_story(other_tenant, BC),
    }
    return rows


def run(*args) -> str:
    out = io.StringIO()
    call_command("repair_signals", *args, stdout=out)
    return out.getvalue()


def snapshot(tenant) -> dict:
    with tenant_context(tenant):
        return {
            model.__name__: sorted(model.objects.values_list("pk", "occurred_at"))
            for model in (Story, SurveyResponse, ServiceEvent)
        }


def test_without_options_it_reports_and_changes_nothing(world, tenant, other_tenant):
    before = snapshot(tenant), snapshot(other_tenant)
    output = run()
    assert f"acme: feedback.Story {world['bc_story']}: occurred_at before 2000-01-01" in output
    assert f"acme: feedback.Story {world['future_story']}:" in output
    assert f"acme: feedback.ServiceEvent {world['long_event']}: duration_seconds outside" in output
    assert f"acme: feedback.SurveyResponse {world['off_scale']}: score outside" in output
    assert f"globex: feedback.Story {world['other_bc_story']}:" in output
    for good, label in (
        ("good_story", "Story"),
        ("good_event", "ServiceEvent"),
        ("good_response", "SurveyResponse"),
    ):
        assert f"feedback.{label} {world[good]}:" not in output
    assert "6 signal(s) break an input rule; nothing changed" in output
    assert (snapshot(tenant), snapshot(other_tenant)) == before


def test_fix_moves_bad_times_to_when_received_and_audits_it(world, tenant, other_tenant):
    other_before = snapshot(other_tenant)
    output = run("--fix", "--tenant", "acme")
    assert "cannot be fixed, only deleted: run again with --delete" in output
    with tenant_context(tenant):
        for key, model in (("bc_story", Story), ("future_story", Story), ("bc_event", ServiceEvent)):
            row = model.objects.get(pk=world[key])
            assert abs(row.occurred_at - row.created_at) < timedelta(seconds=1)
        assert (
            Story.objects.get(pk=world["good_story"]).occurred_at.isoformat() == "2026-01-05T10:00:00+00:00"
        )
        # Numbers cannot be fixed: those rows are still there, unchanged.
        assert ServiceEvent.objects.get(pk=world["long_event"]).duration_seconds == 400_000_000
        assert SurveyResponse.objects.filter(pk=world["off_scale"]).exists()
        audit = AuditEvent.objects.filter(
            action="update", model="feedback.Story", object_id=str(world["bc_story"])
        )
        [entry] = audit
        assert entry.actor_label == "manage.py repair_signals"
        assert entry.request_id == "repair_signals"
        assert "BC" in entry.changes["occurred_at"][0]
        # The rollups were rebuilt: no day bucket before 2000 remains.
        assert not ServiceEventRollup.objects.filter(day__year__lt=2000).exists()
    assert snapshot(other_tenant) == other_before
    # What is left are the two rows only --delete can remove.
    assert "2 signal(s) break an input rule; nothing changed" in run("--tenant", "acme")


def test_delete_removes_every_violating_row_and_only_those(world, tenant, other_tenant):
    output = run("--delete", "--tenant", "acme")
    assert "5 signal(s) repaired." in output
    with tenant_context(tenant):
        assert sorted(Story.objects.values_list("pk", flat=True)) == [world["good_story"]]
        assert sorted(ServiceEvent.objects.values_list("pk", flat=True)) == [world["good_event"]]
        assert sorted(SurveyResponse.objects.values_list("pk", flat=True)) == [world["good_response"]]
        deleted = AuditEvent.objects.filter(action="delete", actor_label="manage.py repair_signals")
        assert deleted.count() == 5
    with tenant_context(other_tenant):
        assert Story.objects.filter(pk=world["other_bc_story"]).exists()
    assert "No signal breaks an input rule." in run("--tenant", "acme")


def test_an_unknown_tenant_is_an_error(world):
    with pytest.raises(CommandError, match="There is no tenant 'nope'"):
        run("--tenant", "nope")


@pytest.mark.django_db(transaction=True)
def test_it_works_as_the_database_owner_under_row_level_security(tenant, other_tenant):
    """Run by an operator whose connection stays the table owner (no SET ROLE): FORCE ROW LEVEL
    SECURITY still scopes every statement to the tenant in context, and the audit trigger fires."""
    signal_setup(tenant)
    signal_setup(other_tenant)
    bad = poison_story(tenant, BC)
    other = poison_story(other_tenant, BC)
    connection = connections["default"]
    options = connection.settings_dict["OPTIONS"]
    role = options.pop("assume_role")
    connection.close()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user = session_user")
            assert cursor.fetchone() == (True,)
        output = run("--delete", "--tenant", "acme")
    finally:
        connection.close()
        options["assume_role"] = role
    assert "1 signal(s) repaired." in output
    with tenant_context(tenant):
        assert not Story.objects.filter(pk=bad).exists()
        assert AuditEvent.objects.filter(action="delete", object_id=str(bad)).get().actor_label == (
            "manage.py repair_signals"
        )
    with tenant_context(other_tenant):
        assert Story.objects.filter(pk=other).exists()
