"""Thin Celery wrappers around the outbox: delivery for one tenant, and the beat sweep."""

from celery import shared_task

from tenants.delivery.services import DELIVER_TASK, SWEEP_TASK, outbox_deliver
from tenants.models import Tenant
from tenants.taskbase import TenantTask


@shared_task(base=TenantTask, name=DELIVER_TASK)
def outbox_deliver_task(tenant_id: int) -> dict[str, int]:
    return outbox_deliver()


@shared_task(name=SWEEP_TASK)
def outbox_sweep() -> int:
    """Beat: one delivery per active tenant (retries, messages a dead worker left pending)."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        outbox_deliver_task.delay(tenant_id)
    return len(tenant_ids)
