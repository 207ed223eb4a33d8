"""Measures and commitments (SLAs), with the effective-dated versions of their numbers.

A :class:`Commitment` is the stable identity (promise, measure, touchpoint); everything that
changes a score (target, threshold, window, minimum sample, weight) lives in its
:class:`CommitmentVersion` rows, each effective over ``[effective_from, effective_to)``. A
draft's version has no ``effective_from`` (it counts nowhere) and is edited in place;
activation stamps it; a change on an active promise closes the open version and opens the
next one at the same instant, so scoring can always ask which version counted at ``T``
(details in ``promises/commitments/services.py``).

The promise is referenced by its label (``"promises.Promise"``): ``promises.models``
re-exports these models, so importing it from here would run in a circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tenants.keys import TenantForeignKey
from tenants.models import Membership, TenantModel, Touchpoint


@dataclass(frozen=True)
class BuiltinMeasure:
    key: str
    name: str
    kind: str
    scale: tuple[Decimal, Decimal]


DURATION_SCALE = (Decimal(0), Decimal(100))  # the share of cases within the threshold, in %

BUILTIN_MEASURES: dict[str, BuiltinMeasure] = {
    m.key: m
    for m in (
        BuiltinMeasure("nps", "NPS", "survey", (Decimal(-100), Decimal(100))),
        BuiltinMeasure("csat", "CSAT", "survey", (Decimal(0), Decimal(100))),
        BuiltinMeasure("ces", "CES", "survey", (Decimal(1), Decimal(7))),
        BuiltinMeasure("story_sentiment", "Story sentiment", "stories", (Decimal(0), Decimal(100))),
    )
}


RATE_SCALE = (Decimal(0), Decimal(100))  # the share of events with a true outcome, in %
# An average measure's declared scale, and every value on it: numeric(9, 3).
SCALE_MAX_DIGITS = 9
SCALE_PLACES = 3


def commitment_phrase(measure: str, touchpoint: str | None) -> str:
    """A commitment as people name it: "CSAT at Returns", "NPS at every touchpoint"."""
    return f"{measure} at {touchpoint}" if touchpoint else f"{measure} at every touchpoint"


class Measure(TenantModel):
    """What a commitment measures: a built-in survey/story measure or a tenant-defined one.

    The built-ins exist per tenant (``promises.commitments.services.measures_ensure_builtin``).
    A tenant defines measures of three kinds, all fed by service events (scoring.md):

    - ``duration`` (``refund_processing``…): the share of events handled within a commitment's
      threshold, in %;
    - ``rate`` (``first_contact_resolution``…): the share of events whose ``outcome`` is true, in %;
    - ``average`` (``review_stars``…): the mean ``value`` of the events, on the measure's declared
      scale ``[scale_min, scale_max]``.

    Each has a direction (lower-is-better flips the normalisation) and a perspective
    (``operational`` or ``perceived``), which decides its side of the perception gap.
    """

    audit_noun = "measure"
    audit_name = ("name",)

    class Kind(models.TextChoices):
        SURVEY = "survey", "Survey"
        DURATION = "duration", "Duration"
        RATE = "rate", "Rate"
        AVERAGE = "average", "Average"
        STORIES = "stories", "Stories"

    class Unit(models.TextChoices):
        HOURS = "hours", "Hours"
        DAYS = "days", "Days"

    class Direction(models.TextChoices):
        HIGHER_IS_BETTER = "higher_is_better", "Higher is better"
        LOWER_IS_BETTER = "lower_is_better", "Lower is better"

    class Perspective(models.TextChoices):
        OPERATIONAL = "operational", "Operational"
        PERCEIVED = "perceived", "Perceived"

    TENANT_KINDS = (Kind.DURATION, Kind.RATE, Kind.AVERAGE)
    # The fact a service event of each tenant-defined kind carries.
    FACTS = {Kind.DURATION: "duration_seconds", Kind.RATE: "outcome", Kind.AVERAGE: "value"}

    key = models.SlugField(max_length=50)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=16, choices=Kind.choices)
    unit = models.CharField(
        max_length=8,
        choices=Unit.choices,
        blank=True,
        default="",
        help_text="How thresholds of a duration measure are shown; empty for the other kinds.",
    )
    direction = models.CharField(
        max_length=16,
        choices=Direction.choices,
        default=Direction.HIGHER_IS_BETTER,
        help_text="Lower is better: a smaller value is the better one (e.g. the share of blocked sign-ins).",
    )
    perspective = models.CharField(
        max_length=16,
        choices=Perspective.choices,
        default=Perspective.OPERATIONAL,
        help_text="Operational (what the company measures) or perceived (what customers say): "
        "the side of the perception gap its commitments count on.",
    )
    scale_min = models.DecimalField(
        max_digits=SCALE_MAX_DIGITS, decimal_places=SCALE_PLACES, null=True, blank=True
    )
    scale_max = models.DecimalField(
        max_digits=SCALE_MAX_DIGITS, decimal_places=SCALE_PLACES, null=True, blank=True
    )
    is_builtin = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_builtin", "key"]
        constraints = [
            models.UniqueConstraint("tenant", "key", name="measure_unique_key"),
            models.CheckConstraint(
                condition=Q(kind="duration", unit__in=["hours", "days"]) | (~Q(kind="duration") & Q(unit="")),
                name="measure_unit_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["duration", "rate", "average"], is_builtin=False)
                | Q(is_builtin=True, key__in=sorted(BUILTIN_MEASURES)),
                name="measure_builtin_or_tenant_kind",
            ),
            models.CheckConstraint(
                condition=Q(
                    kind="average",
                    scale_min__isnull=False,
                    scale_max__isnull=False,
                    scale_min__lt=models.F("scale_max"),
                )
                | (~Q(kind="average") & Q(scale_min__isnull=True, scale_max__isnull=True)),
                name="measure_scale_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["higher_is_better", "lower_is_better"])
                & Q(perspective__in=["operational", "perceived"]),
                name="measure_direction_perspective_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_duration(self) -> bool:
        return self.kind == self.Kind.DURATION

    @property
    def is_lower_better(self) -> bool:
        return self.direction == self.Direction.LOWER_IS_BETTER

    @property
    def is_percent(self) -> bool:
        """Whether the value is a share in % (durations, rates, CSAT, story sentiment)."""
        return self.kind in (self.Kind.DURATION, self.Kind.RATE) or self.key in ("csat", "story_sentiment")

    @property
    def scale(self) -> tuple[Decimal, Decimal]:
        """``(lo, hi)``: the range of the measure's value and of every target on it."""
        if self.is_duration:
            return DURATION_SCALE
        if self.kind == self.Kind.RATE:
            return RATE_SCALE
        if self.kind == self.Kind.AVERAGE:
            return (Decimal(self.scale_min), Decimal(self.scale_max))
        return BUILTIN_MEASURES[self.key].scale

    @property
    def commitment_kind(self) -> str:
        """``operational`` for duration measures, ``perceived`` for the built-ins (what customers
        say), the declared perspective for rate and average measures."""
        if self.kind in (self.Kind.RATE, self.Kind.AVERAGE):
            return self.perspective
        return "operational" if self.is_duration else "perceived"


