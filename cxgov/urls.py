from django.urls import include, path

from cxgov import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("api/", include("promises.api_urls")),
    path("api/", include("feedback.api_urls")),
    path("api/", include("metrics.api_urls")),
    path("api/", include("tenants.api_urls")),
    path("promises/", include("promises.urls")),
    path("scores/", include("metrics.urls")),
    path("", include("feedback.urls")),
    path("", include("metrics.digest_urls")),
    path("", include("tenants.urls")),
]

handler404 = "cxgov.errors.not_found"
