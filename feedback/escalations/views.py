"""The story and import pages: log a story, my stories, all stories (+ CSV export), CSV import.

Rows come from the tenant-scoped managers, so another tenant's story or import answers 404
like a missing one; so does a colleague's story for a member who may see only their own.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from feedback import selectors, services
from feedback.forms import (
    EscalateStoryForm,
    EscalationCommentForm,
    EscalationFilterForm,
    EscalationNoteForm,
    EscalationSettingsForm,
    SignalImportForm,
    StoryFilterForm,
    StoryForm,
)
from feedback.models import Escalation, SignalImport, SourceKind, Story, StoryPromise
from tenants.context import tenant_context
from tenants.csvexport import csv_lines
from tenants.errors import DomainError
from tenants.forms import add_service_error
from tenants.models import Membership, Touchpoint
from tenants.permissions import action_required, can

GET_POST = require_http_methods(["GET", "POST"])
KEPT_ON_REDRAW = ("text", "occurred_at", "department", "segment", "severity", "token")
STORIES_PER_PAGE = 25
MY_ESCALATIONS_SHOWN = 20
EXPORT_CHUNK = 2000
# VADER's usual cut-offs for calling a compound score positive or negative.
POSITIVE_FROM = 0.05
NEGATIVE_TO = -0.05


def sentiment_label(score: float) -> str:
    if score >= POSITIVE_FROM:
        return "positive"
    if score <= NEGATIVE_TO:
        return "negative"
    return "neutral"


def _zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(request.tenant.time_zone)


def _stories() -> QuerySet[Story]:
    """Stories with what a list shows, in a constant number of queries."""
    promise_links = StoryPromise.objects.select_related("promise").order_by("promise__title")
    return Story.objects.select_related("touchpoint", "department").prefetch_related(
        Prefetch("promise_links", queryset=promise_links)
    )


def _mine(request: HttpRequest) -> Q:
    return Q(source_kind=SourceKind.MEMBER, source_id=request.membership.pk)


def _with_authors(stories: list[Story]) -> list[Story]:
    """Set ``author`` (the member who logged it, or None for API/CSV) on each story, in one query."""
    ids = {s.source_id for s in stories if s.source_kind == SourceKind.MEMBER}
    members = {m.pk: m for m in Membership.objects.select_related("user").filter(pk__in=ids)} if ids else {}
    for story in stories:
        story.author = members.get(story.source_id) if story.source_kind == SourceKind.MEMBER else None
        story.sentiment_label = sentiment_label(story.sentiment)
    return stories


def _page(request: HttpRequest, stories: QuerySet[Story]):
    page = Paginator(stories, STORIES_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    _with_authors(page.object_list)
    return page


# --- Log a story ------------------------------------------------------------------------------


@action_required("story.log")
@GET_POST
def story_create(request):
    with timezone.override(_zone(request)):
        if request.method == "POST":
            form = StoryForm(request.POST)
            if form.is_valid():
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
                        # The form's one-time token: a double submit returns the first story.
                        external_id=f"web-form:{data['token']}",
                    )
                except (DomainError, ValidationError) as error:
                    add_service_error(form, error)
                else:
                    label = sentiment_label(story.sentiment)
                    messages.success(
                        request,
                        f"Story logged — thank you. Its sentiment reads {label} ({story.sentiment:+.2f}).",
                    )
                    return redirect("story_detail", pk=story.pk)
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


def _touchpoint_from(value: str | None) -> Touchpoint | None:
    if not value:
        return None
    lookup = {"pk": value} if value.isdigit() else {"slug": value}
    return Touchpoint.objects.filter(**lookup).first()


# --- Reading stories --------------------------------------------------------------------------


@action_required("story.view_own")
@require_GET
def story_page(request, pk: int):
    stories = _stories().filter(pk=pk)
    if not can(request.membership, "story.view_all"):
        stories = stories.filter(_mine(request))
    story = stories.first()
    if story is None:
        raise Http404("No such story.")
    _with_authors([story])
    escalations = selectors.escalations_visible_to(request.membership).filter(evidence__story=story)
    return render(
        request, "feedback/story_detail.html", {"story": story, "escalations": list(escalations.distinct())}
    )


@action_required("story.view_own")
@require_GET
def my_stories(request):
    page = _page(request, _stories().filter(_mine(request)))
    escalations = list(selectors.escalations_from_stories_of(request.membership)[:MY_ESCALATIONS_SHOWN])
    return render(request, "feedback/my_stories.html", {"page_obj": page, "escalations": escalations})


def _filtered(request: HttpRequest) -> tuple[StoryFilterForm, QuerySet[Story], bool]:
    form = StoryFilterForm(request.GET or None)
    stories = _stories()
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
    tenant, zone = request.tenant, _zone(request)

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


# --- CSV import -------------------------------------------------------------------------------


@action_required("signal.import")
@GET_POST
def signal_import_new(request):
    form = SignalImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            signal_import = services.signal_import_create(
                tenant=request.tenant,
                kind=form.cleaned_data["kind"],
                content=form.cleaned_data["file"],
                file_name=request.FILES["file"].name,
                actor=request.membership,
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, "File received; the import runs now. This page shows its progress.")
            return redirect("signal_import_detail", pk=signal_import.pk)
    recent = SignalImport.objects.defer("content", "report")[:10]
    return render(request, "feedback/import_form.html", {"form": form, "recent": recent})


def _import_or_404(pk: int, *, with_report: bool = False) -> SignalImport:
    imports = SignalImport.objects.defer("content")
    if not with_report:
        imports = imports.defer("content", "report")
    signal_import = imports.filter(pk=pk).first()
    if signal_import is None:
        raise Http404("No such import.")
    return signal_import


@action_required("signal.import")
@require_GET
def signal_import_page(request, pk: int):
    signal_import = _import_or_404(pk, with_report=True)
    return render(request, "feedback/import_detail.html", {"imp": signal_import})


@action_required("signal.import")
@require_GET
def signal_import_status(request, pk: int):
    """The status partial the import page polls (htmx) until the import ends."""
    signal_import = _import_or_404(pk, with_report=True)
    return render(request, "feedback/_import_status.html", {"imp": signal_import})


@action_required("signal.import")
@require_GET
def signal_import_rejected(request, pk: int):
    signal_import = _import_or_404(pk, with_report=True)
    rows = csv_lines(services.signal_import_rejected_csv(signal_import=signal_import))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{signal_import.pk}-rejected.csv"'
    return response


@action_required("signal.import")
@require_GET
def signal_import_template(request, kind: str):
    if kind not in SignalImport.Kind.values:
        raise Http404("No such import kind.")
    response = HttpResponse(
        services.signal_import_template(kind=kind), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{kind}-template.csv"'
    return response


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


def _back(request: HttpRequest, default: str):
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


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
    tenant, zone = request.tenant, _zone(request)
    now = timezone.now()

    def when(value) -> str:
        return value.astimezone(zone).isoformat() if value else ""

    def rows() -> Iterator[list]:
        yield ESCALATION_EXPORT_COLUMNS
        with tenant_context(tenant):
            for e in escalations.iterator(chunk_size=EXPORT_CHUNK):
                proposer = e.proposed_by.user.email if e.proposed_by else e.get_proposer_kind_display()
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
    stories = _with_authors(list(escalation.stories.all()))
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
        return render(
            request,
            "feedback/_inbox_row.html",
            {
                "e": escalation,
                "error": error,
                "done": "" if error else _DONE[name],
                "note_form": EscalationNoteForm(),
            },
        )
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"{_DONE[name]}: {escalation.title[:80]}")
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
    stories = _stories().filter(pk=pk)
    if not can(request.membership, "story.view_all"):
        stories = stories.filter(_mine(request))
    story = stories.first()
    if story is None:
        raise Http404("No such story.")
    link = story.promise_links.first()
    default_department = story.department or (link.promise.owner if link else None)
    initial = {
        "title": f"Customer story at {story.touchpoint.name}: {story.text[:120]}",
        "severity": "high" if story.severity == Story.Severity.HIGH else "medium",
        "department": default_department.pk if default_department else None,
    }
    form = EscalateStoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            proposal = services.escalation_propose_from_story(
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
        else:
            if proposal.merged:
                messages.success(
                    request,
                    "An escalation of this promise and touchpoint is already open: the story was added to it.",
                )
            else:
                messages.success(request, "Escalation proposed; the department's managers were told.")
            return redirect("escalation_detail", pk=proposal.escalation.pk)
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
