"""Sign-off pages: a manager's sign-offs waiting, and the review transitions of a promise —
submit, sign off, activate over missing sign-offs. Each transition is a GET that shows what
will happen and a POST that does it; a refusal is shown as a message on the promise's page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from promises.forms import add_promise_error
from promises.models import Promise
from promises.signoffs import services
from promises.signoffs.forms import ReasonForm, SignOffForm
from promises.signoffs.models import SignOff
from promises.signoffs.selectors import current_sign_offs, sign_offs_pending_for
from promises.views import GET_POST, my_pending, promise_or_404, refused
from tenants.errors import DomainError
from tenants.permissions import action_required


@action_required("promise.sign_off")
@require_GET
def my_sign_offs(request):
    return render(
        request,
        "promises/sign_offs.html",
        {"sign_offs": sign_offs_pending_for(membership=request.membership)},
    )


@action_required("promise.submit")
@GET_POST
def promise_submit(request, pk: int):
    promise = promise_or_404(pk)
    if request.method == "POST":
        try:
            services.promise_submit(tenant=request.tenant, promise=promise, actor=request.membership)
        except (DomainError, ValidationError) as error:
            return refused(request, promise, error)
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
    promise = promise_or_404(pk)
    pending = my_pending(request, promise)
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
    promise = promise_or_404(pk)
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
                return refused(request, promise, error)
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
