from django.urls import path

from metrics.home import views

urlpatterns = [
    path("", views.home, name="home"),
    path("home/counts/", views.counts, name="home_counts"),
]
