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
from promises.models import Measure, Promise
from tenants.models import Touchpoint


def story_queryset() -> QuerySet[Story]:
    return Story.objects.select_related("touchpoint", "department").prefetch_related(
        Prefetch("promises", queryset=Promise.objects.only("id", "slug").order_by("slug"))
    )


def survey_response_queryset() -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.select_related("measure", "touchpoint")


def service_event_queryset() -> QuerySet[ServiceEvent]:
    return ServiceEvent.objects.select_related("measure", "touchpoint")


def touchpoint_id_for(slug: str) -> int | None:
    """The id of the tenant's touchpoint ``slug``: a list filtered by it then reads its rows in
    the order of the ``(tenant_id, touchpoint_id, occurred_at)`` index, with no join and no sort
    (filtering through the join hashed and sorted every row of the touchpoint first)."""
    return Touchpoint.objects.filter(slug=slug).values_list("id", flat=True).first()


def measure_id_for(key: str) -> int | None:
    """The id of the tenant's measure ``key`` (same reason as :func:`touchpoint_id_for`)."""
    return Measure.objects.filter(key=key).values_list("id", flat=True).first()
