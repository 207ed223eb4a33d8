"""The feedback app's partner endpoints (included at ``/api/``): each subject keeps its own."""

from django.urls import include, path

urlpatterns = [
    path("", include("feedback.ingest.api_urls")),
    path("", include("feedback.escalations.api_urls")),
    path("", include("feedback.imports.api_urls")),
]
