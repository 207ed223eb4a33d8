"""The home page: the platform's landing page on the bare domain, a member's home on a tenant's
subdomain, and the strip of counts that htmx redraws after a decision."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.views.decorators.http import require_safe

from metrics.home.selectors import home_counts, home_page
from tenants.permissions import action_required


@require_safe
def home(request):
    if request.tenant is None:
        return render(request, "tenants/platform_home.html")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(
        request,
        "metrics/home/home.html",
        {"sections": home_page(membership=request.membership, tenant=request.tenant)},
    )


home.cxgov_action = "platform.home"


@action_required("tenant.view")
@require_safe
def counts(request):
    """The counts at the top of the home page, alone (htmx asks after an escalation changed)."""
    return render(
        request, "metrics/home/_counts.html", {"sections": home_counts(membership=request.membership)}
    )
