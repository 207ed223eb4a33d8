"""The partner API's tenant resources, departments and touchpoints: their serializers and filters.

Like :mod:`tenants.api_base`, this module never imports ``rest_framework.views``: the endpoints
live in :mod:`tenants.api_urls`.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from rest_framework import serializers

from tenants.api_base import JsonTypedInput
from tenants.models import Department, Touchpoint

# Serializers validate and render; writes go through tenants.services. None of them accepts
# ``tenant`` (it comes from the key), ``id`` or ``slug`` (the service makes the slug).

_NAME_MESSAGES = {
    "required": "Give it a name, e.g. {example}.",
    "blank": "Give it a name, e.g. {example}; the name cannot be empty.",
    "null": "Give it a name, e.g. {example}; the name cannot be null.",
    "max_length": "Keep the name to at most {{max_length}} characters.",
}


def _name_field(example: str) -> serializers.CharField:
    return serializers.CharField(
        max_length=120,
        error_messages={key: message.format(example=example) for key, message in _NAME_MESSAGES.items()},
    )


_STAGES = ", ".join(Touchpoint.Stage.values)


class DepartmentSerializer(JsonTypedInput, serializers.ModelSerializer):
    name = _name_field("Customer Service")

    class Meta:
        model = Department
        fields = ["id", "name", "slug", "created_at"]
        read_only_fields = ["id", "slug", "created_at"]


class TouchpointSerializer(JsonTypedInput, serializers.ModelSerializer):
    """A touchpoint; on creation it goes at the end of the journey."""

    name = _name_field("Checkout")
    journey_stage = serializers.ChoiceField(
        choices=Touchpoint.Stage.choices,
        allow_blank=True,
        required=False,
        help_text='The stage of the customer journey, or "" for none.',
        error_messages={
            "invalid_choice": f'"{{input}}" is not a journey stage; use one of: {_STAGES} (or "" for none).'
        },
    )
    is_moment_of_truth = serializers.BooleanField(
        required=False, help_text="A moment that decides whether the customer stays."
    )

    class Meta:
        model = Touchpoint
        fields = ["id", "name", "slug", "position", "journey_stage", "is_moment_of_truth", "created_at"]
        read_only_fields = ["id", "slug", "position", "created_at"]


class TouchpointUpdateSerializer(TouchpointSerializer):
    """Changes to a touchpoint; ``position`` moves it in the journey (lowest first)."""

    position = serializers.IntegerField(
        min_value=0,
        max_value=2_147_483_647,
        required=False,
        help_text="Order in the customer journey, lowest first. To set the whole order at once, use reorder.",
    )

    class Meta(TouchpointSerializer.Meta):
        read_only_fields = ["id", "slug", "created_at"]


class TouchpointOrderSerializer(JsonTypedInput, serializers.Serializer):
    ordered_ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=False,
        help_text="Every touchpoint id of this tenant exactly once, in the new journey order.",
        error_messages={"empty": "List every touchpoint id of this tenant, in the new journey order."},
    )


class DepartmentFilter(filters.FilterSet):
    name = filters.CharFilter(
        lookup_expr="icontains", help_text="Only departments whose name contains this text (any case)."
    )

    class Meta:
        model = Department
        fields = ["name"]


class TouchpointFilter(filters.FilterSet):
    name = filters.CharFilter(
        lookup_expr="icontains", help_text="Only touchpoints whose name contains this text (any case)."
    )
    journey_stage = filters.ChoiceFilter(
        choices=Touchpoint.Stage.choices,
        help_text="Only touchpoints of this journey stage.",
        error_messages={"invalid_choice": f"%(value)s is not a journey stage; use one of: {_STAGES}."},
    )
    is_moment_of_truth = filters.BooleanFilter(
        help_text="true: only moments of truth; false: only the others."
    )

    class Meta:
        model = Touchpoint
        fields = ["name", "journey_stage", "is_moment_of_truth"]
