"""Site-wide error pages: the API answers in its own error format, people get a page."""

from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.defaults import page_not_found, server_error

PROBLEM_CONTENT_TYPE = "application/problem+json"


def _problem(status: int, title: str, detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": f"https://cxgov.dev/problems/{status}", "title": title, "status": status, "detail": detail},
        status=status,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def _api_not_found(path: str) -> JsonResponse:
    return _problem(404, "Not found", f"No API endpoint at {path}; the endpoints are listed at /api/docs/.")


def not_found(request, exception):
    if request.path.startswith("/api/"):
        return _api_not_found(request.path)
    return page_not_found(request, exception)


# Exempt from CSRF like every API view: a POST to an unknown API path is a 404, not an HTML 403.
@csrf_exempt
def api_not_found(request, unmatched: str = ""):
    """The last ``/api/`` route: any path no endpoint matched. A route rather than only the
    404 handler, so the answer is the same with ``DEBUG`` on (where Django shows its own page)."""
    return _api_not_found(request.path)


api_not_found.cxgov_action = "api.docs"  # public, like the documentation it points to


def server_error_page(request):
    if request.path.startswith("/api/"):
        return _problem(
            500,
            "Internal error",
            "The server failed to answer this request; it has been logged. Retry later, "
            "with the same Idempotency-Key if you sent one.",
        )
    return server_error(request)
