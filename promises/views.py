"""Promise pages: the registry, a promise's page, drafting, editing and retiring.

Sign-off pages (submit, sign off, activate over missing sign-offs, my sign-offs) are in
``promises/signoffs/views.py``; commitment and measure pages in
``promises/commitments/views.py``. The helpers below are shared by all of them.

Like the console (``tenants/views.py``), every view names its action (``@action_required``,
outermost), parses input with a form, calls one service or selector, and renders. Each
transition (submit, sign off, activate over missing sign-offs, retire) is a GET that shows
what will happen and a POST that does it. Rows come from the tenant-scoped managers, so
another tenant's promise answers 404 like a missing one. Whether a transition is legal in
the promise's state is the service's call; a refusal is shown as a message.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from promises import services
from promises.forms import PromiseFilterForm, PromiseForm, add_promise_error
from promises.models import Promise
from promises.selectors import promise_detail, promise_history, promise_list
from promises.signoffs.models import SignOff
from promises.signoffs.selectors import current_sign_offs, sign_offs_pending_for
from tenants.errors import DomainError
from tenants.formonce import send_once
from tenants.models import Department, Touchpoint
from tenants.permissions import action_required, can

GET_POST = require_http_methods(["GET", "POST"])


def promise_or_404(pk: int) -> Promise:
    """The promise of the URL, with everything its page shows; 404 for a missing one (or another tenant's)."""
    promise = promise_detail(promise_id=pk)
    if promise is None:
        raise Http404("No such promise.")
    return promise


def my_pending(request: HttpRequest, promise: Promise) -> list[SignOff]:
    """The current round's sign-offs the signed-in member can decide now."""
    if not can(request.membership, "promise.sign_off"):
        return []
    return [s for s in sign_offs_pending_for(membership=request.membership) if s.promise_id == promise.pk]


def refused(request: HttpRequest, promise: Promise, error: DomainError | ValidationError) -> HttpResponse:
    """A refused transition: its message on the promise's page."""
    text = error.message if isinstance(error, DomainError) else " ".join(error.messages)
    messages.error(request, text)
    return redirect("promise_detail", pk=promise.pk)


# ---------------------------------------------------------------------------------------------


@action_required("promise.view")
@require_GET
def promise_registry(request):
    form = PromiseFilterForm(request.GET or None)
    filters: dict = {}
    if form.is_valid():
        data = form.cleaned_data
        filters["status"] = data["status"]
        if data["department"]:
            filters["department"] = Department.objects.get(slug=data["department"])
        if data["touchpoint"]:
            filters["touchpoint"] = Touchpoint.objects.get(slug=data["touchpoint"])
    groups = promise_list(**filters)
    return render(
        request,
        "promises/registry.html",
        {
            "form": form,
            "groups": groups,
            "filtered": bool(request.GET and form.is_valid() and any(filters.values())),
        },
    )


# ---------------------------------------------------------------------------------------------


@action_required("promise.view")
@require_GET
def promise_page(request, pk: int):
    promise = promise_or_404(pk)
    history = promise_history(promise=promise)
    status = promise.status
    return render(
        request,
        "promises/detail.html",
        {
            "promise": promise,
            "history": history,
            "sign_offs": current_sign_offs(promise),
            "my_pending": my_pending(request, promise),
            "editable": status in (Promise.Status.DRAFT, Promise.Status.ACTIVE),
            "can_add_commitment": not promise.is_brand
            and status in (Promise.Status.DRAFT, Promise.Status.ACTIVE),
            "is_draft": status == Promise.Status.DRAFT,
            "in_review": status == Promise.Status.IN_REVIEW,
            "is_active": status == Promise.Status.ACTIVE,
        },
    )


@action_required("promise.edit")
@GET_POST
def promise_create(request):
    form = PromiseForm(request.POST or None)

    def create():
        data = form.cleaned_data
        try:
            promise = services.promise_create(
                tenant=request.tenant,
                kind=data["kind"],
                title=data["title"],
                statement=data["statement"],
                benefits=data["benefits"],
                quality_standards=data["quality_standards"],
                intended_feeling=data["intended_feeling"],
                owner=data["owner"],
                contributors=list(data["contributors"]),
                weight=data["weight"],
                parent=data["parent"],
                actor=request.membership,
            )
        except (DomainError, ValidationError) as error:
            add_promise_error(form, error)
            return None
        messages.success(request, f"Draft “{promise.title}” created. Add its commitments, then submit it.")
        url = reverse("promise_detail", args=[promise.pk])
        return url, redirect(url)

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    return render(request, "promises/promise_form.html", {"form": form})


@action_required("promise.edit")
@GET_POST
def promise_edit(request, pk: int):
    promise = promise_or_404(pk)
    initial = {
        "title": promise.title,
        "statement": promise.statement,
        "benefits": promise.benefits,
        "quality_standards": promise.quality_standards,
        "intended_feeling": promise.intended_feeling,
        "owner": promise.owner_id,
        "contributors": [d.pk for d in promise.contributors.all()],
        "weight": promise.weight,
        "parent": promise.parent_id,
    }
    form = PromiseForm(request.POST or None, initial=initial, promise=promise)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        changes = {
            name: data[name]
            for name in ("title", "statement", "benefits", "quality_standards", "intended_feeling", "weight")
        }
        if "owner" in form.fields:
            changes["owner"] = data["owner"]
            changes["contributors"] = list(data["contributors"])
        if "parent" in form.fields:
            changes["parent"] = data["parent"]
        try:
            services.promise_update(
                tenant=request.tenant,
                promise=promise,
                actor=request.membership,
                note=data.get("note", ""),
                **changes,
            )
        except (DomainError, ValidationError) as error:
            add_promise_error(form, error)
        else:
            messages.success(request, f"“{promise.title}” saved.")
            return redirect("promise_detail", pk=promise.pk)
    return render(request, "promises/promise_form.html", {"form": form, "promise": promise})


# ---------------------------------------------------------------------------------------------


@action_required("promise.retire")
@GET_POST
def promise_retire(request, pk: int):
    promise = promise_or_404(pk)
    if request.method == "POST":
        try:
            services.promise_retire(tenant=request.tenant, promise=promise, actor=request.membership)
        except (DomainError, ValidationError) as error:
            return refused(request, promise, error)
        messages.success(request, f"“{promise.title}” is retired; its commitments no longer count.")
        return redirect("promise_detail", pk=promise.pk)
    return render(request, "promises/confirm_retire.html", {"promise": promise})
