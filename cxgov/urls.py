from django.contrib.auth import views as auth_views
from django.urls import path

from cxgov import health
from tenants import views as tenant_views

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", tenant_views.home, name="home"),
    path("accounts/login/", tenant_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
]
