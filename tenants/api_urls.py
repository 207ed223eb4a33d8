"""The partner API's endpoints and their routes (included at ``/api/``).

The endpoints live here rather than in :mod:`tenants.api_base`: the DRF settings name classes of that
module, which ``rest_framework.views`` imports while it is itself being imported, so
``tenants.api_base`` cannot import views in turn (see its docstring).

Every endpoint runs in the tenant of its API key (the authentication enters it), so
``Model.objects`` underneath the selectors sees that tenant's rows only: another tenant's id is
simply not found. Endpoints parse input, call one service or selector, and render.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import QuerySet
from django.urls import include, path
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.drainage import add_trace_message
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import get_view_model
from drf_spectacular.utils import extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from tenants.api import (
    DepartmentFilter,
    DepartmentSerializer,
    TouchpointFilter,
    TouchpointOrderSerializer,
    TouchpointSerializer,
    TouchpointUpdateSerializer,
)
from tenants.api_base import ActionPermission, CursorPagination, JourneyCursorPagination, problem_responses
from tenants.models import ApiKey, Department, Tenant, TenantModel, Touchpoint
from tenants.permissions import rule_for
from tenants.selectors import department_list, department_queryset, touchpoint_journey, touchpoint_queryset
from tenants.services import (
    department_create,
    department_delete,
    department_rename,
    tenant_settings_update,
    touchpoint_create,
    touchpoint_delete,
    touchpoint_reorder,
    touchpoint_update,
)
from tenants.webhooks import services as webhooks
from tenants.webhooks.api import (
    WebhookDeliverySerializer,
    WebhookEndpointChangeSerializer,
    WebhookEndpointCreatedSerializer,
    WebhookEndpointInputSerializer,
    WebhookEndpointSerializer,
)
from tenants.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants.webhooks.selectors import webhook_delivery_list, webhook_delivery_log, webhook_endpoint_list


class CxgovAutoSchema(AutoSchema):
    """Operations are grouped by resource, and each says which API key scopes it needs (from
    the one permission table)."""

    def get_tags(self) -> list[str]:
        return [self.path.removeprefix("/api/v1/").split("/")[0]]

    def get_description(self) -> str:
        description = super().get_description()
        actions: dict[str, str] = getattr(self.view, "cxgov_actions", {})
        name = actions.get(getattr(self.view, "action", None) or self.method.lower())
        if name is None:
            return description
        scopes = rule_for(name).scopes
        if scopes == set(ApiKey.Scope.values):
            needs = "Any API key of the tenant may call this, whatever its scopes."
        else:
            needs = (
                "Needs an API key with one of the scopes: "
                + ", ".join(f"`{s}`" for s in sorted(scopes))
                + "."
            )
        return f"{description}\n\n{needs}".strip()


class TenantModelFilterExtension(DjangoFilterExtension):
    """Filter parameters in the schema for views over tenant-owned models.

    The stock extension asks ``model.objects`` for an empty queryset, which the fail-closed
    manager refuses: no tenant is active while the schema is generated. ``unscoped().none()``
    names the same model and never reaches the database.
    """

    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        model = get_view_model(auto_schema.view)
        if model is None or not issubclass(model, TenantModel):
            return super().get_schema_operation_parameters(auto_schema, *args, **kwargs)
        # Schema generation has no tenant; .none() never reads a row.
        empty = model.objects.unscoped().none()  # unscoped: no tenant here, nothing is read
        filterset_class = self.target.get_filterset_class(auto_schema.view, empty)
        if not filterset_class:
            return []
        parameters = []
        with add_trace_message(filterset_class):
            for name, filter_field in filterset_class.base_filters.items():
                parameters += self.resolve_filter_field(
                    auto_schema, model, filterset_class, name, filter_field
                )
        return parameters


_VIEWSET_HANDLERS = ("list", "retrieve", "create", "update", "partial_update", "destroy")


class TenantResourceViewSet(viewsets.GenericViewSet):
    """Rows of the API key's tenant, read through a selector and written through services.

    Subclasses name ``model`` and ``queryset_selector`` and map every handler they expose to an
    action of the permission table in ``cxgov_actions``. They never override ``get_queryset`` or
    ``get_object``: those are the one path to the tenant's rows (checked when the class is made).
    """

    model: type[TenantModel]
    queryset_selector: Callable[[], QuerySet]
    cxgov_actions: dict[str, str] = {}
    schema = CxgovAutoSchema()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        overridden = sorted({"get_queryset", "get_object"} & set(vars(cls)))
        if overridden:
            raise TypeError(
                f"{cls.__name__} must not override {', '.join(overridden)}; set queryset_selector."
            )
        handlers = {name for name in _VIEWSET_HANDLERS if hasattr(cls, name)}
        handlers.update(extra.__name__ for extra in cls.get_extra_actions())
        if unnamed := sorted(handlers - set(cls.cxgov_actions)):
            raise TypeError(
                f"{cls.__name__}.cxgov_actions names no permission action for: {', '.join(unnamed)}"
            )

    @property
    def tenant(self) -> Tenant:
        """The API key's tenant, resolved once by the authentication."""
        return self.request.tenant

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation runs without a key, hence without a tenant, and only needs the
            # model: .none() never reaches the database.
            return self.model.objects.unscoped().none()  # unscoped: no tenant here; .none() reads nothing
        return self.queryset_selector()


