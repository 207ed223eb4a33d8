"""Reads of business calendars, and the due times other apps count with them.

What other apps call (the tenant must be active):

- :func:`clock_deadline` — the due time ``duration`` after ``start`` for a department
  (business time when the tenant counts it, else plain time);
- :func:`clock_reminder_at` — when a reminder before that due time goes out;
- :func:`clock_elapsed` — time counted on such a clock between two instants.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Q

from tenants.calendars.clock import Calendar, business_deadline, business_elapsed, parse_clock
from tenants.calendars.models import WEEKDAYS_ORDER, BusinessCalendar
from tenants.models import Department, Tenant


def to_calendar(row: BusinessCalendar, *, time_zone: str) -> Calendar:
    """The pure :class:`Calendar` of a stored (already validated) calendar row."""
    weekly = tuple(
        tuple(sorted((parse_clock(a), parse_clock(b)) for a, b in row.weekly_hours.get(day, [])))
        for day in WEEKDAYS_ORDER
    )
    return Calendar(
        time_zone=time_zone,
        weekly=weekly,
        country=row.country,
        subdivision=row.subdivision,
        closed=frozenset(date.fromisoformat(d) for d in row.closed_dates),
    )


def calendar_row_for(*, department: Department | int | None) -> BusinessCalendar | None:
    """The department's own calendar, else the tenant's, else None."""
    department_id = department.pk if isinstance(department, Department) else department
    condition = Q(department__isnull=True)
    if department_id:
        condition |= Q(department_id=department_id)
    rows = {row.department_id: row for row in BusinessCalendar.objects.filter(condition)}
    return rows.get(department_id) or rows.get(None)


def calendar_for(tenant: Tenant, department: Department | int | None = None) -> Calendar | None:
    """The calendar a department's clocks keep (its own, else the tenant's), or None when the
    tenant has none — then clocks count every hour."""
    row = calendar_row_for(department=department)
    return to_calendar(row, time_zone=tenant.time_zone) if row is not None else None


def _business_calendar(tenant: Tenant, department, memo: dict | None = None) -> Calendar | None:
    if not tenant.business_hours_clocks:
        return None
    if memo is None:
        return calendar_for(tenant, department)
    key = department.pk if isinstance(department, Department) else department
    if key not in memo:
        memo[key] = calendar_for(tenant, department)
    return memo[key]


def clock_deadline(
    *,
    tenant: Tenant,
    department: Department | int | None,
    start: datetime,
    duration: timedelta,
    memo: dict | None = None,
) -> datetime:
    """The due time ``duration`` after ``start``: in business time when the tenant counts it
    (and has a calendar), else plain elapsed time. A caller computing many due times passes the
    same empty ``memo`` dict to each call: each department's calendar is then read once."""
    calendar = _business_calendar(tenant, department, memo)
    return start + duration if calendar is None else business_deadline(calendar, start, duration)


def clock_elapsed(
    *, tenant: Tenant, department: Department | int | None, start: datetime, end: datetime
) -> timedelta:
    calendar = _business_calendar(tenant, department)
    if calendar is None:
        return max(end - start, timedelta(0))
    return business_elapsed(calendar, start, end)


def clock_reminder_at(
    *, tenant: Tenant, department: Department | int | None, start: datetime, due: datetime
) -> datetime | None:
    """When the reminder for a clock from ``start`` to ``due`` goes out: once the tenant's
    ``clock_reminder_percent`` of it has passed (counted like the clock). None: no reminder."""
    percent = tenant.clock_reminder_percent
    if not percent:
        return None
    calendar = _business_calendar(tenant, department)
    if calendar is None:
        return start + (due - start) * percent / 100
    length = business_elapsed(calendar, start, due)
    return business_deadline(calendar, start, length * percent / 100)


def business_calendar_list() -> list[BusinessCalendar]:
    """The tenant's calendar first, then the departments' by name."""
    return list(BusinessCalendar.objects.select_related("department").order_by("department__name", "id"))
