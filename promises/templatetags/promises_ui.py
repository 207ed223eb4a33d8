"""Template helpers of the promise pages: status badges and thresholds in hours or days."""

from __future__ import annotations

from decimal import Decimal

from django import template

register = template.Library()

_BADGES = {
    "draft": "text-bg-secondary",
    "in_review": "text-bg-warning",
    "active": "text-bg-success",
    "retired": "text-bg-light border",
    "pending": "text-bg-warning",
    "approved": "text-bg-success",
    "changes_requested": "text-bg-danger",
    "overridden": "text-bg-info",
    "withdrawn": "text-bg-light border",
}


@register.filter
def badge_class(status: str) -> str:
    return _BADGES.get(status, "text-bg-secondary")


def _number(value: Decimal) -> str:
    text = f"{value.quantize(Decimal('0.01')):f}".rstrip("0").rstrip(".")
    return text or "0"


@register.filter
def threshold(seconds: int | None, unit: str = "hours") -> str:
    """``threshold_seconds`` in the measure's unit (``hours`` or ``days``), e.g. "5 days"."""
    if seconds is None:
        return "—"
    if unit == "days":
        days = Decimal(seconds) / Decimal(86400)
        return f"{_number(days)} day{'' if days == 1 else 's'}"
    hours = Decimal(seconds) / Decimal(3600)
    return f"{_number(hours)} h"


@register.filter
def number(value: Decimal | None) -> str:
    return "—" if value is None else _number(Decimal(value))
