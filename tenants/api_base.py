"""The partner API's foundation, shared by every app's endpoints: API-key authentication, the
permission table, throttling, pagination, input that matches the published schema, and one
error format (``application/problem+json``) for every error. The serializers and filters of
each app's resources live in that app's ``api`` module (the tenant's own: :mod:`tenants.api`).

The DRF settings name classes of this module, and ``rest_framework.views`` resolves them while it
is itself being imported. So this module must never import ``rest_framework.views`` or anything
built on it (generics, viewsets, decorators, drf-spectacular's views and AutoSchema): the
endpoints themselves live in the apps' ``api_urls`` modules.
"""

from __future__ import annotations

import math
import re
from base64 import b64decode
from typing import Any
from urllib.parse import parse_qs

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import Http404
from django_filters import rest_framework as filters
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.utils import json as drf_json

from tenants.apikey_cache import RateCounter, TenantDocument
from tenants.context import Actor, enter_actor, enter_tenant
from tenants.errors import DomainError
from tenants.models import Tenant
from tenants.permissions import can, rule_for
from tenants.selectors import tenant_slug_for_host
from tenants.services import ApiKeyRejected, api_key_authenticate, api_key_hash
from tenants.sites import tenant_url
from tenants.validation import (
    JSON_MAX_DEPTH,
    first_unpaired_surrogate,
    instant_problem,
    json_depth_exceeds,
    json_may_hold_surrogates,
)

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
        # The key's rate-limit counter goes with the key's lookup: one round trip for both.
        counter = ApiKeyRateThrottle.counter_for(api_key_hash(raw))
        request.cxgov_rate_counter = counter
        # And so does the tenant document the view answers a plain GET with, if it has one.
        document = _tenant_document_wanted(request)
        request.cxgov_tenant_document = document
        try:
            tenant, api_key = api_key_authenticate(raw, counter=counter, document=document)
        except ApiKeyRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from None
        _refuse_another_companys_address(request, tenant)
        enter_tenant(tenant)
        enter_actor(Actor(kind="api_key", id=api_key.pk, label=api_key.name))
        request.tenant = tenant
        return (api_key, api_key)

    def authenticate_header(self, request):
        return 'Bearer realm="cxgov"'


def _tenant_document_wanted(request) -> TenantDocument | None:
    """The tenant document (:mod:`tenants.apikey_cache`) a view names in
    ``cxgov_tenant_document`` for a GET without query parameters (or, in
    ``cxgov_tenant_document_post``, for a POST), to read with the key."""
    view = (getattr(request, "parser_context", None) or {}).get("view")
    if request.method == "POST":
        name = getattr(view, "cxgov_tenant_document_post", None)
    elif request.method in ("GET", "HEAD") and not request.query_params:
        name = getattr(view, "cxgov_tenant_document", None)
    else:
        name = None
    return None if name is None else TenantDocument(name)


def _refuse_another_companys_address(request, tenant: Tenant) -> None:
    """The key decides the tenant, and an address that names a company must agree with it.

    An address that names no existing company (the platform's, an IP address) takes any key.
    One naming another company is refused with 403, saying where the key's requests go:
    answering as the key's company there would show one company's data under another's name.
    """
    slug = tenant_slug_for_host(request.get_host(), base_domain=settings.CXGOV_BASE_DOMAIN)
    if slug is None or slug == tenant.slug:
        return
    other = Tenant.objects.filter(slug=slug).only("name").first()
    if other is None:
        return
    raise exceptions.PermissionDenied(
        f"This API key belongs to {tenant.name}, and {request.get_host()} is the address of "
        f"{other.name}. Send the key's requests to {tenant_url(tenant, '/api/v1/')}."
    )


class ActionPermission(BasePermission):
    """Each API view maps its methods (or viewset actions) to actions of the permission table."""

    message = "This API key lacks the scope for this request."

    def has_permission(self, request, view) -> bool:
        action = view_action_for(view, request)
        if action is None:
            if _handler_for(view, request) is None:
                # Nothing would answer this method anyway: say so (405 with Allow), not "forbidden".
                raise exceptions.MethodNotAllowed(request.method)
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


def _handler_for(view, request):
    method = request.method.lower()
    return getattr(view, method, None) if method in view.http_method_names else None


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"the number {text[:40]} is too large for a double; send a smaller one")
    return value


