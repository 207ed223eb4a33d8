"""The notice once a follow-up is overdue: from the follow-up clock's scan, to the owner else the
department's managers, through the outbox, exactly once per due time; none for closed ones."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from surveys import services
from surveys.followups.services import (
    followup_assign,
    followup_clock_run,
    followup_close,
    followup_overdue_notices_send,
)
from surveys.models import FollowUp
from tenants.context import tenant_context
from tenants.delivery.models import OutboxMessage
from tenants.models import Membership
from tenants.services import member_add, tenant_settings_update
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY_3PM = dt.datetime(2026, 3, 6, 15, tzinfo=BERLIN)
DUE = FRIDAY_3PM + dt.timedelta(hours=24)


@pytest.fixture
def world(world):
    tenant_settings_update(
        tenant=world.tenant, name="Acme Retail", time_zone="Europe/Berlin", followup_due_hours=24
    )
    world.tenant.refresh_from_db()
    return world


def _open(world, nonce="tap-1") -> FollowUp:
    services.survey_answer(tenant=world.tenant, survey=world.survey, score=2, nonce=nonce)
    with tenant_context(world.tenant):
        return FollowUp.objects.select_related("department").order_by("-id").first()


def _notices(tenant) -> list[tuple[str, str, str]]:
    with tenant_context(tenant):
        return sorted(
            (m.to_email, m.subject, m.dedupe_key)
            for m in OutboxMessage.objects.filter(kind="followup", dedupe_key__contains=":overdue:")
        )


def _member(world, email: str) -> Membership:
    with tenant_context(world.tenant):
        return Membership.objects.get(user__email=email)


def test_the_notice_goes_out_once_to_the_managers(world, django_assert_max_num_queries):
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        traveller.move_to(DUE - dt.timedelta(minutes=1))
        assert followup_overdue_notices_send(tenant=world.tenant) == 0
        traveller.move_to(DUE + dt.timedelta(minutes=1))
        with django_assert_max_num_queries(10):
            assert followup_overdue_notices_send(tenant=world.tenant) == 1
        assert followup_overdue_notices_send(tenant=world.tenant) == 0
    ((to, subject, key),) = _notices(world.tenant)
    assert to == "manager@acme.test"
    assert subject.startswith(
        "[cxgov] Overdue: follow-up was due 2026-03-07 15:00 CET: Unhappy answer: NPS 2"
    )
    assert key.startswith(f"followup:{followup.pk}:overdue:{DUE.astimezone(dt.UTC).isoformat()}:")
    with tenant_context(world.tenant):
        message = OutboxMessage.objects.get(kind="followup", dedupe_key=key)
        stored = FollowUp.objects.get(pk=followup.pk)
    assert f"/followups/{followup.pk}/" in message.body_text and "still open" in message.body_text
    assert stored.overdue_notified_at == DUE + dt.timedelta(minutes=1)


def test_the_owner_gets_it_instead_of_the_managers(world):
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        followup_assign(tenant=world.tenant, followup=followup, owner=_member(world, "employee@acme.test"))
        traveller.move_to(DUE + dt.timedelta(hours=1))
        assert followup_overdue_notices_send(tenant=world.tenant) == 1
    assert [to for to, _, _ in _notices(world.tenant)] == ["employee@acme.test"]


def test_every_manager_of_the_department_gets_one(world):
    member_add(
        tenant=world.tenant,
        email="manager2@acme.test",
        role="manager",
        password=TEST_PASSWORD,
        departments=[world.service],
    )
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        _open(world)
        traveller.move_to(DUE + dt.timedelta(hours=1))
        assert followup_overdue_notices_send(tenant=world.tenant) == 1
        assert followup_overdue_notices_send(tenant=world.tenant) == 0
    assert [to for to, _, _ in _notices(world.tenant)] == ["manager2@acme.test", "manager@acme.test"]


def test_a_closed_follow_up_gets_none(world):
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        followup_close(tenant=world.tenant, followup=followup, outcome="contacted", note="Called her")
        traveller.move_to(DUE + dt.timedelta(hours=1))
        assert followup_overdue_notices_send(tenant=world.tenant) == 0
    assert _notices(world.tenant) == []
    with tenant_context(world.tenant):
        assert FollowUp.objects.get(pk=followup.pk).overdue_notified_at is None


def test_a_due_time_moved_later_is_notified_again_once_it_passes(world):
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        traveller.move_to(DUE + dt.timedelta(minutes=5))
        assert followup_overdue_notices_send(tenant=world.tenant) == 1
        later = DUE + dt.timedelta(days=1)
        with tenant_context(world.tenant):
            FollowUp.objects.filter(pk=followup.pk).update(due_at=later)
        assert followup_overdue_notices_send(tenant=world.tenant) == 0  # not overdue any more
        traveller.move_to(later + dt.timedelta(minutes=5))
        assert followup_overdue_notices_send(tenant=world.tenant) == 1
        assert followup_overdue_notices_send(tenant=world.tenant) == 0
    assert [key.split(":overdue:")[1][:19] for _, _, key in _notices(world.tenant)] == [
        "2026-03-07T14:00:00",
        "2026-03-08T14:00:00",
    ]


def test_the_clock_s_scan_sends_the_reminder_then_the_notice(world):
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        followup = _open(world)
        traveller.move_to(FRIDAY_3PM + dt.timedelta(hours=19))  # past 75 %: the reminder
        assert followup_clock_run(tenant=world.tenant) == 1
        assert followup_clock_run(tenant=world.tenant) == 0
        traveller.move_to(DUE + dt.timedelta(minutes=1))  # overdue: the notice
        assert followup_clock_run(tenant=world.tenant) == 1
        assert followup_clock_run(tenant=world.tenant) == 0
    with tenant_context(world.tenant):
        keys = sorted(OutboxMessage.objects.filter(kind="followup").values_list("dedupe_key", flat=True))
    assert [k.split(":")[2] for k in keys] == ["overdue", "reminder"]
    assert all(k.startswith(f"followup:{followup.pk}:") for k in keys)


def test_a_follow_up_overdue_between_two_scans_gets_the_notice_not_the_reminder(world):
    with time_machine.travel(FRIDAY_3PM, tick=False) as traveller:
        _open(world)
        traveller.move_to(DUE + dt.timedelta(hours=2))
        assert followup_clock_run(tenant=world.tenant) == 1
    with tenant_context(world.tenant):
        keys = list(OutboxMessage.objects.filter(kind="followup").values_list("dedupe_key", flat=True))
    assert [k.split(":")[2] for k in keys] == ["overdue"]
