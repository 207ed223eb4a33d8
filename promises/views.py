"""Promise pages: the registry, a promise's page, its forms and its transitions; measures.

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
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from promises import services
from promises.forms import (
    CommitmentForm,
    MeasureForm,
    PromiseFilterForm,
    PromiseForm,
    ReasonForm,
    SignOffForm,
    add_promise_error,
)
from promises.models import Commitment, Promise, SignOff
from promises.selectors import (
    current_sign_offs,
    measure_list,
    promise_detail,
    promise_history,
    promise_list,
    sign_offs_pending_for,
)
from tenants.errors import DomainError
from tenants.models import Department, Touchpoint
from tenants.permissions import action_required, can, enforce

GET_POST = require_http_methods(["GET", "POST"])


def _promise_or_404(pk: int) -> Promise:
    promise = promise_detail(promise_id=pk)
    if promise is None:
        raise Http404("No such promise.")
    return promise


def _my_pending(request: HttpRequest, promise: Promise) -> list[SignOff]:
    """The current round's sign-offs the signed-in member can decide now."""
    if not can(request.membership, "promise.sign_off"):
        return []
    return [s for s in sign_offs_pending_for(membership=request.membership) if s.promise_id == promise.pk]


def _refused(request: HttpRequest, promise: Promise, error: DomainError | ValidationError) -> HttpResponse:
    text = error.message if isinstance(error, DomainError) else " ".join(error.messages)
    messages.error(request, text)
    return redirect("promise_detail", pk=promise.pk)


# --- Registry and my sign-offs ---------------------------------------------------------------


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


@action_required("promise.sign_off")
@require_GET
def my_sign_offs(request):
    return render(
        request,
        "promises/sign_offs.html",
        {"sign_offs": sign_offs_pending_for(membership=request.membership)},
    )


# --- A promise -------------------------------------------------------------------------------


