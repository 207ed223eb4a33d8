"""Serializers describing the signal ingest endpoints in the OpenAPI schema.

Validation of the items themselves happens in :mod:`feedback.services` (one item at a time,
with every error per field), so a bad item rejects only itself. These classes document the
shapes; like :mod:`tenants.api`, this module never imports ``rest_framework.views``.
"""

from __future__ import annotations

from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework import serializers

from feedback.models import (
    EXTERNAL_ID_MAX,
    STORY_TEXT_MAX,
    Escalation,
    EscalationEntry,
    EscalationSeverity,
    EscalationState,
    ServiceEvent,
    Story,
    SurveyResponse,
)
from feedback.selectors import overdue_condition
from feedback.services import MAX_BATCH_ITEMS
from tenants.api import InstantFilter, JsonTypedInput, ProblemSerializer
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
    measure = serializers.SlugField(help_text="Key of one of the tenant's duration measures.")
    duration_seconds = serializers.IntegerField(
        min_value=0,
        max_value=TEN_YEARS_SECONDS,
        help_text="How long the case took, in seconds (at most ten years).",
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
    source_kind = serializers.CharField(read_only=True, help_text="`member` or `api_key`: who sent it.")

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
            "source_kind",
            "external_id",
            "created_at",
        ]
        read_only_fields = fields


class ServiceEventSerializer(serializers.ModelSerializer):
    """A stored service event."""

    measure = serializers.SlugRelatedField(
        slug_field="key", read_only=True, help_text="Key of the tenant's duration measure."
    )
    touchpoint = serializers.SlugRelatedField(slug_field="slug", read_only=True, help_text="Touchpoint slug.")
    source_kind = serializers.CharField(read_only=True, help_text="`member` or `api_key`: who sent it.")

    class Meta:
        model = ServiceEvent
        fields = [
            "id",
            "measure",
            "duration_seconds",
            "occurred_at",
            "touchpoint",
            "source_kind",
            "external_id",
            "created_at",
        ]
        read_only_fields = fields


class _SignalFilter(filters.FilterSet):
    touchpoint = filters.CharFilter(
        field_name="touchpoint__slug", help_text="Only signals at this touchpoint (slug)."
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
    measure = filters.CharFilter(field_name="measure__key", help_text="Only responses to this measure (key).")

    class Meta:
        model = SurveyResponse
        fields = ["touchpoint", "measure", "occurred_after", "occurred_before"]


class ServiceEventFilter(_SignalFilter):
    measure = filters.CharFilter(field_name="measure__key", help_text="Only events of this measure (key).")

    class Meta:
        model = ServiceEvent
        fields = ["touchpoint", "measure", "occurred_after", "occurred_before"]


# --- Escalations ------------------------------------------------------------------------------


class EscalationFilter(filters.FilterSet):
    state = filters.ChoiceFilter(
        choices=EscalationState.choices,
        help_text="Only escalations in this state.",
        error_messages={
            "invalid_choice": "%(value)s is not a state; use one of: "
            + ", ".join(EscalationState.values)
            + "."
        },
    )
    severity = filters.ChoiceFilter(
        choices=EscalationSeverity.choices,
        help_text="Only escalations of this severity.",
        error_messages={
            "invalid_choice": "%(value)s is not a severity; use one of: low, medium, high, critical."
        },
    )
    department = filters.CharFilter(field_name="department__slug", help_text="Responsible department (slug).")
    promise = filters.CharFilter(field_name="promise__slug", help_text="Promise concerned (slug).")
    overdue = filters.BooleanFilter(
        method="filter_overdue",
        help_text="true: only overdue escalations (their current clock ran out); false: none of them.",
    )

    class Meta:
        model = Escalation
        fields = ["state", "department", "promise", "severity", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = overdue_condition(timezone.now())
        return queryset.filter(late) if value else queryset.exclude(late)


class EscalationEntrySerializer(serializers.ModelSerializer):
    kind = serializers.CharField(help_text="transition, comment, evidence, assigned or overdue.")
    actor_kind = serializers.CharField(help_text="member, api_key or system.")

    class Meta:
        model = EscalationEntry
        fields = [
            "kind",
            "from_state",
            "to_state",
            "actor_kind",
            "actor_label",
            "note",
            "level",
            "created_at",
        ]


class EscalationSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    promise = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The promise concerned, if any."
    )
    touchpoint = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The touchpoint concerned, if any."
    )
    proposed_by = serializers.SerializerMethodField(
        help_text="Who proposed it: a member's e-mail, an API key's name, or system."
    )
    owner = serializers.SerializerMethodField(help_text="The owner's e-mail, once approved.")
    stories = serializers.SerializerMethodField(help_text="Ids of the stories attached as evidence.")
    overdue = serializers.SerializerMethodField(
        help_text="The current clock (decision or resolution) ran out."
    )

    class Meta:
        model = Escalation
        fields = [
            "id", "title", "description", "severity", "state", "department", "promise", "touchpoint",
            "proposer_kind", "proposed_by", "owner", "stories", "breach_event_id", "breach", "proposed_at",
            "decision_due_at", "decided_at", "resolution_due_at", "resolved_at", "closed_at", "resolution",
            "overdue", "overdue_level",
        ]  # fmt: skip

    def get_proposed_by(self, obj: Escalation) -> str:
        if obj.proposed_by is not None:
            return obj.proposed_by.user.email
        if obj.proposed_by_key is not None:
            return obj.proposed_by_key.name
        return "system"

    def get_owner(self, obj: Escalation) -> str | None:
        return obj.owner.user.email if obj.owner else None

    def get_stories(self, obj: Escalation) -> list[int]:
        return [link.story_id for link in obj.evidence.all()]

    def get_overdue(self, obj: Escalation) -> bool:
        return obj.is_overdue_at(timezone.now())


class EscalationDetailSerializer(EscalationSerializer):
    timeline = EscalationEntrySerializer(many=True, read_only=True, source="entries")

    class Meta(EscalationSerializer.Meta):
        fields = [*EscalationSerializer.Meta.fields, "timeline"]


class EscalationProposeSerializer(JsonTypedInput, serializers.Serializer):
    title = serializers.CharField(max_length=300)
    severity = serializers.ChoiceField(choices=EscalationSeverity.choices)
    department = serializers.SlugField(help_text="Slug of the responsible department.")
    description = serializers.CharField(max_length=STORY_TEXT_MAX, required=False, default="")
    promise = serializers.SlugField(required=False, help_text="Slug of the promise concerned.")
    touchpoint = serializers.SlugField(required=False, help_text="Slug of the touchpoint concerned.")
    stories = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list, max_length=100,
        help_text="Ids of stories to attach as evidence.",
    )  # fmt: skip


class EscalationTransitionSerializer(JsonTypedInput, serializers.Serializer):
    note = serializers.CharField(
        max_length=STORY_TEXT_MAX,
        required=False,
        default="",
        allow_blank=True,
        help_text="Required to resolve (the resolution) and to reopen (the reason).",
    )
