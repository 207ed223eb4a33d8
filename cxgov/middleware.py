import re
import uuid

import structlog

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
logger = structlog.get_logger("cxgov.request")


class RequestIdMiddleware:
    """Give every request an id (or keep a well-formed ``X-Request-ID``), log it, echo it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID_RE.fullmatch(incoming) else uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request.request_id)
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request.request_id
            if request.path not in ("/healthz", "/readyz"):
                logger.info("request", method=request.method, path=request.path, status=response.status_code)
            return response
        finally:
            structlog.contextvars.clear_contextvars()
