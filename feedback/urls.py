from django.urls import path

from feedback import views

urlpatterns = [
    path("stories/", views.story_list, name="story_list"),
    path("stories/new/", views.story_create, name="story_create"),
    path("stories/mine/", views.my_stories, name="my_stories"),
    path("stories/export.csv", views.story_export, name="story_export"),
    path("stories/<int:pk>/", views.story_page, name="story_detail"),
    path("stories/<int:pk>/escalate/", views.story_escalate, name="story_escalate"),
    path("escalations/", views.escalation_list, name="escalation_list"),
    path("escalations/inbox/", views.escalation_inbox, name="escalation_inbox"),
    path("escalations/export.csv", views.escalation_export, name="escalation_export"),
    path("escalations/settings/", views.escalation_settings, name="escalation_settings"),
    path("escalations/<int:pk>/", views.escalation_page, name="escalation_detail"),
    path("escalations/<int:pk>/comment/", views.escalation_comment, name="escalation_comment"),
    path("escalations/<int:pk>/<str:name>/", views.escalation_transition, name="escalation_transition"),
    path("signals/import/", views.signal_import_new, name="signal_import"),
    path(
        "signals/import/template/<str:kind>.csv", views.signal_import_template, name="signal_import_template"
    ),
    path("signals/import/<int:pk>/", views.signal_import_page, name="signal_import_detail"),
    path("signals/import/<int:pk>/status/", views.signal_import_status, name="signal_import_status"),
    path("signals/import/<int:pk>/rejected.csv", views.signal_import_rejected, name="signal_import_rejected"),
]
