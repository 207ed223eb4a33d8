from django.urls import path

from metrics import views

urlpatterns = [
    path("", views.overview, name="scores_overview"),
    path("promises/<slug:slug>/", views.promise_page, name="scores_promise"),
    path("departments/<slug:slug>/", views.department_page, name="scores_department"),
    path("journey/", views.journey, name="scores_journey"),
    path("measures/", views.measure_list, name="measures"),
    path("measures/<slug:key>/", views.measure_page, name="measure_page"),
    path(
        "measures/<slug:key>/benchmarks/<int:pk>/remove/",
        views.benchmark_remove_view,
        name="measure_benchmark_remove",
    ),
]