_READ_PROBLEMS = problem_responses(401, 403, 429)
_OBJECT_PROBLEMS = problem_responses(401, 403, 404, 429)


@extend_schema_view(
    list=extend_schema(responses={200: DepartmentSerializer, **problem_responses(400, 401, 403, 429)}),
    retrieve=extend_schema(responses={200: DepartmentSerializer, **_OBJECT_PROBLEMS}),
    create=extend_schema(responses={201: DepartmentSerializer, **problem_responses(400, 401, 403, 429)}),
    partial_update=extend_schema(
        responses={200: DepartmentSerializer, **problem_responses(400, 401, 403, 404, 429)}
    ),
    destroy=extend_schema(responses={204: None, **problem_responses(401, 403, 404, 409, 429)}),
)
class DepartmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantResourceViewSet):
    """Departments of the API key's tenant."""

    model = Department
    queryset_selector = staticmethod(department_queryset)
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    cxgov_actions = {
        "list": "department.view",
        "retrieve": "department.view",
        "create": "department.manage",
        "partial_update": "department.manage",
        "destroy": "department.manage",
    }

    def list(self, request, *args, **kwargs):
        """Departments, oldest first, a page at a time (follow `next`)."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        """One department."""
        return super().retrieve(request, *args, **kwargs)

    def create(self, request):
        """Add a department; its slug is made from the name. Names are unique (any case)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        department = department_create(tenant=self.tenant, name=serializer.validated_data["name"])
        return Response(self.get_serializer(department).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        """Rename a department (its slug stays)."""
        department = self.get_object()
        serializer = self.get_serializer(department, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "name" in serializer.validated_data:
            department = department_rename(
                tenant=self.tenant, department=department, name=serializer.validated_data["name"]
            )
        return Response(self.get_serializer(department).data)

    def destroy(self, request, pk=None):
        """Delete a department."""
        department_delete(tenant=self.tenant, department=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(responses={200: TouchpointSerializer, **problem_responses(400, 401, 403, 429)}),
    retrieve=extend_schema(responses={200: TouchpointSerializer, **_OBJECT_PROBLEMS}),
    create=extend_schema(responses={201: TouchpointSerializer, **problem_responses(400, 401, 403, 429)}),
    partial_update=extend_schema(
        request=TouchpointUpdateSerializer,
        responses={200: TouchpointSerializer, **problem_responses(400, 401, 403, 404, 429)},
    ),
    destroy=extend_schema(responses={204: None, **problem_responses(401, 403, 404, 409, 429)}),
)
class TouchpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantResourceViewSet):
    """Touchpoints of the API key's tenant: the customer journey."""

    model = Touchpoint
    queryset_selector = staticmethod(touchpoint_queryset)
    serializer_class = TouchpointSerializer
    filterset_class = TouchpointFilter
    pagination_class = JourneyCursorPagination
    cxgov_actions = {
        "list": "touchpoint.view",
        "retrieve": "touchpoint.view",
        "create": "touchpoint.manage",
        "partial_update": "touchpoint.manage",
        "destroy": "touchpoint.manage",
        "reorder": "touchpoint.manage",
    }

    def list(self, request, *args, **kwargs):
        """Touchpoints in journey order, a page at a time (follow `next`)."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        """One touchpoint."""
        return super().retrieve(request, *args, **kwargs)

    def create(self, request):
        """Add a touchpoint at the end of the journey. Names are unique (any case)."""
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        touchpoint = touchpoint_create(
            tenant=self.tenant,
            name=data["name"],
            journey_stage=data.get("journey_stage", ""),
            is_moment_of_truth=data.get("is_moment_of_truth", False),
        )
        return Response(self.get_serializer(touchpoint).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        """Change a touchpoint's name, stage, moment of truth or position."""
        touchpoint = self.get_object()
        serializer = TouchpointUpdateSerializer(touchpoint, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        touchpoint = touchpoint_update(tenant=self.tenant, touchpoint=touchpoint, **serializer.validated_data)
        return Response(self.get_serializer(touchpoint).data)

    def destroy(self, request, pk=None):
        """Delete a touchpoint."""
        touchpoint_delete(tenant=self.tenant, touchpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=TouchpointOrderSerializer,
        responses={200: TouchpointSerializer(many=True), **problem_responses(400, 401, 403, 429)},
    )
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    def reorder(self, request):
        """Set the whole journey order at once; answers the touchpoints in their new order."""
        order = TouchpointOrderSerializer(data=request.data)
        order.is_valid(raise_exception=True)
        journey = touchpoint_reorder(tenant=self.tenant, ordered_ids=order.validated_data["ordered_ids"])
        return Response(self.get_serializer(journey, many=True).data)


class DeliveryLogPagination(CursorPagination):
    """A delivery log pages newest first, like the console's."""

    ordering = "-id"


def _created(created: webhooks.CreatedEndpoint) -> dict:
    """The endpoint with its secret, for the one answer that shows it."""
    return WebhookEndpointCreatedSerializer(created.endpoint).data | {"secret": created.secret}


@extend_schema_view(
    list=extend_schema(responses={200: WebhookEndpointSerializer, **problem_responses(400, 401, 403, 429)}),
    retrieve=extend_schema(responses={200: WebhookEndpointSerializer, **_OBJECT_PROBLEMS}),
    create=extend_schema(
        request=WebhookEndpointInputSerializer,
        responses={201: WebhookEndpointCreatedSerializer, **problem_responses(400, 401, 403, 429)},
    ),
    partial_update=extend_schema(
        request=WebhookEndpointChangeSerializer,
        responses={200: WebhookEndpointSerializer, **problem_responses(400, 401, 403, 404, 429)},
    ),
    destroy=extend_schema(responses={204: None, **_OBJECT_PROBLEMS}),
)
class WebhookEndpointViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantResourceViewSet):
    """Webhook endpoints of the API key's tenant (docs/webhooks.md): the same services, rules
    and audit trail as the admin console's pages."""

    model = WebhookEndpoint
    queryset_selector = staticmethod(webhook_endpoint_list)
    serializer_class = WebhookEndpointSerializer
    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    cxgov_actions = {
        "list": "webhook.view",
        "retrieve": "webhook.view",
        "create": "webhook.create",
        "partial_update": "webhook.manage",
        "destroy": "webhook.manage",
        "rotate_secret": "webhook.rotate_secret",
        "test": "webhook.manage",
        "deliveries": "webhook.view",
    }

    def list(self, request, *args, **kwargs):
        """Endpoints, oldest first, a page at a time (follow `next`). Never their secrets."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        """One endpoint (never its secret)."""
        return super().retrieve(request, *args, **kwargs)

    def create(self, request):
        """Register an endpoint; the answer carries its signing secret, shown this once.

        The URL must be https:// and must not lead to a private, loopback or link-local address
        (checked again at every delivery); a Slack or Teams endpoint needs that service's
        incoming-webhook URL."""
        serializer = WebhookEndpointInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = webhooks.webhook_endpoint_create(
            tenant=self.tenant,
            url=data["url"],
            events=data["events"],
            description=data.get("description", ""),
            kind=data.get("kind", WebhookEndpoint.Kind.STANDARD),
        )
        return Response(_created(created), status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        """Change an endpoint's URL, description, events, kind, or turn it off or on (a
        disabled endpoint turned on starts afresh). Fields left out keep their values."""
        endpoint = self.get_object()
        serializer = WebhookEndpointChangeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        endpoint = webhooks.webhook_endpoint_update(
            tenant=self.tenant,
            endpoint=endpoint,
            url=data.get("url", endpoint.url),
            events=data.get("events", endpoint.events),
            description=data.get("description", endpoint.description),
            active=data.get("active", endpoint.active),
            kind=data.get("kind"),
        )
        return Response(WebhookEndpointSerializer(endpoint).data)

    def destroy(self, request, pk=None):
        """Delete an endpoint, with its delivery log."""
        webhooks.webhook_endpoint_delete(tenant=self.tenant, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=None,
        responses={200: WebhookEndpointCreatedSerializer, **problem_responses(401, 403, 404, 429)},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """Give the endpoint a new signing secret, shown in this answer only. For 24 hours every
        delivery is signed with the old secret too (`secret_rotation_ends_at`)."""
        rotated = webhooks.webhook_endpoint_rotate_secret(tenant=self.tenant, endpoint=self.get_object())
        return Response(_created(rotated))

    @extend_schema(
        request=None, responses={202: WebhookDeliverySerializer, **problem_responses(401, 403, 404, 429)}
    )
    @action(detail=True, methods=["post"])
    def test(self, request, pk=None):
        """Send the test event `ping` to the endpoint (whatever events it asked for); the answer
        is its delivery, queued: follow it in the delivery log."""
        delivery = webhooks.webhook_ping(tenant=self.tenant, endpoint=self.get_object())
        return Response(WebhookDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        request=None,
        responses={200: WebhookDeliverySerializer(many=True), **problem_responses(400, 401, 403, 404, 429)},
    )
    @action(detail=True, methods=["get"], pagination_class=DeliveryLogPagination)
    def deliveries(self, request, pk=None):
        """The endpoint's delivery log, newest first, a page at a time (follow `next`): each
        delivery's status, attempts, last HTTP status, duration and response excerpt."""
        deliveries = webhook_delivery_log(endpoint=self.get_object())
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)


