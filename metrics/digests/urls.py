from django.urls import path

from metrics.digests import views

urlpatterns = [
    path("digests/preferences/", views.digest_preferences, name="digest_preferences"),
    path("digests/unsubscribe/<str:token>/", views.digest_unsubscribe, name="digest_unsubscribe"),
    path("admin/digests/", views.console_digests, name="console_digests"),
    path("admin/digests/log/", views.console_digest_log, name="console_digest_log"),
    path(
        "admin/digests/departments/<int:pk>/",
        views.console_digest_department,
        name="console_digest_department",
    ),
    path(
        "admin/digests/departments/<int:pk>/preview/",
        views.console_digest_preview,
        name="console_digest_preview",
    ),
    path(
        "admin/digests/departments/<int:pk>/preview/email/",
        views.console_digest_preview_email,
        name="console_digest_preview_email",
    ),
    path(
        "admin/digests/departments/<int:pk>/subscribers/<int:subscriber_pk>/remove/",
        views.console_digest_subscriber_remove,
        name="console_digest_subscriber_remove",
    ),
]
