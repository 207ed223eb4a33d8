"""Forms of the promise pages. They parse input only; the services decide what is allowed.

Choices come from the active tenant's rows (querysets built per request), so another
tenant's department, touchpoint or measure is simply not a valid choice.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from promises.models import Measure, Promise, SignOff
from tenants.errors import DomainError
from tenants.forms import add_service_error
from tenants.models import Department, Touchpoint

SECONDS_PER_HOUR = 3600


def add_promise_error(
    form: forms.Form, error: DomainError | ValidationError, aliases: dict | None = None
) -> None:
    """A service's refusal on the form field it names (``aliases`` maps service names to fields)."""
    if isinstance(error, DomainError) and aliases and error.field in aliases:
        error = DomainError(error.message, field=aliases[error.field], code=error.code)
    add_service_error(form, error)


class PromiseFilterForm(forms.Form):
    """The registry's filters (GET). Departments and touchpoints are named by slug."""

    status = forms.ChoiceField(choices=[("", "Any status"), *Promise.Status.choices], required=False)
    department = forms.ChoiceField(required=False)
    touchpoint = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.order_by("name").values_list("slug", "name")
        touchpoints = Touchpoint.objects.order_by("position", "id").values_list("slug", "name")
        self.fields["department"].choices = [("", "Any department"), *departments]
        self.fields["touchpoint"].choices = [("", "Any touchpoint"), *touchpoints]


class PromiseForm(forms.Form):
    kind = forms.ChoiceField(
        choices=Promise.Kind.choices,
        help_text="A brand promise states what the brand stands for; customer promises make it "
        "concrete and measurable.",
    )
    title = forms.CharField(max_length=200)
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="What the customer can expect, in their words."
    )
    benefits = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    quality_standards = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    intended_feeling = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, help_text="How the customer should feel."
    )
    # Querysets are set per request (``__init__``): the tenant is only known then.
    owner = forms.ModelChoiceField(
        queryset=None, empty_label=None, help_text="The department accountable for it."
    )
    contributors = forms.ModelMultipleChoiceField(
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Departments that share accountability; each signs it off.",
    )
    weight = forms.DecimalField(
        initial=Decimal(1), min_value=Decimal("0.001"), max_digits=8, decimal_places=3,
        help_text="Business priority (1 = normal).",
    )  # fmt: skip
    parent = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Brand promise",
        empty_label="None",
        help_text="Customer promises only: the brand promise this one makes concrete.",
    )
    note = forms.CharField(
        max_length=500, required=False, help_text="Active promises: why the wording changes (kept with it)."
    )

    def __init__(self, *args, promise: Promise | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.order_by("name")
        self.fields["owner"].queryset = departments
        self.fields["contributors"].queryset = departments
        brands = Promise.objects.filter(kind=Promise.Kind.BRAND).exclude(status=Promise.Status.RETIRED)
        self.fields["parent"].queryset = brands.order_by("title")
        if promise is None:
            del self.fields["note"]
            return
        del self.fields["kind"]  # the kind of a promise never changes
        if promise.status != Promise.Status.DRAFT:
            # Those departments signed it off: an active promise keeps them (the service says so too).
            for name in ("owner", "contributors", "parent"):
                del self.fields[name]
        elif promise.is_brand:
            del self.fields["parent"]
        if not promise.has_been_active:
            del self.fields["note"]


class CommitmentForm(forms.Form):
    measure = forms.ModelChoiceField(queryset=None, empty_label=None)
    touchpoint = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All touchpoints",
        help_text="Empty: signals from every touchpoint count.",
    )
    target = forms.DecimalField(
        max_digits=9,
        decimal_places=3,
        help_text="On the measure's scale: NPS −100…100, CSAT 0…100, CES 1…7, story sentiment and "
        "duration measures 0…100 (% of cases).",
    )
    threshold_hours = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        label="Threshold (hours)",
        help_text="Duration measures only: a case counts as kept when handled within this many hours "
        "(e.g. 120 for 5 days).",
    )
    window_days = forms.IntegerField(initial=90, min_value=1, max_value=730, label="Window (days)")
    min_sample = forms.IntegerField(initial=5, min_value=1, label="Minimum sample")
    weight = forms.DecimalField(initial=Decimal(1), max_digits=8, decimal_places=3)

    # Names the services use → fields of this form.
    ALIASES = {"threshold_seconds": "threshold_hours"}

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["measure"].queryset = Measure.objects.order_by("-is_builtin", "key")
        self.fields["measure"].label_from_instance = _measure_label
        self.fields["touchpoint"].queryset = Touchpoint.objects.order_by("position", "id")
        if editing:
            # Measuring something else, or elsewhere, is another commitment.
            del self.fields["measure"]
            del self.fields["touchpoint"]

    def threshold_seconds(self) -> int | None:
        hours = self.cleaned_data.get("threshold_hours")
        return None if hours is None else int(round(hours * SECONDS_PER_HOUR))


def _measure_label(measure: Measure) -> str:
    if measure.is_duration:
        return f"{measure.name} ({measure.key}, duration in {measure.unit})"
    return f"{measure.name} ({measure.key})"


class SignOffForm(forms.Form):
    DECISIONS = [("approve", "Approve"), ("request_changes", "Request changes")]

    department = forms.ModelChoiceField(queryset=None, empty_label=None)
    # Sent by the button pressed (the form has one button per decision).
    decision = forms.ChoiceField(
        choices=DECISIONS, error_messages={"required": "Choose Approve or Request changes."}
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when requesting changes: say what needs to change.",
    )

    def __init__(self, *args, sign_offs: list[SignOff], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            pk__in=[s.department_id for s in sign_offs]
        ).order_by("name")
        self._only = sign_offs[0].department if len(sign_offs) == 1 else None
        if self._only is not None:
            # One department to decide for: nothing to choose.
            self.fields["department"].widget = forms.HiddenInput()
            self.fields["department"].initial = self._only.pk
            self.fields["department"].required = False

    def clean_department(self):
        return self.cleaned_data.get("department") or self._only


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Why the promise is activated without every sign-off. It is recorded and sent to "
        "the owner's managers.",
    )


class MeasureForm(forms.Form):
    key = forms.CharField(max_length=50, help_text="Lowercase, e.g. first_response or refund_processing.")
    name = forms.CharField(max_length=120, help_text="e.g. First response time.")
    unit = forms.ChoiceField(choices=Measure.Unit.choices, help_text="How thresholds are shown.")
