from django.urls import include, path, re_path

from cxgov import errors, health

urlpatterns = [
    path("favicon.ico", health.favicon, name="favicon"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("accounts/", include("allauth.urls")),
    path("api/", include("promises.api_urls")),
    path("api/", include("feedback.api_urls")),
    path("api/", include("metrics.api_urls")),
    path("api/", include("metrics.actions.api")),
    path("api/", include("surveys.api_urls")),
    path("api/", include("surveys.followups.api_urls")),
    path("api/", include("tenants.api_urls")),
    path("promises/", include("promises.urls")),
    path("scores/", include("metrics.urls")),
    path("", include("metrics.home.urls")),
    path("", include("feedback.urls")),
    path("", include("surveys.urls")),
    path("", include("surveys.followups.urls")),
    path("", include("metrics.digests.urls")),
    path("", include("metrics.actions.urls")),
    path("", include("tenants.urls")),
    # Whatever no API route matched answers problem+json, never a page.
    re_path(r"^api/(?P<unmatched>.*)$", errors.api_not_found, name="api-not-found"),
]

handler404 = "cxgov.errors.not_found"
handler500 = "cxgov.errors.server_error_page"
