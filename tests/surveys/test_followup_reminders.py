"""The reminder before a follow-up's due time: at the tenant's share of the clock (75 % unless
set otherwise, counted in business hours when the tenant counts them), to the owner else the
department's managers, through the outbox, exactly once; none for closed or overdue ones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from surveys import services
from surveys.followups.services import followup_assign, followup_close, followup_reminders_send
from surveys.models import FollowUp
from tenants.calendars.services import business_calendar_save
from tenants.context import tenant_context
from tenants.delivery.models import OutboxMessage
from tenants.models import Membership
from tenants.services import tenant_settings_update

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
FRIDAY_3PM = dt.datetime(2026, 3, 6, 15, tzinfo=BERLIN)


def _settings(tenant, **changes):
    tenant_settings_update(tenant=tenant, name="Acme Retail", time_zone="Europe/Berlin", **changes)
    tenant.refresh_from_db()


def _open(world, nonce="tap-1") -> FollowUp:
    services.survey_answer(tenant=world.tenant, survey=world.survey, score=2, nonce=nonce)
    with tenant_context(world.tenant):
        return FollowUp.objects.select_related("department").order_by("-id").first()


def _mails(tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return sorted(
            (m.to_email, m.subject)
            for m in OutboxMessage.objects.filter(kind="followup", dedupe_key__contains=":reminder:")
        )


def test_the_reminder_goes_out_once_at_75_percent_to_the_managers(world, django_assert_max_num_queries):
    _settings(world.tenant, followup_due_hours=24)
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        assert followup.reminder_at == FRIDAY_3PM + dt.timedelta(hours=18)
        traveller.move_to(FRIDAY_3PM + dt.timedelta(hours=17))
        assert followup_reminders_send(tenant=world.tenant) == 0
        traveller.move_to(FRIDAY_3PM + dt.timedelta(hours=18, minutes=1))
        with django_assert_max_num_queries(12):
            assert followup_reminders_send(tenant=world.tenant) == 1
        assert followup_reminders_send(tenant=world.tenant) == 0
    ((to, subject),) = _mails(world.tenant)
    assert to == "manager@acme.test"
    assert subject.startswith("[cxgov] Reminder: follow-up due 2026-03-07 15:00 CET: Unhappy answer: NPS 2")
    with tenant_context(world.tenant):
        assert FollowUp.objects.get(pk=followup.pk).reminder_at is None


def test_the_owner_gets_it_instead_of_the_managers(world):
    _settings(world.tenant, followup_due_hours=24)
    with tenant_context(world.tenant):
        employee = Membership.objects.get(user__email="employee@acme.test")
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        followup_assign(tenant=world.tenant, followup=followup, owner=employee)
        traveller.move_to(FRIDAY_3PM + dt.timedelta(hours=19))
        assert followup_reminders_send(tenant=world.tenant) == 1
    assert [to for to, _ in _mails(world.tenant)] == ["employee@acme.test"]


def test_a_closed_follow_up_gets_no_reminder(world):
    _settings(world.tenant, followup_due_hours=24)
    with tenant_context(world.tenant):
        manager_membership = Membership.objects.get(user__email="manager@acme.test")
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        followup_close(
            tenant=world.tenant,
            followup=followup,
            outcome="contacted",
            note="Called her",
            closed_by=manager_membership,
        )
        traveller.move_to(FRIDAY_3PM + dt.timedelta(hours=19))
        assert followup_reminders_send(tenant=world.tenant) == 0
    assert _mails(world.tenant) == []
    with tenant_context(world.tenant):
        assert FollowUp.objects.get(pk=followup.pk).reminder_at is None


def test_an_overdue_follow_up_gets_no_reminder(world):
    _settings(world.tenant, followup_due_hours=24)
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        _open(world)
        traveller.move_to(FRIDAY_3PM + dt.timedelta(hours=25))
        assert followup_reminders_send(tenant=world.tenant) == 0
    assert _mails(world.tenant) == []


def test_no_reminder_when_the_tenant_sends_none(world):
    _settings(world.tenant, followup_due_hours=24, clock_reminder_percent=0)
    assert _open(world).reminder_at is None


def test_the_reminder_counts_business_hours(world):
    _settings(world.tenant, followup_due_hours=10, business_hours_clocks=True)
    business_calendar_save(tenant=world.tenant, weekly_hours=OFFICE, country="DE", subdivision="BY")
    world.tenant.refresh_from_db()
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        # Due Monday 17:00 (2 business hours on Friday, 8 on Monday); 75 %: 7.5 h, Monday 14:30.
        assert followup.due_at == dt.datetime(2026, 3, 9, 17, tzinfo=BERLIN)
        assert followup.reminder_at == dt.datetime(2026, 3, 9, 14, 30, tzinfo=BERLIN)
        traveller.move_to(dt.datetime(2026, 3, 8, 23, tzinfo=BERLIN))  # the weekend counts nothing
        assert followup_reminders_send(tenant=world.tenant) == 0
        traveller.move_to(dt.datetime(2026, 3, 9, 14, 31, tzinfo=BERLIN))
        assert followup_reminders_send(tenant=world.tenant) == 1
        assert followup_reminders_send(tenant=world.tenant) == 0
    assert [to for to, _ in _mails(world.tenant)] == ["manager@acme.test"]
