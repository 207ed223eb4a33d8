from django.urls import path

from surveys import views

urlpatterns = [
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/qr.png", views.survey_qr, {"kind": "png"}, name="survey_qr_png"),
    path("surveys/<int:pk>/qr.svg", views.survey_qr, {"kind": "svg"}, name="survey_qr_svg"),
    # The public page customers answer, on the tenant's address, without signing in.
    path("s/l/<str:token>/", views.survey_link_page, name="survey_link_page"),
    # After a personalised link's score, the pages stay under the link's token (never the
    # survey's anonymous one).
    path("s/l/<str:token>/why/<str:answer>/", views.survey_link_reason, name="survey_link_reason"),
    path("s/l/<str:token>/contact/<str:answer>/", views.survey_link_contact, name="survey_link_contact"),
    path("s/l/<str:token>/thanks/", views.survey_link_thanks, name="survey_link_thanks"),
    path("s/<str:token>/", views.survey_page, name="survey_page"),
    path("s/<str:token>/why/<str:answer>/", views.survey_reason, name="survey_reason"),
    path("s/<str:token>/contact/<str:answer>/", views.survey_contact, name="survey_contact"),
    path("s/<str:token>/thanks/", views.survey_thanks, name="survey_thanks"),
]
