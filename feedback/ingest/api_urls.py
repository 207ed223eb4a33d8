"""Partner endpoints that push signals (included at ``/api/``): stories, survey responses,
service events. One item or ``{"items": [...]}`` per request; every item gets its own result.

The same URLs list what was stored (``GET``, scope ``promises:read`` or ``feedback:write``):
newest first by ``occurred_at``, a cursor page at a time, with filters; reads go through
:mod:`feedback.selectors`.

Like :mod:`tenants.api_urls`, the views live here rather than in :mod:`feedback.api` so that
module never imports ``rest_framework.views``. Each request runs in its API key's tenant; the
views parse the body, call one service or selector and render.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import RequestDataTooBig
from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, mixins
from rest_framework.response import Response

from feedback.api import (
    EscalationDetailSerializer,
    EscalationFilter,
    EscalationProposeSerializer,
    EscalationSerializer,
    EscalationTransitionSerializer,
    IngestRejectedSerializer,
    IngestResultSerializer,
    ServiceEventFilter,
    ServiceEventItemSerializer,
    ServiceEventSerializer,
    StoryFilter,
    StoryItemSerializer,
    StorySerializer,
    SurveyResponseFilter,
    SurveyResponseItemSerializer,
    SurveyResponseSerializer,
    batch_serializer,
)
from feedback.models import Escalation, ServiceEvent, Story, SurveyResponse
from feedback.selectors import (
    escalation_detail,
    escalation_queryset,
    service_event_queryset,
    story_queryset,
    survey_response_queryset,
)
from feedback.services import (
    MAX_BATCH_ITEMS,
    EscalationRefused,
    EscalationStateConflict,
    IdempotencyKeyReused,
    escalation_close,
    escalation_propose,
    escalation_reopen,
    escalation_resolve,
    escalation_start,
    request_fingerprint,
    signals_ingest_request,
)
from promises.models import Promise
from tenants.api import (
    PROBLEM_CONTENT_TYPE,
    CursorPagination,
    ProblemSerializer,
    problem,
    problem_responses,
)
from tenants.api_urls import CxgovAutoSchema
from tenants.errors import DomainError
from tenants.models import Department, Touchpoint

IDEMPOTENCY_KEY_MAX = 255

_IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="A unique key per logical request (e.g. a UUID). Retrying with the same key and body "
    "returns the first answer (with `Idempotent-Replayed: true`) and writes nothing; the same key "
    "with a different body is refused with 422.",
)

_INGEST_PROBLEMS = {
    **problem_responses(400, 401, 403, 429),
    (413, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        ProblemSerializer,
        description=f"More than {MAX_BATCH_ITEMS} items, or a body over the size limit: split the batch.",
    ),
    (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
        IngestRejectedSerializer,
        description="Every item was rejected, so nothing was stored (`results` lists each item's errors); "
        "or the Idempotency-Key was already used for a different request (no `results`).",
    ),
}

_LIST_PROBLEMS = problem_responses(400, 401, 403, 429)

_RESULT_EXAMPLE = OpenApiExample(
    "Two created, one rejected",
    response_only=True,
    value={
        "results": [
            {"index": 0, "status": "created", "id": 101, "errors": {}},
            {"index": 1, "status": "duplicate", "id": 87, "errors": {}},
            {
                "index": 2,
                "status": "rejected",
                "id": None,
                "errors": {"score": ["csat score 6 is outside 1…5."]},
            },
        ],
        "created": 1,
        "duplicate": 1,
        "rejected": 1,
    },
)


class SignalCursorPagination(CursorPagination):
    """Newest first by when it happened; ``id`` breaks ties, so the order is total and stable."""

    ordering = ("-occurred_at", "-id")


class SignalIngestView(mixins.ListModelMixin, generics.GenericAPIView):
    """Base of the three signal endpoints: ``POST`` ingests, ``GET`` lists. Subclasses name the
    signal ``kind`` and the read side (model, selector, serializer, filters)."""

    kind: str
    model: type
    queryset_selector: Callable[[], QuerySet]
    cxgov_actions = {"get": "feedback.read", "post": "feedback.ingest"}
    schema = CxgovAutoSchema()
    pagination_class = SignalCursorPagination

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation runs without a key, hence without a tenant: .none() reads nothing.
            return self.model.objects.unscoped().none()  # unscoped: no tenant here; .none() reads nothing
        return type(self).queryset_selector()

    def handle(self, request):
        try:
            request.body  # noqa: B018 -- reading it enforces DATA_UPLOAD_MAX_MEMORY_SIZE
        except RequestDataTooBig:
            return problem(
                413,
                "The request body is over the size limit (2.5 MB); split the batch into smaller requests.",
            )
        data = request.data
        if isinstance(data, dict) and "items" in data:
            items = data["items"]
            if not isinstance(items, list):
                return problem(
                    400, '"items" must be a list of items.', errors={"items": ["Expected a list."]}
                )
        elif isinstance(data, dict):
            items = [data]
        else:
            return problem(400, 'Send one item as a JSON object, or {"items": [...]} for a batch.')
        if not items:
            return problem(400, "The batch is empty; send at least one item.", errors={"items": ["Empty."]})
        if len(items) > MAX_BATCH_ITEMS:
            return problem(
                413, f"at most {MAX_BATCH_ITEMS} items per request; split the batch ({len(items)} sent)."
            )
        key = request.headers.get("Idempotency-Key") or None
        if key is not None and (len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii()):
            return problem(
                400,
                f"The Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} printable ASCII characters, e.g. a UUID.",
            )
        try:
            answer = signals_ingest_request(
                tenant=request.tenant,
                kind=self.kind,
                items=items,
                source=request.auth,
                idempotency_key=key,
                fingerprint=request_fingerprint(method=request.method, path=request.path, data=data),
            )
        except IdempotencyKeyReused as exc:
            return problem(422, exc.message)
        if answer.status == 422:
            # Nothing was stored: a problem, still carrying every item's result.
            response = problem(
                422,
                "No item was stored: every item was rejected. Each result lists the errors per "
                "field; fix the items and send them again.",
                **answer.body,
            )
        else:
            response = Response(answer.body, status=answer.status)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


def _ingest_schema(item, name: str, example: dict):
    return extend_schema(
        request=batch_serializer(item, name),
        parameters=[_IDEMPOTENCY_PARAMETER],
        responses={200: IngestResultSerializer, **_INGEST_PROBLEMS},
        examples=[
            OpenApiExample("One item", value=example, request_only=True),
            OpenApiExample("A batch", value={"items": [example]}, request_only=True),
            _RESULT_EXAMPLE,
        ],
    )


class StoryIngestView(SignalIngestView):
    kind = "stories"
    model = Story
    queryset_selector = staticmethod(story_queryset)
    serializer_class = StorySerializer
    filterset_class = StoryFilter

    @extend_schema(responses={200: StorySerializer(many=True), **_LIST_PROBLEMS})
    def get(self, request):
        """Stories of the API key's tenant, newest first (by `occurred_at`), a page at a time
        (follow `next`). Filter by touchpoint, promise, severity and `occurred_at` range."""
        return self.list(request)

    @_ingest_schema(
        StoryItemSerializer,
        "StoryBatch",
        {
            "text": "The refund took three weeks and nobody called back.",
            "occurred_at": "2026-03-01T14:30:00Z",
            "touchpoint": "delivery",
            "promises": ["fast-refunds"],
            "severity": "high",
            "external_id": "ticket-4711",
        },
    )
    def post(self, request):
        """Push customer stories: one, or up to 1,000 as `{"items": [...]}`. Each item is answered
        on its own (created, duplicate or rejected with its errors); sentiment is computed on arrival."""
        return self.handle(request)


class SurveyResponseIngestView(SignalIngestView):
    kind = "survey_responses"
    model = SurveyResponse
    queryset_selector = staticmethod(survey_response_queryset)
    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilter

    @extend_schema(responses={200: SurveyResponseSerializer(many=True), **_LIST_PROBLEMS})
    def get(self, request):
        """Survey responses of the API key's tenant, newest first (by `occurred_at`), a page at a time
        (follow `next`). Filter by touchpoint, measure and `occurred_at` range."""
        return self.list(request)

    @_ingest_schema(
        SurveyResponseItemSerializer,
        "SurveyResponseBatch",
        {
            "measure": "nps",
            "score": 9,
            "occurred_at": "2026-03-01T14:30:00Z",
            "touchpoint": "delivery",
            "segment": {"plan": "pro"},
            "respondent_ref": "r-8812",
            "external_id": "survey-123-r-8812",
        },
    )
    def post(self, request):
        """Push survey responses (NPS 0–10, CSAT 1–5, CES 1–7): one, or up to 1,000 as
        `{"items": [...]}`. Each item is answered on its own."""
        return self.handle(request)


class ServiceEventIngestView(SignalIngestView):
    kind = "service_events"
    model = ServiceEvent
    queryset_selector = staticmethod(service_event_queryset)
    serializer_class = ServiceEventSerializer
    filterset_class = ServiceEventFilter

    @extend_schema(responses={200: ServiceEventSerializer(many=True), **_LIST_PROBLEMS})
    def get(self, request):
        """Service events of the API key's tenant, newest first (by `occurred_at`), a page at a time
        (follow `next`). Filter by touchpoint, measure and `occurred_at` range."""
        return self.list(request)

    @_ingest_schema(
        ServiceEventItemSerializer,
        "ServiceEventBatch",
        {
            "measure": "refund_processing",
            "duration_seconds": 86400,
            "occurred_at": "2026-03-01T14:30:00Z",
            "touchpoint": "delivery",
            "external_id": "refund-991",
        },
    )
    def post(self, request):
        """Push service events of the tenant's duration measures: one, or up to 1,000 as
        `{"items": [...]}`. Each item is answered on its own."""
        return self.handle(request)


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
    path("v1/stories", StoryIngestView.as_view(), name="api-stories"),
    path("v1/survey-responses", SurveyResponseIngestView.as_view(), name="api-survey-responses"),
    path("v1/service-events", ServiceEventIngestView.as_view(), name="api-service-events"),
    path("v1/escalations", EscalationListView.as_view(), name="api-escalations"),
    path("v1/escalations/<int:pk>", EscalationDetailView.as_view(), name="api-escalation"),
    path(
        "v1/escalations/<int:pk>/<str:transition>",
        EscalationTransitionView.as_view(),
        name="api-escalation-transition",
    ),
]