@action_required("promise.view")
@require_GET
def promise_page(request, pk: int):
    promise = _promise_or_404(pk)
    history = promise_history(promise=promise)
    status = promise.status
    return render(
        request,
        "promises/detail.html",
        {
            "promise": promise,
            "history": history,
            "sign_offs": current_sign_offs(promise),
            "my_pending": _my_pending(request, promise),
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
    if request.method == "POST" and form.is_valid():
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
        else:
            messages.success(
                request, f"Draft “{promise.title}” created. Add its commitments, then submit it."
            )
            return redirect("promise_detail", pk=promise.pk)
    return render(request, "promises/promise_form.html", {"form": form})


@action_required("promise.edit")
@GET_POST
def promise_edit(request, pk: int):
    promise = _promise_or_404(pk)
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


@action_required("promise.edit")
@GET_POST
def commitment_create(request, pk: int):
    promise = _promise_or_404(pk)
    form = CommitmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.commitment_create(
                tenant=request.tenant,
                promise=promise,
                measure=data["measure"],
                touchpoint=data["touchpoint"],
                target=data["target"],
                threshold_seconds=form.threshold_seconds(),
                window_days=data["window_days"],
                min_sample=data["min_sample"],
                weight=data["weight"],
                actor=request.membership,
            )
        except (DomainError, ValidationError) as error:
            add_promise_error(form, error, CommitmentForm.ALIASES)
        else:
            messages.success(request, f"Commitment on {data['measure'].name} added to “{promise.title}”.")
            return redirect("promise_detail", pk=promise.pk)
    return render(request, "promises/commitment_form.html", {"form": form, "promise": promise})


@action_required("promise.edit")
@GET_POST
def commitment_edit(request, pk: int, commitment_pk: int):
    promise = _promise_or_404(pk)
    commitment = get_object_or_404(
        Commitment.objects.select_related("measure", "touchpoint"), pk=commitment_pk, promise=promise
    )
    current = commitment.current_version
    initial = {}
    if current is not None:
        hours = None if current.threshold_seconds is None else current.threshold_seconds / 3600
        initial = {
            "target": current.target,
            "threshold_hours": hours,
            "window_days": current.window_days,
            "min_sample": current.min_sample,
            "weight": current.weight,
        }
    form = CommitmentForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.commitment_update(
                tenant=request.tenant,
                commitment=commitment,
                target=data["target"],
                threshold_seconds=form.threshold_seconds(),
                window_days=data["window_days"],
                min_sample=data["min_sample"],
                weight=data["weight"],
                actor=request.membership,
            )
        except (DomainError, ValidationError) as error:
            add_promise_error(form, error, CommitmentForm.ALIASES)
        else:
            messages.success(request, f"Commitment on {commitment.measure.name} saved.")
            return redirect("promise_detail", pk=promise.pk)
    return render(
        request,
        "promises/commitment_form.html",
        {"form": form, "promise": promise, "commitment": commitment},
    )


# --- Transitions ----------------------------------------------------------------------------


@action_required("promise.submit")
@GET_POST
def promise_submit(request, pk: int):
    promise = _promise_or_404(pk)
    if request.method == "POST":
        try:
            services.promise_submit(tenant=request.tenant, promise=promise, actor=request.membership)
        except (DomainError, ValidationError) as error:
            return _refused(request, promise, error)
        messages.success(
            request,
            f"“{promise.title}” is in review. The managers of its departments were asked by e-mail to sign it off.",
        )
        return redirect("promise_detail", pk=promise.pk)
    departments = [promise.owner, *promise.contributors.all()]
    return render(request, "promises/confirm_submit.html", {"promise": promise, "departments": departments})


@action_required("promise.sign_off")
@GET_POST
def promise_sign_off(request, pk: int):
    promise = _promise_or_404(pk)
    pending = _my_pending(request, promise)
    if not pending:
        messages.info(request, "There is no sign-off waiting for you on this promise.")
        return redirect("promise_detail", pk=promise.pk)
    form = SignOffForm(request.POST or None, sign_offs=pending)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        approve = data["decision"] == "approve"
        try:
            services.promise_sign_off(
                tenant=request.tenant,
                promise=promise,
                department=data["department"],
                actor=request.membership,
                approve=approve,
                comment=data["comment"],
            )
        except (DomainError, ValidationError) as error:
            add_promise_error(form, error)
        else:
            promise.refresh_from_db()
            if not approve:
                text = f"Changes requested for {data['department'].name}; “{promise.title}” is back in draft."
            elif promise.status == Promise.Status.ACTIVE:
                text = f"Approved for {data['department'].name}. Every department approved: “{promise.title}” is active."
            else:
                text = f"Approved for {data['department'].name}. Other departments still have to sign off."
            messages.success(request, text)
            return redirect("promise_detail", pk=promise.pk)
    return render(
        request, "promises/confirm_sign_off.html", {"promise": promise, "form": form, "pending": pending}
    )


@action_required("promise.activate_override")
@GET_POST
def promise_activate(request, pk: int):
    promise = _promise_or_404(pk)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.promise_activate_override(
                tenant=request.tenant,
                promise=promise,
                actor=request.membership,
                reason=form.cleaned_data["reason"],
            )
        except (DomainError, ValidationError) as error:
            if isinstance(error, DomainError) and error.field == "status":
                return _refused(request, promise, error)
            add_promise_error(form, error)
        else:
            messages.success(
                request, f"“{promise.title}” is active; the reason is recorded on the missing sign-offs."
            )
            return redirect("promise_detail", pk=promise.pk)
    missing = [s for s in current_sign_offs(promise) if s.status == SignOff.Status.PENDING]
    return render(
        request, "promises/confirm_activate.html", {"promise": promise, "form": form, "missing": missing}
    )


@action_required("promise.retire")
@GET_POST
def promise_retire(request, pk: int):
    promise = _promise_or_404(pk)
    if request.method == "POST":
        try:
            services.promise_retire(tenant=request.tenant, promise=promise, actor=request.membership)
        except (DomainError, ValidationError) as error:
            return _refused(request, promise, error)
        messages.success(request, f"“{promise.title}” is retired; its commitments no longer count.")
        return redirect("promise_detail", pk=promise.pk)
    return render(request, "promises/confirm_retire.html", {"promise": promise})


# --- Measures --------------------------------------------------------------------------------


@action_required("measure.view")
@GET_POST
def measures(request):
    form = None
    if can(request.membership, "measure.manage"):
        form = MeasureForm(request.POST or None)
    if request.method == "POST":
        enforce(request, "measure.manage")
        if form.is_valid():
            try:
                measure = services.measure_create(tenant=request.tenant, **form.cleaned_data)
            except (DomainError, ValidationError) as error:
                add_promise_error(form, error)
            else:
                messages.success(request, f"Duration measure “{measure.name}” ({measure.key}) added.")
                return redirect("promise_measures")
    return render(request, "promises/measures.html", {"form": form, "measures": measure_list()})
