from django.urls import path

from feedback.escalations import views as escalation_views
from feedback.imports import views as import_views
from feedback.stories import views as story_views

urlpatterns = [
    path("stories/", story_views.story_list, name="story_list"),
    path("stories/new/", story_views.story_create, name="story_create"),
    path("stories/mine/", story_views.my_stories, name="my_stories"),
    path("stories/export.csv", story_views.story_export, name="story_export"),
    path("stories/<int:pk>/", story_views.story_page, name="story_detail"),
    path("stories/<int:pk>/escalate/", escalation_views.story_escalate, name="story_escalate"),
    path("escalations/", escalation_views.escalation_list, name="escalation_list"),
    path("escalations/inbox/", escalation_views.escalation_inbox, name="escalation_inbox"),
    path("escalations/export.csv", escalation_views.escalation_export, name="escalation_export"),
    path("escalations/settings/", escalation_views.escalation_settings, name="escalation_settings"),
    path("escalations/<int:pk>/", escalation_views.escalation_page, name="escalation_detail"),
    path("escalations/<int:pk>/comment/", escalation_views.escalation_comment, name="escalation_comment"),
    path(
        "escalations/<int:pk>/<str:name>/",
        escalation_views.escalation_transition,
        name="escalation_transition",
    ),
    path("signals/import/", import_views.signal_import_new, name="signal_import"),
    path(
        "signals/import/template/<str:kind>.csv",
        import_views.signal_import_template,
        name="signal_import_template",
    ),
    path("signals/import/<int:pk>/", import_views.signal_import_page, name="signal_import_detail"),
    path("signals/import/<int:pk>/status/", import_views.signal_import_status, name="signal_import_status"),
    path(
        "signals/import/<int:pk>/rejected.csv",
        import_views.signal_import_rejected,
        name="signal_import_rejected",
    ),
]
