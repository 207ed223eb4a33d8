"""Forms of the admin console and of joining by invitation: they parse input, nothing more.

None of them has a ``tenant`` field: the tenant is the request's. Related rows (departments)
are chosen among the active tenant's own, so another tenant's id is "not a valid choice".
Forms that list the tenant's rows build their querysets in ``__init__``, inside the request's
tenant context.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import cache

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from tenants.audit import DATA_ACTIONS, SECURITY_ACTIONS
from tenants.audit_entries import audit_object_choices
from tenants.errors import DomainError
from tenants.formonce import FormTokenMixin
from tenants.models import (
    CLOCK_REMINDER_MAX_PERCENT,
    FOLLOWUP_DUE_MAX_HOURS,
    SCORE_DROP_MAX_WINDOW_DAYS,
    SURVEY_SUPPRESSION_MAX_DAYS,
    ApiKey,
    AuditEvent,
    Department,
    Membership,
    Touchpoint,
    User,
)
from tenants.text import SYSTEM_ACTOR
from tenants.validation import date_problem

ROLE_HELP = (
    "Admins configure the tenant; managers approve their departments' escalations; employees log "
    "customer stories; viewers only read."
)
DEPARTMENTS_HELP = "Managers and employees see and act for the departments they belong to."


def add_service_error(form: forms.Form, error: DomainError | ValidationError) -> None:
    """Show a service's refusal on the form: on the field it names, else above the form."""
    if isinstance(error, DomainError):
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


@cache
def _time_zone_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ")) for name in sorted(zoneinfo.available_timezones())]


