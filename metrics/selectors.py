"""Reads of stored scores: the snapshot history of one scope.

Every query runs in the active tenant (the tenant-scoped managers): another tenant's ids are
simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import QuerySet

from metrics.models import Scope, ScoreRun, ScoreSnapshot
from promises.models import Commitment, Measure, Promise
from tenants.context import require_tenant_id
from tenants.models import Department, Touchpoint

_SCOPE_MODELS = {
    Scope.PROMISE: Promise,
    Scope.COMMITMENT: Commitment,
    Scope.DEPARTMENT: Department,
    Scope.TOUCHPOINT: Touchpoint,
}


def score_scope_exists(*, scope: str, scope_id: int | None) -> bool:
    """Whether the tenant has this scope: the tenant itself, an existing object, or one that was
    deleted but still has snapshots (its history stays readable)."""
    if scope == Scope.TENANT:
        return True
    if _SCOPE_MODELS[scope].objects.filter(pk=scope_id).exists():
        return True
    return ScoreSnapshot.objects.filter(scope=scope, scope_id=scope_id).exists()


def score_history_queryset(
    *,
    scope: str,
    scope_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
) -> QuerySet[ScoreSnapshot]:
    """The snapshots of one scope, oldest first; ``since``/``until`` bound ``as_of`` (inclusive)."""
    # The tenant scope has no id: scope_id=None is IS NULL.
    snapshots = ScoreSnapshot.objects.filter(scope=scope, scope_id=scope_id)
    if since is not None:
        snapshots = snapshots.filter(as_of__gte=since)
    if until is not None:
        snapshots = snapshots.filter(as_of__lte=until)
    if kind:
        snapshots = snapshots.filter(kind=kind)
    return snapshots.order_by("as_of", "id")


def score_run_latest() -> ScoreRun | None:
    """The tenant's newest stored run (the greatest ``as_of``): the current scores, as the
    recompute that follows every change left them. One index probe, whatever the history."""
    return ScoreRun.objects.order_by("-as_of", "-id").only("id", "as_of", "computed_at", "result").first()


# Whether a stored result has every field the answer now carries: a run stored before a release
# that added one (each commitment's ``direction`` and ``target_label``) is computed afresh.
CURRENT_SHAPE = "NOT jsonb_path_exists(result, '$.commitments[*] ? (!(exists(@.target_label)))')"


def score_run_latest_served() -> dict | None:
    """The newest run as the API serves it: ``id``, ``as_of``, ``computed_at``, ``body`` (the stored result
    as JSON text, sent as it is: no decoding and encoding again) and ``current`` (whether the
    result has today's shape). One index probe, in a statement written once (the hottest read of
    the API: no query to build per request)."""
    with connection.cursor() as cursor:
        cursor.execute(_LATEST_SERVED, [require_tenant_id()])
        row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip(("id", "as_of", "computed_at", "body", "current"), row, strict=True))


# ``score_run_latest_idx (tenant_id, as_of DESC, id DESC)``; the tenant's row-level security
# applies as to any query, the tenant id in the statement lets the planner (and Citus) use it.
_LATEST_SERVED = (
    f"SELECT id, as_of, computed_at, result::text, {CURRENT_SHAPE} FROM metrics_scorerun "  # noqa: S608 - constants
    "WHERE tenant_id = %s ORDER BY as_of DESC, id DESC LIMIT 1"
)


def score_run_result_at(at: datetime) -> dict | None:
    """The result of a stored run as of exactly ``at``, if there is one (the newest)."""
    return ScoreRun.objects.filter(as_of=at).order_by("-id").values_list("result", flat=True).first()


@dataclass(frozen=True)
class CommitmentNames:
    """The names people know a run's measures and touchpoints by (a run keeps keys and slugs)."""

    measures: dict[str, str]
    touchpoints: dict[str, str]

    def phrase(self, commitment: dict[str, Any]) -> str:
        """"CSAT at Returns", "Refund processing" (no touchpoint: every touchpoint)."""  # fmt: skip
        measure = self.measures.get(commitment["measure"], commitment["measure"])
        slug = commitment.get("touchpoint")
        return f"{measure} at {self.touchpoints.get(slug, slug)}" if slug else measure


def commitment_names() -> CommitmentNames:
    """The active tenant's measure and touchpoint names, by key and slug (two queries)."""
    return CommitmentNames(
        measures=dict(Measure.objects.values_list("key", "name")),
        touchpoints=dict(Touchpoint.objects.values_list("slug", "name")),
    )
