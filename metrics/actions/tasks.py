"""Thin Celery wrappers around the action reminders (a beat scan per tenant, no countdowns)."""

from __future__ import annotations

from celery import shared_task

from metrics.actions import services
from tenants.models import Tenant
from tenants.taskbase import TenantTask


@shared_task(base=TenantTask, name="metrics.actions.tasks.actions_remind")
def actions_remind(tenant_id: int) -> dict[str, int]:
    """One tenant's reminders before and on due dates (idempotent: each is queued once)."""
    return services.actions_remind(tenant=Tenant.objects.get(pk=tenant_id))


@shared_task(name="metrics.actions.tasks.actions_remind_dispatch")
def actions_remind_dispatch() -> int:
    """Beat: one reminder scan per active tenant."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        actions_remind.delay(tenant_id)
    return len(tenant_ids)
