from django.urls import path

from promises import views

urlpatterns = [
    path("", views.promise_registry, name="promise_registry"),
    path("new/", views.promise_create, name="promise_create"),
    path("sign-offs/", views.my_sign_offs, name="promise_my_sign_offs"),
    path("measures/", views.measures, name="promise_measures"),
    path("<int:pk>/", views.promise_page, name="promise_detail"),
    path("<int:pk>/edit/", views.promise_edit, name="promise_edit"),
    path("<int:pk>/commitments/new/", views.commitment_create, name="promise_commitment_create"),
    path(
        "<int:pk>/commitments/<int:commitment_pk>/edit/",
        views.commitment_edit,
        name="promise_commitment_edit",
    ),
    path("<int:pk>/submit/", views.promise_submit, name="promise_submit"),
    path("<int:pk>/sign-off/", views.promise_sign_off, name="promise_sign_off"),
    path("<int:pk>/activate/", views.promise_activate, name="promise_activate"),
    path("<int:pk>/retire/", views.promise_retire, name="promise_retire"),
]
