"""The business clock: deadlines and elapsed time across weekends, holidays and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tenants.calendars.clock import (
    Calendar,
    NoBusinessTime,
    business_deadline,
    business_elapsed,
    parse_clock,
)

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)
NINE_TO_FIVE = ((9 * 60, 17 * 60),)
OFFICE = Calendar(time_zone="Europe/Berlin", weekly=(NINE_TO_FIVE,) * 5 + ((), ()))
OFFICE_DE_BY = Calendar(time_zone="Europe/Berlin", weekly=OFFICE.weekly, country="DE", subdivision="BY")
ALWAYS = Calendar(time_zone="Europe/Berlin", weekly=(((0, 24 * 60),),) * 7)


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_a_deadline_inside_one_day():
    assert business_deadline(OFFICE, berlin(2026, 3, 2, 10), 3 * H) == berlin(2026, 3, 2, 13)


def test_the_result_is_utc():
    due = business_deadline(OFFICE, berlin(2026, 3, 2, 10), 3 * H)
    assert due.tzinfo is UTC and due == datetime(2026, 3, 2, 12, tzinfo=UTC)


def test_a_deadline_that_ends_at_closing_time_is_due_then():
    assert business_deadline(OFFICE, berlin(2026, 3, 2, 9), 8 * H) == berlin(2026, 3, 2, 17)


def test_a_friday_afternoon_runs_over_the_weekend():
    assert business_deadline(OFFICE, berlin(2026, 3, 6, 16), 2 * H) == berlin(2026, 3, 9, 10)


@pytest.mark.parametrize(
    "start",
    [berlin(2026, 3, 2, 7), berlin(2026, 3, 1, 12), berlin(2026, 2, 27, 18), berlin(2026, 2, 28, 3)],
    ids=["before opening", "sunday", "after closing", "saturday night"],
)
def test_a_start_outside_opening_hours_counts_from_the_next_opening(start):
    assert business_deadline(OFFICE, start, H) == berlin(2026, 3, 2, 10)
    assert business_elapsed(OFFICE, start, berlin(2026, 3, 2, 9)) == timedelta(0)


def test_public_holidays_are_closed():
    # Easter 2026 in Germany: Good Friday 3 April and Easter Monday 6 April.
    start = berlin(2026, 4, 2, 16)
    assert business_deadline(OFFICE_DE_BY, start, 2 * H) == berlin(2026, 4, 7, 10)
    assert business_deadline(OFFICE, start, 2 * H) == berlin(2026, 4, 3, 10)
    assert business_elapsed(OFFICE_DE_BY, start, berlin(2026, 4, 7, 17)) == 9 * H


def test_subdivision_holidays():
    # Corpus Christi (4 June 2026) is a holiday in Bavaria, not in Berlin.
    start = berlin(2026, 6, 3, 17)
    assert business_deadline(OFFICE_DE_BY, start, H) == berlin(2026, 6, 5, 10)
    berlin_state = Calendar(time_zone="Europe/Berlin", weekly=OFFICE.weekly, country="DE", subdivision="BE")
    assert business_deadline(berlin_state, start, H) == berlin(2026, 6, 4, 10)


def test_closed_dates_of_the_tenant():
    closed = Calendar(time_zone="Europe/Berlin", weekly=OFFICE.weekly, closed=frozenset({date(2026, 3, 3)}))
    assert business_deadline(closed, berlin(2026, 3, 2, 16), 2 * H) == berlin(2026, 3, 4, 10)


def test_several_intervals_a_day():
    lunch = Calendar(time_zone="UTC", weekly=(((9 * 60, 12 * 60), (13 * 60, 17 * 60)),) * 7)
    start = datetime(2026, 3, 2, 11, tzinfo=UTC)
    assert business_deadline(lunch, start, 2 * H) == datetime(2026, 3, 2, 14, tzinfo=UTC)
    assert business_elapsed(lunch, start, datetime(2026, 3, 2, 14, tzinfo=UTC)) == 2 * H


def test_spring_forward_day_has_23_hours():
    # Europe/Berlin: 29 March 2026, 02:00 → 03:00.
    assert business_elapsed(ALWAYS, berlin(2026, 3, 29, 0), berlin(2026, 3, 30, 0)) == 23 * H
    assert business_deadline(ALWAYS, berlin(2026, 3, 28, 12), 24 * H) == berlin(2026, 3, 29, 13)


def test_fall_back_day_has_25_hours():
    # Europe/Berlin: 25 October 2026, 03:00 → 02:00.
    assert business_elapsed(ALWAYS, berlin(2026, 10, 25, 0), berlin(2026, 10, 26, 0)) == 25 * H
    assert business_deadline(ALWAYS, berlin(2026, 10, 24, 12), 24 * H) == berlin(2026, 10, 25, 11)


def test_opening_hours_across_the_change_keep_their_wall_times():
    # Mon–Fri 09–17 local: the six working days across the spring change have 48 hours, and the
    # Monday after it opens at 09:00 CEST (07:00 UTC), not at 08:00 UTC.
    assert business_elapsed(OFFICE, berlin(2026, 3, 27, 0), berlin(2026, 4, 4, 0)) == 48 * H
    assert business_deadline(OFFICE, berlin(2026, 3, 27, 16), 2 * H) == datetime(2026, 3, 30, 8, tzinfo=UTC)
    assert business_deadline(OFFICE, berlin(2026, 10, 23, 16), 2 * H) == datetime(2026, 10, 26, 9, tzinfo=UTC)


def test_an_interval_through_the_skipped_hour():
    night = Calendar(time_zone="Europe/Berlin", weekly=(((60, 4 * 60),),) * 7)
    assert business_elapsed(night, berlin(2026, 3, 29, 0), berlin(2026, 3, 30, 0)) == 2 * H
    assert business_elapsed(night, berlin(2026, 10, 25, 0), berlin(2026, 10, 26, 0)) == 4 * H


def test_durations_over_many_days():
    # 30 days of 8 business hours: six working weeks, no holidays in this stretch.
    assert business_deadline(OFFICE, berlin(2026, 1, 12, 9), 240 * H) == berlin(2026, 2, 20, 17)
    assert business_elapsed(OFFICE, berlin(2026, 1, 12, 9), berlin(2026, 2, 20, 17)) == 240 * H


def test_zero_duration_and_reversed_intervals():
    start = berlin(2026, 3, 7, 12)
    assert business_deadline(OFFICE, start, timedelta(0)) == start
    assert business_elapsed(OFFICE, berlin(2026, 3, 3, 12), berlin(2026, 3, 2, 12)) == timedelta(0)


def test_a_calendar_that_never_opens_says_so():
    with pytest.raises(NoBusinessTime):
        business_deadline(Calendar(time_zone="UTC"), datetime(2026, 1, 1, tzinfo=UTC), H)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("09:00", 540),
        ("9:30", 570),
        ("24:00", 1440),
        ("00:00", 0),
        ("24:01", None),
        ("9", None),
        ("ab:cd", None),
    ],
)
def test_parse_clock(text, minutes):
    assert parse_clock(text) == minutes


CALENDARS = st.sampled_from([OFFICE, OFFICE_DE_BY, ALWAYS])
STARTS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(calendar=CALENDARS, start=STARTS, minutes=st.integers(min_value=1, max_value=60 * 24 * 40))
def test_deadline_then_elapsed_round_trips(calendar, start, minutes):
    duration = timedelta(minutes=minutes)
    due = business_deadline(calendar, start, duration)
    assert due > start
    assert business_elapsed(calendar, start, due) == duration


@settings(max_examples=100, deadline=None)
@given(calendar=CALENDARS, start=STARTS, hours=st.integers(min_value=0, max_value=24 * 30))
def test_elapsed_then_deadline_reaches_no_later_than_the_end(calendar, start, hours):
    end = start + timedelta(hours=hours)
    elapsed = business_elapsed(calendar, start, end)
    assert elapsed <= end - start
    if elapsed:
        assert business_deadline(calendar, start, elapsed) <= end
