"""The tenant's touchpoints and measures for ingest, read with the API key (no query).

Every survey response and service event names a touchpoint by its slug and a measure by its key;
without this, an ingest request reads both tables before it writes (two round trips). Both are
kept as a tenant document (:mod:`tenants.apikey_cache`), which the API key's lookup reads in the
same Redis round trip for a ``POST`` to the ingest endpoints.

Kept only what the request's transaction read and committed (stored after commit), ranked by
the instant the read began. Any save or delete of a touchpoint or measure replaces the document
with an empty one ranked at that instant, now and again once the change commits, so a request
that read the tables before the change committed cannot store what it read afterwards. What is
kept is only trusted to *find* a slug or key: an item naming one the document lacks (a new
touchpoint, a new measure) reads the tables as before, and its errors are the tables' answer.
"""

from __future__ import annotations

import pickle
import time
from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from promises.models import Measure
from tenants.apikey_cache import TenantDocument, tenant_document_payload, tenant_document_store
from tenants.models import Touchpoint

INGEST_LOOKUPS_DOCUMENT = "ingest-lookups:1"


def _rank(ns: int) -> str:
    return f"{ns:020d}"


def ingest_lookups_rank() -> str:
    """Now, as a document's rank: taken before the tables are read."""
    return _rank(time.time_ns())


def ingest_lookups_cached(
    document: TenantDocument | None, *, tenant_id: int
) -> tuple[dict[str, Touchpoint], dict[str, Measure]] | None:
    """The touchpoints (by slug) and measures (by key) in the document read with the key;
    ``None``: not read, not kept, dropped, or not ``tenant_id``'s."""
    if document is None or document.name != INGEST_LOOKUPS_DOCUMENT:
        return None
    payload = tenant_document_payload(document.payload)
    if not payload:
        return None
    kept_tenant, touchpoints, measures = pickle.loads(payload)  # noqa: S301 - written by this module
    if kept_tenant != tenant_id:  # the key record's tenant decides; this only double-checks
        return None
    return touchpoints, measures


def ingest_lookups_keep(
    *, tenant_id: int, rank: str, touchpoints: dict[str, Touchpoint], measures: dict[str, Measure]
) -> None:
    """Keep what this transaction read (all of the tenant's touchpoints and measures) once it
    commits; unless a change ranked later was recorded meanwhile."""
    payload: Any = pickle.dumps((tenant_id, touchpoints, measures), protocol=pickle.HIGHEST_PROTOCOL)
    transaction.on_commit(
        lambda: tenant_document_store(tenant_id, INGEST_LOOKUPS_DOCUMENT, rank=rank, payload=payload)
    )


def ingest_lookups_forget(tenant_id: int) -> None:
    """Drop the kept document: now, and again once the change commits, each time ranked at that
    instant (a request that began reading before then cannot store its older read)."""

    def forget() -> None:
        tenant_document_store(tenant_id, INGEST_LOOKUPS_DOCUMENT, rank=ingest_lookups_rank(), payload=b"")

    forget()
    transaction.on_commit(forget)


@receiver(post_save, sender=Touchpoint)
@receiver(post_delete, sender=Touchpoint)
@receiver(post_save, sender=Measure)
@receiver(post_delete, sender=Measure)
def _forget_on_change(sender, instance, **kwargs) -> None:
    ingest_lookups_forget(instance.tenant_id)