def target_label(target: Decimal, *, lower_is_better: bool, percent: bool) -> str:
    """How a target reads wherever it is shown: "at least 90 %", "at most 2 %", "at least 4.2"."""
    value = Decimal(target)
    text = f"{value.quantize(Decimal(1))}" if value == value.to_integral_value() else f"{value.normalize():f}"
    text = text.replace("-", "\N{MINUS SIGN}")
    return f"{'at most' if lower_is_better else 'at least'} {text}{' %' if percent else ''}"


# The kinds a tenant may define, as API choices (the OpenAPI enum `MeasureKindEnum`).
TENANT_KIND_CHOICES = [(kind.value, kind.label) for kind in Measure.TENANT_KINDS]


class Commitment(TenantModel):
    """A measurable SLA of a customer promise: what is measured, and where.

    The measure and touchpoint never change (measuring something else is another
    commitment); the numbers live in :class:`CommitmentVersion`.
    """

    audit_noun = "commitment"
    audit_name = ("measure__name", "touchpoint__name", "promise__title")

    promise = TenantForeignKey("promises.Promise", on_delete=models.CASCADE, related_name="commitments")
    measure = TenantForeignKey(Measure, on_delete=models.RESTRICT, related_name="commitments")
    touchpoint = TenantForeignKey(
        Touchpoint,
        null=True,
        blank=True,
        on_delete=models.RESTRICT,
        related_name="commitments",
        help_text="Empty: signals from every touchpoint count.",
    )
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["promise", "id"]
        indexes = [models.Index(fields=["tenant", "promise"], name="commitment_promise_idx")]

    def __str__(self) -> str:
        where = f" at {self.touchpoint}" if self.touchpoint_id else ""
        return f"{self.measure}{where}"

    @property
    def current_version(self) -> CommitmentVersion | None:
        """The newest version (from the prefetched ``versions`` when the selector loaded them)."""
        versions = list(self.versions.all())
        return max(versions, key=lambda v: v.number) if versions else None

    @staticmethod
    def audit_named(measure: str, touchpoint: str | None, promise: str) -> str:
        return f"{commitment_phrase(measure, touchpoint)} of “{promise}”"


