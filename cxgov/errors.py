"""Site-wide error pages: the API answers in its own error format, people get a page."""

from django.http import JsonResponse
from django.views.defaults import page_not_found


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return JsonResponse(
            {
                "type": "https://cxgov.dev/problems/404",
                "title": "Not found",
                "status": 404,
                "detail": f"No API endpoint at {request.path}; the endpoints are listed at /api/docs/.",
            },
            status=404,
            content_type="application/problem+json",
        )
    return page_not_found(request, exception)
