"""Reads of signals for the partner API's listing endpoints.

Each selector runs in the active tenant's context (the API key's), so ``Model.objects``
sees that tenant's rows only. The related objects every row renders (touchpoint, measure,
department, promises) are joined or prefetched here: a page costs the same number of
queries whatever its size.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from promises.models import Promise


def story_queryset() -> QuerySet[Story]:
    return Story.objects.select_related("touchpoint", "department").prefetch_related(
        Prefetch("promises", queryset=Promise.objects.only("id", "slug").order_by("slug"))
    )


def survey_response_queryset() -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.select_related("measure", "touchpoint")


def service_event_queryset() -> QuerySet[ServiceEvent]:
    return ServiceEvent.objects.select_related("measure", "touchpoint")