class SafeJSONParser(JSONParser):
    """JSON bodies that cannot break the request: nesting deeper than
    :data:`~tenants.validation.JSON_MAX_DEPTH` is refused before parsing (Python's parser would
    recurse into a ``RecursionError``), and so is an unpaired surrogate (``"\\ud800"``), which
    nothing downstream can encode. Both answer 400 problem+json naming what to change."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        encoding = (parser_context or {}).get("encoding") or "utf-8"
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise exceptions.ParseError(
                f"The body is not valid {encoding} text; send JSON encoded as UTF-8."
            ) from None
        if json_depth_exceeds(text):
            raise exceptions.ParseError(
                f"The JSON nests deeper than {JSON_MAX_DEPTH} levels of arrays and objects; "
                "no endpoint takes that. Flatten the body."
            )
        try:
            data = drf_json.loads(text, parse_float=_finite_float)
        except ValueError as exc:
            raise exceptions.ParseError(f"JSON parse error - {exc}") from None
        if json_may_hold_surrogates(text) and (found := first_unpaired_surrogate(data)):
            path, message = found
            raise exceptions.ParseError(f"At {path}: {message}")
        return data


class InstantBoundField(IsoDateTimeField):
    """An ISO 8601 filter bound inside the range every read can handle (see
    :func:`tenants.validation.instant_problem`); it may lie in the future."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is not None and (problem := instant_problem("The time", parsed, future=True)):
            raise DjangoValidationError(problem, code="out_of_range")
        return parsed


class InstantFilter(filters.IsoDateTimeFilter):
    """``IsoDateTimeFilter`` with the shared time range rule."""

    field_class = InstantBoundField


class ApiKeyRateThrottle(SimpleRateThrottle):
    """Requests per API key in fixed windows (e.g. a minute), counted in the cache's Redis,
    shared by every web process: one round trip a request (``INCR`` and ``EXPIRE … NX`` in one
    ``MULTI``). DRF's own throttle keeps a list of every request's time in the window, read and
    written back whole (two round trips, and a list of up to the limit's length each time).

    A fixed window lets a key send up to twice the limit across a window's edge; the limit is a
    guard against a runaway client, not a capacity plan (``docs/api.md``)."""

    scope = "api_key"

    @classmethod
    def counter_for(cls, secret_hash: str) -> RateCounter | None:
        """The current window's counter of the key with this hash (``None`` without a limit),
        for :class:`ApiKeyAuthentication` to increment with the key's lookup. Named by the
        hash, which only the key's holder can produce: nobody can spend another key's limit."""
        throttle = cls()
        if throttle.rate is None:
            return None
        key = throttle.cache_format % {"scope": throttle.scope, "ident": f"key-{secret_hash[:32]}"}
        window = int(throttle.timer() // throttle.duration)
        return RateCounter(
            key=throttle.cache.make_and_validate_key(f"{key}:{window}"), ttl=throttle.duration + 1
        )

    def get_cache_key(self, request, view):
        if request.auth is None:
            return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}
        return self.cache_format % {"scope": self.scope, "ident": f"key-{request.auth.secret_hash[:32]}"}

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        self._wait = (window + 1) * self.duration - now
        counted = getattr(request, "cxgov_rate_counter", None)
        if request.auth is not None and counted is not None and counted.count is not None:
            return counted.count <= self.num_requests  # counted with the key's lookup
        key = self.get_cache_key(request, view)
        if key is None:
            return True
        counter = self.cache.make_and_validate_key(f"{key}:{window}")
        pipe = self.cache._cache.get_client(counter, write=True).pipeline(transaction=True)
        pipe.incr(counter)
        pipe.expire(counter, self.duration + 1, nx=True)
        count, _ = pipe.execute()
        return count <= self.num_requests

    def wait(self) -> float:
        return self._wait


def _cursor_keys(encoded: str) -> set[str]:
    """The keys of a cursor's query string; empty unless they are some of DRF's ``o r p``."""
    try:
        keys = set(parse_qs(b64decode(encoded.encode("ascii")).decode("ascii"), keep_blank_values=True))
    except (ValueError, UnicodeError):
        return set()
    return keys if keys and keys <= {"o", "r", "p"} else set()


