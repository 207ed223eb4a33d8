"""Forms of the commitment and measure pages. They parse input only; the services decide
what is allowed. Choices come from the active tenant's rows (querysets built per request).
"""

from __future__ import annotations

from decimal import Decimal

from django import forms

from promises.commitments.models import Measure
from tenants.formonce import FormTokenMixin
from tenants.models import Touchpoint

SECONDS_PER_HOUR = 3600


class CommitmentForm(FormTokenMixin, forms.Form):
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


class MeasureForm(forms.Form):
    key = forms.CharField(max_length=50, help_text="Lowercase, e.g. first_response or refund_processing.")
    name = forms.CharField(max_length=120, help_text="e.g. First response time.")
    unit = forms.ChoiceField(choices=Measure.Unit.choices, help_text="How thresholds are shown.")
