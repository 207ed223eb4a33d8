"""The escalation pages: inbox, list (+ CSV export), one escalation and its transitions, settings."""

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
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from feedback.escalations import proposals, selectors, services
from feedback.escalations.forms import (
    EscalateStoryForm,
    EscalationCommentForm,
    EscalationFilterForm,
    EscalationNoteForm,
    EscalationSettingsForm,
)
from feedback.escalations.models import Escalation
from feedback.pages import EXPORT_CHUNK, GET_POST, tenant_zone
from feedback.stories.models import Story
from feedback.stories.selectors import stories_of, story_rows, with_authors
from tenants.context import tenant_context
from tenants.csvexport import csv_lines
from tenants.errors import DomainError
from tenants.formonce import send_once
from tenants.forms import add_service_error
from tenants.permissions import action_required, can
from tenants.text import SYSTEM_ACTOR, shorten

# --- Escalations ------------------------------------------------------------------------------

ESCALATIONS_PER_PAGE = 25
TRANSITIONS = ("approve", "reject", "start", "resolve", "reopen", "close")
_DONE = {
    "approve": "Approved",
    "reject": "Rejected",
    "start": "Moved to in progress",
    "resolve": "Resolved",
    "reopen": "Reopened",
    "close": "Closed",
}


def _mark_overdue(escalations: list[Escalation]) -> list[Escalation]:
    now = timezone.now()
    for escalation in escalations:
        escalation.overdue = escalation.is_overdue_at(now)
    return escalations


def _escalation_or_404(request: HttpRequest, pk: int) -> Escalation:
    escalation = selectors.escalation_detail(pk, request.membership)
    if escalation is None:
        raise Http404("No such escalation.")
    return escalation


def _safe_next(request: HttpRequest) -> str:
    """The page the form came from (``next``), if it is one of this site's; else ""."""
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


def _back(request: HttpRequest, default: str):
    return redirect(_safe_next(request) or default)


@action_required("escalation.view_all")
@require_GET
def escalation_inbox(request):
    inbox = selectors.escalation_inbox(request.membership)
    for rows in inbox.values():
        _mark_overdue(rows)
    return render(request, "feedback/escalation_inbox.html", {**inbox, "note_form": EscalationNoteForm()})


def _escalations_filtered(request: HttpRequest) -> tuple[EscalationFilterForm, QuerySet[Escalation], bool]:
    form = EscalationFilterForm(request.GET or None)
    escalations = selectors.escalation_queryset().order_by("-proposed_at", "-id")
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = form.filters()
        escalations = selectors.escalation_filter(escalations, **filters)
    return form, escalations, any(v not in ("", None) for v in filters.values())


