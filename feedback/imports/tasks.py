"""Thin Celery wrappers around feedback services."""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from feedback.imports import services
from feedback.imports.models import SignalImport
from tenants.models import Tenant
from tenants.taskbase import TenantTask


@shared_task(base=TenantTask, name="feedback.tasks.signal_import_run")
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
            "imported are skipped as unchanged).",
        )
        raise


@shared_task(base=TenantTask, name="feedback.tasks.signal_imports_resume")
def signal_imports_resume(tenant_id: int) -> list[int]:
    """One tenant's unfinished imports that went quiet, queued again (idempotent)."""
    return services.signal_imports_resume_stalled(
        tenant=Tenant.objects.get(pk=tenant_id),
        stale_after=timedelta(seconds=settings.CXGOV_IMPORT_STALE_SECONDS),
    )


@shared_task(name="feedback.tasks.signal_imports_sweep")
def signal_imports_sweep() -> int:
    """Beat: one stalled-import check per active tenant (imports a killed worker left running)."""
    tenant_ids = list(Tenant.objects.filter(status=Tenant.Status.ACTIVE).values_list("id", flat=True))
    for tenant_id in tenant_ids:
        signal_imports_resume.delay(tenant_id)
    return len(tenant_ids)
