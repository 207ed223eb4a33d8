"""The calendar page's form: it parses the text an admin types; the services hold the rules."""

from __future__ import annotations

from functools import cache

import holidays
from django import forms

from tenants.calendars.clock import parse_clock
from tenants.calendars.models import WEEKDAYS_ORDER
from tenants.calendars.services import DAY_NAMES


@cache
def _country_choices() -> list[tuple[str, str]]:
    names = holidays.list_supported_countries()
    return [("", "— no public holidays —")] + [(code, code) for code in sorted(names)]


def _hours_field(day: str) -> forms.CharField:
    return forms.CharField(
        label=DAY_NAMES[day],
        required=False,
        max_length=200,
        help_text="E.g. 09:00-17:00, or 09:00-12:30, 13:30-17:00; empty: closed all day."
        if day == "mon"
        else "",
    )


class BusinessCalendarForm(forms.Form):
    mon = _hours_field("mon")
    tue = _hours_field("tue")
    wed = _hours_field("wed")
    thu = _hours_field("thu")
    fri = _hours_field("fri")
    sat = _hours_field("sat")
    sun = _hours_field("sun")
    country = forms.ChoiceField(
        choices=_country_choices,
        required=False,
        label="Public holidays of",
        help_text="The country's public holidays are closed (ISO code, e.g. DE for Germany).",
        error_messages={"invalid_choice": "“%(value)s” is not a country whose public holidays cxgov knows."},
    )
    subdivision = forms.CharField(
        max_length=10,
        required=False,
        label="Region (optional)",
        help_text="A state or region with holidays of its own, e.g. BY for Bavaria.",
    )
    closed_dates = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        label="Your own closed dates",
        help_text="One date a line, as YYYY-MM-DD, e.g. 2026-12-24.",
    )

    def hours_error(self, day: str) -> str:
        return (
            f"{DAY_NAMES[day]}: write the opening hours as start-end pairs separated by commas, "
            "e.g. 09:00-12:30, 13:30-17:00 (24:00 for midnight), or leave it empty when closed."
        )

    def clean(self):
        cleaned = super().clean()
        weekly: dict[str, list[list[str]]] = {}
        for day in WEEKDAYS_ORDER:
            text = (cleaned.get(day) or "").strip()
            intervals = []
            for part in filter(None, (p.strip() for p in text.split(","))):
                start, sep, end = part.replace("–", "-").partition("-")
                if not sep or parse_clock(start) is None or parse_clock(end) is None:
                    self.add_error(day, self.hours_error(day))
                    break
                intervals.append([start.strip(), end.strip()])
            weekly[day] = intervals
        cleaned["weekly_hours"] = weekly
        cleaned["closed_dates_list"] = [
            line.strip() for line in (cleaned.get("closed_dates") or "").splitlines() if line.strip()
        ]
        return cleaned

    @staticmethod
    def initial_for(row) -> dict:
        if row is None:
            return {day: ("09:00-17:00" if day not in ("sat", "sun") else "") for day in WEEKDAYS_ORDER}
        initial = {
            day: ", ".join(f"{a}-{b}" for a, b in row.weekly_hours.get(day, [])) for day in WEEKDAYS_ORDER
        }
        initial.update(
            country=row.country, subdivision=row.subdivision, closed_dates="\n".join(row.closed_dates)
        )
        return initial
