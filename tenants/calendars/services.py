"""Writes of business calendars: the tenant's and a department's, checked and audited.

The database's audit trigger records every change of a calendar row (who, before, after)."""

from __future__ import annotations

from datetime import date
from typing import Any

import holidays
from django.db import transaction

from tenants.calendars.clock import DAY_MINUTES, format_clock, parse_clock
from tenants.calendars.models import WEEKDAYS_ORDER, BusinessCalendar
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import Department, Tenant

DAY_NAMES = {
    "mon": "Monday",
    "tue": "Tuesday",
    "wed": "Wednesday",
    "thu": "Thursday",
    "fri": "Friday",
    "sat": "Saturday",
    "sun": "Sunday",
}
MAX_INTERVALS_PER_DAY = 6
MAX_CLOSED_DATES = 366


def weekly_hours_checked(value: Any) -> dict[str, list[list[str]]]:
    """``{"mon": [["09:00", "17:00"]], …}`` normalised (every weekday present, intervals
    sorted, times as HH:MM), or :class:`DomainError` saying which day is wrong and how (its
    field is ``weekly_hours.<day>``, e.g. ``weekly_hours.mon``, or ``weekly_hours``). Intervals must start before they end and not overlap; at least one day opens."""
    if not isinstance(value, dict):
        raise DomainError(
            'Give the opening hours per weekday, e.g. {"mon": [["09:00", "17:00"]], "sat": []}.',
            field="weekly_hours",
        )
    unknown = sorted(set(value) - set(WEEKDAYS_ORDER))
    if unknown:
        raise DomainError(
            f"Unknown weekday {', '.join(map(str, unknown))}: use mon, tue, wed, thu, fri, sat, sun.",
            field="weekly_hours",
        )
    checked: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS_ORDER:
        name = DAY_NAMES[day]
        raw = value.get(day) or []
        if not isinstance(raw, list) or len(raw) > MAX_INTERVALS_PER_DAY:
            raise DomainError(
                f"{name}: give up to {MAX_INTERVALS_PER_DAY} intervals, each a start and an end such as "
                '["09:00", "17:00"].',
                field=f"weekly_hours.{day}",
            )
        intervals = []
        for interval in raw:
            if not isinstance(interval, list | tuple) or len(interval) != 2:
                raise DomainError(
                    f'{name}: each interval is a start and an end, such as ["09:00", "17:00"].',
                    field=f"weekly_hours.{day}",
                )
            start, end = (parse_clock(str(t)) if isinstance(t, str) else None for t in interval)
            if start is None or end is None or start == DAY_MINUTES:
                raise DomainError(
                    f"{name}: “{interval[0]}–{interval[1]}” is not a time interval; write times as HH:MM "
                    "from 00:00 to 24:00, e.g. 09:00–17:00.",
                    field=f"weekly_hours.{day}",
                )
            if end <= start:
                raise DomainError(
                    f"{name}: the interval {format_clock(start)}–{format_clock(end)} ends before it starts; "
                    "the end must be later than the start (use 24:00 for midnight).",
                    field=f"weekly_hours.{day}",
                )
            intervals.append((start, end))
        intervals.sort()
        for (a1, b1), (a2, b2) in zip(intervals, intervals[1:], strict=False):
            if a2 < b1:
                raise DomainError(
                    f"{name}: the intervals {format_clock(a1)}–{format_clock(b1)} and "
                    f"{format_clock(a2)}–{format_clock(b2)} overlap; merge them or move one.",
                    field=f"weekly_hours.{day}",
                )
        checked[day] = [[format_clock(a), format_clock(b)] for a, b in intervals]
    if not any(checked.values()):
        raise DomainError(
            "Open on at least one weekday: a calendar without opening hours would stop every clock.",
            field="weekly_hours",
        )
    return checked


def country_checked(country: str, subdivision: str) -> tuple[str, str]:
    """Upper-cased codes the ``holidays`` package knows, or :class:`DomainError`."""
    country, subdivision = (country or "").strip().upper(), (subdivision or "").strip().upper()
    if not country:
        if subdivision:
            raise DomainError("Choose the country of the subdivision first.", field="country")
        return "", ""
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise DomainError(
            f"“{country}” is not a country whose public holidays cxgov knows; use its two-letter ISO code, "
            "e.g. DE, FR, GB or US, or leave it empty for no public holidays.",
            field="country",
        )
    if subdivision and subdivision not in supported[country]:
        raise DomainError(
            f"“{subdivision}” is not a subdivision of {country}; use one of {', '.join(supported[country])}, "
            "or leave it empty for the holidays of the whole country.",
            field="subdivision",
        )
    return country, subdivision


def closed_dates_checked(value: Any) -> list[str]:
    """Sorted, distinct ISO dates, or :class:`DomainError` naming the first one that is not."""
    if not isinstance(value, list):
        raise DomainError(
            'Give the closed dates as a list, e.g. ["2026-12-24", "2026-12-31"].', field="closed_dates"
        )
    if len(value) > MAX_CLOSED_DATES:
        raise DomainError(f"Give at most {MAX_CLOSED_DATES} closed dates.", field="closed_dates")
    days = set()
    for raw in value:
        try:
            days.add(date.fromisoformat(str(raw).strip()))
        except ValueError:
            raise DomainError(
                f"“{raw}” is not a date; write closed dates as YYYY-MM-DD, e.g. 2026-12-24.",
                field="closed_dates",
            ) from None
    return [d.isoformat() for d in sorted(days)]


@transaction.atomic
def business_calendar_save(
    *,
    tenant: Tenant,
    department: Department | None = None,
    weekly_hours: Any,
    country: str = "",
    subdivision: str = "",
    closed_dates: Any = (),
) -> BusinessCalendar:
    """Create or replace the tenant's calendar (``department`` None) or a department's own."""
    weekly = weekly_hours_checked(weekly_hours)
    country, subdivision = country_checked(country, subdivision)
    closed = closed_dates_checked(list(closed_dates) if isinstance(closed_dates, tuple) else closed_dates)
    with tenant_context(tenant):
        rows = BusinessCalendar.objects.select_for_update()
        row = (
            rows.filter(department=department) if department else rows.filter(department__isnull=True)
        ).first()
        row = row or BusinessCalendar(department=department)
        row.weekly_hours, row.country, row.subdivision, row.closed_dates = (
            weekly,
            country,
            subdivision,
            closed,
        )
        row.full_clean(exclude=["tenant", "department"])
        row.save()
    return row


@transaction.atomic
def business_calendar_delete(*, tenant: Tenant, department: Department | None) -> bool:
    """Remove a department's own calendar (it keeps the tenant's again) or the tenant's (clocks
    count every hour). Returns whether there was one."""
    with tenant_context(tenant):
        rows = (
            BusinessCalendar.objects.filter(department=department)
            if department
            else BusinessCalendar.objects.filter(department__isnull=True)
        )
        deleted = False
        for row in rows:
            row.delete()
            deleted = True
        return deleted
