"""Serializers and filters of the promise API (the endpoints are in :mod:`promises.api_urls`).

Related rows are named the way people name them: departments, touchpoints and promises by
slug, measures by key. Input names are resolved inside the API key's tenant by the
selectors (another tenant's slug is "unknown"). No serializer accepts ``tenant``.
"""

from __future__ import annotations

from decimal import Decimal

from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from promises.models import Commitment, CommitmentVersion, Measure, Promise, SignOff
from promises.selectors import (
    department_get_by_slug,
    measure_get_by_key,
    promise_get_by_slug,
    promise_queryset,
    touchpoint_get_by_slug,
)
from tenants.api_base import DecimalTextField, JsonTypedInput

# --- Reading ---------------------------------------------------------------------------------


class CommitmentVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = CommitmentVersion
        fields = [
            "number",
            "target",
            "threshold_seconds",
            "window_days",
            "min_sample",
            "weight",
            "effective_from",
            "effective_to",
        ]
        read_only_fields = fields


class CommitmentSerializer(serializers.ModelSerializer):
    """A commitment with its current numbers and every version (oldest first)."""

    measure = serializers.SlugRelatedField(slug_field="key", read_only=True)
    touchpoint = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="null: at every touchpoint."
    )
    current = serializers.SerializerMethodField()
    versions = serializers.SerializerMethodField()

    class Meta:
        model = Commitment
        fields = ["id", "measure", "touchpoint", "current", "versions", "created_at", "ended_at"]
        read_only_fields = fields

    def _versions(self, commitment: Commitment) -> list[CommitmentVersion]:
        return sorted(commitment.versions.all(), key=lambda v: v.number)

    @extend_schema_field(CommitmentVersionSerializer(allow_null=True))
    def get_current(self, commitment: Commitment) -> dict | None:
        versions = self._versions(commitment)
        return CommitmentVersionSerializer(versions[-1]).data if versions else None

    @extend_schema_field(CommitmentVersionSerializer(many=True))
    def get_versions(self, commitment: Commitment) -> list[dict]:
        return CommitmentVersionSerializer(self._versions(commitment), many=True).data


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


class MeasureSerializer(serializers.ModelSerializer):
    scale = serializers.SerializerMethodField(help_text="[lowest, highest] target on this measure.")
    kind = serializers.CharField(read_only=True)
    is_builtin = serializers.BooleanField(read_only=True)
    unit = serializers.ChoiceField(
        choices=Measure.Unit.choices,
        allow_blank=True,
        help_text='Duration measures: how thresholds are shown (hours or days); "" for the others.',
    )

    class Meta:
        model = Measure
        fields = ["key", "name", "kind", "unit", "is_builtin", "scale"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_scale(self, measure: Measure) -> list[str]:
        return [str(bound) for bound in measure.scale]


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


class CommitmentWriteSerializer(JsonTypedInput, serializers.Serializer):
    measure = serializers.CharField(help_text="Key of the measure, e.g. csat or first_response.")
    touchpoint = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, help_text="Slug of the touchpoint; omit for all."
    )
    target = DecimalTextField(max_digits=9, decimal_places=3, help_text='On the measure\'s scale, e.g. "90".')
    threshold_seconds = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Duration measures only (required there)."
    )
    window_days = serializers.IntegerField(required=False, default=90)
    min_sample = serializers.IntegerField(required=False, default=5)
    weight = DecimalTextField(max_digits=8, decimal_places=3, required=False, default=Decimal(1))

    def resolve(self) -> dict:
        data = dict(self.validated_data)
        data["measure"] = measure_get_by_key(key=data["measure"])
        slug = data.pop("touchpoint", None)
        data["touchpoint"] = touchpoint_get_by_slug(slug=slug) if slug else None
        return data


class CommitmentUpdateSerializer(JsonTypedInput, serializers.Serializer):
    """Changes to a commitment's numbers; on an active promise each change is a new version."""

    target = DecimalTextField(max_digits=9, decimal_places=3, required=False)
    threshold_seconds = serializers.IntegerField(required=False, min_value=1)
    window_days = serializers.IntegerField(required=False)
    min_sample = serializers.IntegerField(required=False)
    weight = DecimalTextField(max_digits=8, decimal_places=3, required=False)


class MeasureCreateSerializer(JsonTypedInput, serializers.Serializer):
    key = serializers.CharField(max_length=50, help_text="e.g. first_response")
    name = serializers.CharField(max_length=120)
    unit = serializers.ChoiceField(choices=Measure.Unit.choices)


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
