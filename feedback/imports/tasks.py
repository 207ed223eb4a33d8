"""Thin Celery wrappers around feedback services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from feedback import services
from feedback.models import SignalImport
from tenants.models import Tenant
from tenants.taskbase import TenantTask


@shared_task(base=TenantTask)
def signal_import_run(tenant_id: int, import_id: int) -> None:
    """Process an uploaded CSV import from where it stopped; quietly nothing if the import is gone.

    Runs for about ``CXGOV_IMPORT_SLICE_SECONDS``, then queues its continuation."""
    signal_import = SignalImport.objects.select_related("created_by").filter(pk=import_id).first()
    if signal_import is None:
        return
    tenant = Tenant.objects.get(pk=tenant_id)
    try:
        services.signal_import_run(
            tenant=tenant, signal_import=signal_import, time_budget=settings.CXGOV_IMPORT_SLICE_SECONDS
        )
    except Exception:
        # The page would otherwise poll "running" forever: say it failed, then let Celery log it.
        services.signal_import_fail(
            tenant=tenant,
            signal_import=signal_import,
            error="The import stopped on an unexpected error; upload the file again (rows already "
            "imported are skipped as duplicates).",
        )
        raise


@shared_task(base=TenantTask)
def signal_imports_resume(tenant_id: int) -> list[int]:
    """One tenant's unfinished imports that went quiet, queued again (idempotent)."""
    return services.signal_imports_resume_stalled(
        tenant=Tenant.objects.get(pk=tenant_id),
        stale_after=timedelta(seconds=settings.CXGOV_IMPORT_STALE_SECONDS),
    )


@shared_task
def signal_imports_sweep() -> int:
    """Beat: one stalled-import check per active tenant (imports a killed worker left running)."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        signal_imports_resume.delay(tenant_id)
    return len(tenant_ids)


@shared_task(base=TenantTask)
def escalations_overdue_scan(tenant_id: int) -> dict[str, int]:
    """One tenant's escalation clock: overdue levels and auto-close (idempotent)."""
    return services.escalations_overdue_scan(tenant=Tenant.objects.get(pk=tenant_id))


@shared_task
def escalations_overdue_dispatch() -> int:
    """Beat: one escalation clock scan per active tenant."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        escalations_overdue_scan.delay(tenant_id)
    return len(tenant_ids)
