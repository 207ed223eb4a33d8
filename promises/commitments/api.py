"""Serializers of commitments and measures (the endpoints are in
:mod:`promises.commitments.api_urls`). Measures are named by key, touchpoints by slug, resolved
inside the API key's tenant by the selectors.
"""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from promises.commitments.models import (
    BENCHMARK_LABEL_MAX,
    BENCHMARKS_PER_MEASURE,
    TENANT_KIND_CHOICES,
    Commitment,
    CommitmentVersion,
    Measure,
    MeasureBenchmark,
)
from promises.commitments.selectors import measure_get_by_key
from promises.selectors import touchpoint_get_by_slug
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


class MeasureSerializer(serializers.ModelSerializer):
    scale = serializers.SerializerMethodField(help_text="[lowest, highest] value and target on this measure.")
    kind = serializers.CharField(read_only=True, help_text="survey, stories, duration, rate or average.")
    is_builtin = serializers.BooleanField(read_only=True)
    unit = serializers.ChoiceField(
        choices=Measure.Unit.choices,
        allow_blank=True,
        help_text='Duration measures: how thresholds are shown (hours or days); "" for the others.',
    )
    direction = serializers.ChoiceField(choices=Measure.Direction.choices, read_only=True)
    perspective = serializers.SerializerMethodField(
        help_text="operational or perceived: the side of the perception gap its commitments count on."
    )
    fact = serializers.SerializerMethodField(
        help_text="The field a service event of this measure carries (duration_seconds, outcome or value); "
        "null for the built-ins, which are fed by survey responses and stories."
    )

    class Meta:
        model = Measure
        fields = ["key", "name", "kind", "unit", "direction", "perspective", "is_builtin", "scale", "fact"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_scale(self, measure: Measure) -> list[str]:
        return [str(bound) for bound in measure.scale]

    @extend_schema_field(serializers.ChoiceField(choices=Measure.Perspective.choices))
    def get_perspective(self, measure: Measure) -> str:
        return measure.commitment_kind

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_fact(self, measure: Measure) -> str | None:
        return Measure.FACTS.get(measure.kind)


class BenchmarkSerializer(serializers.ModelSerializer):
    value = serializers.CharField(read_only=True, help_text='On the measure\'s scale, as text, e.g. "32.5".')

    class Meta:
        model = MeasureBenchmark
        fields = ["label", "value", "source"]
        read_only_fields = fields


class MeasureBenchmarksSerializer(serializers.Serializer):
    """A measure's benchmarks, by label."""

    measure = serializers.CharField(read_only=True, help_text="The measure's key.")
    scale = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="[lowest, highest] value a benchmark may take.",
    )
    benchmarks = BenchmarkSerializer(many=True, read_only=True)


# --- Writing ---------------------------------------------------------------------------------


class BenchmarkInputSerializer(JsonTypedInput, serializers.Serializer):
    label = serializers.CharField(max_length=BENCHMARK_LABEL_MAX, help_text="e.g. Industry average")
    value = DecimalTextField(
        max_digits=9, decimal_places=3, help_text='On the measure\'s scale (see `scale`), e.g. "32.5".'
    )
    source = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Where the value comes from."
    )


class MeasureBenchmarksInputSerializer(JsonTypedInput, serializers.Serializer):
    """The measure's whole list of benchmarks: labels not in it are removed."""

    benchmarks = BenchmarkInputSerializer(
        many=True,
        max_length=BENCHMARKS_PER_MEASURE,
        help_text=f"At most {BENCHMARKS_PER_MEASURE}; [] removes all.",
    )


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
    """A tenant-defined measure. The services check what belongs together (unit for durations,
    scale for averages) and name the field that does not fit."""

    key = serializers.CharField(max_length=50, help_text="e.g. first_response")
    name = serializers.CharField(max_length=120)
    kind = serializers.ChoiceField(
        choices=TENANT_KIND_CHOICES,
        required=False,
        default=Measure.Kind.DURATION,
        help_text="duration (default), rate (share of events with a true outcome, %) or average "
        "(mean value on the declared scale).",
    )
    unit = serializers.ChoiceField(
        choices=Measure.Unit.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Durations only.",
    )
    direction = serializers.ChoiceField(
        choices=Measure.Direction.choices, required=False, default=Measure.Direction.HIGHER_IS_BETTER
    )
    perspective = serializers.ChoiceField(
        choices=Measure.Perspective.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text="Default: operational for durations and rates, perceived for averages.",
    )
    scale_min = DecimalTextField(
        max_digits=9,
        decimal_places=3,
        required=False,
        allow_null=True,
        default=None,
        help_text="Averages only.",
    )
    scale_max = DecimalTextField(
        max_digits=9,
        decimal_places=3,
        required=False,
        allow_null=True,
        default=None,
        help_text="Averages only.",
    )


class MeasureUpdateSerializer(JsonTypedInput, serializers.Serializer):
    """Changes to a tenant-defined measure (the key never changes). Kind, direction and scale stay
    while a commitment of an active promise uses the measure."""

    name = serializers.CharField(max_length=120, required=False)
    kind = serializers.ChoiceField(choices=TENANT_KIND_CHOICES, required=False)
    unit = serializers.ChoiceField(choices=Measure.Unit.choices, required=False)
    direction = serializers.ChoiceField(choices=Measure.Direction.choices, required=False)
    perspective = serializers.ChoiceField(choices=Measure.Perspective.choices, required=False)
    scale_min = DecimalTextField(max_digits=9, decimal_places=3, required=False)
    scale_max = DecimalTextField(max_digits=9, decimal_places=3, required=False)
