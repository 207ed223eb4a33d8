"""Thin Celery wrappers around the scoring services, and the dispatchers beat runs.

- ``scores_dispatch`` (every few seconds): each tenant marked dirty by ingest gets **one**
  queued recompute, however many marks arrived; a tenant whose recompute is still queued is
  left marked for the next tick.
- ``scores_recompute``: one run (``metrics.services.scores_run``); if another run of the
  tenant holds the lock, the tenant is marked dirty again instead of waiting.
- ``scores_snapshot_dispatch`` (daily): one ``scores_snapshot`` per active tenant — the
  daily snapshot and any missing quarter-end snapshots.
"""

from __future__ import annotations

import redis
from celery import shared_task
from django.conf import settings

from metrics import services
from tenants.models import Tenant
from tenants.rescoring import dirty_key, scoring_mark_dirty
from tenants.taskbase import TenantTask

QUEUED_TTL_SECONDS = 600
_redis: redis.Redis | None = None


def _client() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def queued_key(tenant_id: int) -> str:
    return f"{settings.CXGOV_REDIS_PREFIX}:scoring-queued:{tenant_id}"


@shared_task
def scores_dispatch() -> list[int]:
    """Enqueue one recompute per dirty tenant; returns the tenant ids enqueued."""
    client = _client()
    prefix = dirty_key(0)[:-1]
    enqueued = []
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        tenant_id = int(key.decode().removeprefix(prefix))
        # At most one queued recompute per tenant; the flag expires if a worker dies.
        if not client.set(queued_key(tenant_id), "1", nx=True, ex=QUEUED_TTL_SECONDS):
            continue
        client.delete(key)
        scores_recompute.delay(tenant_id)
        enqueued.append(tenant_id)
    return enqueued


@shared_task(base=TenantTask)
def scores_recompute(tenant_id: int) -> int | None:
    _client().delete(queued_key(tenant_id))
    run = services.scores_run(tenant=Tenant.objects.get(pk=tenant_id), kind="recompute")
    if run is None:  # another run of this tenant is in progress: try again on the next tick
        scoring_mark_dirty(tenant_id)
        return None
    return run.pk


@shared_task
def scores_snapshot_dispatch() -> int:
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        scores_snapshot.delay(tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask, bind=True, max_retries=20, default_retry_delay=30)
def scores_snapshot(self, tenant_id: int) -> int:
    try:
        return len(services.scores_daily(tenant=Tenant.objects.get(pk=tenant_id)))
    except services.ScoringBusy as busy:  # a recompute holds the lock: what is missing is taken later
        raise self.retry(exc=busy) from busy
