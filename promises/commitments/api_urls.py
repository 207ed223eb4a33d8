"""The commitment and measure endpoints of the promise API.

A promise's commitments live under ``/api/v1/promises/{id}/commitments``:
:class:`promises.api_urls.PromiseViewSet` takes them in as a mixin. Measures have their own
route, ``/api/v1/measures``, included by ``promises.api_urls``.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.urls import include, path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from promises.commitments import services
from promises.commitments.api import (
    CommitmentSerializer,
    CommitmentUpdateSerializer,
    CommitmentWriteSerializer,
    MeasureBenchmarksInputSerializer,
    MeasureBenchmarksSerializer,
    MeasureCreateSerializer,
    MeasureSerializer,
    MeasureUpdateSerializer,
)
from promises.commitments.models import Commitment, CommitmentVersion, Measure
from promises.commitments.selectors import benchmarks_of, measure_list
from promises.models import Promise
from tenants.api_base import problem_responses
from tenants.api_urls import TenantResourceViewSet

_LIST_PROBLEMS = problem_responses(400, 401, 403, 429)
_OBJECT_PROBLEMS = problem_responses(401, 403, 404, 429)
_WRITE_PROBLEMS = problem_responses(400, 401, 403, 404, 429)

_COMMITMENT_EXAMPLES = [
    OpenApiExample(
        "A duration commitment",
        value={"measure": "first_response", "target": "95", "threshold_seconds": 14400, "window_days": 30},
        request_only=True,
    ),
    OpenApiExample(
        "A survey commitment at a touchpoint",
        value={"measure": "csat", "touchpoint": "returns", "target": "80", "min_sample": 20},
        request_only=True,
    ),
]


class PromiseCommitmentActions:
    """A promise's commitments: list, add, change (``get_object`` comes from the viewset)."""

    cxgov_actions = {
        "commitments": "promise.view",
        "commitments_create": "promise.edit",
        "commitment": "promise.edit",
    }

    @extend_schema(responses={200: CommitmentSerializer(many=True), **_OBJECT_PROBLEMS})
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def commitments(self, request, pk=None):
        """The promise's commitments, each with every version (effective dates included)."""
        return Response(CommitmentSerializer(self._detail().commitments.all(), many=True).data)

    @extend_schema(
        request=CommitmentWriteSerializer,
        responses={201: CommitmentSerializer, **_WRITE_PROBLEMS},
        examples=_COMMITMENT_EXAMPLES,
    )
    @commitments.mapping.post
    def commitments_create(self, request, pk=None):
        """Add a commitment to a draft or active customer promise. Measure by key, touchpoint by slug."""
        promise = self.get_object()
        serializer = CommitmentWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        commitment = services.commitment_create(
            tenant=self.tenant, promise=promise, actor=None, **serializer.resolve()
        )
        return Response(CommitmentSerializer(_commitment(commitment.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CommitmentUpdateSerializer, responses={200: CommitmentSerializer, **_WRITE_PROBLEMS}
    )
    @action(
        detail=True,
        methods=["patch"],
        url_path=r"commitments/(?P<commitment_id>[0-9]+)",
        pagination_class=None,
        filter_backends=[],
    )
    def commitment(self, request, pk=None, commitment_id=None):
        """Change a commitment's numbers; on an active promise the change opens a new version now."""
        promise = self.get_object()
        commitment = _commitment(int(commitment_id), promise=promise)
        serializer = CommitmentUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.commitment_update(
            tenant=self.tenant, commitment=commitment, actor=None, **serializer.validated_data
        )
        return Response(CommitmentSerializer(_commitment(commitment.pk)).data)


def _commitment(pk: int, promise: Promise | None = None) -> Commitment:
    commitments = Commitment.objects.select_related("measure", "touchpoint").prefetch_related(
        Prefetch("versions", queryset=CommitmentVersion.objects.order_by("number"))
    )
    if promise is not None:
        commitments = commitments.filter(promise=promise)
    commitment = commitments.filter(pk=pk).first()
    if commitment is None:
        raise Http404
    return commitment


def _measures() -> QuerySet[Measure]:
    measure_list()  # creates the tenant's missing built-in measures on first use
    return Measure.objects.order_by("-is_builtin", "key")


@extend_schema_view(
    list=extend_schema(responses={200: MeasureSerializer, **_LIST_PROBLEMS}),
    retrieve=extend_schema(responses={200: MeasureSerializer, **_OBJECT_PROBLEMS}),
    create=extend_schema(
        request=MeasureCreateSerializer,
        responses={201: MeasureSerializer, **_LIST_PROBLEMS},
        examples=[
            OpenApiExample(
                "A duration measure",
                value={"key": "refund_processing", "name": "Refund processing time", "unit": "days"},
                request_only=True,
            ),
            OpenApiExample(
                "A lower-is-better rate",
                value={
                    "key": "signin_blocked",
                    "name": "Sign-ins blocked by security",
                    "kind": "rate",
                    "direction": "lower_is_better",
                },
                request_only=True,
            ),
            OpenApiExample(
                "An average on a declared scale",
                value={
                    "key": "review_stars",
                    "name": "Review stars",
                    "kind": "average",
                    "scale_min": "1",
                    "scale_max": "5",
                },
                request_only=True,
            ),
        ],
    ),
    partial_update=extend_schema(
        request=MeasureUpdateSerializer, responses={200: MeasureSerializer, **_WRITE_PROBLEMS}
    ),
)
class MeasureViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantResourceViewSet):
    """Measures: the built-ins (nps, csat, ces, story_sentiment) and the tenant's duration, rate and
    average measures, each named by its key."""

    model = Measure
    queryset_selector = staticmethod(_measures)
    serializer_class = MeasureSerializer
    pagination_class = None
    filter_backends = []
    lookup_field = "key"
    lookup_value_regex = r"[a-z0-9][a-z0-9_-]{0,49}"
    cxgov_actions = {
        "list": "measure.view",
        "retrieve": "measure.view",
        "create": "measure.manage",
        "partial_update": "measure.manage",
        "benchmarks": "measure.view",
        "benchmarks_replace": "measure.benchmarks",
    }

    def list(self, request, *args, **kwargs):
        """Every measure, built-ins first (few enough for one page)."""
        return super().list(request, *args, **kwargs)

    def create(self, request):
        """Define a measure: a duration (commitments on it need a threshold in seconds), a rate or an
        average (with its scale)."""
        serializer = MeasureCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        measure = services.measure_create(tenant=self.request.tenant, **serializer.validated_data)
        return Response(MeasureSerializer(measure).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, key=None):
        """Rename a measure or change its shape; kind, direction and scale stay while a commitment of
        an active promise uses it."""
        measure = self.get_object()
        serializer = MeasureUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        measure = services.measure_update(
            tenant=self.request.tenant, measure=measure, **serializer.validated_data
        )
        return Response(MeasureSerializer(measure).data)

    def _benchmarks(self, measure: Measure) -> Response:
        data = {
            "measure": measure.key,
            "scale": [str(bound) for bound in measure.scale],
            "benchmarks": benchmarks_of(measure=measure),
        }
        return Response(MeasureBenchmarksSerializer(data).data)

    @extend_schema(responses={200: MeasureBenchmarksSerializer, **_OBJECT_PROBLEMS})
    @action(detail=True, methods=["get"])
    def benchmarks(self, request, key=None):
        """The values the measure is compared against (drawn on its chart), by label."""
        return self._benchmarks(self.get_object())

    @extend_schema(
        request=MeasureBenchmarksInputSerializer,
        responses={200: MeasureBenchmarksSerializer, **_WRITE_PROBLEMS},
        examples=[
            OpenApiExample(
                "NPS benchmarks",
                value={
                    "benchmarks": [
                        {"label": "Industry average", "value": "32", "source": "Retail NPS study 2026"},
                        {"label": "Best in class", "value": "61"},
                    ]
                },
                request_only=True,
            )
        ],
    )
    @benchmarks.mapping.put
    def benchmarks_replace(self, request, key=None):
        """Set the measure's whole list of benchmarks: each value on the measure's scale, each label
        once; labels left out are removed."""
        measure = self.get_object()
        serializer = MeasureBenchmarksInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.benchmarks_replace(
            tenant=self.request.tenant, measure=measure, benchmarks=serializer.validated_data["benchmarks"]
        )
        return self._benchmarks(measure)


router = SimpleRouter(trailing_slash=False)
router.register("measures", MeasureViewSet, basename="api-measure")

urlpatterns = [path("v1/", include(router.urls))]