class TenantSettingsForm(forms.Form):
    name = forms.CharField(
        max_length=200, help_text="Shown to every member at the top of each page and in e-mails."
    )
    time_zone = forms.ChoiceField(
        choices=_time_zone_choices,
        help_text="Dates and times in cxgov (the audit log, digests, due dates) are shown in this time zone.",
        error_messages={
            "invalid_choice": "“%(value)s” is not a known time zone; choose one from the list "
            "(IANA names such as Europe/Berlin or America/New_York)."
        },
    )
    perception_gap_threshold = forms.DecimalField(
        label="Perception-gap threshold (points)",
        required=False,  # left empty: the threshold stays as it is
        min_value=1,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text="A promise whose operational score exceeds its perceived score by at least this many "
        "points is flagged as a hidden breach; the reverse, as unseen delivery. 20 unless you change it.",
        error_messages={
            "invalid": "Give the perception-gap threshold as a number of points, from 1 to 100 (e.g. 20).",
            "min_value": "The perception-gap threshold is at least 1 point; enter 1 to 100 (e.g. 20).",
            "max_value": "The perception-gap threshold is at most 100 points; enter 1 to 100 (e.g. 20).",
            "max_decimal_places": "Use at most 2 decimals, e.g. 17.5.",
            "max_digits": "Enter 1 to 100, with at most 2 decimals (e.g. 17.5).",
        },
    )

    survey_suppression_days = forms.IntegerField(
        label="Pause between two survey links of one respondent (days)",
        required=False,  # left empty: the pause stays as it is
        min_value=0,
        max_value=SURVEY_SUPPRESSION_MAX_DAYS,
        help_text="A partner system is not given a personalised survey link for a customer who was sent "
        "one within this many days, for any survey. 90 unless you change it; 0: no pause.",
        error_messages={
            "invalid": f"Give the pause as a whole number of days, from 0 to {SURVEY_SUPPRESSION_MAX_DAYS} (e.g. 90).",
            "min_value": "The pause cannot be negative; enter 0 for no pause, or a number of days (e.g. 90).",
            "max_value": f"The pause is at most {SURVEY_SUPPRESSION_MAX_DAYS} days (ten years); enter 0 to "
            f"{SURVEY_SUPPRESSION_MAX_DAYS} (e.g. 90).",
        },
    )

    followup_due_hours = forms.IntegerField(
        label="Follow-ups of unhappy survey answers are due within (hours)",
        required=False,  # left empty: stays as it is
        min_value=1,
        max_value=FOLLOWUP_DUE_MAX_HOURS,
        help_text="When a customer gives a hosted survey an unhappy score, the department's follow-up is "
        "due this many hours later. 48 unless you change it; applies to follow-ups opened from now on.",
        error_messages={
            "invalid": f"Give the hours as a whole number from 1 to {FOLLOWUP_DUE_MAX_HOURS} (e.g. 48).",
            "min_value": f"A follow-up needs at least 1 hour; enter 1 to {FOLLOWUP_DUE_MAX_HOURS} (e.g. 48).",
            "max_value": f"A follow-up is due within at most {FOLLOWUP_DUE_MAX_HOURS} hours (30 days); enter "
            f"1 to {FOLLOWUP_DUE_MAX_HOURS} (e.g. 48).",
        },
    )
    business_hours_clocks = forms.BooleanField(
        label="Escalation clocks count business hours",
        required=False,
        help_text="Due times of decisions and resolutions count only the opening hours of the business "
        "calendar (Admin → Business hours); off, they count every hour.",
    )
    clock_reminder_percent = forms.IntegerField(
        label="Reminder before a due time (% of the clock)",
        required=False,  # left empty: stays as it is
        min_value=0,
        max_value=CLOCK_REMINDER_MAX_PERCENT,
        help_text="Whoever must act is reminded once this share of the time has passed. 75 unless you "
        "change it; 0: no reminder.",
        error_messages={
            "invalid": "Give the reminder as a whole percentage from 0 to 99 (e.g. 75).",
            "min_value": "The reminder is at 0 to 99 %% of the clock; enter 0 for none (e.g. 75).",
            "max_value": "The reminder is at 0 to 99 %% of the clock (at 100 %% the due time itself has come).",
        },
    )
    score_drop_points = forms.DecimalField(
        label="Score-drop alert (points)",
        required=False,
        min_value=1,
        max_value=100,
        max_digits=5,
        decimal_places=2,
        help_text="A score of the company, a department or a promise that falls by at least this many "
        "points within the window is an alert (e-mail to its owners, webhook score.dropped). 5 unless you "
        "change it.",
        error_messages={
            "invalid": "Give the score-drop alert as a number of points, from 1 to 100 (e.g. 5).",
            "min_value": "The score-drop alert is at least 1 point; enter 1 to 100 (e.g. 5).",
            "max_value": "The score-drop alert is at most 100 points; enter 1 to 100 (e.g. 5).",
            "max_decimal_places": "Use at most 2 decimals, e.g. 4.5.",
            "max_digits": "Enter 1 to 100, with at most 2 decimals (e.g. 4.5).",
        },
    )
    score_drop_window_days = forms.IntegerField(
        label="Score-drop window (days)",
        required=False,
        min_value=1,
        max_value=SCORE_DROP_MAX_WINDOW_DAYS,
        help_text="The fall is measured from the highest score within this many days. 7 unless you change it.",
        error_messages={
            "invalid": f"Give the window as a whole number of days, from 1 to {SCORE_DROP_MAX_WINDOW_DAYS} (e.g. 7).",
            "min_value": f"The window is at least 1 day; enter 1 to {SCORE_DROP_MAX_WINDOW_DAYS} (e.g. 7).",
            "max_value": f"The window is at most {SCORE_DROP_MAX_WINDOW_DAYS} days; enter 1 to "
            f"{SCORE_DROP_MAX_WINDOW_DAYS} (e.g. 7).",
        },
    )

    def __init__(self, *args, scoring_settings: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not scoring_settings:  # the member may not change scoring (action scores.settings)
            for name in ("perception_gap_threshold", "score_drop_points", "score_drop_window_days"):
                del self.fields[name]


class DepartmentForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        help_text="For example Customer Service, Logistics or Marketing. Names are unique in your company.",
    )


class TouchpointForm(forms.Form):
    name = forms.CharField(
        max_length=120, help_text="Where customers meet the company: website, store, delivery, support…"
    )
    journey_stage = forms.ChoiceField(
        choices=[("", "— no stage —"), *Touchpoint.Stage.choices],
        required=False,
        label="Journey stage",
    )
    is_moment_of_truth = forms.BooleanField(
        required=False,
        label="Moment of truth",
        help_text="A touchpoint where the customer decides whether the promise was kept.",
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "Earlier"), ("down", "Later")])


class MomentOfTruthForm(forms.Form):
    is_moment_of_truth = forms.BooleanField(required=False)


