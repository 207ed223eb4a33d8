"""The base for every tenant task: ``tenant_id`` first, run inside that tenant's context."""

from __future__ import annotations

import structlog
from celery import Task

from tenants.context import TenantContextMissing, tenant_context
from tenants.models import Tenant

logger = structlog.get_logger("cxgov.tasks")


class TenantTask(Task):
    """Tasks declared with ``base=TenantTask`` take ``tenant_id`` as their first argument.

    The task body runs inside that tenant's context (scoped queries, stamped saves, the
    database's row-level security setting). Without a tenant id the task fails; for a
    tenant that no longer exists or is suspended it does nothing.
    """

    abstract = True

    def __call__(self, *args, **kwargs):
        tenant_id = args[0] if args else kwargs.get("tenant_id")
        if tenant_id is None:
            raise TenantContextMissing(f"Task {self.name} was called without a tenant_id; pass it first.")
        tenant = Tenant.objects.filter(pk=tenant_id).first()
        if tenant is None or not tenant.is_active:
            logger.info("task skipped: tenant missing or suspended", task=self.name, tenant_id=tenant_id)
            return None
        structlog.contextvars.bind_contextvars(tenant=tenant.slug, task=self.name)
        try:
            with tenant_context(tenant):
                return super().__call__(*args, **kwargs)
        finally:
            structlog.contextvars.unbind_contextvars("tenant", "task")