@action_required("escalation.view_all")
@require_GET
def escalation_list(request):
    form, escalations, filtered = _escalations_filtered(request)
    page = Paginator(escalations, ESCALATIONS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _mark_overdue(list(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "feedback/escalation_list.html",
        {"form": form, "page_obj": page, "filtered": filtered, "export_query": query.urlencode()},
    )


ESCALATION_EXPORT_COLUMNS = [
    "id", "state", "severity", "title", "department", "promise", "touchpoint", "proposed_by", "owner",
    "proposed_at", "decision_due_at", "resolution_due_at", "resolved_at", "closed_at", "overdue",
    "overdue_level", "resolution",
]  # fmt: skip


@action_required("escalation.view_all")
@require_GET
def escalation_export(request):
    _, escalations, _ = _escalations_filtered(request)
    tenant, zone = request.tenant, tenant_zone(request)
    now = timezone.now()

    def when(value) -> str:
        return value.astimezone(zone).isoformat() if value else ""

    def rows() -> Iterator[list]:
        yield ESCALATION_EXPORT_COLUMNS
        with tenant_context(tenant):
            for e in escalations.iterator(chunk_size=EXPORT_CHUNK):
                proposer = (
                    e.proposed_by.user.email
                    if e.proposed_by
                    else (f"API key {e.proposed_by_key.name}" if e.proposed_by_key else SYSTEM_ACTOR)
                )
                yield [
                        e.pk, e.state, e.severity, e.title, e.department.slug,
                        e.promise.slug if e.promise else "", e.touchpoint.slug if e.touchpoint else "",
                        proposer, e.owner.user.email if e.owner else "", when(e.proposed_at),
                        when(e.decision_due_at), when(e.resolution_due_at), when(e.resolved_at),
                        when(e.closed_at), "yes" if e.is_overdue_at(now) else "no", e.overdue_level,
                        e.resolution,
                    ]  # fmt: skip

    response = StreamingHttpResponse(csv_lines(rows()), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime(now, zone).strftime("%Y-%m-%d")
    response["Content-Disposition"] = f'attachment; filename="escalations-{tenant.slug}-{stamp}.csv"'
    return response


@action_required("escalation.view_own")
@require_GET
def escalation_page(request, pk: int):
    escalation = _escalation_or_404(request, pk)
    _mark_overdue([escalation])
    stories = with_authors(list(escalation.stories.all()))
    return render(
        request,
        "feedback/escalation_detail.html",
        {
            "escalation": escalation,
            "stories": stories,
            "note_form": EscalationNoteForm(department_id=escalation.department_id),
            "comment_form": EscalationCommentForm(),
        },
    )


@action_required("escalation.view_own")
@require_POST
def escalation_transition(request, pk: int, name: str):
    """Approve, reject, start, resolve, reopen or close. Who may is checked by the service (it
    knows the department, the proposer and the owner); htmx gets the inbox row back."""
    if name not in TRANSITIONS:
        raise Http404("No such transition.")
    escalation = _escalation_or_404(request, pk)
    form = EscalationNoteForm(request.POST, department_id=escalation.department_id)
    error = ""
    if not form.is_valid():
        error = " ".join(str(m) for messages_ in form.errors.values() for m in messages_)
    else:
        note, actor = form.cleaned_data["note"], request.membership
        call = {
            "approve": lambda: services.escalation_approve(
                tenant=request.tenant,
                escalation=escalation,
                actor=actor,
                owner=form.cleaned_data["owner"],
                note=note,
            ),
            "reject": lambda: services.escalation_reject(
                tenant=request.tenant, escalation=escalation, actor=actor, reason=note
            ),
            "start": lambda: services.escalation_start(
                tenant=request.tenant, escalation=escalation, actor=actor, note=note
            ),
            "resolve": lambda: services.escalation_resolve(
                tenant=request.tenant, escalation=escalation, actor=actor, resolution=note
            ),
            "reopen": lambda: services.escalation_reopen(
                tenant=request.tenant, escalation=escalation, actor=actor, reason=note
            ),
            "close": lambda: services.escalation_close(
                tenant=request.tenant, escalation=escalation, actor=actor, note=note
            ),
        }[name]
        try:
            call()
        except DomainError as refusal:
            error = refusal.message
    if request.headers.get("HX-Request"):
        escalation = _escalation_or_404(request, pk)
        _mark_overdue([escalation])
        response = render(
            request,
            "feedback/_inbox_row.html",
            {
                "e": escalation,
                "error": error,
                "done": "" if error else _DONE[name],
                "note_form": EscalationNoteForm(),
                "back": _safe_next(request),
                # The page's "awaiting my decision" count, redrawn beside the row (htmx
                # out-of-band swap, in the inbox and on the home page).
                "awaiting_count": selectors.escalation_awaiting_count(request.membership),
            },
        )
        if not error:
            # Pages that count escalations (the home page) redraw their counts on this event.
            response["HX-Trigger"] = "escalation-changed"
        return response
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{_DONE[name]}: {shorten(escalation.title, 80)}")
    return _back(request, reverse("escalation_detail", args=[pk]))


@action_required("escalation.comment")
@require_POST
def escalation_comment(request, pk: int):
    escalation = _escalation_or_404(request, pk)
    form = EscalationCommentForm(request.POST)
    if form.is_valid():
        try:
            services.escalation_comment(
                tenant=request.tenant,
                escalation=escalation,
                actor=request.membership,
                text=form.cleaned_data["text"],
            )
        except DomainError as refusal:
            messages.error(request, refusal.message)
        else:
            messages.success(request, "Comment added.")
    else:
        messages.error(request, "Write the comment first.")
    return redirect("escalation_detail", pk=pk)


@action_required("escalation.propose")
@GET_POST
def story_escalate(request, pk: int):
    """"Escalate this story": propose an escalation with the story as evidence."""  # fmt: skip
    stories = story_rows().filter(pk=pk)
    if not can(request.membership, "story.view_all"):
        stories = stories.filter(stories_of(request.membership))
    story = stories.first()
    if story is None:
        raise Http404("No such story.")
    link = story.promise_links.first()
    default_department = story.department or (link.promise.owner if link else None)
    initial = {
        "title": f"Customer story at {story.touchpoint.name}: {shorten(story.text, 120)}",
        "severity": "high" if story.severity == Story.Severity.HIGH else "medium",
        "department": default_department.pk if default_department else None,
    }
    form = EscalateStoryForm(request.POST or None, initial=initial)

    def create():
        data = form.cleaned_data
        try:
            proposal = proposals.escalation_propose_from_story(
                tenant=request.tenant,
                story=story,
                actor=request.membership,
                severity=data["severity"],
                title=data["title"],
                description=data["description"],
                department=data["department"],
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
            return None
        if proposal.merged:
            messages.success(
                request,
                "An escalation of this promise and touchpoint is already open: the story was added to it.",
            )
        else:
            messages.success(request, "Escalation proposed; the department's managers were told.")
        url = reverse("escalation_detail", args=[proposal.escalation.pk])
        return url, redirect(url)

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    return render(request, "feedback/story_escalate.html", {"form": form, "story": story})


@action_required("escalation.settings")
@GET_POST
def escalation_settings(request):
    current = services.escalation_settings_get(tenant=request.tenant)
    form = EscalationSettingsForm(request.POST or None, instance=current)
    if request.method == "POST" and form.is_valid():
        try:
            services.escalation_settings_update(
                tenant=request.tenant,
                actor=request.membership,
                **{n: form.cleaned_data[n] for n in form.fields},
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Escalation settings saved.")
            return redirect("escalation_settings")
    return render(request, "feedback/escalation_settings.html", {"form": form})
