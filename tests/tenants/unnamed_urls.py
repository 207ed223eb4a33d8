"""A URLconf with a view that names no action, for the default-deny test."""

from django.http import HttpResponse
from django.urls import include, path


def unnamed(request):
    return HttpResponse("secret")


urlpatterns = [path("unnamed/", unnamed), path("", include("cxgov.urls"))]
