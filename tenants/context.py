"""The active tenant of the current request, API call or task.

One ``ContextVar`` holds it; every tenant-scoped query, every save and the database session
setting that row-level security reads all follow it. Code sets it only through
:func:`tenant_context` (or the web middleware, the API authentication and the task base,
which use it), so leaving a block always restores the previous tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tenants.models import Tenant


class TenantContextMissing(RuntimeError):
    """Tenant-owned data was touched with no active tenant."""


class TenantMismatch(RuntimeError):
    """A row stamped with one tenant was saved while another tenant is active."""


@dataclass(frozen=True, slots=True)
class ActiveTenant:
    id: int
    slug: str


_active: ContextVar[ActiveTenant | None] = ContextVar("cxgov_active_tenant", default=None)


def current_tenant() -> ActiveTenant | None:
    return _active.get()


def current_tenant_id() -> int | None:
    active = _active.get()
    return None if active is None else active.id


def require_tenant_id() -> int:
    tenant_id = current_tenant_id()
    if tenant_id is None:
        raise TenantContextMissing(
            "No tenant is active. Run this inside tenants.context.tenant_context(tenant), "
            "or use .unscoped() with a comment saying why the bypass is safe."
        )
    return tenant_id


@contextmanager
def tenant_context(tenant: Tenant | ActiveTenant | None) -> Iterator[None]:
    """Make ``tenant`` the active tenant inside the block (``None``: no tenant at all)."""
    value = None if tenant is None else ActiveTenant(id=tenant.id, slug=tenant.slug)
    token = _active.set(value)
    try:
        yield
    finally:
        _active.reset(token)
