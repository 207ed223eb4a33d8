"""Absolute addresses of a tenant's pages, for e-mails and anything read away from the site.

One setting says where a tenant's site answers: ``CXGOV_TENANT_URL``, with ``{slug}`` filled
in (scheme, host and port, e.g. ``http://{slug}.localhost:8000`` in development — ``make run``
sets its own port — and ``https://{slug}.<base domain>`` in production). Every link an e-mail
carries is built here, so none lacks the port or the scheme.
"""

from __future__ import annotations

from django.conf import settings

from tenants.models import Tenant


def tenant_base_url(tenant: Tenant) -> str:
    """The tenant's site, without a trailing slash: ``CXGOV_TENANT_URL`` with ``{slug}`` filled in."""
    return settings.CXGOV_TENANT_URL.format(slug=tenant.slug).rstrip("/")


def tenant_url(tenant: Tenant, path: str = "/") -> str:
    """The absolute address of ``path`` (e.g. ``reverse(...)``) on the tenant's site."""
    return tenant_base_url(tenant) + (path if path.startswith("/") else f"/{path}")
