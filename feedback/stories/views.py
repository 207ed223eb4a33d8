"""The story pages: log a story, my stories, all stories (+ CSV export).

Rows come from the tenant-scoped managers, so another tenant's story answers 404
like a missing one; so does a colleague's story for a member who may see only their own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from feedback.escalations.selectors import escalations_from_stories_of, escalations_visible_to
from feedback.pages import EXPORT_CHUNK, GET_POST, tenant_zone
from feedback.sentiment import sentiment_label
from feedback.stories import services
from feedback.stories.forms import StoryFilterForm, StoryForm
from feedback.stories.models import Story
from feedback.stories.selectors import stories_of, story_rows, with_authors
from tenants.context import tenant_context
from tenants.csvexport import csv_lines
from tenants.errors import DomainError
from tenants.formonce import FIELD as FORM_TOKEN
from tenants.formonce import send_once
from tenants.forms import add_service_error
from tenants.models import Touchpoint
from tenants.permissions import action_required, can

KEPT_ON_REDRAW = ("text", "occurred_at", "department", "segment", "severity", FORM_TOKEN)
STORIES_PER_PAGE = 25
MY_ESCALATIONS_SHOWN = 20


def _page(request: HttpRequest, stories: QuerySet[Story]):
    page = Paginator(stories, STORIES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    with_authors(page.object_list)
    return page


# --- Log a story ------------------------------------------------------------------------------


@action_required("story.log")
@GET_POST
def story_create(request):
    with timezone.override(tenant_zone(request)):
        if request.method == "POST":
            form = StoryForm(request.POST)
            if form.is_valid():
                response = send_once(request, form, lambda: _log_story(request, form))
                if response is not None:
                    return response
        else:
            # ?touchpoint= redraws the form with its promises suggested (htmx, or the no-JavaScript
            # "Suggest promises" button, which sends what was typed so far along).
            touchpoint = _touchpoint_from(request.GET.get("touchpoint"))
            initial: dict[str, Any] = {
                name: request.GET[name] for name in KEPT_ON_REDRAW if request.GET.get(name)
            }
            initial["promises"] = request.GET.getlist("promises")
            if touchpoint is not None:
                initial["touchpoint"] = touchpoint.pk
            form = StoryForm(initial=initial, touchpoint=touchpoint)
        return render(request, "feedback/story_form.html", {"form": form})


def _log_story(request: HttpRequest, form: StoryForm):
    data = form.cleaned_data
    try:
        story = services.story_create(
            tenant=request.tenant,
            text=data["text"],
            occurred_at=data["occurred_at"],
            touchpoint=data["touchpoint"],
            promises=list(data["promises"]),
            department=data["department"],
            segment=data["segment"],
            severity=data["severity"],
            source=request.membership,
            # The form's one-time token also keys the row: two sends racing past the token
            # check still store one story.
            external_id=f"web-form:{data[FORM_TOKEN]}",
        )
    except (DomainError, ValidationError) as error:
        add_service_error(form, error)
        return None
    label = sentiment_label(story.sentiment)
    messages.success(
        request, f"Story logged — thank you. Its sentiment reads {label} ({story.sentiment:+.2f})."
    )
    url = reverse("story_detail", args=[story.pk])
    return url, redirect(url)


def _touchpoint_from(value: str | None) -> Touchpoint | None:
    if not value:
        return None
    lookup = {"pk": value} if value.isdigit() else {"slug": value}
    return Touchpoint.objects.filter(**lookup).first()


# --- Reading stories --------------------------------------------------------------------------


@action_required("story.view_own")
@require_GET
def story_page(request, pk: int):
    stories = story_rows().filter(pk=pk)
    if not can(request.membership, "story.view_all"):
        stories = stories.filter(stories_of(request.membership))
    story = stories.first()
    if story is None:
        raise Http404("No such story.")
    with_authors([story])
    escalations = escalations_visible_to(request.membership).filter(evidence__story=story)
    return render(
        request, "feedback/story_detail.html", {"story": story, "escalations": list(escalations.distinct())}
    )


@action_required("story.view_own")
@require_GET
def my_stories(request):
    page = _page(request, story_rows().filter(stories_of(request.membership)))
    escalations = list(escalations_from_stories_of(request.membership)[:MY_ESCALATIONS_SHOWN])
    return render(request, "feedback/my_stories.html", {"page_obj": page, "escalations": escalations})


def _filtered(request: HttpRequest) -> tuple[StoryFilterForm, QuerySet[Story], bool]:
    form = StoryFilterForm(request.GET or None)
    stories = story_rows()
    filtered = False
    if form.is_bound and form.is_valid():
        condition = form.story_filter(request.tenant.time_zone)
        filtered = bool(condition)
        if filtered:
            # A promise filter joins the links: distinct keeps one row per story.
            stories = stories.filter(condition).distinct()
    return form, stories, filtered


@action_required("story.view_all")
@require_GET
def story_list(request):
    form, stories, filtered = _filtered(request)
    page = _page(request, stories)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "feedback/story_list.html",
        {"form": form, "page_obj": page, "filtered": filtered, "export_query": query.urlencode()},
    )


EXPORT_COLUMNS = [
    "id", "occurred_at", "touchpoint", "promises", "department", "segment", "severity",
    "sentiment", "sentiment_label", "channel", "text",
]  # fmt: skip


@action_required("story.view_all")
@require_GET
def story_export(request):
    _, stories, _ = _filtered(request)
    tenant, zone = request.tenant, tenant_zone(request)

    def rows() -> Iterator[list]:
        yield EXPORT_COLUMNS
        # The response is streamed after the view returned: enter the tenant again.
        with tenant_context(tenant):
            for story in stories.iterator(chunk_size=EXPORT_CHUNK):
                yield [
                    story.pk,
                    story.occurred_at.astimezone(zone).isoformat(),
                    story.touchpoint.slug,
                    " ".join(link.promise.slug for link in story.promise_links.all()),
                    story.department.slug if story.department else "",
                    story.segment,
                    story.severity,
                    f"{story.sentiment:.4f}",
                    sentiment_label(story.sentiment),
                    story.channel,
                    story.text,
                ]

    # Every cell passes tenants.csvexport: nothing in the file runs as a spreadsheet formula.
    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(timezone.now(), zone).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="stories-{tenant.slug}-{stamp}.csv"'
    return response
