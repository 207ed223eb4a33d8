"""Partner endpoints of action plans (included at ``/api/``): ``GET/POST /v1/actions``,
``GET/PATCH /v1/actions/{id}``. Scopes ``actions:read`` (read) and ``actions:write`` (read and
write). Related objects are named as the other endpoints name them (department and promise by
slug, the owner by e-mail, escalations, breach events and commitments by id) and resolved in the
API key's tenant: another tenant's are unknown."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from django_filters import rest_framework as filters
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, mixins, serializers
from rest_framework.response import Response

from feedback.escalations.models import Escalation
from metrics.actions import selectors, services
from metrics.actions.models import NOTES_MAX, TITLE_MAX, Action, ActionStatus
from metrics.models import BreachEvent
from promises.models import Commitment, Promise
from tenants.api_base import CursorPagination, JsonTypedInput, problem, problem_responses
from tenants.api_urls import CxgovAutoSchema
from tenants.errors import DomainError
from tenants.models import Department, Membership

NOT_FOUND = "Not found: no such object for this API key's tenant."


class ActionSerializer(serializers.ModelSerializer):
    owner = serializers.SerializerMethodField(help_text="The owner's e-mail.")
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    promise = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text="The promise it is about, if any."
    )
    escalation = serializers.IntegerField(
        source="escalation_id",
        read_only=True,
        allow_null=True,
        help_text="The escalation it is about, if any.",
    )
    breach_event = serializers.IntegerField(
        source="breach_event_id",
        read_only=True,
        allow_null=True,
        help_text="The breach event it is about, if any.",
    )
    commitment = serializers.IntegerField(
        source="commitment_id", read_only=True, allow_null=True, help_text="The commitment it should improve."
    )
    overdue = serializers.SerializerMethodField(
        help_text="Open and its due date has passed (the tenant's day)."
    )

    class Meta:
        model = Action
        fields = [
            "id", "title", "status", "owner", "department", "due_on", "promise", "escalation", "breach_event",
            "commitment", "notes", "done_at", "overdue", "created_at", "updated_at",
        ]  # fmt: skip

    def get_owner(self, obj: Action) -> str:
        return obj.owner.user.email

    def get_overdue(self, obj: Action) -> bool:
        return selectors.is_overdue(obj, self.context["today"])


class ActionWriteSerializer(JsonTypedInput, serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX)
    owner = serializers.EmailField(help_text="E-mail of the owner, an active member.")
    department = serializers.SlugField(help_text="Slug of the department: one of the owner's.")
    due_on = serializers.DateField(help_text="YYYY-MM-DD, today or later in the tenant's time zone.")
    promise = serializers.SlugField(required=False, help_text="Slug of the promise it is about.")
    escalation = serializers.IntegerField(required=False, help_text="Id of the escalation it is about.")
    breach_event = serializers.IntegerField(required=False, help_text="Id of the breach event it is about.")
    commitment = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of a commitment of the promise it should improve."
    )
    notes = serializers.CharField(max_length=NOTES_MAX, required=False, allow_blank=True, default="")


class ActionPatchSerializer(JsonTypedInput, serializers.Serializer):
    title = serializers.CharField(max_length=TITLE_MAX, required=False)
    owner = serializers.EmailField(required=False, help_text="E-mail of the new owner.")
    department = serializers.SlugField(required=False, help_text="Slug of the department.")
    due_on = serializers.DateField(required=False, help_text="YYYY-MM-DD; a new due date is today or later.")
    commitment = serializers.IntegerField(
        required=False, allow_null=True, help_text="Id of a commitment, or null."
    )
    status = serializers.ChoiceField(
        choices=ActionStatus.choices,
        required=False,
        help_text="planned, in_progress, done (stamps done_at) or dropped.",
        error_messages={
            "invalid_choice": "%(input)s is not a status; use planned, in_progress, done or dropped."
        },
    )
    notes = serializers.CharField(max_length=NOTES_MAX, required=False, allow_blank=True)


class ActionFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=ActionStatus.choices,
        help_text="Only actions in this status.",
        error_messages={
            "invalid_choice": "%(value)s is not a status; use planned, in_progress, done or dropped."
        },
    )
    department = filters.CharFilter(field_name="department__slug", help_text="Department (slug).")
    owner = filters.CharFilter(
        field_name="owner__user__email", lookup_expr="iexact", help_text="Owner (e-mail)."
    )
    promise = filters.CharFilter(field_name="promise__slug", help_text="Promise (slug).")
    escalation = filters.NumberFilter(field_name="escalation_id", help_text="Escalation (id).")
    breach_event = filters.NumberFilter(field_name="breach_event_id", help_text="Breach event (id).")
    overdue = filters.BooleanFilter(
        method="filter_overdue", help_text="true: only overdue actions; false: none."
    )

    class Meta:
        model = Action
        fields = ["status", "department", "owner", "promise", "escalation", "breach_event", "overdue"]

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = selectors.overdue_condition(services.tenant_today(self.request.tenant))
        return queryset.filter(late) if value else queryset.exclude(late)


class ActionCursorPagination(CursorPagination):
    """Soonest due first; ``id`` breaks ties."""

    ordering = ("due_on", "id")


_EXAMPLE = {
    "id": 7,
    "title": "Call back every refund request within a day",
    "status": "in_progress",
    "owner": "lead@acme.example",
    "department": "customer-service",
    "due_on": "2026-03-31",
    "promise": "fast-refunds",
    "escalation": 42,
    "breach_event": None,
    "commitment": 12,
    "notes": "Rota agreed with the team.",
    "done_at": None,
    "overdue": False,
    "created_at": "2026-03-02T09:00:00Z",
    "updated_at": "2026-03-03T10:00:00Z",
}
_PROBLEMS = problem_responses(400, 401, 403, 404, 429)


def _action_problem(error: DomainError):
    if isinstance(error, services.ActionRefused):
        return problem(403, error.message)
    return problem(400, error.message, errors={error.field: [error.message]} if error.field else None)


class _Unknown(Exception):
    def __init__(self, field: str, message: str):
        self.field, self.message = field, message


def _resolve(values: dict) -> dict:
    """Input names → the tenant's objects; an unknown one raises :class:`_Unknown`."""
    resolved = {}
    if "owner" in values:
        owner = Membership.objects.select_related("user").filter(user__email__iexact=values["owner"]).first()
        if owner is None:
            raise _Unknown("owner", f"No member with the e-mail {values['owner']!r}.")
        resolved["owner"] = owner
    lookups = (
        ("department", Department, "slug"),
        ("promise", Promise, "slug"),
        ("escalation", Escalation, "pk"),
        ("breach_event", BreachEvent, "pk"),
        ("commitment", Commitment, "pk"),
    )
    for name, model, key in lookups:
        if name in values:
            if values[name] is None:
                resolved[name] = None
                continue
            found = model.objects.filter(**{key: values[name]}).first()
            if found is None:
                raise _Unknown(name, f"No {name.replace('_', ' ')} {values[name]!r}.")
            resolved[name] = found
    return resolved


