from django.urls import path

from promises.commitments import views

urlpatterns = [
    path("measures/", views.measures, name="promise_measures"),
    path("measures/<slug:key>/edit/", views.measure_edit, name="promise_measure_edit"),
    path("<int:pk>/commitments/new/", views.commitment_create, name="promise_commitment_create"),
    path(
        "<int:pk>/commitments/<int:commitment_pk>/edit/",
        views.commitment_edit,
        name="promise_commitment_edit",
    ),
]
