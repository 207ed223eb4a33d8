"""Forms of the story and import pages. They parse input only; the services write.

Choices come from the active tenant's rows (querysets built per request), so another
tenant's touchpoint, promise or department is simply not a valid choice. Date and time
fields are read in the tenant's time zone (the views activate it).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django import forms
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from feedback.signals.models import STORY_TEXT_MAX, story_text_problem
from feedback.stories.models import Story
from promises.models import Commitment, Promise
from tenants.formonce import FormTokenMixin
from tenants.models import Department, Touchpoint
from tenants.validation import date_problem, instant_problem

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def touchpoints_in_journey_order() -> QuerySet[Touchpoint]:
    return Touchpoint.objects.order_by("position", "id")


def promises_for(touchpoint: Touchpoint | None) -> QuerySet[Promise]:
    """Promises a story can touch (not retired), by title; those with a commitment at
    ``touchpoint`` are marked ``suggested``.

    The order never depends on the touchpoint: when the person goes Back to the form, the
    browser restores the ticks by position, so a list drawn for another touchpoint would move
    a tick onto a different promise."""
    promises = Promise.objects.exclude(status=Promise.Status.RETIRED)
    at_touchpoint = Commitment.objects.filter(promise=OuterRef("pk"), touchpoint=touchpoint)
    if touchpoint is None:
        at_touchpoint = at_touchpoint.none()
    return promises.annotate(suggested=Exists(at_touchpoint)).order_by("title", "id")


class PromiseChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Promise) -> str:
        return f"{obj.title} (suggested)" if getattr(obj, "suggested", False) else obj.title


class StoryForm(FormTokenMixin, forms.Form):
    text = forms.CharField(
        label="What happened",
        max_length=STORY_TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "autofocus": True}),
        help_text="A sentence or two, in the customer's words if you can.",
        error_messages={"required": "Describe what happened: a sentence or two is enough."},
    )
    occurred_at = forms.DateTimeField(
        label="When",
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"required": "Say when it happened (date and time)."},
    )
    touchpoint = forms.ModelChoiceField(
        label="Where (touchpoint)",
        queryset=None,
        empty_label="Choose where it happened",
        error_messages={"required": "Choose the touchpoint where it happened."},
    )
    promises = PromiseChoices(
        label="Promises it touches",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Suggested: promises with a commitment at the chosen touchpoint.",
    )
    department = forms.ModelChoiceField(
        label="Department concerned", queryset=None, required=False, empty_label="None in particular"
    )
    segment = forms.CharField(label="Customer segment", max_length=120, required=False)
    severity = forms.ChoiceField(choices=Story.Severity.choices, initial=Story.Severity.MEDIUM)

    def __init__(self, *args, touchpoint: Touchpoint | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            touchpoint = self._chosen_touchpoint() or touchpoint
        else:
            self.initial.setdefault("occurred_at", timezone.localtime().replace(second=0, microsecond=0))
        self.fields["touchpoint"].queryset = touchpoints_in_journey_order()
        self.fields["promises"].queryset = promises_for(touchpoint)
        self.fields["department"].queryset = Department.objects.order_by("name")
        # The promise list is redrawn when the touchpoint changes (htmx); without JavaScript,
        # "Suggest promises" reloads the page with ?touchpoint=.
        self.fields["touchpoint"].widget.attrs.update(
            {
                "hx-get": reverse("story_create"),
                "hx-trigger": "change",
                "hx-target": "#promise-choices",
                "hx-select": "#promise-choices",
                "hx-swap": "outerHTML",
                "hx-include": "[name=promises]",
            }
        )

    def _chosen_touchpoint(self) -> Touchpoint | None:
        value = self.data.get("touchpoint")
        if not value or not str(value).isdigit():
            return None
        return Touchpoint.objects.filter(pk=value).first()

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if problem := story_text_problem(text):
            raise forms.ValidationError(problem)
        return text

    def clean_occurred_at(self) -> dt.datetime:
        value = self.cleaned_data["occurred_at"]
        if problem := instant_problem("When", value):
            raise forms.ValidationError(problem)
        return value


class StoryFilterForm(forms.Form):
    """Filters of the all-stories list (GET); touchpoints, promises and departments by slug."""

    touchpoint = forms.ChoiceField(required=False)
    promise = forms.ChoiceField(required=False)
    department = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *Story.Severity.choices], required=False)
    sentiment_min = forms.FloatField(
        label="Sentiment from",
        min_value=-1,
        max_value=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    sentiment_max = forms.FloatField(
        label="Sentiment to",
        min_value=-1,
        max_value=1,
        required=False,
        widget=forms.NumberInput(attrs={"step": "0.05"}),
    )
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        touchpoints = touchpoints_in_journey_order().values_list("slug", "name")
        promises = Promise.objects.order_by("title").values_list("slug", "title")
        departments = Department.objects.order_by("name").values_list("slug", "name")
        self.fields["touchpoint"].choices = [("", "Any touchpoint"), *touchpoints]
        self.fields["promise"].choices = [("", "Any promise"), *promises]
        self.fields["department"].choices = [("", "Any department"), *departments]

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("sentiment_min"), cleaned.get("sentiment_max")
        if low is not None and high is not None and low > high:
            self.add_error("sentiment_max", "The upper bound is below the lower one; swap them.")
        for name in ("date_from", "date_to"):
            if cleaned.get(name) and (problem := date_problem(self.fields[name].label, cleaned[name])):
                self.add_error(name, problem)
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date; swap them or pick a later end.")
        return cleaned

    def story_filter(self, time_zone: str) -> Q:
        """The chosen filters as one condition on stories (dates are whole days in ``time_zone``)."""
        data = self.cleaned_data
        condition = Q()
        if data.get("touchpoint"):
            condition &= Q(touchpoint__slug=data["touchpoint"])
        if data.get("promise"):
            condition &= Q(promise_links__promise__slug=data["promise"])
        if data.get("department"):
            condition &= Q(department__slug=data["department"])
        if data.get("severity"):
            condition &= Q(severity=data["severity"])
        if data.get("sentiment_min") is not None:
            condition &= Q(sentiment__gte=data["sentiment_min"])
        if data.get("sentiment_max") is not None:
            condition &= Q(sentiment__lte=data["sentiment_max"])
        zone = zoneinfo.ZoneInfo(time_zone)
        if data.get("date_from"):
            condition &= Q(occurred_at__gte=dt.datetime.combine(data["date_from"], dt.time(), tzinfo=zone))
        if data.get("date_to"):
            end = dt.datetime.combine(data["date_to"] + dt.timedelta(days=1), dt.time(), tzinfo=zone)
            condition &= Q(occurred_at__lt=end)
        return condition
