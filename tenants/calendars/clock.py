"""Business time: deadlines and elapsed time that count only a calendar's opening hours.

Pure functions of a :class:`Calendar` (no database): weekly opening hours in the calendar's
time zone, a country's public holidays (the ``holidays`` package) and the tenant's own
closed dates. Business time is real time — an opening interval that spans a daylight-saving
change lasts as long as it really does (a 00:00–24:00 day in Europe/Berlin lasts 23 hours in
spring and 25 in autumn) — so ``business_elapsed(c, s, business_deadline(c, s, d)) == d``.

Instants in and out are timezone-aware; results are in UTC.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_MINUTES = 24 * 60
# How far ahead a deadline is searched for before giving up: a calendar whose every day is
# closed for this long (or for ever) has no business time.
SEARCH_DAYS = 5 * 366


class NoBusinessTime(ValueError):
    """The calendar has no opening hours within :data:`SEARCH_DAYS` of the start."""


@dataclass(frozen=True)
class Calendar:
    """Weekly opening hours (``weekly[0]`` is Monday: ``(start, end)`` minutes after local
    midnight, ``end`` up to 1440 for 24:00, sorted and not overlapping), public holidays of
    ``country`` (ISO 3166 alpha-2, optionally ``subdivision``) and ``closed`` dates."""

    time_zone: str = "UTC"
    weekly: tuple[tuple[tuple[int, int], ...], ...] = ((),) * 7
    country: str = ""
    subdivision: str = ""
    closed: frozenset[date] = field(default_factory=frozenset)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_closed_on(self, day: date) -> bool:
        return day in self.closed or (
            bool(self.country) and day in _public_holidays(self.country, self.subdivision, day.year)
        )


@functools.lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=year))


def public_holiday_names(country: str, subdivision: str, year: int) -> list[tuple[date, str]]:
    """The public holidays of a year, by date, for showing them."""
    found = holidays.country_holidays(country, subdiv=subdivision or None, years=year)
    return sorted(found.items())


def _instant(day: date, minutes: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of a local wall time. 24:00 is the next day's midnight; a wall time
    that does not exist (skipped by a spring-forward change) is the instant the clocks jumped
    to; one that exists twice (autumn) is its first occurrence."""
    if minutes >= DAY_MINUTES:
        day, minutes = day + timedelta(days=1), minutes - DAY_MINUTES
    local = datetime.combine(day, time(minutes // 60, minutes % 60), tzinfo=zone)
    return local.astimezone(UTC)


def open_intervals(calendar: Calendar, start: datetime) -> Iterator[tuple[datetime, datetime]]:
    """The calendar's opening intervals (UTC, oldest first) that end after ``start``, the first
    one cut to begin at ``start``. Stops after :data:`SEARCH_DAYS` days."""
    zone = calendar.zone
    start = start.astimezone(UTC)
    day = start.astimezone(zone).date()
    for _ in range(SEARCH_DAYS):
        if not calendar.is_closed_on(day):
            for begin, end in calendar.weekly[day.weekday()]:
                a, b = _instant(day, begin, zone), _instant(day, end, zone)
                if b <= start or b <= a:
                    continue
                yield max(a, start), b
        day += timedelta(days=1)


def business_deadline(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The instant when ``duration`` of business time has passed since ``start``.

    A start outside opening hours counts from the next opening; a duration that ends exactly
    at a closing time is due at that closing time. ``duration`` ≤ 0 is due at ``start``.
    Raises :class:`NoBusinessTime` when the calendar never opens again."""
    start = start.astimezone(UTC)
    if duration <= timedelta(0):
        return start
    remaining = duration
    for a, b in open_intervals(calendar, start):
        if remaining <= b - a:
            return a + remaining
        remaining -= b - a
    raise NoBusinessTime("The calendar has no opening hours left in the next five years.")


def business_elapsed(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    """The business time between ``start`` and ``end`` (zero when ``end`` is not after it)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    total = timedelta(0)
    if end <= start:
        return total
    for a, b in open_intervals(calendar, start):
        if a >= end:
            break
        total += min(b, end) - a
    return total


def parse_clock(text: str) -> int | None:
    """``"09:30"`` → 570 minutes; ``"24:00"`` → 1440; anything else → None."""
    hours, sep, minutes = (text or "").strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2 or len(hours) > 2:
        return None
    h, m = int(hours), int(minutes)
    if (h, m) == (24, 0):
        return DAY_MINUTES
    if h > 23 or m > 59:
        return None
    return h * 60 + m


def format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
