"""Forms of the measure pages: the filters (GET) and an admin's benchmark form (POST)."""

from __future__ import annotations

from django import forms

from metrics.measures import PERIOD_CHOICES, Filters, channel_choices, has_segments
from promises.models import Measure
from promises.templatetags.promises_ui import threshold as threshold_text
from tenants.models import Touchpoint

SEGMENT_SEPARATOR = "="


def _unknown(what: str, hint: str) -> dict[str, str]:
    return {"invalid_choice": f"There is no {what} “%(value)s” here; {hint}"}


class MeasureFilterForm(forms.Form):
    """The measure page's filters. Touchpoints by slug, a segment as ``key=value``."""

    period = forms.ChoiceField(
        label="Per",
        choices=PERIOD_CHOICES,
        required=False,
        error_messages=_unknown("period", "show the measure per month or per quarter."),
    )
    touchpoint = forms.ChoiceField(
        required=False, error_messages=_unknown("touchpoint", "pick one from the list.")
    )
    segment = forms.ChoiceField(
        required=False,
        error_messages=_unknown("segment", "pick one the answers of this year carry, from the list."),
    )
    channel = forms.ChoiceField(required=False, error_messages=_unknown("channel", "pick one from the list."))
    threshold = forms.ChoiceField(
        label="Within",
        required=False,
        error_messages=_unknown("threshold", "pick one a commitment on this measure uses, from the list."),
    )

    def __init__(
        self,
        *args,
        measure: Measure,
        touchpoints: list[Touchpoint],
        segments: list[tuple[str, str]],
        thresholds: list[int],
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.touchpoints = {t.slug: t for t in touchpoints}
        self.fields["touchpoint"].choices = [
            ("", "Every touchpoint"),
            *((t.slug, t.name) for t in touchpoints),
        ]
        if has_segments(measure):
            self.fields["segment"].choices = [
                ("", "Every segment"),
                *((f"{key}{SEGMENT_SEPARATOR}{value}", f"{key}: {value}") for key, value in segments),
            ]
        else:
            del self.fields["segment"]
        self.fields["channel"].choices = [("", "Every channel"), *channel_choices(measure)]
        if measure.is_duration:
            self.fields["threshold"].choices = [(str(t), threshold_text(t, measure.unit)) for t in thresholds]
        else:
            del self.fields["threshold"]
        self.thresholds = thresholds

    def channel_label(self) -> str:
        """The chosen channel as people name it ("API"), or ""."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return dict(self.fields["channel"].choices).get(data.get("channel") or "", "")

    def filters(self) -> Filters:
        """The filters chosen (call after ``is_valid``); nothing chosen: the last 12 months, unfiltered."""
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        segment = data.get("segment") or None
        threshold = data.get("threshold")
        return Filters(
            period=data.get("period") or "month",
            touchpoint=self.touchpoints.get(data.get("touchpoint") or ""),
            segment=tuple(segment.split(SEGMENT_SEPARATOR, 1)) if segment else None,
            channel=data.get("channel") or "",
            threshold_seconds=int(threshold)
            if threshold
            else (self.thresholds[0] if self.thresholds else None),
        )


class BenchmarkForm(forms.Form):
    """Add a benchmark, or change the value of the one with the same label. The services check
    the value against the measure's scale."""

    label = forms.CharField(
        max_length=80, help_text="What the value is, e.g. Industry average or Best in class."
    )
    value = forms.CharField(max_length=40, help_text="On the measure's scale.")
    source = forms.CharField(
        max_length=200,
        required=False,
        help_text="Optional: where the value comes from, e.g. a study and its year.",
    )