class CursorPagination(pagination.CursorPagination):
    """Cursor pages whose query parameters are checked, not guessed: a ``page_size`` that is not
    a whole number from 1 to 500, or a ``cursor`` this API did not hand out, is a 400 naming it
    (DRF would silently use the default size, or answer 404 for the list itself)."""

    ordering = "id"
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_description = "The `next` or `previous` cursor of the page before; omit for the first page."
    page_size_query_description = "Items per page, 1 to 500 (default 50)."

    def get_page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"{raw[:20]!r} is not a page size: send a whole number from 1 to {self.max_page_size}, "
                        "or leave it out for 50."
                    ]
                }
            )
        return int(raw)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise self._invalid_cursor() from None
        # What this API hands out always says where it stands (offset, direction or position);
        # any other text that happens to decode is not a cursor.
        if encoded and not _cursor_keys(encoded):
            raise self._invalid_cursor()
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        try:
            page = super().paginate_queryset(queryset, request, view)
        except (ValueError, TypeError, DjangoValidationError):
            # A forged cursor decodes, but its position does not fit the ordering's column.
            if request.query_params.get(self.cursor_query_param) is None:
                raise
            raise self._invalid_cursor() from None
        # ``next`` and ``previous`` lead to the key's company's own address, whatever address
        # the request came to (DRF would echo the request's host).
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            self.base_url = tenant_url(tenant, request.get_full_path())
        return page

    def _invalid_cursor(self) -> exceptions.ValidationError:
        return exceptions.ValidationError(
            {
                self.cursor_query_param: [
                    "This cursor was not handed out by this list: follow the `next` or `previous` link "
                    "of a page, or leave the cursor out for the first page."
                ]
            }
        )

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] |= {"minimum": 1, "maximum": self.max_page_size}
        return parameters


class JourneyCursorPagination(CursorPagination):
    """Touchpoints page in journey order. Reordering the journey while a client pages through
    it may move a touchpoint across the cursor; a journey is short enough to fit one page."""

    ordering = ("position", "id")


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
        # Still referred to by other records: the documented 409 of every delete.
        code = status.HTTP_409_CONFLICT if exc.code == "in_use" else status.HTTP_400_BAD_REQUEST
        return problem(code, exc.message, errors=errors)
    if isinstance(exc, DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        return problem(status.HTTP_400_BAD_REQUEST, "The request has invalid fields.", errors=errors)
    if isinstance(exc, ProtectedError | RestrictedError):
        blocking = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        kinds = ", ".join(sorted({str(obj._meta.verbose_name_plural) for obj in blocking}))
        return problem(
            status.HTTP_409_CONFLICT,
            f"This cannot be deleted while other records still refer to it ({kinds}); "
            "change or delete those first.",
        )
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


# --- Input that matches the published schema ------------------------------------------------
# DRF coerces what it can (0 becomes "0", 0 becomes False, "" in a query means "left out").
# The schema promises types, so input of another JSON type is refused and named instead.

_JSON_TYPE_NAMES = {
    str: "a string (text in double quotes)",
    bool: "true or false",
    int: "a whole number",
    float: "a number",
    list: "a list",
    dict: "an object",
    type(None): "null",
}


def _json_type_name(value: Any) -> str:
    return next((name for kind, name in _JSON_TYPE_NAMES.items() if type(value) is kind), "a value")


def _expected_json_types(field: serializers.Field) -> tuple[type, ...] | None:
    """The JSON types the schema declares for ``field``; None: any (or checked elsewhere)."""
    if isinstance(field, serializers.BooleanField):
        return (bool,)
    if isinstance(field, serializers.IntegerField):
        return (int,)
    if isinstance(field, serializers.FloatField):
        return (int, float)
    if isinstance(field, serializers.DecimalField):
        return (str,) if isinstance(field, DecimalTextField) else (int, float, str)
    if isinstance(field, serializers.ChoiceField):
        kinds = {type(choice) for choice in field.choices}
        return (str,) if kinds <= {str} else None
    if isinstance(field, serializers.CharField | serializers.DateTimeField | serializers.DateField):
        return (str,)
    if isinstance(field, serializers.ListField | serializers.ListSerializer | serializers.ManyRelatedField):
        return (list,)
    if isinstance(field, serializers.DictField | serializers.Serializer):
        return (dict,)
    return None


def _json_type_problems(field: serializers.Field, value: Any) -> list[str]:
    if value is None:
        return []  # the field's own "may not be null" message says it better
    expected = _expected_json_types(field)
    if expected is None:
        return []
    if type(value) not in expected:  # bool is not an int here: the schema keeps them apart
        wanted = " or ".join(dict.fromkeys(_JSON_TYPE_NAMES[kind] for kind in expected))
        return [f"Expected {wanted}, not {_json_type_name(value)}."]
    child = getattr(field, "child", None)
    if isinstance(value, list) and isinstance(child, serializers.Field):
        for index, item in enumerate(value):
            if problems := _json_type_problems(child, item):
                return [f"Item {index}: {problems[0]}"]
    return []


class JsonTypedInput:
    """Mixin for API input serializers (first among the bases): every field's value must have
    the JSON type the schema declares, e.g. ``"name": 0`` is refused, not stored as "0"."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {
                name: problems
                for name, field in self.fields.items()
                if not field.read_only
                and name in data
                and (problems := _json_type_problems(field, data[name]))
            }
            if errors:
                raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


class QueryFilterBackend(DjangoFilterBackend):
    """django-filter, with query values checked against their schema types first: a boolean
    filter takes ``true`` or ``false`` only, and an empty value is refused for every filter but
    free text (django-filter would ignore both and answer the unfiltered list)."""

    def get_filterset(self, request, queryset, view):
        filterset = super().get_filterset(request, queryset, view)
        if filterset is not None:
            errors = {}
            for name, declared in filterset.filters.items():
                value = request.query_params.get(name)
                if value is None:
                    continue
                if isinstance(declared, filters.BooleanFilter) and value not in ("true", "false"):
                    errors[name] = [
                        f"“{value[:30]}” is not a boolean: send true or false, or leave “{name}” out."
                    ]
                elif value == "" and not isinstance(declared, filters.CharFilter):
                    errors[name] = [f"“{name}” is empty: give a value, or leave the parameter out."]
            if errors:
                raise exceptions.ValidationError(errors)
        return filterset


class QueryInput:
    """Mixin for serializers that read query parameters: a parameter sent empty (``?as_of=``)
    is refused and named, where DRF would treat it as left out."""

    def to_internal_value(self, data):
        errors = {
            name: [f"“{name}” is empty: give a value, or leave the parameter out."]
            for name, field in self.fields.items()
            if name in data and data.get(name) == "" and not getattr(field, "allow_blank", False)
        }
        if errors:
            raise exceptions.ValidationError(errors)
        return super().to_internal_value(data)


class DecimalTextField(serializers.DecimalField):
    """A decimal sent as a string of digits: at least one digit, an optional sign and point
    (``"90"``, ``"5.5"``, ``"-0.25"``). The schema's pattern says the same, so ``""``, ``"-"``
    or ``"1e3"`` are refused by both."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        whole, places = self.max_whole_digits, self.decimal_places
        self.pattern = rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"

    def to_internal_value(self, data):
        if isinstance(data, str) and not re.fullmatch(self.pattern, data):
            raise exceptions.ValidationError(
                f"“{data[:30]}” is not a decimal number here: send digits with an optional sign and "
                f'point, at most {self.max_whole_digits} before and {self.decimal_places} after it, e.g. "90" or "5.5".'
            )
        return super().to_internal_value(data)


class DecimalTextFieldExtension(OpenApiSerializerFieldExtension):
    target_class = DecimalTextField

    def map_serializer_field(self, auto_schema, direction):
        return {"type": "string", "format": "decimal", "pattern": self.target.pattern}


# --- Describing the API (OpenAPI) -----------------------------------------------------------


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    """Tells the schema (and Swagger UI's "Authorize" button) how :class:`ApiKeyAuthentication` works."""

    target_class = ApiKeyAuthentication
    name = "ApiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "cxg_<tenant>_<key>_<secret>",
            "description": "An API key issued by the tenant's admin. The key alone decides the tenant; "
            "each endpoint names the scopes it needs.",
        }


