"""Partner endpoints of escalations (included at ``/api/``): list, propose, read one, move it along."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, mixins
from rest_framework.response import Response

from feedback.escalations.api import (
    EscalationDetailSerializer,
    EscalationFilter,
    EscalationProposeSerializer,
    EscalationSerializer,
    EscalationTransitionSerializer,
)
from feedback.escalations.models import Escalation
from feedback.escalations.proposals import escalation_propose
from feedback.escalations.selectors import escalation_detail, escalation_queryset
from feedback.escalations.services import (
    EscalationRefused,
    EscalationStateConflict,
    escalation_close,
    escalation_reopen,
    escalation_resolve,
    escalation_start,
)
from feedback.stories.models import Story
from promises.models import Promise
from tenants.api_base import (
    CursorPagination,
    problem,
    problem_responses,
)
from tenants.api_urls import CxgovAutoSchema
from tenants.errors import DomainError
from tenants.models import Department, Touchpoint

# --- Escalations ------------------------------------------------------------------------------


class EscalationCursorPagination(CursorPagination):
    """Newest proposals first; ``id`` breaks ties."""

    ordering = ("-proposed_at", "-id")


_ESCALATION_EXAMPLE = {
    "id": 42,
    "title": "“Fast refunds” at Delivery: the refund took three weeks",
    "description": "The refund took three weeks and nobody called back.",
    "severity": "high",
    "state": "approved",
    "department": "customer-service",
    "promise": "fast-refunds",
    "touchpoint": "delivery",
    "proposer_kind": "api_key",
    "proposed_by": "Helpdesk",
    "owner": "manager@acme.example",
    "stories": [101],
    "breach_event_id": None,
    "breach": {},
    "proposed_at": "2026-03-01T14:30:00Z",
    "decision_due_at": "2026-03-02T14:30:00Z",
    "decided_at": "2026-03-01T16:00:00Z",
    "resolution_due_at": "2026-03-08T16:00:00Z",
    "resolved_at": None,
    "closed_at": None,
    "resolution": "",
    "overdue": False,
    "overdue_level": 0,
}
_LIST_PROBLEMS = problem_responses(400, 401, 403, 429)
_ESCALATION_PROBLEMS = problem_responses(400, 401, 403, 404, 409, 429)


def _escalation_problem(error: DomainError):
    if getattr(error, "code", "") == "not_found":
        return problem(404, "Not found: no such object for this API key's tenant.")
    if isinstance(error, EscalationRefused):
        return problem(403, error.message)
    if isinstance(error, EscalationStateConflict):
        return problem(409, error.message)
    return problem(400, error.message, errors={error.field: [error.message]} if error.field else None)


class EscalationListView(mixins.ListModelMixin, generics.GenericAPIView):
    """``GET``: escalations, filtered, a cursor page at a time; ``POST``: propose one."""

    cxgov_actions = {"get": "escalation.view_all", "post": "escalation.propose"}
    schema = CxgovAutoSchema()
    pagination_class = EscalationCursorPagination
    serializer_class = EscalationSerializer
    filterset_class = EscalationFilter

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Escalation.objects.unscoped().none()  # unscoped: no tenant here; .none() reads nothing
        return escalation_queryset().prefetch_related("evidence")

    @extend_schema(
        responses={200: EscalationSerializer(many=True), **_LIST_PROBLEMS},
        examples=[OpenApiExample("An approved escalation", value=[_ESCALATION_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        """Escalations of the API key's tenant, newest first, a page at a time (follow `next`).
        Filter by state, department, promise, severity and overdue (`true`/`false`)."""
        return self.list(request)

    @extend_schema(
        request=EscalationProposeSerializer,
        responses={201: EscalationDetailSerializer, 200: EscalationDetailSerializer, **_ESCALATION_PROBLEMS},
        examples=[
            OpenApiExample(
                "Propose from a story",
                request_only=True,
                value={
                    "title": "Refunds stuck for three weeks",
                    "severity": "high",
                    "department": "customer-service",
                    "promise": "fast-refunds",
                    "touchpoint": "delivery",
                    "stories": [101],
                },
            ),
            OpenApiExample("Proposed", value=_ESCALATION_EXAMPLE | {"state": "proposed"}, response_only=True),
        ],
    )
    def post(self, request):
        """Propose an escalation with stories as evidence (201). When an escalation of the same
        promise and touchpoint is open, the stories join it instead (200, that escalation)."""
        data = EscalationProposeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        department = Department.objects.filter(slug=values["department"]).first()
        if department is None:
            return problem(
                400,
                "Unknown department.",
                errors={"department": [f"No department {values['department']!r}."]},
            )
        lookups = {}
        for name, model in (("promise", Promise), ("touchpoint", Touchpoint)):
            if values.get(name):
                lookups[name] = model.objects.filter(slug=values[name]).first()
                if lookups[name] is None:
                    return problem(400, f"Unknown {name}.", errors={name: [f"No {name} {values[name]!r}."]})
        stories = list(Story.objects.filter(pk__in=values["stories"]))
        missing = sorted(set(values["stories"]) - {s.pk for s in stories})
        if missing:
            return problem(
                400, "Unknown stories.", errors={"stories": [f"No story with id {n}." for n in missing]}
            )
        try:
            proposal = escalation_propose(
                tenant=request.tenant,
                actor=request.auth,
                title=values["title"],
                severity=values["severity"],
                department=department,
                description=values["description"],
                stories=stories,
                **lookups,
            )
        except DomainError as error:
            return _escalation_problem(error)
        escalation = escalation_detail(proposal.escalation.pk, None)
        return Response(EscalationDetailSerializer(escalation).data, status=200 if proposal.merged else 201)


class EscalationDetailView(generics.GenericAPIView):
    cxgov_actions = {"get": "escalation.view_all"}
    schema = CxgovAutoSchema()
    serializer_class = EscalationDetailSerializer

    @extend_schema(
        responses={200: EscalationDetailSerializer, **problem_responses(401, 403, 404, 429)},
        examples=[
            OpenApiExample("An escalation", value=_ESCALATION_EXAMPLE | {"timeline": []}, response_only=True)
        ],
    )
    def get(self, request, pk: int):
        """One escalation with its evidence and timeline (every transition, comment and reminder)."""
        escalation = escalation_detail(pk, None)
        if escalation is None:
            return problem(404, "Not found: no such object for this API key's tenant.")
        return Response(EscalationDetailSerializer(escalation).data)


_API_TRANSITIONS = {
    "start": lambda tenant, e, key, note: escalation_start(tenant=tenant, escalation=e, actor=key, note=note),
    "resolve": lambda tenant, e, key, note: escalation_resolve(
        tenant=tenant, escalation=e, actor=key, resolution=note
    ),
    "reopen": lambda tenant, e, key, note: escalation_reopen(
        tenant=tenant, escalation=e, actor=key, reason=note
    ),
    "close": lambda tenant, e, key, note: escalation_close(tenant=tenant, escalation=e, actor=key, note=note),
}


class EscalationTransitionView(generics.GenericAPIView):
    """``POST /v1/escalations/{id}/{start|resolve|reopen|close}``. Approving and rejecting are
    for people: ``approve`` and ``reject`` answer 403 to every API key."""

    cxgov_actions = {"post": "escalation.work"}
    schema = CxgovAutoSchema()
    serializer_class = EscalationTransitionSerializer

    @extend_schema(
        operation_id="v1_escalations_transition",
        request=EscalationTransitionSerializer,
        responses={200: EscalationDetailSerializer, **_ESCALATION_PROBLEMS},
        examples=[
            OpenApiExample("Resolve", request_only=True, value={"note": "Refund sent; courier retrained."})
        ],
    )
    def post(self, request, pk: int, transition: str):
        """Move an escalation on: `start`, `resolve` (note required), `reopen` (note required) or `close`."""
        if transition in ("approve", "reject"):
            return problem(
                403, "Approval is for people: an API key can never approve or reject an escalation."
            )
        if transition not in _API_TRANSITIONS:
            return problem(404, f"No transition {transition!r}; use one of: {', '.join(_API_TRANSITIONS)}.")
        data = EscalationTransitionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        escalation = Escalation.objects.filter(pk=pk).first()
        if escalation is None:
            return problem(404, "Not found: no such object for this API key's tenant.")
        try:
            _API_TRANSITIONS[transition](
                request.tenant, escalation, request.auth, data.validated_data["note"]
            )
        except DomainError as error:
            return _escalation_problem(error)
        return Response(EscalationDetailSerializer(escalation_detail(pk, None)).data)


urlpatterns = [
    path("v1/escalations", EscalationListView.as_view(), name="api-escalations"),
    path("v1/escalations/<int:pk>", EscalationDetailView.as_view(), name="api-escalation"),
    path(
        "v1/escalations/<int:pk>/<str:transition>",
        EscalationTransitionView.as_view(),
        name="api-escalation-transition",
    ),
]
