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
        help_text="On the measure's scale: NPS −100…100, CSAT 0…100, CES 1…7, story sentiment, "
        "duration and rate measures 0…100 (%), an average measure its declared scale. For a "
        "lower-is-better measure the target is the most that still counts as met.",
    )
    threshold_hours = forms.DecimalField(
        required=False,
        min_value=Decimal("0.01"),
        max_digits=9,
        decimal_places=2,
        label="Threshold (hours)",
        help_text="Duration measures only (rate and average measures take none): a case counts as kept when handled within this many hours "
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
    if measure.kind == Measure.Kind.RATE:
        return f"{measure.name} ({measure.key}, rate in %{', lower is better' if measure.is_lower_better else ''})"
    if measure.kind == Measure.Kind.AVERAGE:
        lo, hi = measure.scale
        direction = ", lower is better" if measure.is_lower_better else ""
        return f"{measure.name} ({measure.key}, average {lo.normalize():f}…{hi.normalize():f}{direction})"
    return f"{measure.name} ({measure.key})"


class MeasureForm(forms.Form):
    """A tenant-defined measure (adding one, or changing one with ``editing``: the key stays).
    Which fields belong to which kind is the services' rule; they name the field that does not fit."""

    key = forms.CharField(max_length=50, help_text="Lowercase, e.g. first_response or review_stars.")
    name = forms.CharField(max_length=120, help_text="e.g. First response time.")
    kind = forms.ChoiceField(
        choices=[(k, Measure.Kind(k).label) for k in Measure.TENANT_KINDS],
        required=False,
        initial=Measure.Kind.DURATION,
        help_text="Duration: share of cases within a threshold. Rate: share of events whose outcome is "
        "true (%). Average: mean value on the scale you declare.",
    )
    unit = forms.ChoiceField(
        choices=[("", "—"), *Measure.Unit.choices],
        required=False,
        help_text="Duration measures only: how thresholds are shown.",
    )
    direction = forms.ChoiceField(
        choices=Measure.Direction.choices,
        required=False,
        initial=Measure.Direction.HIGHER_IS_BETTER,
        help_text="Lower is better for, e.g., the share of sign-ins security blocks.",
    )
    perspective = forms.ChoiceField(
        choices=[("", "Default (operational; perceived for averages)"), *Measure.Perspective.choices],
        required=False,
        help_text="Perceived: what customers say, such as review stars. Decides the perception gap.",
    )
    scale_min = forms.DecimalField(
        required=False, max_digits=9, decimal_places=3, label="Scale from", help_text="Average measures only."
    )
    scale_max = forms.DecimalField(
        required=False, max_digits=9, decimal_places=3, label="Scale to", help_text="e.g. 1 to 5 for stars."
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["key"]
