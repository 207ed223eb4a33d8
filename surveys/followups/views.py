"""The follow-up pages: the department inbox (filters, pages) and one follow-up, where a
manager assigns an owner and the owner or a manager closes it with an outcome and a note.

A follow-up another member may not see, or of another tenant, answers 404 like a missing one.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from surveys.followups import selectors, services
from surveys.followups.forms import FollowUpAssignForm, FollowUpCloseForm, FollowUpFilterForm
from surveys.models import FollowUp
from tenants.errors import DomainError
from tenants.forms import add_service_error
from tenants.permissions import action_required, can, enforce

FOLLOWUPS_PER_PAGE = 25


def _followup_or_404(request: HttpRequest, pk: int) -> FollowUp:
    followup = selectors.followup_get(pk=pk, membership=request.membership)
    if followup is None:
        raise Http404("No such follow-up.")
    enforce(request, "followup.view", followup)
    return followup


@action_required("followup.view")
@require_GET
def followup_list(request):
    form = FollowUpFilterForm(request.GET or None, membership=request.membership)
    filters = {"status": FollowUp.Status.OPEN, "department": None}
    if form.is_bound and form.is_valid():
        filters = form.filters()
    followups = selectors.followup_filter(
        selectors.followups_visible(membership=request.membership), **filters
    )
    page = Paginator(followups, FOLLOWUPS_PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    for followup in page.object_list:
        followup.overdue = followup.status == FollowUp.Status.OPEN and followup.due_at < now
    return render(
        request,
        "surveys/followups/list.html",
        {
            "form": form,
            "page_obj": page,
            "filtered": bool(request.GET.get("department"))
            or request.GET.get("status") not in (None, "", "open"),
            "status": filters["status"],
        },
    )


def _detail(request, followup: FollowUp, *, assign_form=None, close_form=None, status: int = 200):
    return render(
        request,
        "surveys/followups/detail.html",
        {
            "followup": followup,
            "overdue": followup.status == FollowUp.Status.OPEN and followup.due_at < timezone.now(),
            "assign_form": assign_form
            or FollowUpAssignForm(initial={"owner": followup.owner_id}, followup=followup),
            "close_form": close_form or FollowUpCloseForm(),
            "can_assign": can(request.membership, "followup.assign", followup),
            "can_close": can(request.membership, "followup.close", followup),
        },
        status=status,
    )


@action_required("followup.view")
@require_GET
def followup_detail(request, pk: int):
    return _detail(request, _followup_or_404(request, pk))


@action_required("followup.assign")
@require_POST
def followup_assign(request, pk: int):
    followup = _followup_or_404(request, pk)
    enforce(request, "followup.assign", followup)
    form = FollowUpAssignForm(request.POST, followup=followup)
    if form.is_valid():
        try:
            services.followup_assign(
                tenant=request.tenant, followup=followup, owner=form.cleaned_data["owner"]
            )
        except DomainError as error:
            if error.code == "closed":  # closed meanwhile: the page shows no owner form any more
                messages.error(request, error.message)
                return redirect("followup_detail", pk=followup.pk)
            add_service_error(form, error)
        else:
            owner = form.cleaned_data["owner"]
            messages.success(
                request, f"Assigned to {owner.user}." if owner else "The follow-up has no owner now."
            )
            return redirect("followup_detail", pk=followup.pk)
    return _detail(request, followup, assign_form=form, status=400)


@action_required("followup.close")
@require_POST
def followup_close(request, pk: int):
    followup = _followup_or_404(request, pk)
    enforce(request, "followup.close", followup)
    form = FollowUpCloseForm(request.POST)
    if form.is_valid():
        try:
            services.followup_close(
                tenant=request.tenant,
                followup=followup,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                closed_by=request.membership,
            )
        except DomainError as error:
            if error.code == "closed":  # closed meanwhile (another tab, another person)
                messages.error(request, error.message)
                return redirect("followup_detail", pk=followup.pk)
            add_service_error(form, error)
        else:
            messages.success(request, f"Follow-up closed: {followup.get_outcome_display().lower()}.")
            return redirect("followup_detail", pk=followup.pk)
    return _detail(request, followup, close_form=form, status=400)
