"""Escalation clocks in business hours (the tenant's or the department's calendar) and the
reminder before a due time, sent once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from feedback.escalations import services
from feedback.escalations.models import Escalation
from tenants.calendars.services import business_calendar_save
from tenants.context import tenant_context
from tenants.models import Department
from tenants.services import tenant_settings_update
from tests.feedback.escalations.test_escalations import mails, move, propose

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
ALWAYS = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
FRIDAY_3PM = datetime(2026, 3, 6, 15, tzinfo=BERLIN)


def business_hours(tenant, *, on: bool = True, reminder: int | None = None):
    tenant_settings_update(
        tenant=tenant,
        name=tenant.name,
        time_zone="Europe/Berlin",
        business_hours_clocks=on,
        clock_reminder_percent=reminder,
    )
    business_calendar_save(tenant=tenant, weekly_hours=OFFICE, country="DE", subdivision="BY")
    return tenant


def test_the_decision_clock_counts_business_hours(escalations_world):
    tenant = business_hours(escalations_world)
    with time_machine.travel(FRIDAY_3PM, tick=False):
        escalation = propose(tenant)  # medium: 48 hours to decide
    # Friday 2 h, the next week 40 h, Monday 16 March 6 h.
    assert escalation.decision_due_at == datetime(2026, 3, 16, 15, tzinfo=BERLIN)
    # 75 % of it: 36 business hours, Friday 13 March 11:00.
    assert escalation.reminder_at == datetime(2026, 3, 13, 11, tzinfo=BERLIN)


def test_the_setting_off_keeps_calendar_hours(escalations_world):
    tenant = business_hours(escalations_world, on=False)
    with time_machine.travel(FRIDAY_3PM, tick=False):
        escalation = propose(tenant)
    assert escalation.decision_due_at == FRIDAY_3PM + timedelta(hours=48)
    assert escalation.reminder_at == FRIDAY_3PM + timedelta(hours=36)


def test_a_department_calendar_replaces_the_tenants(escalations_world):
    tenant = business_hours(escalations_world)
    with tenant_context(tenant):
        service = Department.objects.get(slug="customer-service")
    business_calendar_save(tenant=tenant, department=service, weekly_hours=ALWAYS)
    with time_machine.travel(FRIDAY_3PM, tick=False):
        escalation = propose(tenant)
    assert escalation.decision_due_at == FRIDAY_3PM + timedelta(hours=48)


def test_the_resolution_clock_counts_business_hours_from_the_approval(escalations_world):
    tenant = business_hours(escalations_world)
    with time_machine.travel(FRIDAY_3PM, tick=False):
        escalation = propose(tenant)
        approved = move(tenant, escalation, "approve", "manager")  # medium: 14 × 24 = 336 h
    # 336 business hours: Friday 2 h, then 41 working days and 6 h. Good Friday, Easter Monday
    # and Labour Day are closed, so the 42nd working day is Friday 8 May (CEST by then).
    assert approved.resolution_due_at == datetime(2026, 5, 8, 15, tzinfo=BERLIN)


def test_the_admins_are_told_after_business_hours_too(escalations_world):
    tenant = business_hours(escalations_world)
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        propose(tenant)
        # Due Monday 16 March 15:00; level 2 after 24 more business hours: Thursday 19 March 15:00.
        traveller.move_to(datetime(2026, 3, 19, 14, tzinfo=BERLIN))
        assert services.escalations_overdue_scan(tenant=tenant) == {"level_1": 1, "level_2": 0, "closed": 0}
        traveller.move_to(datetime(2026, 3, 19, 15, 1, tzinfo=BERLIN))
        assert services.escalations_overdue_scan(tenant=tenant)["level_2"] == 1


def test_the_reminder_goes_out_once_at_75_percent(escalations_world):
    tenant = escalations_world
    start = FRIDAY_3PM
    with time_machine.travel(start, tick=False) as traveller:
        escalation = propose(tenant)  # 48 h to decide, reminder after 36 h
        traveller.move_to(start + timedelta(hours=35))
        assert services.escalation_reminders_send(tenant=tenant) == 0
        traveller.move_to(start + timedelta(hours=37))
        assert services.escalation_reminders_send(tenant=tenant) == 1
        assert services.escalation_reminders_send(tenant=tenant) == 0
        assert mails(tenant, ":reminder:decision:") == [
            ("reminder", "manager2@acme.test"),
            ("reminder", "manager@acme.test"),
        ]
        # Approval starts the resolution clock: its reminder goes to the owner.
        move(tenant, escalation, "approve", "manager2")
        traveller.move_to(start + timedelta(hours=37 + 14 * 24 * 0.75 + 1))
        assert services.escalations_overdue_scan(tenant=tenant)["level_1"] == 0
        assert services.escalation_reminders_send(tenant=tenant) == 1
        assert services.escalation_reminders_send(tenant=tenant) == 0
        assert mails(tenant, ":reminder:resolution:") == [("reminder", "manager2@acme.test")]


def test_an_overdue_clock_gets_the_overdue_notice_not_a_reminder(escalations_world):
    tenant = escalations_world
    start = FRIDAY_3PM
    with time_machine.travel(start, tick=False) as traveller:
        propose(tenant)
        traveller.move_to(start + timedelta(hours=49))
        assert services.escalations_overdue_scan(tenant=tenant)["level_1"] == 1
        assert services.escalation_reminders_send(tenant=tenant) == 0
    assert mails(tenant, ":reminder:") == []
    with tenant_context(tenant):
        assert Escalation.objects.get().reminder_at is None


def test_no_reminder_when_the_tenant_turns_it_off(escalations_world):
    tenant = business_hours(escalations_world, on=False, reminder=0)
    with time_machine.travel(FRIDAY_3PM, tick=False):
        escalation = propose(tenant)
    assert escalation.reminder_at is None


def test_the_scan_reads_each_calendar_once(escalations_world, django_assert_max_num_queries):
    tenant = business_hours(escalations_world)
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        propose(tenant)
        traveller.move_to(datetime(2026, 3, 19, 14, tzinfo=BERLIN))
        with django_assert_max_num_queries(40) as one:
            services.escalations_overdue_scan(tenant=tenant)
        for _ in range(5):
            propose(tenant)
        traveller.move_to(datetime(2026, 3, 30, 12, tzinfo=BERLIN))
        with django_assert_max_num_queries(200) as six:
            assert services.escalations_overdue_scan(tenant=tenant)["level_1"] == 5
    calendar_reads = [q for q in six.captured_queries if "businesscalendar" in q["sql"]]
    assert len(calendar_reads) == 1
    assert len([q for q in one.captured_queries if "businesscalendar" in q["sql"]]) == 1
