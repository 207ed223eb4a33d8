"""Serializers and filters of the escalation endpoints (the views are in :mod:`feedback.escalations.api_urls`)."""

from __future__ import annotations

from django.utils import timezone
from django_filters import rest_framework as filters
from rest_framework import serializers

from feedback.escalations.models import Escalation, EscalationEntry, EscalationSeverity, EscalationState
from feedback.escalations.selectors import overdue_condition
from feedback.signals.models import STORY_TEXT_MAX
from tenants.api_base import JsonTypedInput

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