class ProblemSerializer(serializers.Serializer):
    """An error, as RFC 9457 problem details (``application/problem+json``)."""

    type = serializers.CharField(help_text="A URI naming the kind of problem.")
    title = serializers.CharField(help_text="A short summary of the kind of problem.")
    status = serializers.IntegerField(help_text="The HTTP status code.")
    detail = serializers.CharField(help_text="What happened here, and what to do about it.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text='Invalid input only: the messages per field, e.g. {"name": ["..."]}.',
    )


_PROBLEM_DESCRIPTIONS = {
    400: "Invalid input: `errors` lists the messages per field.",
    401: "No API key, or one that is malformed, unknown, revoked or expired.",
    403: "The API key lacks the scope this request needs.",
    404: "No such object for this API key's tenant.",
    409: "Other records still refer to this object; change or delete those first.",
    429: "Too many requests for this API key; `Retry-After` says when to try again.",
}


def problem_responses(*codes: int) -> dict[tuple[int, str], OpenApiResponse]:
    """Schema entries for the error responses of an operation, for ``@extend_schema(responses=...)``."""
    return {
        (code, PROBLEM_CONTENT_TYPE): OpenApiResponse(
            ProblemSerializer, description=_PROBLEM_DESCRIPTIONS[code]
        )
        for code in codes
    }
