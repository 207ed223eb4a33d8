"""Reads for tenants and their people."""

from __future__ import annotations

from dataclasses import dataclass

from tenants.models import Department, Membership, Tenant, Touchpoint, User


@dataclass(frozen=True)
class HostLookup:
    is_platform: bool
    tenant: Tenant | None = None


def tenant_for_host(host: str, *, base_domain: str) -> HostLookup:
    """``acme.<base>`` → tenant acme; ``<base>`` itself → the platform; anything else → no tenant."""
    hostname = host.rsplit(":", 1)[0].lower().rstrip(".") if not host.startswith("[") else host
    if hostname == base_domain or not hostname.endswith("." + base_domain):
        return HostLookup(is_platform=hostname == base_domain or hostname == "127.0.0.1")
    slug = hostname[: -len(base_domain) - 1]
    if "." in slug:
        return HostLookup(is_platform=False)
    return HostLookup(is_platform=False, tenant=Tenant.objects.filter(slug=slug).first())


def membership_for_user(*, user: User) -> Membership | None:
    """The active tenant's active membership of ``user`` (requires a tenant context)."""
    return Membership.objects.select_related("user").filter(user=user, is_active=True).first()


def department_list() -> list[Department]:
    return list(Department.objects.order_by("name"))


def touchpoint_journey() -> list[Touchpoint]:
    return list(Touchpoint.objects.order_by("position", "id"))
