"""Partner endpoints of follow-ups (included at ``/api/``): list them, read one, assign its
owner, close it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, mixins
from rest_framework.response import Response

from surveys.followups.api import (
    FollowUpAssignSerializer,
    FollowUpCloseSerializer,
    FollowUpFilter,
    FollowUpSerializer,
)
from surveys.followups.selectors import member_by_email
from surveys.followups.services import followup_assign, followup_close
from surveys.models import FollowUp
from tenants.api_base import CursorPagination, problem, problem_responses
from tenants.api_urls import CxgovAutoSchema
from tenants.errors import DomainError

NOT_FOUND = "Not found: no such object for this API key's tenant."

_FOLLOWUP_EXAMPLE = {
    "id": 12,
    "survey": 3,
    "response_id": 5501,
    "department": "customer-service",
    "touchpoint": "returns",
    "measure": "nps",
    "score": 3,
    "reason": "Nobody called back about my refund.",
    "language": "de",
    "consented": True,
    "contact": {"email": "kim@example.com", "phone": ""},
    "owner": "manager@acme.example",
    "status": "open",
    "outcome": "",
    "note": "",
    "due_at": "2026-03-04T09:00:00Z",
    "created_at": "2026-03-02T09:00:00Z",
    "closed_at": None,
}


class FollowUpCursorPagination(CursorPagination):
    """The soonest due first; ``id`` breaks ties."""

    ordering = ("due_at", "id")


def _queryset() -> QuerySet[FollowUp]:
    return FollowUp.objects.select_related("department", "touchpoint", "owner__user")


class FollowUpListView(mixins.ListModelMixin, generics.GenericAPIView):
    """``GET /v1/followups``: follow-ups, filtered, a cursor page at a time."""

    cxgov_actions = {"get": "followup.view"}
    schema = CxgovAutoSchema()
    pagination_class = FollowUpCursorPagination
    serializer_class = FollowUpSerializer
    filterset_class = FollowUpFilter

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return FollowUp.objects.unscoped().none()  # unscoped: no tenant here; .none() reads nothing
        return _queryset()

    @extend_schema(
        operation_id="v1_followups_list",
        responses={200: FollowUpSerializer(many=True), **problem_responses(400, 401, 403, 429)},
        examples=[OpenApiExample("An open follow-up", value=[_FOLLOWUP_EXAMPLE], response_only=True)],
    )
    def get(self, request):
        """Follow-ups of unhappy hosted-survey answers of the API key's tenant, the soonest due
        first, a page at a time (follow `next`). Filter by `status` (open, closed), `department`
        (slug) and `survey` (id). `contact` is given only when the customer agreed to be contacted."""
        return self.list(request)


class FollowUpDetailView(generics.GenericAPIView):
    """``GET /v1/followups/{id}``: one follow-up; ``PATCH``: assign its owner."""

    cxgov_actions = {"get": "followup.view", "patch": "followup.assign"}
    schema = CxgovAutoSchema()
    serializer_class = FollowUpSerializer

    @extend_schema(
        operation_id="v1_followups_retrieve",
        responses={200: FollowUpSerializer, **problem_responses(401, 403, 404, 429)},
        examples=[OpenApiExample("An open follow-up", value=_FOLLOWUP_EXAMPLE, response_only=True)],
    )
    def get(self, request, pk: int):
        """One follow-up of the API key's tenant. `contact` is given only when the customer
        agreed to be contacted."""
        followup = _queryset().filter(pk=pk).first()
        if followup is None:
            return problem(404, NOT_FOUND)
        return Response(FollowUpSerializer(followup).data)

    @extend_schema(
        operation_id="v1_followups_assign",
        request=FollowUpAssignSerializer,
        responses={200: FollowUpSerializer, **problem_responses(400, 401, 403, 404, 429)},
        examples=[
            OpenApiExample("Assign", request_only=True, value={"owner": "agent@acme.example"}),
            OpenApiExample("Unassign", request_only=True, value={"owner": None}),
            OpenApiExample(
                "Assigned", response_only=True, value=_FOLLOWUP_EXAMPLE | {"owner": "agent@acme.example"}
            ),
        ],
    )
    def patch(self, request, pk: int):
        """Assign an open follow-up to an owner (their e-mail), or to nobody (`null`): an active
        admin, or an active manager or employee of the follow-up's department, as in the inbox.
        A closed follow-up keeps its owner: 400 naming `owner`."""
        followup = _queryset().filter(pk=pk).first()
        if followup is None:
            return problem(404, NOT_FOUND)
        data = FollowUpAssignSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data["owner"]
        owner = None
        if email is not None:
            owner = member_by_email(email=email)
            if owner is None:
                message = f"No member has the e-mail {email}."
                return problem(400, message, errors={"owner": [message]})
        try:
            followup_assign(tenant=request.tenant, followup=followup, owner=owner)
        except DomainError as error:
            return _problem(error)
        return Response(FollowUpSerializer(followup).data)


def _problem(error: DomainError):
    return problem(400, error.message, errors={error.field: [error.message]} if error.field else None)


class FollowUpCloseView(generics.GenericAPIView):
    """``POST /v1/followups/{id}/close``: close a follow-up with its outcome and a note."""

    cxgov_actions = {"post": "followup.close"}
    schema = CxgovAutoSchema()
    serializer_class = FollowUpCloseSerializer

    @extend_schema(
        operation_id="v1_followups_close",
        request=FollowUpCloseSerializer,
        responses={200: FollowUpSerializer, **problem_responses(400, 401, 403, 404, 409, 429)},
        examples=[
            OpenApiExample(
                "Close",
                request_only=True,
                value={"outcome": "contacted", "note": "Called her; the refund is on its way."},
            ),
            OpenApiExample(
                "Closed",
                response_only=True,
                value=_FOLLOWUP_EXAMPLE
                | {
                    "status": "closed",
                    "outcome": "contacted",
                    "note": "Called her; the refund is on its way.",
                    "closed_at": "2026-03-02T15:10:00Z",
                },
            ),
        ],
    )
    def post(self, request, pk: int):
        """Close an open follow-up with its outcome (`contacted`, `resolved`, `could_not_reach`)
        and a note saying what was done. A follow-up already closed: 409."""
        followup = _queryset().filter(pk=pk).first()
        if followup is None:
            return problem(404, NOT_FOUND)
        data = FollowUpCloseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            followup_close(tenant=request.tenant, followup=followup, **data.validated_data)
        except DomainError as error:
            if error.code == "closed":
                return problem(409, error.message)
            return _problem(error)
        return Response(FollowUpSerializer(followup).data)


urlpatterns = [
    path("v1/followups", FollowUpListView.as_view(), name="api-followups"),
    path("v1/followups/<int:pk>", FollowUpDetailView.as_view(), name="api-followup"),
    path("v1/followups/<int:pk>/close", FollowUpCloseView.as_view(), name="api-followup-close"),
]
