import functools

from django.urls import path

from surveys import views, views_distribution

# The pages of a personalised link: framed by the sites of the link's survey.
link_embeddable = functools.partial(
    views_distribution.embeddable, survey_of=views_distribution.survey_of_link_token
)

urlpatterns = [
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_create, name="survey_create"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/qr.png", views.survey_qr, {"kind": "png"}, name="survey_qr_png"),
    path("surveys/<int:pk>/qr.svg", views.survey_qr, {"kind": "svg"}, name="survey_qr_svg"),
    path("surveys/<int:pk>/links/", views_distribution.survey_links, name="survey_links"),
    path(
        "surveys/<int:pk>/links/<int:link_id>/revoke/",
        views_distribution.survey_link_revoke,
        name="survey_link_revoke",
    ),
    # The public page customers answer, on the tenant's address, without signing in.
    path("s/l/<str:token>/", views.survey_link_page, name="survey_link_page"),
    # The personalised link's page to embed in a frame (framed by its survey's listed sites).
    path(
        "s/l/<str:token>/embed/",
        link_embeddable(views.survey_link_page, always=True),
        name="survey_link_embed",
    ),
    # After a personalised link's score, the pages stay under the link's token (never the
    # survey's anonymous one), embedded with ?embed=1 when the link's page was.
    path(
        "s/l/<str:token>/why/<str:answer>/",
        link_embeddable(views.survey_link_reason),
        name="survey_link_reason",
    ),
    path(
        "s/l/<str:token>/contact/<str:answer>/",
        link_embeddable(views.survey_link_contact),
        name="survey_link_contact",
    ),
    path("s/l/<str:token>/thanks/", link_embeddable(views.survey_link_thanks), name="survey_link_thanks"),
    path(
        "s/l/<str:token>/score/<int:score>/", views_distribution.survey_link_score, name="survey_link_score"
    ),
    path("s/<str:token>/", views.survey_page, name="survey_page"),
    # The page to embed in a frame; the next pages stay embedded with ?embed=1.
    path(
        "s/<str:token>/embed/",
        views_distribution.embeddable(views.survey_page, always=True),
        name="survey_embed",
    ),
    path("s/<str:token>/score/<int:score>/", views_distribution.survey_score, name="survey_score"),
    path(
        "s/<str:token>/why/<str:answer>/",
        views_distribution.embeddable(views.survey_reason),
        name="survey_reason",
    ),
    path(
        "s/<str:token>/contact/<str:answer>/",
        views_distribution.embeddable(views.survey_contact),
        name="survey_contact",
    ),
    path("s/<str:token>/thanks/", views_distribution.embeddable(views.survey_thanks), name="survey_thanks"),
]
