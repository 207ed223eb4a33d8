from django.urls import path

from promises.signoffs import views

urlpatterns = [
    path("sign-offs/", views.my_sign_offs, name="promise_my_sign_offs"),
    path("<int:pk>/submit/", views.promise_submit, name="promise_submit"),
    path("<int:pk>/sign-off/", views.promise_sign_off, name="promise_sign_off"),
    path("<int:pk>/activate/", views.promise_activate, name="promise_activate"),
]
