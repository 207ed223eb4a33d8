"""Thin Celery wrappers around the escalation clock."""

from __future__ import annotations

from celery import shared_task

from feedback.escalations import services
from tenants.models import Tenant
from tenants.taskbase import TenantTask


@shared_task(base=TenantTask, name="feedback.tasks.escalations_overdue_scan")
def escalations_overdue_scan(tenant_id: int) -> dict[str, int]:
    """One tenant's escalation clock: reminders, overdue levels and auto-close (idempotent)."""
    tenant = Tenant.objects.get(pk=tenant_id)
    counts = services.escalations_overdue_scan(tenant=tenant)
    counts["reminded"] = services.escalation_reminders_send(tenant=tenant)
    return counts


@shared_task(name="feedback.tasks.escalations_overdue_dispatch")
def escalations_overdue_dispatch() -> int:
    """Beat: one escalation clock scan per active tenant."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        escalations_overdue_scan.delay(tenant_id)
    return len(tenant_ids)
