"""Resolve the tenant from the subdomain and run the rest of the request inside its context."""

import structlog
from django.conf import settings
from django.shortcuts import render

from tenants.context import tenant_context
from tenants.selectors import membership_for_user, tenant_for_host

# Reachable on any host, with no tenant: probes and static files.
_TENANTLESS_PREFIXES = ("/healthz", "/readyz", "/static/")
# Reachable by a signed-in person who is not a member here, so they can get back out.
_NON_MEMBER_PATHS = ("/accounts/logout/",)


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = None
        request.membership = None
        if request.path.startswith(_TENANTLESS_PREFIXES):
            return self.get_response(request)

        lookup = tenant_for_host(request.get_host(), base_domain=settings.CXGOV_BASE_DOMAIN)
        if lookup.is_platform:
            return self.get_response(request)
        tenant = lookup.tenant
        if tenant is None:
            return render(request, "tenants/unknown_tenant.html", {"host": request.get_host()}, status=404)
        if not tenant.is_active:
            return render(request, "tenants/suspended.html", {"suspended_tenant": tenant}, status=403)

        structlog.contextvars.bind_contextvars(tenant=tenant.slug)
        with tenant_context(tenant):
            if request.user.is_authenticated:
                request.membership = membership_for_user(user=request.user)
                if request.membership is None and request.path not in _NON_MEMBER_PATHS:
                    # Answer exactly like an unknown company: no hint that this tenant exists.
                    return render(
                        request, "tenants/unknown_tenant.html", {"host": request.get_host()}, status=404
                    )
            request.tenant = tenant
            return self.get_response(request)
