"""A tenant's business calendar and the departments' own ones.

Imported by ``tenants.models`` so Django finds this model in the ``tenants`` app.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from tenants.keys import TenantForeignKey
from tenants.models import Department, TenantModel


def default_weekly_hours() -> dict[str, list[list[str]]]:
    """Monday to Friday, 09:00 to 17:00."""
    return {day: ([["09:00", "17:00"]] if day not in ("sat", "sun") else []) for day in WEEKDAYS_ORDER}


WEEKDAYS_ORDER = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessCalendar(TenantModel):
    """Opening hours (per weekday, intervals ``[["09:00", "12:30"], ["13:30", "17:00"]]`` in the
    tenant's time zone), the public holidays of a country (and subdivision) and the tenant's
    own closed dates (``["2026-12-24", …]``). ``department`` empty: the tenant's calendar;
    else that department's, which replaces the tenant's for its escalations."""

    audit_noun = "business calendar"
    audit_name = ("department__name",)

    department = TenantForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    weekly_hours = models.JSONField(default=default_weekly_hours)
    country = models.CharField(max_length=2, blank=True, default="", help_text="ISO 3166 code, e.g. DE.")
    subdivision = models.CharField(max_length=10, blank=True, default="", help_text="E.g. BY for Bavaria.")
    closed_dates = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                "tenant", condition=Q(department__isnull=True), name="business_calendar_unique_tenant"
            ),
            models.UniqueConstraint(
                "tenant",
                "department",
                condition=Q(department__isnull=False),
                name="business_calendar_unique_department",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"business calendar of department {self.department_id}"
            if self.department_id
            else "business calendar"
        )
