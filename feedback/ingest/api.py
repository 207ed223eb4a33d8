"""Serializers describing the signal ingest endpoints in the OpenAPI schema.

Validation of the items themselves happens in :mod:`feedback.ingest.items` (one item at a time,
with every error per field), so a bad item rejects only itself. These classes document the
shapes; like :mod:`tenants.api`, this module never imports ``rest_framework.views``.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import serializers

from feedback.ingest.items import MAX_BATCH_ITEMS
from feedback.ingest.selectors import measure_id_for, touchpoint_id_for
from feedback.signals.models import EXTERNAL_ID_MAX, STORY_TEXT_MAX, ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from tenants.api_base import InstantFilter, ProblemSerializer
from tenants.validation import EARLIEST_TEXT, FUTURE_SKEW_TEXT, TEN_YEARS_SECONDS

_EXTERNAL_ID_HELP = (
    "Your id for this item. Sending an item with an id this API key already sent answers "
    "`duplicate` and changes nothing."
)
_OCCURRED_AT_HELP = (
    f"When it happened, ISO 8601 with a time zone; from {EARLIEST_TEXT} on, "
    f"and at most {FUTURE_SKEW_TEXT} ahead of the server's clock."
)


class StoryItemSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=STORY_TEXT_MAX, help_text="What happened.")
    occurred_at = serializers.DateTimeField(help_text=_OCCURRED_AT_HELP)
    touchpoint = serializers.SlugField(help_text="Slug of the touchpoint where it happened.")
    promises = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Slugs of the promises it touches."
    )
    department = serializers.SlugField(
        required=False, allow_null=True, help_text="Slug of the department concerned."
    )
    segment = serializers.CharField(
        max_length=120, required=False, allow_null=True, help_text="Customer segment."
    )
    severity = serializers.ChoiceField(choices=Story.Severity.choices, required=False, default="medium")
    external_id = serializers.CharField(
        max_length=EXTERNAL_ID_MAX, required=False, allow_null=True, help_text=_EXTERNAL_ID_HELP
    )


class SurveyResponseItemSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=["nps", "csat", "ces"], help_text="The survey measure.")
    score = serializers.IntegerField(help_text="NPS 0–10, CSAT 1–5, CES 1–7.")
    occurred_at = serializers.DateTimeField(help_text=_OCCURRED_AT_HELP)
    touchpoint = serializers.SlugField(
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text='Slug of the touchpoint surveyed; omit it (or send "" or null) for none.',
    )
    segment = serializers.DictField(
        required=False, help_text='Up to 20 flat attributes, e.g. {"plan": "pro"}.'
    )
    respondent_ref = serializers.CharField(
        max_length=120, required=False, allow_null=True, help_text="Pseudonymous reference."
    )
    comment = serializers.CharField(max_length=STORY_TEXT_MAX, required=False, allow_null=True)
    external_id = serializers.CharField(
        max_length=EXTERNAL_ID_MAX, required=False, allow_null=True, help_text=_EXTERNAL_ID_HELP
    )


class ServiceEventItemSerializer(serializers.Serializer):
    """One event of a duration, rate or average measure, with exactly the fact its kind needs."""

    measure = serializers.SlugField(
        help_text="Key of one of the tenant's duration, rate or average measures."
    )
    duration_seconds = serializers.IntegerField(
        min_value=0,
        max_value=TEN_YEARS_SECONDS,
        required=False,
        help_text="Duration measures only (required there): how long the case took, in seconds "
        "(at most ten years).",
    )
    outcome = serializers.BooleanField(
        required=False,
        help_text="Rate measures only (required there): whether it happened, e.g. resolved at the "
        "first contact, or a sign-in blocked.",
    )
    value = serializers.FloatField(
        required=False,
        help_text="Average measures only (required there): a number inside the measure's scale, at "
        "most 3 decimal places, e.g. 4 stars.",
    )
    occurred_at = serializers.DateTimeField(help_text=_OCCURRED_AT_HELP)
    touchpoint = serializers.SlugField(help_text="Slug of the touchpoint.")
    external_id = serializers.CharField(
        max_length=EXTERNAL_ID_MAX, required=False, allow_null=True, help_text=_EXTERNAL_ID_HELP
    )


def batch_serializer(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "items": serializers.ListField(
                child=item(),
                min_length=1,
                max_length=MAX_BATCH_ITEMS,
                help_text=f"Up to {MAX_BATCH_ITEMS} items. A single item may also be sent as the whole body.",
            ),
            "__doc__": "A batch of items (or one item as the whole body, without `items`).",
        },
    )


class ItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request.")
    # A plain string, not a choice field: an enum named "status" would collide with the
    # promise and sign-off status enums in the schema.
    status = serializers.CharField(help_text="`created`, `duplicate` (nothing changed) or `rejected`.")
    id = serializers.IntegerField(allow_null=True, help_text="The stored signal (also for a duplicate).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Rejected items only: the messages per field.",
    )


class IngestResultSerializer(serializers.Serializer):
    results = ItemResultSerializer(many=True, help_text="One result per item, in request order.")
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()


class IngestRejectedSerializer(ProblemSerializer):
    """422: a problem; when every item was rejected it also carries the per-item results."""

    results = ItemResultSerializer(
        many=True, required=False, help_text="One result per item, in request order (all rejected)."
    )
    created = serializers.IntegerField(required=False)
    duplicate = serializers.IntegerField(required=False)
    rejected = serializers.IntegerField(required=False)


# --- Listing (GET) ----------------------------------------------------------------------------
# Related objects are named as in ingest: touchpoints, promises and departments by slug,
# measures by key; never by database id.


class StorySerializer(serializers.ModelSerializer):
    """A stored customer story."""

    touchpoint = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Touchpoint slug.")
    promises = serializers.SlugRelatedField(
        slug_field="slug", many=True, read_only=True, help_text="Slugs of the promises it touches."
    )
    department = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Slug of the department concerned."
    )
    severity = serializers.ChoiceField(choices=Story.Severity.choices, read_only=True)
    # Plain strings, not enums: keeps the schema free of clashing enum names.
    channel = serializers.CharField(read_only=True, help_text="`web_form`, `api` or `csv`.")
    source_kind = serializers.CharField(read_only=True, help_text="`member` or `api_key`: who logged it.")

    class Meta:
        model = Story
        fields = [
            "id",
            "text",
            "occurred_at",
            "touchpoint",
            "promises",
            "department",
            "segment",
            "severity",
            "channel",
            "sentiment",
            "source_kind",
            "external_id",
            "created_at",
        ]
        read_only_fields = fields


class SurveyResponseSerializer(serializers.ModelSerializer):
    """A stored survey response."""

    measure = serializers.SlugRelatedField(
        slug_field="key", read_only=True, help_text="`nps`, `csat` or `ces`."
    )
    touchpoint = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="Touchpoint slug, if given."
    )
    source_kind = serializers.CharField(
        read_only=True,
        help_text="`member`, `api_key` or `hosted_survey` (answered on a hosted survey's page): who sent it.",
    )

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "measure",
            "score",
            "occurred_at",
            "touchpoint",
            "segment",
            "respondent_ref",
            "comment",
            "comment_sentiment",
            "source_kind",
            "external_id",
            "created_at",
        ]
        read_only_fields = fields


class ServiceEventSerializer(serializers.ModelSerializer):
    """A stored service event."""

    measure = serializers.SlugRelatedField(
        slug_field="key", read_only=True, help_text="Key of the tenant's duration, rate or average measure."
    )
    value = serializers.DecimalField(
        max_digits=9, decimal_places=3, read_only=True, allow_null=True, coerce_to_string=True
    )
    touchpoint = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Touchpoint slug.")
    source_kind = serializers.CharField(read_only=True, help_text="`member` or `api_key`: who sent it.")

    class Meta:
        model = ServiceEvent
        fields = [
            "id",
            "measure",
            "duration_seconds",
            "outcome",
            "value",
            "occurred_at",
            "touchpoint",
            "source_kind",
            "external_id",
            "created_at",
        ]
        read_only_fields = fields


def _by_id(queryset, field: str, found: int | None):
    """Rows whose ``field`` is the id a slug or key resolved to; none if it named nothing."""
    return queryset.filter(**{field: found}) if found is not None else queryset.none()


class _SignalFilter(filters.FilterSet):
    touchpoint = filters.CharFilter(
        method="filter_touchpoint", help_text="Only signals at this touchpoint (slug)."
    )
    occurred_after = InstantFilter(
        field_name="occurred_at",
        lookup_expr="gte",
        help_text="Only signals that occurred at or after this time (ISO 8601, e.g. 2026-03-01T00:00:00Z).",
    )
    occurred_before = InstantFilter(
        field_name="occurred_at",
        lookup_expr="lt",
        help_text="Only signals that occurred before this time (ISO 8601).",
    )

    def filter_touchpoint(self, queryset, name, value):
        return _by_id(queryset, "touchpoint_id", touchpoint_id_for(value))

    def filter_measure(self, queryset, name, value):
        return _by_id(queryset, "measure_id", measure_id_for(value))


class StoryFilter(_SignalFilter):
    promise = filters.CharFilter(
        field_name="promise_links__promise__slug", help_text="Only stories touching this promise (slug)."
    )
    severity = filters.ChoiceFilter(
        choices=Story.Severity.choices,
        help_text="Only stories of this severity.",
        error_messages={"invalid_choice": "%(value)s is not a severity; use one of: low, medium, high."},
    )

    class Meta:
        model = Story
        fields = ["touchpoint", "promise", "severity", "occurred_after", "occurred_before"]


class SurveyResponseFilter(_SignalFilter):
    measure = filters.CharFilter(method="filter_measure", help_text="Only responses to this measure (key).")

    class Meta:
        model = SurveyResponse
        fields = ["touchpoint", "measure", "occurred_after", "occurred_before"]


class ServiceEventFilter(_SignalFilter):
    measure = filters.CharFilter(method="filter_measure", help_text="Only events of this measure (key).")

    class Meta:
        model = ServiceEvent
        fields = ["touchpoint", "measure", "occurred_after", "occurred_before"]