class _RoleAndDepartmentsForm(forms.Form):
    """A role, and departments chosen among the active tenant's own (and nothing else)."""

    role = forms.ChoiceField(
        choices=Membership.Role.choices, initial=Membership.Role.EMPLOYEE, help_text=ROLE_HELP
    )
    departments = forms.ModelMultipleChoiceField(
        queryset=None,  # set per request: the tenant is only known then
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=DEPARTMENTS_HELP,
        error_messages={
            "invalid_choice": "One of the chosen departments does not exist (any more); "
            "reload the page and choose again."
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Department.objects.order_by("name")


class InvitationForm(FormTokenMixin, _RoleAndDepartmentsForm):
    field_order = ["email", "role", "departments"]

    email = forms.EmailField(
        label="E-mail address",
        error_messages={"invalid": "Enter a complete e-mail address, such as jane.doe@example.com."},
    )


class MemberForm(_RoleAndDepartmentsForm):
    pass


class MemberFilterForm(forms.Form):
    role = forms.ChoiceField(choices=[("", "All roles"), *Membership.Role.choices], required=False)
    status = forms.ChoiceField(
        choices=[("", "Active and inactive"), ("active", "Active"), ("inactive", "Inactive")], required=False
    )


class ApiKeyForm(FormTokenMixin, forms.Form):
    name = forms.CharField(max_length=120, help_text="Which system uses it, e.g. “Helpdesk (Zendesk)”.")
    scopes = forms.MultipleChoiceField(
        choices=ApiKey.Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Give the key only what the system needs.",
        error_messages={"required": "Choose at least one scope: what may the system do with this key?"},
    )
    expires_on = forms.DateField(
        required=False,
        label="Last day of validity",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Optional. The key stops working at the end of this day (your company's time zone). "
        "Leave empty for a key that works until revoked.",
        error_messages={"invalid": "Enter a date as YYYY-MM-DD, or leave it empty."},
    )

    def clean_expires_on(self) -> dt.date | None:
        day = self.cleaned_data.get("expires_on")
        if day is not None and (problem := date_problem("The last day", day)):
            raise forms.ValidationError(problem)
        return day

    def expires_at(self, time_zone: str) -> dt.datetime | None:
        """Midnight after the chosen day, in ``time_zone``."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=zoneinfo.ZoneInfo(time_zone))


def _audit_action_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    data = list(DATA_ACTIONS.items())
    security = sorted(SECURITY_ACTIONS.items(), key=lambda c: c[1])
    return [("Data changes", data), ("Security events", security)]


class AuditFilterForm(forms.Form):
    actor = forms.ChoiceField(required=False, label="Who")
    model = forms.ChoiceField(required=False, label="About")
    action = forms.ChoiceField(required=False, label="What happened")
    category = forms.ChoiceField(
        choices=[("", "All kinds"), *AuditEvent.Category.choices],
        required=False,
        label="Kind",
    )
    date_from = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )
    date_to = forms.DateField(
        required=False,
        label="To (inclusive)",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date as YYYY-MM-DD."},
    )
    housekeeping = forms.BooleanField(
        required=False,
        label="Show system housekeeping",
        help_text="Heartbeats of the scheduled work, stored API answers, the last use of each API key.",
    )

    def __init__(self, *args, actor_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor"].choices = [
            ("", "Anyone"),
            *actor_choices,
            (
                "Others",
                [("system", SYSTEM_ACTOR), ("anonymous", "Someone not signed in (e.g. failed sign-ins)")],
            ),
        ]
        self.fields["model"].choices = [("", "Anything"), *audit_object_choices()]
        self.fields["action"].choices = [("", "Anything"), *_audit_action_choices()]

    def clean(self):
        cleaned = super().clean()
        for name in ("date_from", "date_to"):
            if cleaned.get(name) and (problem := date_problem(self.fields[name].label, cleaned[name])):
                self.add_error(name, problem)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date; swap them or pick a later end.")
        return cleaned

    def actor_filter(self) -> tuple[str, int | None]:
        """``("member", 12)``, ``("api_key", 3)``, ``("system", None)`` or ``("", None)``."""
        value = self.cleaned_data.get("actor") or ""
        kind, _, pk = value.partition(":")
        return kind, int(pk) if pk.isdigit() else None

    def period(self, time_zone: str) -> tuple[dt.datetime | None, dt.datetime | None]:
        """The chosen days as [start, end) instants: whole days in ``time_zone``."""
        zone = zoneinfo.ZoneInfo(time_zone)
        start, end = self.cleaned_data.get("date_from"), self.cleaned_data.get("date_to")
        return (
            dt.datetime.combine(start, dt.time(), tzinfo=zone) if start else None,
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=zone) if end else None,
        )


class InvitationAcceptForm(forms.Form):
    """A new person's name and password. Django's password validators run here (and again in the service)."""

    first_name = forms.CharField(max_length=150, label="First name")
    last_name = forms.CharField(max_length=150, label="Last name")
    password1 = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label="Password (again)",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Type the same password again, to be sure of it.",
    )

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "The two passwords differ; type the same password twice.")
        elif first:
            person = User(
                email=self.email,
                first_name=cleaned.get("first_name", ""),
                last_name=cleaned.get("last_name", ""),
            )
            try:
                password_validation.validate_password(first, person)
            except ValidationError as error:
                self.add_error("password1", error)
        return cleaned
