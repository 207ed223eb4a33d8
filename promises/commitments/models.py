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


class Measure(TenantModel):
    """What a commitment measures: a built-in survey/story measure or a tenant's duration measure.

    The built-ins exist per tenant (``promises.commitments.services.measures_ensure_builtin``); tenants
    define duration measures only (``first_response``, ``refund_processing``…), whose value
    is the share of cases handled within a commitment's threshold.
    """

    class Kind(models.TextChoices):
        SURVEY = "survey", "Survey"
        DURATION = "duration", "Duration"
        STORIES = "stories", "Stories"

    class Unit(models.TextChoices):
        HOURS = "hours", "Hours"
        DAYS = "days", "Days"

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
                condition=Q(kind="duration", is_builtin=False)
                | Q(is_builtin=True, key__in=sorted(BUILTIN_MEASURES)),
                name="measure_builtin_or_duration",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_duration(self) -> bool:
        return self.kind == self.Kind.DURATION

    @property
    def scale(self) -> tuple[Decimal, Decimal]:
        """``(lo, hi)``: the range of the measure's value and of every target on it."""
        if self.is_duration:
            return DURATION_SCALE
        return BUILTIN_MEASURES[self.key].scale

    @property
    def commitment_kind(self) -> str:
        """``operational`` for duration measures, ``perceived`` for what customers say."""
        return "operational" if self.is_duration else "perceived"


class Commitment(TenantModel):
    """A measurable SLA of a customer promise: what is measured, and where.

    The measure and touchpoint never change (measuring something else is another
    commitment); the numbers live in :class:`CommitmentVersion`.
    """

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


class CommitmentVersion(TenantModel):
    """The numbers of a commitment over ``[effective_from, effective_to)``.

    ``effective_from`` is empty while the promise has never been active: such a version
    counts at no instant. ``effective_to`` empty means open (counting until changed).
    """

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
