"""The digest schedule: periods and send times in the tenant's time zone, across DST changes,
for every cadence; the beat dispatcher queues each (department, period) once (frozen time)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from metrics.digests import selectors as digest_selectors
from metrics.digests.tasks import digests_dispatch
from metrics.models import DepartmentDigest, Digest, DigestSettings
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import Department
from tenants.services import department_create, tenant_settings_update
from tests.conftest import make_tenant

pytestmark = pytest.mark.django_db
DIGEST_SEND = "metrics.digest_tasks.digest_send"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def schedule(cadence: str, hour: int, weekday: int = 0) -> DigestSettings:
    return DigestSettings(cadence=cadence, send_hour=hour, weekday=weekday)


@pytest.fixture
def acme(tenant):
    return tenant  # Europe/Berlin


def zoned(tenant, time_zone: str):
    tenant.time_zone = time_zone
    return tenant


@pytest.mark.parametrize(
    ("time_zone", "plan", "now", "key", "start", "end"),
    [
        # Berlin, daily at 08:00, on the day clocks go forward (29 Mar 2026): 08:00 CEST is 06:00 UTC.
        (
            "Europe/Berlin",
            schedule("daily", 8),
            utc(2026, 3, 29, 6, 0),
            "daily:2026-03-28..2026-03-29",
            utc(2026, 3, 27, 23),
            utc(2026, 3, 28, 23),
        ),
        (
            "Europe/Berlin",
            schedule("daily", 8),
            utc(2026, 3, 29, 5, 59),
            "daily:2026-03-27..2026-03-28",
            utc(2026, 3, 26, 23),
            utc(2026, 3, 27, 23),
        ),
        # The next day's period is the 23-hour day of the change.
        (
            "Europe/Berlin",
            schedule("daily", 8),
            utc(2026, 3, 30, 6, 0),
            "daily:2026-03-29..2026-03-30",
            utc(2026, 3, 28, 23),
            utc(2026, 3, 29, 22),
        ),
        # A send hour that does not exist that day (02:00 → 03:00 CEST) goes out at 03:00 CEST.
        (
            "Europe/Berlin",
            schedule("daily", 2),
            utc(2026, 3, 29, 0, 59),
            "daily:2026-03-27..2026-03-28",
            utc(2026, 3, 26, 23),
            utc(2026, 3, 27, 23),
        ),
        (
            "Europe/Berlin",
            schedule("daily", 2),
            utc(2026, 3, 29, 1, 0),
            "daily:2026-03-28..2026-03-29",
            utc(2026, 3, 27, 23),
            utc(2026, 3, 28, 23),
        ),
        # New York, weekly on Monday at 09:00, the day after clocks go back (1 Nov 2026): 09:00 EST = 14:00 UTC.
        (
            "America/New_York",
            schedule("weekly", 9, weekday=0),
            utc(2026, 11, 2, 13, 30),
            "weekly:2026-10-19..2026-10-26",
            utc(2026, 10, 19, 4),
            utc(2026, 10, 26, 4),
        ),
        (
            "America/New_York",
            schedule("weekly", 9, weekday=0),
            utc(2026, 11, 2, 14, 0),
            "weekly:2026-10-26..2026-11-02",
            utc(2026, 10, 26, 4),
            utc(2026, 11, 2, 5),
        ),
        # Weekly on Friday, asked on a Wednesday: last Friday's digest.
        (
            "America/New_York",
            schedule("weekly", 17, weekday=4),
            utc(2026, 12, 9, 12),
            "weekly:2026-11-27..2026-12-04",
            utc(2026, 11, 27, 5),
            utc(2026, 12, 4, 5),
        ),
        # Tokyo, monthly at 07:00: 1 Dec 07:00 JST is 30 Nov 22:00 UTC.
        (
            "Asia/Tokyo",
            schedule("monthly", 7),
            utc(2026, 11, 30, 22, 0),
            "monthly:2026-11-01..2026-12-01",
            utc(2026, 10, 31, 15),
            utc(2026, 11, 30, 15),
        ),
        (
            "Asia/Tokyo",
            schedule("monthly", 7),
            utc(2026, 11, 30, 21, 59),
            "monthly:2026-10-01..2026-11-01",
            utc(2026, 9, 30, 15),
            utc(2026, 10, 31, 15),
        ),
        # January's monthly digest covers December of the previous year.
        (
            "UTC",
            schedule("monthly", 0),
            utc(2027, 1, 1, 0, 0),
            "monthly:2026-12-01..2027-01-01",
            utc(2026, 12, 1),
            utc(2027, 1, 1),
        ),
    ],
)
def test_the_period_due_now(acme, time_zone, plan, now, key, start, end):
    period = digest_selectors.period_due(tenant=zoned(acme, time_zone), schedule=plan, now=now)
    assert (period.key, period.start, period.end) == (key, start, end)
    assert period.send_at <= now
    assert digest_selectors.period_from_key(tenant=acme, key=key).start == start


def test_the_next_period_is_the_first_whose_send_time_is_to_come(acme):
    berlin = zoned(acme, "Europe/Berlin")
    plan = schedule("weekly", 8, weekday=0)
    before = digest_selectors.period_next(tenant=berlin, schedule=plan, now=utc(2026, 11, 30, 6, 59))
    after = digest_selectors.period_next(tenant=berlin, schedule=plan, now=utc(2026, 11, 30, 7, 0))
    assert before.key == "weekly:2026-11-23..2026-11-30" and before.send_at == utc(2026, 11, 30, 7)
    assert after.key == "weekly:2026-11-30..2026-12-07"


def test_a_forged_period_key_is_refused(acme):
    for key in ("weekly:2026-11-24..2026-11-30", "hourly:2026-11-29..2026-11-30", "nonsense"):
        with pytest.raises(DomainError):
            digest_selectors.period_from_key(tenant=acme, key=key)


def made(tenant) -> list[tuple[str, str]]:
    with tenant_context(tenant):
        return sorted(Digest.objects.values_list("department__slug", "period_key"))


@pytest.mark.django_db(transaction=True)
def test_hourly_beat_ticks_across_a_dst_change_make_each_digest_once(worker, time_machine):
    berlin = make_tenant("acme", "Acme Retail")  # Europe/Berlin
    new_york = make_tenant("globex", "Globex Bank")
    tenant_settings_update(tenant=new_york, name=new_york.name, time_zone="America/New_York")
    new_york.refresh_from_db()
    with tenant_context(berlin):
        DigestSettings.objects.create(cadence="daily", send_hour=8)
        department_create(tenant=berlin, name="Operations")
        DepartmentDigest.objects.create(
            department=Department.objects.get(slug="operations"), is_enabled=False
        )
    with tenant_context(new_york):
        DigestSettings.objects.create(cadence="weekly", weekday=0, send_hour=9)

    # From Saturday 31 Oct 2026 (Berlin is on CET since the 25th) to Tuesday 3 Nov (New York
    # changes on Sunday 1 Nov): a beat tick every 20 minutes.
    ticks = []
    at = utc(2026, 10, 31, 0, 0)
    while at < utc(2026, 11, 3, 23, 0):
        time_machine.move_to(at, tick=False)
        if queued := digests_dispatch():
            ticks.append(at)
            # The worker makes them before the next tick, 20 minutes later in beat's time.
            outcomes = worker.finish(DIGEST_SEND, queued)
            assert {o["type"] for o in outcomes} == {"task-succeeded"}, outcomes
        at += timedelta(minutes=20)

    assert made(berlin) == [
        ("customer-service", "daily:2026-10-29..2026-10-30"),  # caught up at the first tick
        ("customer-service", "daily:2026-10-30..2026-10-31"),
        ("customer-service", "daily:2026-10-31..2026-11-01"),
        ("customer-service", "daily:2026-11-01..2026-11-02"),
        ("customer-service", "daily:2026-11-02..2026-11-03"),
    ]  # and none for Operations, switched off
    assert made(new_york) == [
        ("customer-service", "weekly:2026-10-19..2026-10-26"),
        ("customer-service", "weekly:2026-10-26..2026-11-02"),
    ]
    # The first tick catches up on the period already due; then 08:00 CET = 07:00 UTC for
    # Berlin, and 09:00 EST = 14:00 UTC for New York (not 13:00, as in summer time).
    assert ticks == [
        utc(2026, 10, 31, 0, 0),
        utc(2026, 10, 31, 7, 0),
        utc(2026, 11, 1, 7, 0),
        utc(2026, 11, 2, 7, 0),
        utc(2026, 11, 2, 14, 0),
        utc(2026, 11, 3, 7, 0),
    ]


def test_digests_off_for_the_tenant_queue_nothing(db, time_machine):
    tenant = make_tenant("acme", "Acme Retail")
    with tenant_context(tenant):
        DigestSettings.objects.create(is_enabled=False)
    time_machine.move_to(utc(2026, 11, 30, 12), tick=False)
    assert digests_dispatch() == 0
    assert made(tenant) == []
