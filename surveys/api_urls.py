"""Partner endpoints of hosted surveys (included at ``/api/``): mint and revoke personalised links."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics
from rest_framework.response import Response

from surveys.api import SurveyLinkMintSerializer, SurveyLinkSerializer
from surveys.models import Survey, SurveyLink
from surveys.services import SurveyLinkSuppressed, survey_link_mint, survey_link_revoke
from tenants.api_base import problem, problem_responses
from tenants.api_urls import CxgovAutoSchema
from tenants.errors import DomainError

NOT_FOUND = "Not found: no such object for this API key's tenant."

_LINK_EXAMPLE = {
    "id": 7,
    "survey": 3,
    "url": "https://acme.cxgov.example/s/l/Vq3h1bK2yq0s9l8mZt5xQw/",
    "token": "Vq3h1bK2yq0s9l8mZt5xQw",
    "respondent_ref": "C-10442",
    "segment": {"plan": "pro", "channel": "email"},
    "state": "open",
    "expires_at": "2026-04-01T09:00:00Z",
    "created_at": "2026-03-02T09:00:00Z",
    "revoked_at": None,
    "answered_at": None,
}


def _link_problem(error: DomainError):
    if isinstance(error, SurveyLinkSuppressed):
        return problem(
            409,
            error.message,
            errors={"respondent_ref": [error.message]},
            ask_again_at=error.ask_again_at.isoformat(),
        )
    if error.code == "not_found":
        return problem(404, NOT_FOUND)
    return problem(400, error.message, errors={error.field: [error.message]} if error.field else None)


class SurveyLinkListView(generics.GenericAPIView):
    """``POST /v1/surveys/{id}/links``: mint a personalised link of a survey."""

    cxgov_actions = {"post": "survey.link"}
    schema = CxgovAutoSchema()
    serializer_class = SurveyLinkMintSerializer

    @extend_schema(
        operation_id="v1_surveys_links_create",
        request=SurveyLinkMintSerializer,
        responses={201: SurveyLinkSerializer, **problem_responses(400, 401, 403, 404, 409, 429)},
        examples=[
            OpenApiExample(
                "Mint a link",
                request_only=True,
                value={"respondent_ref": "C-10442", "segment": {"plan": "pro", "channel": "email"}},
            ),
            OpenApiExample("Minted", value=_LINK_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request, pk: int):
        """Mint a personalised link of the survey for one respondent (201): it takes one answer,
        which carries `respondent_ref` and `segment`, until it expires (30 days unless
        `expires_in_days` says otherwise). When the respondent was sent a link of any of the
        company's surveys within its pause (90 days unless an admin changed it), nothing is minted:
        409, saying from when (`ask_again_at`) they may be asked again."""
        survey = Survey.objects.filter(pk=pk).first()
        if survey is None:
            return problem(404, NOT_FOUND)
        data = SurveyLinkMintSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            link = survey_link_mint(tenant=request.tenant, survey=survey, **data.validated_data)
        except DomainError as error:
            return _link_problem(error)
        return Response(SurveyLinkSerializer(link).data, status=201)


class SurveyLinkDetailView(generics.GenericAPIView):
    """``GET`` one link (its state); ``DELETE``: revoke it."""

    cxgov_actions = {"get": "survey.link", "delete": "survey.link"}
    schema = CxgovAutoSchema()
    serializer_class = SurveyLinkSerializer

    def _link(self, pk: int, link_id: int) -> SurveyLink | None:
        return SurveyLink.objects.select_related("survey").filter(survey_id=pk, pk=link_id).first()

    @extend_schema(
        operation_id="v1_surveys_links_retrieve",
        responses={200: SurveyLinkSerializer, **problem_responses(401, 403, 404, 429)},
        examples=[
            OpenApiExample("Answered", value=_LINK_EXAMPLE | {"state": "answered"}, response_only=True)
        ],
    )
    def get(self, request, pk: int, link_id: int):
        """One personalised link of the survey, with its state: open, answered, revoked or expired."""
        link = self._link(pk, link_id)
        if link is None:
            return problem(404, NOT_FOUND)
        return Response(SurveyLinkSerializer(link).data)

    @extend_schema(
        operation_id="v1_surveys_links_revoke",
        responses={200: SurveyLinkSerializer, **problem_responses(401, 403, 404, 429)},
        examples=[OpenApiExample("Revoked", value=_LINK_EXAMPLE | {"state": "revoked"}, response_only=True)],
    )
    def delete(self, request, pk: int, link_id: int):
        """Revoke a personalised link: opened, it says it was withdrawn and takes no answer, and it
        no longer counts for the respondent's pause. Revoking it again changes nothing; an answer
        already given is kept."""
        link = self._link(pk, link_id)
        if link is None:
            return problem(404, NOT_FOUND)
        try:
            survey_link_revoke(tenant=request.tenant, link=link)
        except DomainError as error:
            return _link_problem(error)
        return Response(SurveyLinkSerializer(link).data)


urlpatterns = [
    path("v1/surveys/<int:pk>/links", SurveyLinkListView.as_view(), name="api-survey-links"),
    path("v1/surveys/<int:pk>/links/<int:link_id>", SurveyLinkDetailView.as_view(), name="api-survey-link"),
]
