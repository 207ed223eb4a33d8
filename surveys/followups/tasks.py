"""Thin Celery wrappers around the follow-up clock (its reminders and overdue notices)."""

from __future__ import annotations

from celery import shared_task

from surveys.followups import services
from tenants.models import Tenant
from tenants.taskbase import TenantTask


@shared_task(base=TenantTask, name="surveys.followups.tasks.followup_reminders_send")
def followup_reminders_send(tenant_id: int) -> int:
    """One tenant's follow-up clock: the reminders whose time has come and the notices of
    follow-ups that became overdue (each sent once). It keeps the name it had when it sent only
    reminders, so tasks already queued under that name still run."""
    return services.followup_clock_run(tenant=Tenant.objects.get(pk=tenant_id))


@shared_task(name="surveys.followups.tasks.followup_reminders_dispatch")
def followup_reminders_dispatch() -> int:
    """Beat: one follow-up clock scan (reminders, overdue notices) per active tenant."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        followup_reminders_send.delay(tenant_id)
    return len(tenant_ids)
