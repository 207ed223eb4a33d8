"""The admin console's calendar pages: the tenant's business calendar and the departments' own."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tenants.calendars import services
from tenants.calendars.clock import public_holiday_names
from tenants.calendars.forms import BusinessCalendarForm
from tenants.calendars.models import BusinessCalendar
from tenants.errors import DomainError
from tenants.forms import add_service_error
from tenants.models import Department
from tenants.permissions import action_required

GET_POST = require_http_methods(["GET", "POST"])


def _save(request, form: BusinessCalendarForm, department: Department | None) -> bool:
    try:
        services.business_calendar_save(
            tenant=request.tenant,
            department=department,
            weekly_hours=form.cleaned_data["weekly_hours"],
            country=form.cleaned_data.get("country") or "",
            subdivision=form.cleaned_data.get("subdivision") or "",
            closed_dates=form.cleaned_data["closed_dates_list"],
        )
    except DomainError as error:
        if error.field and error.field.startswith("weekly_hours."):
            form.add_error(error.field.removeprefix("weekly_hours."), error.message)
        else:
            add_service_error(form, error)
        return False
    return True


def _holidays(row: BusinessCalendar | None) -> list:
    if row is None or not row.country:
        return []
    return public_holiday_names(row.country, row.subdivision, timezone.localdate().year)


def _page(request, *, department: Department | None):
    rows = (
        BusinessCalendar.objects.filter(department=department)
        if department
        else BusinessCalendar.objects.filter(department__isnull=True)
    )
    row = rows.first()
    form = BusinessCalendarForm(request.POST or None, initial=BusinessCalendarForm.initial_for(row))
    if request.method == "POST" and form.is_valid() and _save(request, form, department):
        messages.success(
            request,
            f"The calendar of {department.name} is saved."
            if department
            else "The business calendar is saved.",
        )
        return (
            redirect("console_calendar_department", pk=department.pk)
            if department
            else redirect("console_calendar")
        )
    return form, row


@action_required("calendar.manage")
@GET_POST
def console_calendar(request):
    result = _page(request, department=None)
    if not isinstance(result, tuple):
        return result
    form, row = result
    overrides = set(
        BusinessCalendar.objects.filter(department__isnull=False).values_list("department_id", flat=True)
    )
    departments = [(d, d.pk in overrides) for d in Department.objects.order_by("name")]
    return render(
        request,
        "tenants/console/calendar.html",
        {"form": form, "calendar": row, "departments": departments, "holidays": _holidays(row)},
    )


@action_required("calendar.manage")
@GET_POST
def console_calendar_department(request, pk: int):
    department = get_object_or_404(Department.objects, pk=pk)
    result = _page(request, department=department)
    if not isinstance(result, tuple):
        return result
    form, row = result
    return render(
        request,
        "tenants/console/calendar_department.html",
        {"form": form, "calendar": row, "department": department, "holidays": _holidays(row)},
    )


@action_required("calendar.manage")
@require_POST
def console_calendar_department_remove(request, pk: int):
    department = get_object_or_404(Department.objects, pk=pk)
    if services.business_calendar_delete(tenant=request.tenant, department=department):
        messages.success(request, f"{department.name} keeps the company's business calendar again.")
    return redirect("console_calendar")
