"""The scores API's endpoints and their routes (included at ``/api/``).

- ``GET /api/v1/scores?as_of=…``: every score of the API key's tenant as of an instant —
  without ``as_of``, the latest stored run (the recompute that follows every change), with
  ``ETag``/``Last-Modified`` so pollers get 304s, read from Redis with the API key
  (:mod:`metrics.current_scores`: no table read), or computed when there is no run yet; a past
  instant from the run taken then, else computed from the rollups and the commitment versions
  effective then (:func:`metrics.services.scores_at`).
- ``GET /api/v1/scores/history?scope=…&id=…``: the stored snapshots of one scope, oldest
  first, a cursor page at a time.

Like :mod:`tenants.api_urls`, the views live here rather than in :mod:`metrics.api`. Each
request runs in its API key's tenant; another tenant's ids are not found.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.urls import path
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response
from rest_framework.views import APIView

from metrics.api import (
    SCORES_SCHEMA,
    ScoreHistoryQuerySerializer,
    ScoreSnapshotSerializer,
    ScoresQuerySerializer,
)
from metrics.current_scores import SCORES_DOCUMENT, current_scores_cached, current_scores_read
from metrics.models import ScoreSnapshot
from metrics.selectors import score_history_queryset, score_scope_exists
from metrics.services import scores_at
from tenants.api_base import CursorPagination, problem_responses
from tenants.api_urls import CxgovAutoSchema

_PROBLEMS = problem_responses(400, 401, 403, 429)
_HISTORY_PROBLEMS = problem_responses(400, 401, 403, 404, 429)

# The worked example of docs/scoring.md, as the API answers it.
_SCORES_EXAMPLE = OpenApiExample(
    "One promise, two commitments",
    response_only=True,
    value={
        "as_of": "2026-03-31T22:00:00+00:00",
        "tenant": {"score": 92.13, "delivery_rate": 0.0},
        "promises": [
            {
                "id": 7,
                "slug": "hassle-free-returns",
                "title": "Hassle-free returns",
                "owner_id": 2,
                "weight": 1.0,
                "score": 92.13,
                "delivery_rate": 0.0,
                "operational_score": 94.44,
                "perceived_score": 87.5,
                "perception_gap": 6.94,
                "flags": [],
                "status": "not_met",
            }
        ],
        "commitments": [
            {
                "id": 11,
                "promise": "hassle-free-returns",
                "promise_id": 7,
                "measure": "refund_processing",
                "touchpoint": "returns",
                "actual": 85.0,
                "n": 20,
                "status": "not_met",
                "met": False,
                "score": 94.44,
                "gap": 5.0,
                "kind": "operational",
                "target": 90.0,
                "threshold_seconds": 432000,
                "window_days": 90,
                "min_sample": 5,
                "weight": 2.0,
                "version": 1,
            },
            {
                "id": 12,
                "promise": "hassle-free-returns",
                "promise_id": 7,
                "measure": "csat",
                "touchpoint": "returns",
                "actual": 70.0,
                "n": 10,
                "status": "not_met",
                "met": False,
                "score": 87.5,
                "gap": 10.0,
                "kind": "perceived",
                "target": 80.0,
                "threshold_seconds": None,
                "window_days": 90,
                "min_sample": 5,
                "weight": 1.0,
                "version": 1,
            },
        ],
        "departments": [
            {
                "id": 2,
                "slug": "operations",
                "name": "Operations",
                "score": 92.13,
                "delivery_rate": 0.0,
                "promises": 1,
            }
        ],
        "touchpoints": [{"id": 5, "slug": "returns", "name": "Returns", "score": 92.13, "commitments": 2}],
    },
)

_HISTORY_EXAMPLE = OpenApiExample(
    "A quarter-end snapshot of a promise",
    response_only=True,
    value={
        "as_of": "2026-03-31T22:00:00Z",
        "kind": "quarter_end",
        "score": 92.13,
        "delivery_rate": 0.0,
        "n": None,
        "values": {"id": 7, "slug": "hassle-free-returns", "score": 92.13, "flags": []},
    },
)


class ScoresView(APIView):
    cxgov_actions = {"get": "scores.view"}
    # A plain GET's answer, read with the API key in one Redis round trip (tenants.api_base).
    cxgov_tenant_document = SCORES_DOCUMENT
    schema = CxgovAutoSchema()

    @extend_schema(
        parameters=[ScoresQuerySerializer],
        responses={200: OpenApiResponse(SCORES_SCHEMA), **_PROBLEMS},
        examples=[_SCORES_EXAMPLE],
    )
    def get(self, request):
        """Every score of the API key's tenant as of an instant: the tenant's alignment score and
        delivery rate, each promise (with operational and perceived scores, perception gap and
        flags), commitment, department and touchpoint. Without `as_of`, the latest scores the
        service computed (a recompute follows every change within seconds; `as_of` in the answer
        says when), with `ETag` and `Last-Modified`: send `If-None-Match` (or
        `If-Modified-Since`) to get 304 while nothing changed. `as_of` (ISO 8601 with a time
        zone, not in the future) asks for an instant; a past one uses the commitments as they
        were then."""
        at = None
        if request.query_params:  # a poller's plain GET has nothing to validate
            query = ScoresQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            at = query.validated_data.get("as_of")
        run = None
        if at is None:
            tenant_id = request.tenant.pk
            run = current_scores_cached(
                getattr(request, "cxgov_tenant_document", None), tenant_id=tenant_id
            ) or current_scores_read(tenant_id=tenant_id)
        if run is None:  # a past instant, no run yet, an old run
            return Response(scores_at(tenant=request.tenant, at=at))
        validators = {"ETag": f'"run-{run.id}"', "Last-Modified": http_date(run.computed_at)}
        response = get_conditional_response(
            request._request, etag=validators["ETag"], last_modified=int(run.computed_at)
        )
        if response is None:
            # The stored JSON as it is (what the renderer would send, without decoding it first).
            response = HttpResponse(run.body, content_type="application/json")
        # Every poller revalidates (304 when nothing changed); no shared cache keeps a tenant's scores.
        for header, value in {**validators, "Cache-Control": "private, no-cache"}.items():
            response[header] = value
        patch_vary_headers(response, ["Authorization"])
        return response


class SnapshotCursorPagination(CursorPagination):
    """Oldest first by the instant scored; ``id`` breaks ties, so the order is total and stable."""

    ordering = ("as_of", "id")


class ScoreHistoryView(generics.ListAPIView):
    cxgov_actions = {"get": "scores.view"}
    schema = CxgovAutoSchema()
    serializer_class = ScoreSnapshotSerializer
    pagination_class = SnapshotCursorPagination
    filter_backends = []

    def get_queryset(self) -> QuerySet[ScoreSnapshot]:
        if getattr(self, "swagger_fake_view", False):
            # Schema generation runs without a key, hence without a tenant: .none() reads nothing.
            return ScoreSnapshot.objects.unscoped().none()  # unscoped: no tenant here; .none() reads nothing
        query = ScoreHistoryQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if not score_scope_exists(scope=data["scope"], scope_id=data.get("id")):
            raise Http404
        return score_history_queryset(
            scope=data["scope"],
            scope_id=data.get("id"),
            since=data.get("from"),
            until=data.get("to"),
            kind=data.get("kind"),
        )

    @extend_schema(
        parameters=[ScoreHistoryQuerySerializer],
        responses={200: ScoreSnapshotSerializer(many=True), **_HISTORY_PROBLEMS},
        examples=[_HISTORY_EXAMPLE],
    )
    def get(self, request, *args, **kwargs):
        """The stored snapshots of one scope (the tenant, or a promise, commitment, department or
        touchpoint by id), oldest first, a page at a time (follow `next`). A snapshot is taken at
        least daily, after every recompute and at each quarter end (`kind=quarter_end` gives the
        quarterly trend). Bound by `from`/`to` (ISO 8601 with a time zone, inclusive)."""
        return self.list(request, *args, **kwargs)


urlpatterns = [
    path("v1/scores", ScoresView.as_view(), name="api-scores"),
    path("v1/scores/history", ScoreHistoryView.as_view(), name="api-score-history"),
]
