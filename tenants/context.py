"""The active tenant of the current request, API call or task.

One ``ContextVar`` holds it; every tenant-scoped query, every save and the database session
setting that row-level security reads all follow it. Code sets it only through
:func:`tenant_context` (or the web middleware, the API authentication and the task base,
which use it), so leaving a block always restores the previous tenant.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Protocol


class TenantContextMissing(RuntimeError):
    """Tenant-owned data was touched with no active tenant."""


class TenantMismatch(RuntimeError):
    """A row stamped with one tenant was saved while another tenant is active."""


class TenantLike(Protocol):
    """What the context needs of a tenant (a ``tenants.models.Tenant`` is one).

    Spelled out here so this module imports nothing of the models, which import it."""

    @property
    def id(self) -> int: ...

    @property
    def slug(self) -> str: ...


@dataclass(frozen=True, slots=True)
class ActiveTenant:
    id: int
    slug: str


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, for the audit trail: a member, an API key, or the system itself."""

    kind: str  # "member" | "api_key" | "system" | "anonymous"
    id: int | None = None
    label: str = ""

    def as_setting(self) -> str:
        return json.dumps({"kind": self.kind, "id": self.id, "label": self.label}, separators=(",", ":"))


SYSTEM = Actor(kind="system", label="system")

_active: ContextVar[ActiveTenant | None] = ContextVar("cxgov_active_tenant", default=None)
_actor: ContextVar[Actor | None] = ContextVar("cxgov_actor", default=None)
_request_id: ContextVar[str] = ContextVar("cxgov_request_id", default="")


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
            "or bypass the filter with the manager's unscoped method and a comment saying why it is safe."
        )
    return tenant_id


@contextmanager
def tenant_context(tenant: TenantLike | None) -> Iterator[None]:
    """Make ``tenant`` the active tenant inside the block (``None``: no tenant at all)."""
    value = None if tenant is None else ActiveTenant(id=tenant.id, slug=tenant.slug)
    token = _active.set(value)
    try:
        yield
    finally:
        _active.reset(token)


def current_actor() -> Actor | None:
    return _actor.get()


def current_request_id() -> str:
    return _request_id.get()


@contextmanager
def actor_context(actor: Actor | None, *, request_id: str | None = None) -> Iterator[None]:
    """Record ``actor`` (and the request id) on every change made inside the block."""
    actor_token = _actor.set(actor)
    request_token = _request_id.set(request_id) if request_id is not None else None
    try:
        yield
    finally:
        _actor.reset(actor_token)
        if request_token is not None:
            _request_id.reset(request_token)


def session_settings() -> tuple[str, str, str]:
    """The values the database session must carry now: tenant, actor, request id."""
    active = _active.get()
    actor = _actor.get()
    return (
        "" if active is None else str(active.id),
        "" if actor is None else actor.as_setting(),
        _request_id.get(),
    )


def enter_tenant(tenant: TenantLike) -> None:
    """Make ``tenant`` active until the end of the current request.

    Only for request handling that cannot wrap a block (API authentication): the
    request-context middleware runs every request in a copied context, so the value is
    dropped when the request ends. Everywhere else use :func:`tenant_context`.
    """
    _active.set(ActiveTenant(id=tenant.id, slug=tenant.slug))


def enter_actor(actor: Actor) -> None:
    """Like :func:`enter_tenant`, for the actor recorded in the audit trail."""
    _actor.set(actor)
