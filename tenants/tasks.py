"""Thin Celery wrappers around tenant services."""

from celery import shared_task

from tenants.models import Tenant
from tenants.services import tenant_heartbeat_record
from tenants.taskbase import TenantTask


@shared_task(base=TenantTask)
def tenant_heartbeat(tenant_id: int) -> None:
    tenant_heartbeat_record(tenant=Tenant.objects.get(pk=tenant_id))


@shared_task
def heartbeat_dispatch() -> int:
    """Beat dispatcher: one heartbeat task per active tenant."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        tenant_heartbeat.delay(tenant_id)
    return len(tenant_ids)
