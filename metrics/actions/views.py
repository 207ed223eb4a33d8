"""The action pages: the list (filters, pages), planning an action about a promise, an escalation
or a breach event, and one action (changed by a planner, updated by its owner)."""

from __future__ import annotations

import zoneinfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from feedback.escalations.models import Escalation
from metrics.actions import selectors, services
from metrics.actions.forms import ActionCreateForm, ActionFilterForm, ActionForm, ActionProgressForm
from metrics.models import BreachEvent
from promises.models import Promise
from tenants.errors import DomainError
from tenants.formonce import send_once
from tenants.forms import add_service_error
from tenants.permissions import action_required, can, enforce

ACTIONS_PER_PAGE = 25
GET_POST = require_http_methods(["GET", "POST"])


def _today(request: HttpRequest):
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(request.tenant.time_zone))


@action_required("action.view")
@require_GET
def action_list(request):
    form = ActionFilterForm(request.GET or None)
    filters = form.filters(request.membership) if form.is_valid() else {}
    links = {}
    for name in ("promise", "escalation", "breach_event"):
        value = request.GET.get(name, "")
        if value.isdigit():
            links[name] = int(value)
    today = _today(request)
    actions = selectors.actions_filtered(today=today, **filters, **links)
    page = Paginator(actions, ACTIONS_PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = [selectors.action_row(a, today=today) for a in page.object_list]
    return render(
        request,
        "metrics/actions/list.html",
        {
            "form": form,
            "page_obj": page,
            "filtered": any(v not in ("", None) for v in filters.values()) or bool(links),
            "links": links,
        },
    )


def _subject(request: HttpRequest) -> dict:
    """The promise, escalation or breach event named in the address (``?promise=<id>`` …), in
    the tenant; another tenant's answers 404 like a missing one."""
    subject = {}
    for name, model in (("promise", Promise), ("escalation", Escalation), ("breach_event", BreachEvent)):
        value = request.GET.get(name, "")
        if value:
            found = model.objects.filter(pk=int(value)).first() if value.isdigit() else None
            if found is None:
                raise Http404(f"No such {name.replace('_', ' ')}.")
            subject[name] = found
    if not subject:
        raise Http404("Plan an action from a promise, an escalation or a breach event.")
    return subject


def _subject_promise_id(subject: dict) -> int | None:
    if "promise" in subject:
        return subject["promise"].pk
    for name in ("escalation", "breach_event"):
        if name in subject and subject[name].promise_id:
            return subject[name].promise_id
    return None


@action_required("action.plan")
@GET_POST
def action_create(request):
    subject = _subject(request)
    promise_id = _subject_promise_id(subject)
    breach = subject.get("breach_event")
    source = subject.get("escalation") or breach
    initial = {
        "owner": request.membership.pk,
        "department": source.department_id if source else None,
        "commitment": breach.commitment_id if breach else None,
    }
    form = ActionCreateForm(request.POST or None, initial=initial, promise_id=promise_id)

    def create():
        data = form.cleaned_data
        try:
            action = services.action_create(
                tenant=request.tenant,
                actor=request.membership,
                title=data["title"],
                owner=data["owner"],
                department=data["department"],
                due_on=data["due_on"],
                commitment=data.get("commitment"),
                notes=data["notes"],
                **subject,
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
            return None
        messages.success(
            request, f"Action planned; {action.owner.user.email} will be reminded before it is due."
        )
        url = reverse("action_detail", args=[action.pk])
        return url, redirect(url)

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    return render(request, "metrics/actions/form.html", {"form": form, "subject": subject})


@action_required("action.view")
@GET_POST
def action_detail(request, pk: int):
    action = selectors.action_queryset().filter(pk=pk).first()
    if action is None:
        raise Http404("No such action.")
    planner = can(request.membership, "action.plan", action)
    updater = planner or can(request.membership, "action.update", action)
    form = None
    if planner:
        initial = {
            "title": action.title,
            "owner": action.owner_id,
            "department": action.department_id,
            "due_on": action.due_on,
            "commitment": action.commitment_id,
            "notes": action.notes,
            "status": action.status,
        }
        form = ActionForm(
            request.POST or None, initial=initial, promise_id=action.promise_id, with_status=True
        )
    elif updater:
        form = ActionProgressForm(
            request.POST or None, initial={"status": action.status, "notes": action.notes}
        )
    if request.method == "POST":
        if form is None:
            enforce(request, "action.update", action)
        if form.is_valid():
            try:
                services.action_update(
                    tenant=request.tenant, actor=request.membership, action=action, **form.cleaned_data
                )
            except (DomainError, ValidationError) as error:
                add_service_error(form, error)
            else:
                messages.success(request, "Action saved.")
                return redirect("action_detail", pk=action.pk)
    today = _today(request)
    return render(
        request,
        "metrics/actions/detail.html",
        {"action": selectors.action_row(action, today=today), "form": form, "planner": planner, "a": action},
    )
