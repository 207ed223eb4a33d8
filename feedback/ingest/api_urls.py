"""Partner endpoints that push signals (included at ``/api/``): stories, survey responses,
service events. One item or ``{"items": [...]}`` per request; every item gets its own result.

The same URLs list what was stored (``GET``, scope ``promises:read`` or ``feedback:write``):
newest first by ``occurred_at``, a cursor page at a time, with filters; reads go through
:mod:`feedback.ingest.selectors`.

Like :mod:`tenants.api_urls`, the views live here rather than in :mod:`feedback.ingest.api` so that
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

from feedback.ingest.api import (
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
from feedback.ingest.items import MAX_BATCH_ITEMS
from feedback.ingest.lookups_cache import INGEST_LOOKUPS_DOCUMENT, ingest_lookups_cached
from feedback.ingest.selectors import service_event_queryset, story_queryset, survey_response_queryset
from feedback.ingest.services import IdempotencyKeyReused, request_fingerprint, signals_ingest_request
from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from tenants.api_base import (
    PROBLEM_CONTENT_TYPE,
    CursorPagination,
    ProblemSerializer,
    problem,
    problem_responses,
)
from tenants.api_urls import CxgovAutoSchema

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
    # The tenant's touchpoints and measures, read with the API key in one Redis round trip
    # (tenants.api_base, feedback.ingest.lookups_cache).
    cxgov_tenant_document_post = INGEST_LOOKUPS_DOCUMENT

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
                # Only a request with a key is ever compared with another.
                fingerprint=request_fingerprint(method=request.method, path=request.path, data=data)
                if key
                else "",
                kept_lookups=ingest_lookups_cached(
                    getattr(request, "cxgov_tenant_document", None), tenant_id=request.tenant.pk
                ),
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
        """Push service events of the tenant's duration, rate and average measures (`duration_seconds`,
        `outcome` or `value`, as the measure's kind needs): one, or up to 1,000 as
        `{"items": [...]}`. Each item is answered on its own."""
        return self.handle(request)


urlpatterns = [
    path("v1/stories", StoryIngestView.as_view(), name="api-stories"),
    path("v1/survey-responses", SurveyResponseIngestView.as_view(), name="api-survey-responses"),
    path("v1/service-events", ServiceEventIngestView.as_view(), name="api-service-events"),
]