class CommitmentVersion(TenantModel):
    """The numbers of a commitment over ``[effective_from, effective_to)``.

    ``effective_from`` is empty while the promise has never been active: such a version
    counts at no instant. ``effective_to`` empty means open (counting until changed).
    """

    audit_noun = "commitment version"
    audit_name = (
        "number",
        "commitment__measure__name",
        "commitment__touchpoint__name",
        "commitment__promise__title",
    )

    commitment = TenantForeignKey(Commitment, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    target = models.DecimalField(max_digits=9, decimal_places=3)
    threshold_seconds = models.PositiveIntegerField(null=True, blank=True)
    window_days = models.PositiveSmallIntegerField(default=90)
    min_sample = models.PositiveIntegerField(default=5)
    weight = models.DecimalField(max_digits=8, decimal_places=3, default=Decimal(1))
    effective_from = models.DateTimeField(null=True, blank=True)
    effective_to = models.DateTimeField(null=True, blank=True)
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["commitment", "number"]
        constraints = [
            models.UniqueConstraint(
                "tenant", "commitment", "number", name="commitment_version_unique_number"
            ),
            models.UniqueConstraint(
                "tenant",
                "commitment",
                condition=Q(effective_to__isnull=True),
                name="commitment_version_one_open",
            ),
            models.CheckConstraint(condition=Q(weight__gt=0), name="commitment_version_weight_positive"),
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=730), name="commitment_version_window_range"
            ),
            models.CheckConstraint(condition=Q(min_sample__gte=1), name="commitment_version_min_sample"),
            models.CheckConstraint(
                condition=Q(threshold_seconds__isnull=True) | Q(threshold_seconds__gt=0),
                name="commitment_version_threshold_positive",
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True)
                | Q(effective_from__isnull=False, effective_to__gte=models.F("effective_from")),
                name="commitment_version_effective_order",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "effective_from"], name="commitment_version_from_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.commitment} v{self.number}: target {self.target}"

    def is_effective_at(self, at) -> bool:
        return (
            self.effective_from is not None
            and self.effective_from <= at
            and (self.effective_to is None or at < self.effective_to)
        )

    @staticmethod
    def audit_named(number: int, measure: str, touchpoint: str | None, promise: str) -> str:
        return f"v{number} of {commitment_phrase(measure, touchpoint)} (“{promise}”)"


BENCHMARK_LABEL_MAX = 80
BENCHMARKS_PER_MEASURE = 10


class MeasureBenchmark(TenantModel):
    """A value the tenant compares a measure against ("Industry average", "Best in class"), on
    the measure's scale. Drawn as a line on the measure's chart and listed beside it."""

    audit_noun = "benchmark"
    audit_name = ("label", "measure__name")

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE, related_name="benchmarks")
    label = models.CharField(
        max_length=BENCHMARK_LABEL_MAX, help_text="What the value is, e.g. Industry average."
    )
    value = models.DecimalField(
        max_digits=SCALE_MAX_DIGITS, decimal_places=SCALE_PLACES, help_text="On the measure's scale."
    )
    source = models.CharField(
        max_length=200,
        blank=True,
        default="",
        help_text="Where the value comes from, e.g. a study and its year.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["measure", "label", "id"]
        constraints = [
            models.UniqueConstraint(
                "tenant", "measure", Lower("label"), name="measure_benchmark_unique_label"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label}: {self.value}"

    @staticmethod
    def audit_named(label: str, measure: str) -> str:
        return f"“{label}” of {measure}"