class WebhookDeliveryViewSet(TenantResourceViewSet):
    """Deliveries of the API key's tenant's webhook endpoints (their logs are read per endpoint)."""

    model = WebhookDelivery
    queryset_selector = staticmethod(webhook_delivery_list)
    serializer_class = WebhookDeliverySerializer
    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    cxgov_actions = {"resend": "webhook.manage"}

    @extend_schema(
        request=None, responses={202: WebhookDeliverySerializer, **problem_responses(401, 403, 404, 429)}
    )
    @action(detail=True, methods=["post"])
    def resend(self, request, pk=None):
        """Send a delivery again, as a new delivery with the same payload and a new
        `webhook-id`; the answer is the new delivery, queued."""
        again = webhooks.webhook_redeliver(tenant=self.tenant, delivery=self.get_object())
        return Response(WebhookDeliverySerializer(again).data, status=status.HTTP_202_ACCEPTED)


class TenantSerializer(serializers.Serializer):
    slug = serializers.CharField(help_text="The tenant's subdomain, e.g. acme.")
    name = serializers.CharField()
    time_zone = serializers.CharField(help_text="IANA time zone, e.g. Europe/Berlin.")
    departments = DepartmentSerializer(many=True, help_text="By name.")
    touchpoints = TouchpointSerializer(many=True, help_text="In journey order.")