def _context(request) -> dict:
    return {"today": services.tenant_today(request.tenant)}


class ActionListView(mixins.ListModelMixin, generics.GenericAPIView):
    """``GET``: actions, filtered, a cursor page at a time; ``POST``: plan one."""

    cxgov_actions = {"get": "action.view", "post": "action.plan"}
    schema = CxgovAutoSchema()
    pagination_class = ActionCursorPagination
    serializer_class = ActionSerializer
    filterset_class = ActionFilter

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Action.objects.unscoped().none()  # unscoped: no tenant here; .none() reads nothing
        return selectors.action_queryset()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not getattr(self, "swagger_fake_view", False):
            context.update(_context(self.request))
        return context

    @extend_schema(
        responses={200: ActionSerializer(many=True), **problem_responses(400, 401, 403, 429)},
        examples=[OpenApiExample("An action", value=[_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        """Actions of the API key's tenant, soonest due first, a page at a time (follow `next`).
        Filter by status, department, owner, promise, escalation, breach event and overdue."""
        return self.list(request)

    @extend_schema(
        request=ActionWriteSerializer,
        responses={201: ActionSerializer, **_PROBLEMS},
        examples=[
            OpenApiExample(
                "Plan an action about an escalation",
                request_only=True,
                value={
                    "title": "Call back every refund request within a day",
                    "owner": "lead@acme.example",
                    "department": "customer-service",
                    "due_on": "2026-03-31",
                    "escalation": 42,
                    "commitment": 12,
                },
            ),
            OpenApiExample("Planned", value=_EXAMPLE | {"status": "planned"}, response_only=True),
        ],
    )
    def post(self, request):
        """Plan an action about a promise, an escalation or a breach event (at least one)."""
        data = ActionWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            resolved = _resolve(values)
        except _Unknown as unknown:
            return problem(
                400, f"Unknown {unknown.field.replace('_', ' ')}.", errors={unknown.field: [unknown.message]}
            )
        try:
            action = services.action_create(
                tenant=request.tenant,
                actor=request.auth,
                title=values["title"],
                due_on=values["due_on"],
                notes=values["notes"],
                **resolved,
            )
        except DomainError as error:
            return _action_problem(error)
        action = selectors.action_queryset().get(pk=action.pk)
        return Response(ActionSerializer(action, context=_context(request)).data, status=201)


class ActionDetailView(generics.GenericAPIView):
    cxgov_actions = {"get": "action.view", "patch": "action.plan"}
    schema = CxgovAutoSchema()
    serializer_class = ActionSerializer

    @extend_schema(
        responses={200: ActionSerializer, **problem_responses(401, 403, 404, 429)},
        examples=[OpenApiExample("An action", value=_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk: int):
        """One action."""
        action = selectors.action_queryset().filter(pk=pk).first()
        if action is None:
            return problem(404, NOT_FOUND)
        return Response(ActionSerializer(action, context=_context(request)).data)

    @extend_schema(
        request=ActionPatchSerializer,
        responses={200: ActionSerializer, **_PROBLEMS},
        examples=[OpenApiExample("Mark it done", request_only=True, value={"status": "done"})],
    )
    def patch(self, request, pk: int):
        """Change an action: any field sent is changed; `done` stamps `done_at`."""
        action = Action.objects.filter(pk=pk).first()
        if action is None:
            return problem(404, NOT_FOUND)
        data = ActionPatchSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        try:
            resolved = _resolve(values)
        except _Unknown as unknown:
            return problem(
                400, f"Unknown {unknown.field.replace('_', ' ')}.", errors={unknown.field: [unknown.message]}
            )
        try:
            services.action_update(
                tenant=request.tenant, actor=request.auth, action=action, **(values | resolved)
            )
        except DomainError as error:
            return _action_problem(error)
        action = selectors.action_queryset().get(pk=pk)
        return Response(ActionSerializer(action, context=_context(request)).data)


urlpatterns = [
    path("v1/actions", ActionListView.as_view(), name="api-actions"),
    path("v1/actions/<int:pk>", ActionDetailView.as_view(), name="api-action"),
]
