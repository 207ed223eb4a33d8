from django.urls import path

from tenants import views
from tenants.calendars import views as calendar_views
from tenants.webhooks import views as webhook_views

urlpatterns = [
    path("account/", views.account, name="account"),
    path("invitations/<str:token>/", views.invitation_accept, name="invitation_accept"),
    # The tenant admin console (Django's own admin is not installed).
    path("admin/settings/", views.console_settings, name="console_settings"),
    path("admin/departments/", views.console_departments, name="console_departments"),
    path("admin/departments/<int:pk>/edit/", views.console_department_edit, name="console_department_edit"),
    path(
        "admin/departments/<int:pk>/delete/",
        views.console_department_delete,
        name="console_department_delete",
    ),
    path("admin/touchpoints/", views.console_touchpoints, name="console_touchpoints"),
    path("admin/touchpoints/<int:pk>/edit/", views.console_touchpoint_edit, name="console_touchpoint_edit"),
    path(
        "admin/touchpoints/<int:pk>/delete/",
        views.console_touchpoint_delete,
        name="console_touchpoint_delete",
    ),
    path("admin/touchpoints/<int:pk>/move/", views.console_touchpoint_move, name="console_touchpoint_move"),
    path(
        "admin/touchpoints/<int:pk>/moment-of-truth/",
        views.console_touchpoint_moment_of_truth,
        name="console_touchpoint_moment_of_truth",
    ),
    path("admin/members/", views.console_members, name="console_members"),
    path("admin/members/invite/", views.console_member_invite, name="console_member_invite"),
    path("admin/members/<int:pk>/", views.console_member, name="console_member"),
    path("admin/members/<int:pk>/active/", views.console_member_set_active, name="console_member_set_active"),
    path("admin/api-keys/", views.console_api_keys, name="console_api_keys"),
    path("admin/api-keys/new/", views.console_api_key_create, name="console_api_key_create"),
    path("admin/api-keys/<int:pk>/revoke/", views.console_api_key_revoke, name="console_api_key_revoke"),
    path("admin/calendar/", calendar_views.console_calendar, name="console_calendar"),
    path(
        "admin/calendar/departments/<int:pk>/",
        calendar_views.console_calendar_department,
        name="console_calendar_department",
    ),
    path(
        "admin/calendar/departments/<int:pk>/remove/",
        calendar_views.console_calendar_department_remove,
        name="console_calendar_department_remove",
    ),
    path("admin/webhooks/", webhook_views.console_webhooks, name="console_webhooks"),
    path("admin/webhooks/new/", webhook_views.console_webhook_create, name="console_webhook_create"),
    path("admin/webhooks/<int:pk>/", webhook_views.console_webhook, name="console_webhook"),
    path("admin/webhooks/<int:pk>/edit/", webhook_views.console_webhook_edit, name="console_webhook_edit"),
    path(
        "admin/webhooks/<int:pk>/delete/", webhook_views.console_webhook_delete, name="console_webhook_delete"
    ),
    path(
        "admin/webhooks/<int:pk>/rotate-secret/",
        webhook_views.console_webhook_rotate_secret,
        name="console_webhook_rotate_secret",
    ),
    path("admin/webhooks/<int:pk>/test/", webhook_views.console_webhook_ping, name="console_webhook_ping"),
    path(
        "admin/webhooks/<int:pk>/deliveries/<int:delivery_pk>/again/",
        webhook_views.console_webhook_redeliver,
        name="console_webhook_redeliver",
    ),
    path("admin/audit/", views.console_audit, name="console_audit"),
]