class TenantView(APIView):
    cxgov_actions = {"get": "tenant.view"}
    schema = CxgovAutoSchema()

    @extend_schema(responses={200: TenantSerializer, **_READ_PROBLEMS})
    def get(self, request):
        """The API key's tenant: name, time zone, departments and touchpoints in journey order."""
        tenant: Tenant = request.tenant
        overview = {
            "slug": tenant.slug,
            "name": tenant.name,
            "time_zone": tenant.time_zone,
            "departments": department_list(),
            "touchpoints": touchpoint_journey(),
        }
        return Response(TenantSerializer(overview).data)


class TenantSettingsSerializer(serializers.Serializer):
    """The settings an admin edits on the console's Settings page; a PATCH sends only what changes."""

    name = serializers.CharField(max_length=200, help_text="The company's name, shown on every page.")
    time_zone = serializers.CharField(max_length=64, help_text="IANA time zone, e.g. Europe/Berlin.")
    perception_gap_threshold = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        help_text="Points (1–100) by which a promise's operational score must exceed its perceived "
        "score to be flagged as a hidden breach; the tenant is rescored after a change.",
    )
    survey_suppression_days = serializers.IntegerField(
        help_text="Days (0–3650) between two personalised survey links of one respondent; 0: no pause."
    )
    followup_due_hours = serializers.IntegerField(
        help_text="Hours (1–720) after an unhappy survey answer that its follow-up is due (follow-ups "
        "opened from then on)."
    )
    business_hours_clocks = serializers.BooleanField(
        help_text="Whether escalation and follow-up due times count only the business calendar's "
        "opening hours (docs/calendars.md)."
    )
    clock_reminder_percent = serializers.IntegerField(
        help_text="Share (0–99 %) of a due time's clock after which a reminder goes out; 0: none."
    )
    score_drop_points = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        coerce_to_string=False,
        help_text="A score falling by at least this many points (1–100) within the window raises "
        "score.dropped.",
    )
    score_drop_window_days = serializers.IntegerField(
        help_text="The window (1–90 days) over which a score's fall is measured."
    )


