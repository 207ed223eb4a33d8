"""Serializers and filters of the promise API (the endpoints are in :mod:`promises.api_urls`).

Those of commitments and measures are in :mod:`promises.commitments.api`.

Related rows are named the way people name them: departments, touchpoints and promises by
slug, measures by key. Input names are resolved inside the API key's tenant by the
selectors (another tenant's slug is "unknown"). No serializer accepts ``tenant``.
"""

from __future__ import annotations

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from promises.commitments.api import CommitmentSerializer
from promises.models import Promise
from promises.selectors import (
    department_get_by_slug,
    promise_get_by_slug,
    promise_queryset,
    touchpoint_get_by_slug,
)
from promises.signoffs.models import SignOff
from tenants.api_base import DecimalTextField, JsonTypedInput

# --- Reading ---------------------------------------------------------------------------------


class SignOffSerializer(serializers.ModelSerializer):
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    # Plain text rather than an enum: the schema has one "status" enum, the promise's.
    status = serializers.CharField(read_only=True, help_text=f"One of: {', '.join(SignOff.Status.values)}.")

    class Meta:
        model = SignOff
        fields = ["review_round", "department", "status", "comment", "decided_at"]
        read_only_fields = fields


class PromiseSerializer(serializers.ModelSerializer):
    owner = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    contributors = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    parent = serializers.SlugRelatedField(
        slug_field="slug",
        read_only=True,
        allow_null=True,
        help_text="The brand promise it activates, if any.",
    )
    commitments = CommitmentSerializer(many=True, read_only=True)

    class Meta:
        model = Promise
        fields = [
            "id",
            "slug",
            "kind",
            "title",
            "statement",
            "benefits",
            "quality_standards",
            "intended_feeling",
            "version",
            "owner",
            "contributors",
            "weight",
            "parent",
            "status",
            "review_round",
            "commitments",
            "created_at",
            "submitted_at",
            "activated_at",
            "retired_at",
        ]
        read_only_fields = fields


class PromiseDetailSerializer(PromiseSerializer):
    """One promise, with the sign-offs of its current review round."""

    sign_offs = serializers.SerializerMethodField()

    class Meta(PromiseSerializer.Meta):
        fields = [*PromiseSerializer.Meta.fields, "sign_offs"]
        read_only_fields = fields

    @extend_schema_field(SignOffSerializer(many=True))
    def get_sign_offs(self, promise: Promise) -> list[dict]:
        current = [s for s in promise.sign_offs.all() if s.review_round == promise.review_round]
        return SignOffSerializer(current, many=True).data


# --- Writing ---------------------------------------------------------------------------------


def _department(slug: str, field: str):
    return department_get_by_slug(slug=slug, field=field)


class PromiseWriteSerializer(JsonTypedInput, serializers.Serializer):
    """Input of create (every required field) and partial update (any subset; ``kind`` is fixed)."""

    kind = serializers.ChoiceField(choices=Promise.Kind.choices)
    title = serializers.CharField(max_length=200)
    statement = serializers.CharField(help_text="What the customer can expect, in their words.")
    benefits = serializers.CharField(required=False, allow_blank=True)
    quality_standards = serializers.CharField(required=False, allow_blank=True)
    intended_feeling = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.CharField(help_text="Slug of the owning department.")
    contributors = serializers.ListField(
        child=serializers.CharField(), required=False, help_text="Slugs of the contributing departments."
    )
    weight = DecimalTextField(max_digits=8, decimal_places=3, required=False)
    parent = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="Customer promises: slug of the brand promise it activates.",
    )
    slug = serializers.SlugField(required=False, help_text="Create only; made from the title when omitted.")
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="Update only: why the wording changes."
    )

    def resolve(self) -> dict:
        """The validated data with departments and the parent looked up in the key's tenant."""
        data = dict(self.validated_data)
        if "owner" in data:
            data["owner"] = _department(data["owner"], "owner")
        if "contributors" in data:
            data["contributors"] = [_department(slug, "contributors") for slug in data["contributors"]]
        if "parent" in data:
            data["parent"] = (
                None if not data["parent"] else promise_get_by_slug(slug=data["parent"], field="parent")
            )
        return data


# --- Filters ---------------------------------------------------------------------------------


class PromiseFilter(filters.FilterSet):
    status = filters.ChoiceFilter(choices=Promise.Status.choices, help_text="Only promises in this status.")
    kind = filters.ChoiceFilter(choices=Promise.Kind.choices, help_text="brand or customer.")
    department = filters.CharFilter(
        method="filter_department", help_text="Slug: promises this department owns or contributes to."
    )
    touchpoint = filters.CharFilter(
        method="filter_touchpoint", help_text="Slug: promises with a commitment at this touchpoint."
    )

    class Meta:
        model = Promise
        fields = ["status", "kind", "department", "touchpoint"]

    # The selector knows what "a department's promises" and "promises at a touchpoint" are.
    def filter_department(self, queryset, name, value):
        department = department_get_by_slug(slug=value)
        return queryset.filter(pk__in=promise_queryset(department=department).values("pk"))

    def filter_touchpoint(self, queryset, name, value):
        touchpoint = touchpoint_get_by_slug(slug=value)
        return queryset.filter(pk__in=promise_queryset(touchpoint=touchpoint).values("pk"))
