from django.contrib.auth import views as auth_views
from django.http import Http404
from django.shortcuts import render

from tenants.forms import TenantAuthenticationForm
from tenants.selectors import department_list, touchpoint_journey


def home(request):
    if request.tenant is None:
        return render(request, "tenants/platform_home.html")
    if not request.user.is_authenticated:
        return auth_views.redirect_to_login(request.get_full_path())
    return render(
        request,
        "tenants/home.html",
        {"departments": department_list(), "touchpoints": touchpoint_journey()},
    )


class LoginView(auth_views.LoginView):
    form_class = TenantAuthenticationForm
    template_name = "tenants/login.html"
    redirect_authenticated_user = True

    def dispatch(self, request, *args, **kwargs):
        if request.tenant is None:
            raise Http404("Sign in on your company's address, e.g. acme.localhost.")
        return super().dispatch(request, *args, **kwargs)
