"""The partner API of business calendars: ``/api/v1/calendar`` (the tenant's) and
``/api/v1/departments/<slug>/calendar`` (a department's own, else the tenant's)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from tenants.api_base import problem_responses
from tenants.api_urls import CxgovAutoSchema
from tenants.calendars.models import BusinessCalendar, default_weekly_hours
from tenants.calendars.services import business_calendar_delete, business_calendar_save
from tenants.models import Department, Tenant

_EXAMPLE = {
    "department": None,
    "own": True,
    "configured": True,
    "time_zone": "Europe/Berlin",
    "business_hours_clocks": True,
    "clock_reminder_percent": 75,
    "weekly_hours": {
        "mon": [["09:00", "12:30"], ["13:30", "17:00"]],
        "tue": [["09:00", "17:00"]],
        "wed": [["09:00", "17:00"]],
        "thu": [["09:00", "17:00"]],
        "fri": [["09:00", "15:00"]],
        "sat": [],
        "sun": [],
    },
    "country": "DE",
    "subdivision": "BY",
    "closed_dates": ["2026-12-24", "2026-12-31"],
}


class CalendarSerializer(serializers.Serializer):
    department = serializers.CharField(
        allow_null=True, help_text="The department's slug; null: the tenant's."
    )
    own = serializers.BooleanField(
        help_text="For a department: whether it keeps hours of its own (else these are the tenant's)."
    )
    configured = serializers.BooleanField(
        help_text="False when no calendar is saved yet: then the defaults are shown and clocks count every hour."
    )
    time_zone = serializers.CharField(help_text="The tenant's time zone, which the opening hours are in.")
    business_hours_clocks = serializers.BooleanField(
        help_text="Whether escalation clocks count these hours (a tenant setting, changed in the web console)."
    )
    clock_reminder_percent = serializers.IntegerField(
        help_text="The reminder before a due time goes out at this share of the clock (0: none)."
    )
    weekly_hours = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.CharField())),
        help_text='Per weekday (mon … sun), intervals ["HH:MM", "HH:MM"]; 24:00 is midnight.',
    )
    country = serializers.CharField(help_text="ISO 3166 code whose public holidays are closed, or empty.")
    subdivision = serializers.CharField(help_text="A region with holidays of its own, e.g. BY, or empty.")
    closed_dates = serializers.ListField(
        child=serializers.DateField(), help_text="The tenant's own closed dates."
    )


class CalendarInputSerializer(serializers.Serializer):
    weekly_hours = serializers.JSONField(
        help_text='Per weekday (mon … sun), a list of intervals ["HH:MM", "HH:MM"]; a weekday left out is closed.'
    )
    country = serializers.CharField(required=False, allow_blank=True, default="", max_length=2)
    subdivision = serializers.CharField(required=False, allow_blank=True, default="", max_length=10)
    closed_dates = serializers.JSONField(required=False, default=list, help_text='E.g. ["2026-12-24"].')


def _calendar_data(
    tenant: Tenant, department: Department | None, row: BusinessCalendar | None, own: bool
) -> dict:
    return {
        "department": department.slug if department else None,
        "own": own,
        "configured": row is not None,
        "time_zone": tenant.time_zone,
        "business_hours_clocks": tenant.business_hours_clocks,
        "clock_reminder_percent": tenant.clock_reminder_percent,
        "weekly_hours": row.weekly_hours if row else default_weekly_hours(),
        "country": row.country if row else "",
        "subdivision": row.subdivision if row else "",
        "closed_dates": row.closed_dates if row else [],
    }


def _rows(department: Department | None) -> tuple[BusinessCalendar | None, BusinessCalendar | None]:
    """(the department's own calendar, the tenant's)."""
    rows = {r.department_id: r for r in BusinessCalendar.objects.filter(department__isnull=True)}
    if department is not None:
        rows |= {r.department_id: r for r in BusinessCalendar.objects.filter(department=department)}
    return (rows.get(department.pk) if department else None), rows.get(None)


def _answer(request, department: Department | None) -> Response:
    own, tenant_row = _rows(department)
    row = own or tenant_row
    return Response(CalendarSerializer(_calendar_data(request.tenant, department, row, own is not None)).data)


def _save(request, department: Department | None) -> Response:
    data = CalendarInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    business_calendar_save(tenant=request.tenant, department=department, **data.validated_data)
    return _answer(request, department)


_WRITE_PROBLEMS = problem_responses(400, 401, 403, 429)
_EXAMPLES = [
    OpenApiExample("A calendar", value=_EXAMPLE, response_only=True),
    OpenApiExample(
        "Set the opening hours",
        value={k: _EXAMPLE[k] for k in ("weekly_hours", "country", "subdivision", "closed_dates")},
        request_only=True,
    ),
]


class CalendarView(APIView):
    cxgov_actions = {"get": "calendar.view", "put": "calendar.manage"}
    schema = CxgovAutoSchema()

    @extend_schema(
        responses={200: CalendarSerializer, **problem_responses(401, 403, 429)}, examples=_EXAMPLES
    )
    def get(self, request):
        """The tenant's business calendar: weekly opening hours in its time zone, the country whose
        public holidays are closed, its own closed dates, and whether escalation clocks count them."""
        return _answer(request, None)

    @extend_schema(
        request=CalendarInputSerializer,
        responses={200: CalendarSerializer, **_WRITE_PROBLEMS},
        examples=_EXAMPLES,
    )
    def put(self, request):
        """Replace the tenant's business calendar. Intervals must start before they end and not
        overlap; the country must be one whose holidays cxgov knows. Answers the saved calendar."""
        return _save(request, None)


class DepartmentCalendarView(APIView):
    cxgov_actions = {"get": "calendar.view", "put": "calendar.manage", "delete": "calendar.manage"}
    schema = CxgovAutoSchema()

    @extend_schema(
        responses={200: CalendarSerializer, **problem_responses(401, 403, 404, 429)}, examples=_EXAMPLES
    )
    def get(self, request, slug: str):
        """The calendar a department's escalation clocks keep: its own (``own``: true), else the tenant's."""
        return _answer(request, get_object_or_404(Department.objects, slug=slug))

    @extend_schema(
        request=CalendarInputSerializer,
        responses={200: CalendarSerializer, **problem_responses(400, 401, 403, 404, 429)},
        examples=_EXAMPLES,
    )
    def put(self, request, slug: str):
        """Give the department hours of its own (they replace the tenant's for its escalations)."""
        return _save(request, get_object_or_404(Department.objects, slug=slug))

    @extend_schema(responses={204: None, **problem_responses(401, 403, 404, 429)})
    def delete(self, request, slug: str):
        """Remove the department's own hours: it keeps the tenant's again (204, also when it had none)."""
        business_calendar_delete(
            tenant=request.tenant, department=get_object_or_404(Department.objects, slug=slug)
        )
        return Response(status=204)


urlpatterns = [
    path("v1/calendar", CalendarView.as_view(), name="api-calendar"),
    path(
        "v1/departments/<slug:slug>/calendar",
        DepartmentCalendarView.as_view(),
        name="api-department-calendar",
    ),
]
