"""Reads of measures and commitments: the measures there are, a promise's open commitments,
and which commitment versions counted at an instant.

Like every selector, each runs in the active tenant's context and raises without one.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from promises.commitments.models import (
    BUILTIN_MEASURES,
    Commitment,
    CommitmentVersion,
    Measure,
    MeasureBenchmark,
)
from promises.models import Promise
from tenants.context import require_tenant_id
from tenants.errors import DomainError
from tenants.models import Tenant


def measure_list() -> list[Measure]:
    """The active tenant's measures, built-ins first. Creates missing built-ins on first use
    (idempotent; a single count when they exist)."""
    _ensure_builtin_measures()
    return list(Measure.objects.order_by("-is_builtin", "key"))


def measure_get_by_key(*, key: str, field: str = "measure") -> Measure:
    """The measure ``key`` (e.g. ``nps``, ``refund_processing``), or a DomainError listing the
    keys there are."""
    measure = Measure.objects.filter(key=key).first()
    if measure is None and key in BUILTIN_MEASURES:
        _ensure_builtin_measures()
        measure = Measure.objects.filter(key=key).first()
    if measure is None:
        keys = ", ".join(m.key for m in measure_list())
        raise DomainError(f"Unknown measure {key!r}; choose one of: {keys}.", field=field, code="not_found")
    return measure


def _ensure_builtin_measures() -> None:
    if Measure.objects.filter(is_builtin=True).count() < len(BUILTIN_MEASURES):
        # Deferred import: a read that completes the built-ins calls the one service that writes them.
        from promises.commitments.services import measures_ensure_builtin

        measures_ensure_builtin(tenant=Tenant.objects.get(pk=require_tenant_id()))


def commitments_open(*, promise: Promise) -> QuerySet[Commitment]:
    """The promise's commitments that have not ended (unevaluated: transitions update them)."""
    return Commitment.objects.filter(promise=promise, ended_at__isnull=True)


def commitment_versions_effective_at(
    *, at: datetime, promise: Promise | None = None
) -> list[CommitmentVersion]:
    """The commitment versions counting at instant ``at``: ``effective_from ≤ at`` and
    (``effective_to`` empty or ``at < effective_to``) — scoring.md, "Window and effective dates".

    Each comes with its commitment, measure, touchpoint and promise loaded. Drafts' versions
    (no ``effective_from``) never count; nor do those of a retired promise after retirement.
    """
    versions = CommitmentVersion.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gt=at), effective_from__lte=at
    )
    if promise is not None:
        versions = versions.filter(commitment__promise=promise)
    return list(
        versions.select_related(
            "commitment", "commitment__measure", "commitment__touchpoint", "commitment__promise"
        ).order_by("commitment__promise_id", "commitment_id")
    )


def benchmarks_of(*, measure: Measure) -> list[MeasureBenchmark]:
    """The measure's benchmarks, by label."""
    return list(MeasureBenchmark.objects.filter(measure=measure).order_by("label", "id"))
