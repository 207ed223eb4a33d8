import contextvars
import re
import uuid

import structlog
from django.conf import settings

from tenants.context import Actor, actor_context

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
logger = structlog.get_logger("cxgov.request")


class RequestContextMiddleware:
    """Run each request in a context of its own, with a request id.

    Whatever the request puts in context variables (the active tenant, the actor, log fields)
    is gone when it ends, so nothing can leak into the next request served by the same
    thread. The id (a well-formed incoming ``X-Request-ID`` or a new one) is logged, recorded
    with every audited change and echoed in the response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return contextvars.copy_context().run(self._handle, request)

    def _handle(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request.request_id)
        with actor_context(Actor(kind="anonymous"), request_id=request.request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if request.path not in ("/healthz", "/readyz") and not request.path.startswith("/static/"):
            logger.info("request", method=request.method, path=request.path, status=response.status_code)
        return response


class PermissionsPolicyMiddleware:
    """Send ``Permissions-Policy`` (Django has no setting for it): the browser features named in
    ``CXGOV_PERMISSIONS_POLICY`` are off for every page, so injected markup cannot use them."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "CXGOV_PERMISSIONS_POLICY", "")

    def __call__(self, request):
        response = self.get_response(request)
        if self.policy:
            response.headers.setdefault("Permissions-Policy", self.policy)
        return response
