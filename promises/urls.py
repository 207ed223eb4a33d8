from django.urls import include, path

from promises import views

urlpatterns = [
    path("", views.promise_registry, name="promise_registry"),
    path("new/", views.promise_create, name="promise_create"),
    path("<int:pk>/", views.promise_page, name="promise_detail"),
    path("<int:pk>/edit/", views.promise_edit, name="promise_edit"),
    path("<int:pk>/retire/", views.promise_retire, name="promise_retire"),
    path("", include("promises.commitments.urls")),
    path("", include("promises.signoffs.urls")),
]