class TenantSettingsView(APIView):
    cxgov_actions = {"get": "tenant.settings.view", "patch": "tenant.settings.edit"}
    schema = CxgovAutoSchema()

    @extend_schema(responses={200: TenantSettingsSerializer, **_READ_PROBLEMS})
    def get(self, request):
        """The API key's tenant's settings: name, time zone, the perception-gap threshold, the
        survey pause, follow-up due hours, business-hours clocks and their reminder, and the
        drift alert."""
        return Response(TenantSettingsSerializer(request.tenant).data)

    @extend_schema(
        request=TenantSettingsSerializer(partial=True),
        responses={200: TenantSettingsSerializer, **problem_responses(400, 401, 403, 429)},
    )
    def patch(self, request):
        """Change some of the tenant's settings (send only those that change); the same checks as
        the console's Settings page apply, a refused value answers 400 naming its field, and
        every change is in the audit trail (``tenant.settings_changed``)."""
        tenant: Tenant = request.tenant
        serializer = TenantSettingsSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        try:
            tenant = tenant_settings_update(
                tenant=tenant,
                name=data.pop("name", tenant.name),
                time_zone=data.pop("time_zone", tenant.time_zone),
                **data,
            )
        except Exception:
            tenant.refresh_from_db()  # the service set the refused values on the object first
            raise
        return Response(TenantSettingsSerializer(tenant).data)


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema: YAML, or JSON with ``?format=json``. Public, like the docs."""

    cxgov_action = "api.docs"
    authentication_classes = []
    permission_classes = [ActionPermission]


class ApiDocsView(SpectacularSwaggerView):
    """Swagger UI, served from our own static files (drf-spectacular-sidecar), no CDN."""

    cxgov_action = "api.docs"
    authentication_classes = []
    permission_classes = [ActionPermission]
    url_name = "api-schema"
    # Its inline style and start-up script carry the Content-Security-Policy nonce.
    template_name = "tenants/api_docs.html"

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        # drf-spectacular opens the opener policy for OAuth2 pop-ups; API keys need none.
        del response.headers["Cross-Origin-Opener-Policy"]
        return response


router = SimpleRouter(trailing_slash=False)
router.register("departments", DepartmentViewSet, basename="api-department")
router.register("touchpoints", TouchpointViewSet, basename="api-touchpoint")
router.register("webhooks/endpoints", WebhookEndpointViewSet, basename="api-webhook-endpoint")
router.register("webhooks/deliveries", WebhookDeliveryViewSet, basename="api-webhook-delivery")

urlpatterns = [
    path("v1/tenant", TenantView.as_view(), name="api-tenant"),
    path("v1/tenant/settings", TenantSettingsView.as_view(), name="api-tenant-settings"),
    path("", include("tenants.calendars.api_urls")),
    path("v1/", include(router.urls)),
    path("schema/", ApiSchemaView.as_view(), name="api-schema"),
    path("docs/", ApiDocsView.as_view(), name="api-docs"),
]
