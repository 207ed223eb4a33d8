"""The promise API's endpoints and their routes (included at ``/api/`` before the tenants API).

Built on :class:`tenants.api_urls.TenantResourceViewSet`: every endpoint runs in the tenant of
its API key, reads through the selectors and writes through the services, with the key as the
actor (``actor=None``: the audit trail names the key).

Transitions are explicit endpoints. Sign-off is for people only, so is activating over missing
sign-offs: ``POST /promises/{id}/activate`` does not bypass any department. It answers 200 for a
promise every department has approved (which is then active), and 409 while sign-offs are
missing (listing them) or when the promise is a draft or retired.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import include, path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from promises import services
from promises.api import (
    CommitmentSerializer,
    CommitmentUpdateSerializer,
    CommitmentWriteSerializer,
    MeasureCreateSerializer,
    MeasureSerializer,
    PromiseDetailSerializer,
    PromiseFilter,
    PromiseSerializer,
    PromiseWriteSerializer,
)
from promises.models import Commitment, CommitmentVersion, Measure, Promise, SignOff
from promises.selectors import measure_list, promise_detail, promise_queryset
from tenants.api_base import problem, problem_responses
from tenants.api_urls import TenantResourceViewSet

_LIST_PROBLEMS = problem_responses(400, 401, 403, 429)
_OBJECT_PROBLEMS = problem_responses(401, 403, 404, 429)
_WRITE_PROBLEMS = problem_responses(400, 401, 403, 404, 429)

_PROMISE_EXAMPLE = OpenApiExample(
    "A customer promise",
    value={
        "kind": "customer",
        "title": "A human answers within 4 hours",
        "statement": "Write to us any time: a person, not a bot, answers within 4 hours.",
        "benefits": "No waiting in the dark.",
        "owner": "customer-service",
        "contributors": ["operations"],
        "weight": "2",
        "parent": "shopping-without-the-hassle",
    },
    request_only=True,
)
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


def _promises() -> QuerySet[Promise]:
    return promise_queryset()


@extend_schema_view(
    list=extend_schema(responses={200: PromiseSerializer, **_LIST_PROBLEMS}),
    retrieve=extend_schema(responses={200: PromiseDetailSerializer, **_OBJECT_PROBLEMS}),
    create=extend_schema(
        request=PromiseWriteSerializer,
        responses={201: PromiseDetailSerializer, **_LIST_PROBLEMS},
        examples=[_PROMISE_EXAMPLE],
    ),
    partial_update=extend_schema(
        request=PromiseWriteSerializer,
        responses={200: PromiseDetailSerializer, **_WRITE_PROBLEMS},
        examples=[
            OpenApiExample(
                "New wording", value={"statement": "…", "note": "Clearer for customers"}, request_only=True
            )
        ],
    ),
)
class PromiseViewSet(mixins.ListModelMixin, TenantResourceViewSet):
    """Brand and customer promises of the API key's tenant."""

    model = Promise
    queryset_selector = staticmethod(_promises)
    serializer_class = PromiseSerializer
    filterset_class = PromiseFilter
    cxgov_actions = {
        "list": "promise.view",
        "retrieve": "promise.view",
        "create": "promise.edit",
        "partial_update": "promise.edit",
        "submit": "promise.submit",
        "activate": "promise.activate_override",
        "retire": "promise.retire",
        "commitments": "promise.view",
        "commitments_create": "promise.edit",
        "commitment": "promise.edit",
    }

    def _detail(self, promise: Promise | None = None) -> Promise:
        """The promise of the URL (or ``promise`` reloaded) with everything its answer shows."""
        pk = promise.pk if promise is not None else self.get_object().pk
        return promise_detail(promise_id=pk)

    def _answer(self, promise: Promise, code: int = status.HTTP_200_OK) -> Response:
        return Response(PromiseDetailSerializer(self._detail(promise)).data, status=code)

    def list(self, request, *args, **kwargs):
        """Promises, a page at a time (follow `next`); filter by status, kind, department, touchpoint."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, pk=None):
        """One promise with its commitments (and their versions) and current sign-offs."""
        return self._answer(self.get_object())

    def create(self, request):
        """Draft a promise. Departments and the parent brand promise are named by slug."""
        serializer = PromiseWriteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.resolve()
        data.pop("note", None)
        promise = services.promise_create(tenant=self.tenant, actor=None, **data)
        return self._answer(promise, status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        """Change a draft or active promise. The wording of an active promise becomes a new version;
        its owner, contributors and parent are fixed. ``kind`` and ``slug`` never change."""
        promise = self.get_object()
        serializer = PromiseWriteSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.resolve()
        for fixed in ("kind", "slug"):
            if fixed in data:
                return problem(
                    400, f"The {fixed} of a promise cannot change.", errors={fixed: ["Cannot change."]}
                )
        promise = services.promise_update(tenant=self.tenant, promise=promise, actor=None, **data)
        return self._answer(promise)

    @extend_schema(request=None, responses={200: PromiseDetailSerializer, **_WRITE_PROBLEMS})
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Draft → in review: asks a manager of the owning and each contributing department to sign
        off (by e-mail). A customer promise needs a commitment first."""
        promise = services.promise_submit(tenant=self.tenant, promise=self.get_object(), actor=None)
        return self._answer(promise)

    @extend_schema(
        request=None,
        responses={200: PromiseDetailSerializer, **_OBJECT_PROBLEMS, **problem_responses(409)},
    )
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Confirm a promise is active. Sign-off is for people only: an API key never activates over
        a missing sign-off. 200 when every department approved (the promise is then active);
        409 while sign-offs are missing (an admin can override in the web app, with a reason),
        or when the promise is a draft or retired."""
        promise = self._detail()
        if promise.status == Promise.Status.ACTIVE:
            return self._answer(promise)
        if promise.status == Promise.Status.IN_REVIEW:
            missing = [
                s.department.slug
                for s in promise.sign_offs.all()
                if s.review_round == promise.review_round and s.status == SignOff.Status.PENDING
            ]
            return problem(
                status.HTTP_409_CONFLICT,
                f"“{promise.title}” is waiting for the sign-off of: {', '.join(missing)}. It becomes active "
                "when every department has approved; sign-off is for people only. An admin can activate it "
                "over missing sign-offs in the web app, with a written reason.",
                missing_sign_offs=missing,
            )
        return problem(
            status.HTTP_409_CONFLICT,
            f"“{promise.title}” is {promise.get_status_display().lower()}: only a promise in review can "
            + (
                "become active. Submit it first."
                if promise.status == Promise.Status.DRAFT
                else "become active."
            ),
        )

    @extend_schema(request=None, responses={200: PromiseDetailSerializer, **_WRITE_PROBLEMS})
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        """Active → retired: its commitments stop counting now."""
        promise = services.promise_retire(tenant=self.tenant, promise=self.get_object(), actor=None)
        return self._answer(promise)

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
    from django.db.models import Prefetch
    from django.http import Http404

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
    create=extend_schema(
        request=MeasureCreateSerializer,
        responses={201: MeasureSerializer, **_LIST_PROBLEMS},
        examples=[
            OpenApiExample(
                "A duration measure",
                value={"key": "refund_processing", "name": "Refund processing time", "unit": "days"},
                request_only=True,
            )
        ],
    ),
)
class MeasureViewSet(mixins.ListModelMixin, TenantResourceViewSet):
    """Measures: the built-ins (nps, csat, ces, story_sentiment) and the tenant's duration measures."""

    model = Measure
    queryset_selector = staticmethod(_measures)
    serializer_class = MeasureSerializer
    pagination_class = None
    filter_backends = []
    cxgov_actions = {"list": "measure.view", "create": "measure.manage"}

    def list(self, request, *args, **kwargs):
        """Every measure, built-ins first (few enough for one page)."""
        return super().list(request, *args, **kwargs)

    def create(self, request):
        """Define a duration measure; commitments on it need a threshold in seconds."""
        serializer = MeasureCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        measure = services.measure_create(tenant=self.request.tenant, **serializer.validated_data)
        return Response(MeasureSerializer(measure).data, status=status.HTTP_201_CREATED)


router = SimpleRouter(trailing_slash=False)
router.register("promises", PromiseViewSet, basename="api-promise")
router.register("measures", MeasureViewSet, basename="api-measure")

urlpatterns = [path("v1/", include(router.urls))]
