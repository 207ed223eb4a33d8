"""Tenant resolution, mandatory MFA for admins, and default-deny for views."""

import structlog
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse

from tenants.context import Actor, actor_context, current_request_id, tenant_context
from tenants.models import Membership
from tenants.permissions import (
    PermissionDeniedHere,
    SignInRequired,
    allauth_action,
    enforce,
    rule_for,
    view_actions,
)
from tenants.selectors import membership_for_user, tenant_for_host

# Reachable on any host without a tenant from the subdomain: probes, static files, and the
# API (whose tenant comes only from the API key).
_TENANTLESS_PREFIXES = ("/healthz", "/readyz", "/static/", "/api/")
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
                    # The company exists (its sign-in page says so to anyone): say that this
                    # account is not one of its members, not that nobody answers here.
                    return render(request, "tenants/not_a_member.html", {"host_tenant": tenant}, status=403)
            request.tenant = tenant
            if request.membership is None:
                return self.get_response(request)
            actor = Actor(kind="member", id=request.membership.pk, label=request.user.email)
            with actor_context(actor, request_id=current_request_id()):
                return self.get_response(request)


# Pages an admin without two-factor authentication may still open: enrolment itself,
# re-authentication and signing out.
_MFA_ENROLMENT_PREFIXES = ("/accounts/2fa/", "/accounts/reauthenticate/", "/accounts/logout/", "/static/")


class MfaRequiredMiddleware:
    """Tenant admins must enrol TOTP before anything else."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and membership.role == Membership.Role.ADMIN
            and not request.path.startswith(_MFA_ENROLMENT_PREFIXES)
            and not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
        ):
            return redirect(reverse("mfa_activate_totp") + "?admin_required=1")
        return self.get_response(request)


class DefaultDenyMiddleware:
    """Every view must name its action in the permission table; a view that names none is closed.

    Function and class views are checked here; API views check their actions with the API
    key in their permission class (the same table).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if getattr(view_func, "cls", None) is not None:  # Django REST framework view
            return None if view_actions(view_func) else _closed(request)
        action = allauth_action(view_func, request.resolver_match)
        if action is not None:
            if request.tenant is None:  # people sign in on their company's address only
                return _closed(request)
            enforce(request, action)
            return None
        if not view_actions(view_func):
            return _closed(request)
        return None

    def process_exception(self, request, exception):
        if isinstance(exception, SignInRequired):
            return redirect_to_login(request.get_full_path())
        if isinstance(exception, PermissionDeniedHere):
            rule = rule_for(exception.action)
            return render(request, "tenants/forbidden.html", {"rule": rule}, status=403)
        return None


def _closed(request):
    return render(request, "tenants/unknown_tenant.html", {"host": request.get_host()}, status=404)
