"""Partner endpoints of hosted surveys (included at ``/api/``): mint and revoke personalised links."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics
from rest_framework.response import Response

from feedback.ingest.services import IdempotencyKeyReused, request_fingerprint
from surveys.api import (
    BulkMintResultSerializer,
    SurveyLinkBulkMintSerializer,
    SurveyLinkMintSerializer,
    SurveyLinkSerializer,
    SurveyLinkSnippetSerializer,
    bulk_mint_summary,
)
from surveys.models import Survey, SurveyLink
from surveys.services import (
    BULK_MINT_MAX,
    SurveyLinkSuppressed,
    survey_link_mint,
    survey_link_revoke,
    survey_link_state,
    survey_links_mint_bulk_request,
)
from surveys.snippet import survey_email_snippet
from surveys.text import DEFAULT_LANGUAGE, LANGUAGE_CODES
from tenants.api_base import PROBLEM_CONTENT_TYPE, ProblemSerializer, problem, problem_responses
from tenants.api_urls import CxgovAutoSchema
from tenants.errors import DomainError

NOT_FOUND = "Not found: no such object for this API key's tenant."
IDEMPOTENCY_KEY_MAX = 255

_LINK_EXAMPLE = {
    "id": 7,
    "survey": 3,
    "url": "https://acme.cxgov.example/s/l/Vq3h1bK2yq0s9l8mZt5xQw/",
    "embed_url": "https://acme.cxgov.example/s/l/Vq3h1bK2yq0s9l8mZt5xQw/embed/",
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


_BULK_EXAMPLE = {
    "created": 1,
    "suppressed": 1,
    "rejected": 1,
    "results": [
        {"index": 0, "status": "created", "respondent_ref": "C-10442", "link": _LINK_EXAMPLE},
        {
            "index": 1,
            "status": "suppressed",
            "respondent_ref": "C-10443",
            "detail": "Respondent 'C-10443' was sent a survey link on 2026-02-20 09:00 UTC; this company asks "
            "nobody again within 90 days, so they may be asked again from 2026-05-21 09:00 UTC.",
            "ask_again_at": "2026-05-21T09:00:00+00:00",
        },
        {"index": 2, "status": "rejected", "errors": {"respondent_ref": ["respondent_ref is required: …"]}},
    ],
}

_IDEMPOTENCY_PARAMETER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional, e.g. a UUID: the same request sent again with the same key (a retry) "
    "returns the first answer (with `Idempotent-Replayed: true`) and mints nothing; the same key "
    "with a different request is refused (422).",
)


class SurveyLinkBulkView(generics.GenericAPIView):
    """``POST /v1/surveys/{id}/links/bulk``: mint personalised links for many respondents."""

    cxgov_actions = {"post": "survey.link"}
    schema = CxgovAutoSchema()
    serializer_class = SurveyLinkBulkMintSerializer

    @extend_schema(
        operation_id="v1_surveys_links_bulk_create",
        request=SurveyLinkBulkMintSerializer,
        parameters=[_IDEMPOTENCY_PARAMETER],
        responses={
            200: BulkMintResultSerializer,
            **problem_responses(400, 401, 403, 404, 429),
            (413, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer, description=f"More than {BULK_MINT_MAX} respondents: split the list."
            ),
            (422, PROBLEM_CONTENT_TYPE): OpenApiResponse(
                ProblemSerializer,
                description="The Idempotency-Key was already used for a different request.",
            ),
        },
        examples=[
            OpenApiExample(
                "Mint links",
                request_only=True,
                value={
                    "items": [
                        {"respondent_ref": "C-10442", "segment": {"plan": "pro"}},
                        {"respondent_ref": "C-10443"},
                        {"respondent_ref": ""},
                    ]
                },
            ),
            OpenApiExample("Minted", value=_BULK_EXAMPLE, response_only=True),
        ],
    )
    def post(self, request, pk: int):
        """Mint personalised links of the survey for up to 1,000 respondents in one request (200).
        Each item is checked like one link: the answer lists, in order, for each item whether a
        link was `created` (with its URL), `suppressed` (the respondent was sent a link within the
        company's pause, also by an earlier item of the same request: with `ask_again_at`) or
        `rejected` (with its errors per field). With an `Idempotency-Key`, a retry mints nothing
        twice."""
        survey = Survey.objects.filter(pk=pk).first()
        if survey is None:
            return problem(404, NOT_FOUND)
        data = request.data
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            return problem(
                400,
                'Send {"items": [{"respondent_ref": "C-1"}, ...]}: a list of respondents.',
                errors={"items": ["Expected a list of respondents."]},
            )
        if len(data["items"]) > BULK_MINT_MAX:
            return problem(
                413,
                f"At most {BULK_MINT_MAX} respondents per request ({len(data['items'])} sent); split the list.",
            )
        key = request.headers.get("Idempotency-Key") or None
        if key is not None and (len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii()):
            return problem(
                400,
                f"The Idempotency-Key must be at most {IDEMPOTENCY_KEY_MAX} printable ASCII characters, e.g. a UUID.",
            )
        try:
            answer = survey_links_mint_bulk_request(
                tenant=request.tenant,
                survey=survey,
                items=data["items"],
                summarize=bulk_mint_summary,
                api_key=request.auth,
                idempotency_key=key,
                fingerprint=request_fingerprint(method=request.method, path=request.path, data=data)
                if key
                else "",
            )
        except IdempotencyKeyReused as error:
            return problem(422, error.message)
        except DomainError as error:
            return _link_problem(error)
        response = Response(answer.body, status=200)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class SurveyLinkSnippetView(generics.GenericAPIView):
    """``GET /v1/surveys/{id}/links/{link_id}/snippet``: the e-mail snippet of one link."""

    cxgov_actions = {"get": "survey.link"}
    schema = CxgovAutoSchema()
    serializer_class = SurveyLinkSnippetSerializer

    @extend_schema(
        operation_id="v1_surveys_links_snippet_retrieve",
        parameters=[
            OpenApiParameter(
                "lang",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=False,
                enum=list(LANGUAGE_CODES),
                description="The language of the question and of the pages it opens; English unless given.",
            )
        ],
        responses={200: SurveyLinkSnippetSerializer, **problem_responses(400, 401, 403, 404, 429)},
    )
    def get(self, request, pk: int, link_id: int):
        """The e-mail snippet of one personalised link: the survey's question with one button per
        score (an HTML table with inline styles, no script, no image), to paste into the e-mail
        you send the respondent. A button opens the page of that score, where one tap stores it
        (a mail scanner opening the links answers nothing)."""
        link = (
            SurveyLink.objects.select_related("survey__measure", "survey__touchpoint")
            .filter(survey_id=pk, pk=link_id)
            .first()
        )
        if link is None:
            return problem(404, NOT_FOUND)
        lang = request.query_params.get("lang", DEFAULT_LANGUAGE)
        if lang not in LANGUAGE_CODES:
            return problem(
                400,
                f"lang must be one of {', '.join(LANGUAGE_CODES)}.",
                errors={"lang": [f"Unknown language {lang!r}: use en, de, fr or es."]},
            )
        snippet = survey_email_snippet(survey=link.survey, language=lang, link=link)
        return Response(
            {
                "language": snippet.language,
                "state": survey_link_state(link),
                "html": snippet.html,
                "score_urls": [{"score": score, "url": url} for score, url in snippet.score_urls],
            }
        )


urlpatterns = [
    path("v1/surveys/<int:pk>/links", SurveyLinkListView.as_view(), name="api-survey-links"),
    path("v1/surveys/<int:pk>/links/bulk", SurveyLinkBulkView.as_view(), name="api-survey-links-bulk"),
    path("v1/surveys/<int:pk>/links/<int:link_id>", SurveyLinkDetailView.as_view(), name="api-survey-link"),
    path(
        "v1/surveys/<int:pk>/links/<int:link_id>/snippet",
        SurveyLinkSnippetView.as_view(),
        name="api-survey-link-snippet",
    ),
]
