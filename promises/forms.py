"""Forms of the promise pages. They parse input only; the services decide what is allowed.

The commitment and measure forms are in ``promises/commitments/forms.py``, the sign-off forms
in ``promises/signoffs/forms.py``; :func:`add_promise_error` serves them all.

Choices come from the active tenant's rows (querysets built per request), so another
tenant's department, touchpoint or measure is simply not a valid choice.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from promises.models import Promise
from tenants.errors import DomainError
from tenants.formonce import FormTokenMixin
from tenants.forms import add_service_error
from tenants.models import Department, Touchpoint


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


class PromiseForm(FormTokenMixin, forms.Form):
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
