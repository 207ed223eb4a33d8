from django.urls import path

from metrics import views

urlpatterns = [
    path("", views.overview, name="scores_overview"),
    path("promises/<slug:slug>/", views.promise_page, name="scores_promise"),
    path("departments/<slug:slug>/", views.department_page, name="scores_department"),
    path("journey/", views.journey, name="scores_journey"),
]
