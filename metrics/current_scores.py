"""The current scores (the newest stored run, as ``GET /api/v1/scores`` serves it) kept in Redis
per tenant, so that a poller's plain GET reads no table.

The answer is a tenant document (:mod:`tenants.apikey_cache`): the API key's lookup reads it in
the same Redis round trip as the key record and its rate-limit counter, from the tenant of the
key record held on the server. What is kept is what :func:`metrics.selectors.score_run_latest_served`
reads: the run's id (the ``ETag``), when it was computed (``Last-Modified``) and the stored JSON
as it is, under a first line naming the tenant, which the reader checks again.

When it changes:
- a run is stored: :func:`metrics.services.scores_run` drops the document at once and, after
  commit, stores the newest run (a run as of a past instant leaves the newest as it was);
- runs are deleted: dropped, now and after commit;
- the tenant changes (a suspension, new settings): :mod:`tenants.apikey_cache` drops every
  document of the tenant with its keys;
- on a miss, the API stores what it read from PostgreSQL. Every store carries the run's rank
  (``as_of``, then id, as the newest run is chosen), and a stored newer run is never replaced
  by an older one, so a request that read the database before a run committed cannot put the
  old answer back.

Only a run whose result has today's shape is kept (an older one is computed afresh, see the
selector); the document's name carries a digest of that shape check, so a release that
changes it never reads a document an older one stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from metrics.selectors import CURRENT_SHAPE, score_run_latest_served
from tenants.apikey_cache import (
    TenantDocument,
    tenant_document_payload,
    tenant_document_store,
    tenant_documents_forget,
)
from tenants.context import tenant_context
from tenants.models import Tenant

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
SCORES_DOCUMENT = f"scores:{hashlib.sha256(CURRENT_SHAPE.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class ServedRun:
    """The newest run as the API answers it."""

    id: int
    computed_at: float  # a POSIX timestamp
    body: bytes  # the stored result, JSON


def current_scores_cached(document: TenantDocument | None, *, tenant_id: int) -> ServedRun | None:
    """The run in a document read with the API key (``None``: not read, not kept, or not
    ``tenant_id``'s)."""
    if document is None or document.name != SCORES_DOCUMENT:
        return None
    payload = tenant_document_payload(document.payload)
    if payload is None:
        return None
    head, _, body = payload.partition(b"\n")
    meta = json.loads(head)
    if meta["tenant"] != tenant_id:  # the key record's tenant decides; this only double-checks
        return None
    return ServedRun(id=meta["run"], computed_at=meta["computed_at"], body=body)


def current_scores_read(*, tenant_id: int) -> ServedRun | None:
    """The active tenant's newest run from PostgreSQL (``None``: no run, or one of an older
    shape), kept for the next requests."""
    row = score_run_latest_served()
    if row is None or not row["current"]:
        return None
    run = ServedRun(id=row["id"], computed_at=row["computed_at"].timestamp(), body=row["body"].encode())
    _store(tenant_id, row["as_of"], run)
    return run


def current_scores_refresh(*, tenant: Tenant) -> None:
    """Keep the tenant's newest run (after a run is stored, once it committed)."""
    with tenant_context(tenant):
        if current_scores_read(tenant_id=tenant.pk) is None:
            tenant_documents_forget(tenant.pk, SCORES_DOCUMENT)


def current_scores_forget(*, tenant_id: int) -> None:
    """Drop the kept run (runs were deleted), now and after commit."""
    tenant_documents_forget(tenant_id, SCORES_DOCUMENT)


def _store(tenant_id: int, as_of: datetime, run: ServedRun) -> None:
    micros = max(0, (as_of - _EPOCH) // timedelta(microseconds=1))
    rank = f"{micros:020d}.{run.id:020d}"  # as the newest run is chosen: as_of, then id
    head = json.dumps({"tenant": tenant_id, "run": run.id, "computed_at": run.computed_at})
    tenant_document_store(tenant_id, SCORES_DOCUMENT, rank=rank, payload=head.encode() + b"\n" + run.body)
