"""Digest tasks: the beat dispatcher and one task per department and period.

- ``digests_dispatch`` (beat, every few minutes): for each active tenant, the period due now
  (its schedule, in its time zone) and the enabled departments whose digest for it is not
  made yet get one ``digest_send`` each. Running it again before they finish only queues
  tasks that will find their digest made.
- ``digest_send``: :func:`metrics.digests.services.digest_send_department` — idempotent per
  (department, period); delivery is the outbox's (``tenants.delivery.tasks.outbox_deliver_task``
  after commit, and the beat sweep for retries and what a killed worker left).

The task names are those of the module these tasks lived in before (``metrics.digest_tasks``):
the beat schedule and messages already queued name them.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from metrics.digests import selectors, services
from tenants.context import tenant_context
from tenants.models import Department, Tenant
from tenants.taskbase import TenantTask


@shared_task(name="metrics.digest_tasks.digests_dispatch")
def digests_dispatch() -> int:
    """Queue the digests due now; returns how many department tasks were queued."""
    now = timezone.now()
    queued = 0
    for tenant in Tenant.objects.filter(status=Tenant.Status.ACTIVE).order_by("pk"):
        with tenant_context(tenant):
            period, department_ids = selectors.departments_due(tenant=tenant, now=now)
        for department_id in department_ids:
            digest_send.delay(tenant.pk, department_id, period.key)
            queued += 1
    return queued


@shared_task(base=TenantTask, name="metrics.digest_tasks.digest_send")
def digest_send(tenant_id: int, department_id: int, period_key: str) -> int | None:
    department = Department.objects.filter(pk=department_id).first()
    if department is None:
        return None
    tenant = Tenant.objects.get(pk=tenant_id)
    period = selectors.period_from_key(tenant=tenant, key=period_key)
    digest = services.digest_send_department(tenant=tenant, department=department, period=period)
    return digest.recipients if digest else None
