"""The promise API's endpoints and their routes (included at ``/api/`` before the tenants API).

Built on :class:`tenants.api_urls.TenantResourceViewSet`: every endpoint runs in the tenant of
its API key, reads through the selectors and writes through the services, with the key as the
actor (``actor=None``: the audit trail names the key).

Transitions are explicit endpoints. Those of the sign-off workflow (submit, activate) are in
:mod:`promises.signoffs.api_urls`, a promise's commitments and the measures in
:mod:`promises.commitments.api_urls`; the promise viewset takes the first two in as mixins, so
every promise endpoint stays under ``/api/v1/promises/``.
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
from promises.api import PromiseDetailSerializer, PromiseFilter, PromiseSerializer, PromiseWriteSerializer
from promises.commitments.api_urls import PromiseCommitmentActions
from promises.models import Promise
from promises.selectors import promise_detail, promise_queryset
from promises.signoffs.api_urls import PromiseSignOffActions
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
class PromiseViewSet(
    PromiseSignOffActions, PromiseCommitmentActions, mixins.ListModelMixin, TenantResourceViewSet
):
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
        "retire": "promise.retire",
        **PromiseSignOffActions.cxgov_actions,
        **PromiseCommitmentActions.cxgov_actions,
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
    def retire(self, request, pk=None):
        """Active → retired: its commitments stop counting now."""
        promise = services.promise_retire(tenant=self.tenant, promise=self.get_object(), actor=None)
        return self._answer(promise)


router = SimpleRouter(trailing_slash=False)
router.register("promises", PromiseViewSet, basename="api-promise")

urlpatterns = [
    path("v1/", include(router.urls)),
    path("", include("promises.commitments.api_urls")),
]
