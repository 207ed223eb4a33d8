from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from tenants.permissions import can
from tenants.selectors import department_list, touchpoint_journey


def home(request):
    """The platform's landing page on the bare domain; a tenant's home page on its subdomain."""
    if request.tenant is None:
        return render(request, "tenants/platform_home.html")
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(
        request,
        "tenants/home.html",
        {
            "departments": department_list(),
            "touchpoints": touchpoint_journey(),
            "can_manage": can(request.membership, "tenant.settings.edit"),
        },
    )


home.cxgov_action = "platform.home"
