from django.urls import path

from surveys.followups import views

urlpatterns = [
    path("followups/", views.followup_list, name="followup_list"),
    path("followups/<int:pk>/", views.followup_detail, name="followup_detail"),
    path("followups/<int:pk>/assign/", views.followup_assign, name="followup_assign"),
    path("followups/<int:pk>/close/", views.followup_close, name="followup_close"),
]
