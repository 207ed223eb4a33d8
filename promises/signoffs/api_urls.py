"""The sign-off transitions of the promise API: submit, and activate (the endpoint that never
bypasses a department). :class:`promises.api_urls.PromiseViewSet` takes them in as a mixin,
so they stay under ``/api/v1/promises/{id}/``.

Sign-off is for people only, so is activating over missing sign-offs: ``POST
/promises/{id}/activate`` answers 200 for a promise every department has approved (which is
then active), and 409 while sign-offs are missing (listing them) or when the promise is a
draft or retired.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action

from promises.api import PromiseDetailSerializer
from promises.models import Promise
from promises.signoffs import services
from promises.signoffs.models import SignOff
from tenants.api_base import problem, problem_responses

_OBJECT_PROBLEMS = problem_responses(401, 403, 404, 429)
_WRITE_PROBLEMS = problem_responses(400, 401, 403, 404, 429)


class PromiseSignOffActions:
    """``submit`` and ``activate`` of the promise endpoints (``_detail``, ``_answer`` and
    ``get_object`` come from the viewset)."""

    cxgov_actions = {"submit": "promise.submit", "activate": "promise.activate_override"}

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
