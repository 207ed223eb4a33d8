"""The partner API's foundation: API-key authentication, the permission table, throttling,
pagination and one error format (``application/problem+json``) for every error."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, pagination, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from tenants.context import Actor, enter_actor, enter_tenant
from tenants.errors import DomainError
from tenants.permissions import can, rule_for
from tenants.services import ApiKeyRejected, api_key_authenticate

PROBLEM_CONTENT_TYPE = "application/problem+json"


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer <key>``. The key alone decides the tenant; the rest of the request
    runs in that tenant's context (isolated per request by the request-context middleware)."""

    keyword = b"bearer"

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header:
            return None
        if header[0].lower() != self.keyword or len(header) != 2:
            raise exceptions.AuthenticationFailed(
                "Send the API key as 'Authorization: Bearer <key>' (one header, no other scheme)."
            )
        try:
            raw = header[1].decode()
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed("The API key is malformed.") from None
        try:
            tenant, api_key = api_key_authenticate(raw)
        except ApiKeyRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        enter_tenant(tenant)
        enter_actor(Actor(kind="api_key", id=api_key.pk, label=api_key.name))
        request.tenant = tenant
        return (api_key, api_key)

    def authenticate_header(self, request):
        return 'Bearer realm="cxgov"'


class ActionPermission(BasePermission):
    """Each API view maps its methods (or viewset actions) to actions of the permission table."""

    message = "This API key lacks the scope for this request."

    def has_permission(self, request, view) -> bool:
        action = view_action_for(view, request)
        if action is None:
            return False
        rule = rule_for(action)
        if rule.public:
            return True
        if request.auth is None:
            raise exceptions.NotAuthenticated("Send an API key: 'Authorization: Bearer <key>'.")
        if not can(request.auth, action):
            self.message = f"This API key lacks the scope for this request; it needs one of: {', '.join(sorted(rule.scopes))}."
            return False
        return True


def view_action_for(view, request) -> str | None:
    actions: dict[str, str] = getattr(view, "cxgov_actions", {})
    key = getattr(view, "action", None) or request.method.lower()
    return actions.get(key) or getattr(view, "cxgov_action", None)


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key, counted in the cache (Redis), shared by every web process."""

    scope = "api_key"

    def get_cache_key(self, request, view):
        if request.auth is None:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": f"key-{request.auth.pk}"}


class CursorPagination(pagination.CursorPagination):
    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500


_TITLES = {
    400: "Invalid request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Unprocessable request",
    429: "Too many requests",
}


def problem(
    status_code: int, detail: str, *, errors: dict[str, list[str]] | None = None, **extra: Any
) -> Response:
    body = {
        "type": f"https://cxgov.dev/problems/{status_code}",
        "title": _TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    body.update(extra)
    return Response(body, status=status_code, content_type=PROBLEM_CONTENT_TYPE)


def _field_errors(data: Any, prefix: str = "") -> dict[str, list[str]]:
    """Flatten DRF's nested error structure into ``{"field.sub": ["message", ...]}``."""
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_field_errors(value, "" if key == "non_field_errors" and not prefix else name))
        return out
    if isinstance(data, list) and data and all(isinstance(v, str) for v in data):
        return {prefix or "non_field_errors": [str(v) for v in data]}
    if isinstance(data, list):
        out = {}
        for index, value in enumerate(data):
            out.update(_field_errors(value, f"{prefix}[{index}]" if prefix else f"[{index}]"))
        return out
    return {prefix or "non_field_errors": [str(data)]}


def problem_exception_handler(exc, context):
    """Every API error, whatever raised it, as ``application/problem+json``."""
    # Imported here: rest_framework.views reads the settings that name this module.
    from rest_framework.views import exception_handler

    if isinstance(exc, DomainError):
        errors = {exc.field: [exc.message]} if exc.field else None
        return problem(status.HTTP_400_BAD_REQUEST, exc.message, errors=errors)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return problem(status.HTTP_400_BAD_REQUEST, "The request has invalid fields.", errors=errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound("Not found: no such object for this API key's tenant.")
    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        result = problem(response.status_code, "The request has invalid fields; see errors.", errors=errors)
    else:
        detail = (
            exc.detail if isinstance(getattr(exc, "detail", None), str) else str(getattr(exc, "detail", exc))
        )
        result = problem(response.status_code, detail)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        result.data["detail"] = f"Too many requests for this API key; retry in {int(exc.wait) + 1} seconds."
    return result
