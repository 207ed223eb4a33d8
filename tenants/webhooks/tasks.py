"""Thin Celery wrappers around webhook delivery: one tenant's due deliveries, and the beat sweep."""

from celery import shared_task

from tenants.models import Tenant
from tenants.taskbase import TenantTask
from tenants.webhooks.services import DELIVER_TASK, webhook_deliver

SWEEP_TASK = "tenants.webhooks.tasks.webhook_sweep"


@shared_task(base=TenantTask, name=DELIVER_TASK)
def webhook_deliver_task(tenant_id: int) -> dict[str, int]:
    return webhook_deliver()


@shared_task(name=SWEEP_TASK)
def webhook_sweep() -> int:
    """Beat: one delivery task per active tenant (retries that fell due, rows a dead worker left)."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        webhook_deliver_task.delay(tenant_id)
    return len(tenant_ids)
