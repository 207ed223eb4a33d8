"""Commitment and measure pages: adding and changing a promise's commitments, and the
measures list (where admins add and change duration, rate and average measures)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from promises.commitments import services
from promises.commitments.forms import CommitmentForm, MeasureForm
from promises.commitments.models import Commitment, Measure
from promises.commitments.selectors import measure_list
from promises.forms import add_promise_error
from promises.views import GET_POST, promise_or_404
from tenants.errors import DomainError
from tenants.formonce import send_once
from tenants.permissions import action_required, can, enforce


@action_required("promise.edit")
@GET_POST
def commitment_create(request, pk: int):
    promise = promise_or_404(pk)
    form = CommitmentForm(request.POST or None)

    def create():
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
            return None
        messages.success(request, f"Commitment on {data['measure'].name} added to “{promise.title}”.")
        url = reverse("promise_detail", args=[promise.pk])
        return url, redirect(url)

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    return render(request, "promises/commitment_form.html", {"form": form, "promise": promise})


@action_required("promise.edit")
@GET_POST
def commitment_edit(request, pk: int, commitment_pk: int):
    promise = promise_or_404(pk)
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


MEASURE_KIND_WORDS = {"duration": "Duration", "rate": "Rate", "average": "Average"}


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
                measure = services.measure_create(tenant=request.tenant, **_measure_fields(form))
            except (DomainError, ValidationError) as error:
                add_promise_error(form, error)
            else:
                messages.success(
                    request,
                    f"{MEASURE_KIND_WORDS[measure.kind]} measure “{measure.name}” ({measure.key}) added.",
                )
                return redirect("promise_measures")
    return render(request, "promises/measures.html", {"form": form, "measures": measure_list()})


@action_required("measure.manage")
@GET_POST
def measure_edit(request, key: str):
    measure = get_object_or_404(Measure.objects.filter(is_builtin=False), key=key)
    initial = {
        "name": measure.name,
        "kind": measure.kind,
        "unit": measure.unit,
        "direction": measure.direction,
        "perspective": measure.perspective,
        "scale_min": measure.scale_min,
        "scale_max": measure.scale_max,
    }
    form = MeasureForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        try:
            services.measure_update(tenant=request.tenant, measure=measure, **_measure_fields(form))
        except (DomainError, ValidationError) as error:
            add_promise_error(form, error)
        else:
            messages.success(request, f"Measure “{measure.name}” ({measure.key}) saved.")
            return redirect("promise_measures")
    return render(request, "promises/measure_form.html", {"form": form, "measure": measure})


def _measure_fields(form: MeasureForm) -> dict:
    """The form's values as the services take them: an empty choice is the default when adding
    a measure (a duration, higher is better) and leaves the value as it is when changing one."""
    data = dict(form.cleaned_data)
    adding = "key" in data
    for name, default in (("kind", Measure.Kind.DURATION), ("direction", ""), ("perspective", "")):
        if data.get(name) in (None, ""):
            data[name] = default if adding else None
    return data
