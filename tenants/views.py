"""Web pages: the admin console, joining by invitation, the own account (the home page is metrics.home).

Every view names its action in the permission table (``@action_required``, outermost), parses
input with a form, calls one service or selector, and renders. Writes are POST with CSRF;
views that only act (move, revoke, deactivate…) accept nothing but POST. Rows come from the
tenant-scoped managers, so another tenant's id answers 404 like a missing one. Changing a
member and creating an API key demand a password or TOTP entered within the last 5 minutes
(django-allauth's re-authentication, which brings the person back to finish what they sent).
"""

from __future__ import annotations

from allauth.account.utils import perform_login
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenants import services
from tenants.audit_entries import audit_entries
from tenants.errors import DomainError
from tenants.formonce import send_once
from tenants.forms import (
    ApiKeyForm,
    AuditFilterForm,
    DepartmentForm,
    InvitationAcceptForm,
    InvitationForm,
    MemberFilterForm,
    MemberForm,
    MomentOfTruthForm,
    MoveForm,
    TenantSettingsForm,
    TouchpointForm,
    add_service_error,
)
from tenants.models import ApiKey, Department, Membership, Touchpoint, User
from tenants.permissions import action_required, can
from tenants.reauth import reauthenticate_on_post
from tenants.selectors import (
    api_key_list,
    audit_actor_choices,
    audit_event_list,
    department_list_with_member_counts,
    invitation_pending_list,
    member_list,
    touchpoint_journey,
)
from tenants.sites import tenant_url

MEMBERS_PER_PAGE = 25
API_KEYS_PER_PAGE = 25
DEPARTMENTS_PER_PAGE = 50
AUDIT_EVENTS_PER_PAGE = 50

GET_POST = require_http_methods(["GET", "POST"])
# Sensitive writes: the form may be shown (GET) without it, the POST needs a fresh password/TOTP
# (and the form waits for it: tenants/reauth.py).
REAUTHENTICATE_ON_POST = reauthenticate_on_post


def _page(request: HttpRequest, rows: QuerySet | list, per_page: int) -> Page:
    return Paginator(rows, per_page).get_page(request.GET.get("page"))


def _is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- Settings -----------------------------------------------------------------------------


@action_required("tenant.settings.edit")
@GET_POST
def console_settings(request):
    tenant = request.tenant
    form = TenantSettingsForm(
        request.POST or None,
        initial={
            "name": tenant.name,
            "time_zone": tenant.time_zone,
            "perception_gap_threshold": tenant.perception_gap_threshold,
            "survey_suppression_days": tenant.survey_suppression_days,
            "followup_due_hours": tenant.followup_due_hours,
            "business_hours_clocks": tenant.business_hours_clocks,
            "clock_reminder_percent": tenant.clock_reminder_percent,
            "score_drop_points": tenant.score_drop_points,
            "score_drop_window_days": tenant.score_drop_window_days,
        },
        scoring_settings=can(request.membership, "scores.settings"),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.tenant_settings_update(
                tenant=tenant,
                name=form.cleaned_data["name"],
                time_zone=form.cleaned_data["time_zone"],
                perception_gap_threshold=form.cleaned_data.get("perception_gap_threshold"),
                survey_suppression_days=form.cleaned_data.get("survey_suppression_days"),
                followup_due_hours=form.cleaned_data.get("followup_due_hours"),
                business_hours_clocks=form.cleaned_data.get("business_hours_clocks"),
                clock_reminder_percent=form.cleaned_data.get("clock_reminder_percent"),
                score_drop_points=form.cleaned_data.get("score_drop_points"),
                score_drop_window_days=form.cleaned_data.get("score_drop_window_days"),
            )
        except (DomainError, ValidationError) as error:
            tenant.refresh_from_db()  # the service set the refused values on the object before checking them
            add_service_error(form, error)
        else:
            messages.success(request, "Settings saved.")
            return redirect("console_settings")
    return render(request, "tenants/console/settings.html", {"form": form})


# --- Departments --------------------------------------------------------------------------


@action_required("department.manage")
@GET_POST
def console_departments(request):
    form = DepartmentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            department = services.department_create(tenant=request.tenant, name=form.cleaned_data["name"])
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Department “{department.name}” added.")
            return redirect("console_departments")
    page = _page(request, department_list_with_member_counts(), DEPARTMENTS_PER_PAGE)
    return render(request, "tenants/console/departments.html", {"form": form, "page_obj": page})


@action_required("department.manage")
@GET_POST
def console_department_edit(request, pk: int):
    department = get_object_or_404(Department.objects, pk=pk)
    form = DepartmentForm(request.POST or None, initial={"name": department.name})
    if request.method == "POST" and form.is_valid():
        try:
            services.department_rename(
                tenant=request.tenant, department=department, name=form.cleaned_data["name"]
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Department renamed to “{department.name}”.")
            return redirect("console_departments")
    return render(request, "tenants/console/department_edit.html", {"form": form, "department": department})


@action_required("department.manage")
@GET_POST
def console_department_delete(request, pk: int):
    department = get_object_or_404(department_list_with_member_counts(), pk=pk)
    if request.method == "POST":
        name = department.name
        services.department_delete(tenant=request.tenant, department=department)
        messages.success(request, f"Department “{name}” deleted. Its members keep their other departments.")
        return redirect("console_departments")
    return render(request, "tenants/console/department_delete.html", {"department": department})


# --- Touchpoints --------------------------------------------------------------------------


def _journey_response(request: HttpRequest) -> HttpResponse:
    """The journey list alone (htmx swaps it in place), or back to the page without htmx."""
    if _is_htmx(request):
        return render(request, "tenants/console/_journey.html", {"touchpoints": touchpoint_journey()})
    return redirect(reverse("console_touchpoints") + "#journey")


@action_required("touchpoint.manage")
@GET_POST
def console_touchpoints(request):
    form = TouchpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            touchpoint = services.touchpoint_create(tenant=request.tenant, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Touchpoint “{touchpoint.name}” added at the end of the journey.")
            return redirect("console_touchpoints")
    return render(
        request, "tenants/console/touchpoints.html", {"form": form, "touchpoints": touchpoint_journey()}
    )


@action_required("touchpoint.manage")
@GET_POST
def console_touchpoint_edit(request, pk: int):
    touchpoint = get_object_or_404(Touchpoint.objects, pk=pk)
    initial = {
        "name": touchpoint.name,
        "journey_stage": touchpoint.journey_stage,
        "is_moment_of_truth": touchpoint.is_moment_of_truth,
    }
    form = TouchpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.touchpoint_update(tenant=request.tenant, touchpoint=touchpoint, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Touchpoint “{touchpoint.name}” saved.")
            return redirect("console_touchpoints")
    return render(request, "tenants/console/touchpoint_edit.html", {"form": form, "touchpoint": touchpoint})


@action_required("touchpoint.manage")
@GET_POST
def console_touchpoint_delete(request, pk: int):
    touchpoint = get_object_or_404(Touchpoint.objects, pk=pk)
    if request.method == "POST":
        name = touchpoint.name
        services.touchpoint_delete(tenant=request.tenant, touchpoint=touchpoint)
        messages.success(request, f"Touchpoint “{name}” deleted from the journey.")
        return redirect("console_touchpoints")
    return render(request, "tenants/console/touchpoint_delete.html", {"touchpoint": touchpoint})


@action_required("touchpoint.manage")
@require_POST
def console_touchpoint_move(request, pk: int):
    touchpoint = get_object_or_404(Touchpoint.objects, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether to move the touchpoint earlier or later in the journey.")
    else:
        services.touchpoint_move(
            tenant=request.tenant, touchpoint=touchpoint, direction=form.cleaned_data["direction"]
        )
    return _journey_response(request)


@action_required("touchpoint.manage")
@require_POST
def console_touchpoint_moment_of_truth(request, pk: int):
    touchpoint = get_object_or_404(Touchpoint.objects, pk=pk)
    form = MomentOfTruthForm(request.POST)
    form.is_valid()  # a missing or unchecked value means "not a moment of truth"
    services.touchpoint_update(
        tenant=request.tenant,
        touchpoint=touchpoint,
        is_moment_of_truth=form.cleaned_data.get("is_moment_of_truth", False),
    )
    return _journey_response(request)


# --- Members and invitations --------------------------------------------------------------


@action_required("member.view")
@require_GET
def console_members(request):
    filters = MemberFilterForm(request.GET)
    role = status = ""
    if filters.is_valid():
        role, status = filters.cleaned_data["role"], filters.cleaned_data["status"]
    page = _page(request, member_list(role=role, status=status), MEMBERS_PER_PAGE)
    return render(
        request,
        "tenants/console/members.html",
        {
            "filters": filters,
            "filtered": bool(role or status),
            "page_obj": page,
            "invitations": invitation_pending_list(),
        },
    )


@action_required("member.invite")
@GET_POST
def console_member_invite(request):
    form = InvitationForm(request.POST or None)

    def create():
        try:
            invitation = services.invitation_create(
                tenant=request.tenant,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                departments=list(form.cleaned_data["departments"]),
                invited_by=request.membership,
                accept_url=lambda token: tenant_url(
                    request.tenant, reverse("invitation_accept", args=[token])
                ),
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
            return None
        messages.success(
            request,
            f"Invitation sent to {invitation.email}. The link works once, for 7 days; "
            "it is listed under pending invitations until then.",
        )
        url = reverse("console_members")
        return url, redirect(url)

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    return render(request, "tenants/console/member_invite.html", {"form": form})


@action_required("member.change_role")
@GET_POST
@REAUTHENTICATE_ON_POST
def console_member(request, pk: int):
    member = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    initial = {"role": member.role, "departments": list(member.departments.all())}
    form = MemberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(
                tenant=request.tenant,
                membership=member,
                role=form.cleaned_data["role"],
                departments=list(form.cleaned_data["departments"]),
                changed_by=request.membership,
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"{member.user.email} is now {member.get_role_display().lower()}.")
            return redirect("console_members")
    return render(
        request,
        "tenants/console/member.html",
        {"member": member, "form": form, "is_self": member.pk == request.membership.pk},
    )


@action_required("member.deactivate")
@require_POST
@REAUTHENTICATE_ON_POST
def console_member_set_active(request, pk: int):
    member = get_object_or_404(Membership.objects.select_related("user"), pk=pk)
    active = request.POST.get("active") == "1"
    try:
        services.member_set_active(
            tenant=request.tenant, membership=member, active=active, changed_by=request.membership
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("console_member", pk=member.pk)
    if active:
        messages.success(request, f"{member.user.email} is active again and can sign in.")
    else:
        messages.success(
            request,
            f"{member.user.email} is deactivated: signed out of {request.tenant.name} from their next click.",
        )
    return redirect("console_members")


# --- API keys -----------------------------------------------------------------------------


@action_required("api_key.view")
@require_GET
def console_api_keys(request):
    return render(
        request,
        "tenants/console/api_keys.html",
        {"page_obj": _page(request, api_key_list(), API_KEYS_PER_PAGE), "now": timezone.now()},
    )


@action_required("api_key.create")
@GET_POST
@REAUTHENTICATE_ON_POST
def console_api_key_create(request):
    form = ApiKeyForm(request.POST or None)

    def create():
        try:
            issued = services.api_key_create(
                tenant=request.tenant,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.expires_at(request.tenant.time_zone),
                created_by=request.membership,
            )
        except (DomainError, ValidationError) as error:
            if isinstance(error, DomainError) and error.field == "expires_at":
                error.field = "expires_on"
            add_service_error(form, error)
            return None
        # The secret exists only in this response: never stored, never cached. A second send
        # of the form lands on the keys list, where the key is listed without its secret.
        response = render(
            request,
            "tenants/console/api_key_created.html",
            {"api_key": issued.api_key, "secret": issued.secret},
        )
        add_never_cache_headers(response)
        return reverse("console_api_keys"), response

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    return render(request, "tenants/console/api_key_create.html", {"form": form})


@action_required("api_key.revoke")
@GET_POST
def console_api_key_revoke(request, pk: int):
    api_key = get_object_or_404(ApiKey.objects, pk=pk)
    if request.method == "POST":
        services.api_key_revoke(tenant=request.tenant, api_key=api_key)
        messages.success(
            request, f"API key “{api_key.name}” ({api_key.prefix}…) is revoked: it no longer works."
        )
        return redirect("console_api_keys")
    return render(request, "tenants/console/api_key_revoke.html", {"api_key": api_key})


# --- Audit log ----------------------------------------------------------------------------


@action_required("audit.view")
@require_GET
def console_audit(request):
    filters = AuditFilterForm(request.GET, actor_choices=audit_actor_choices())
    if filters.is_valid():
        actor_kind, actor_id = filters.actor_filter()
        occurred_from, occurred_before = filters.period(request.tenant.time_zone)
        events = audit_event_list(
            actor_kind=actor_kind,
            actor_id=actor_id,
            category=filters.cleaned_data["category"],
            action=filters.cleaned_data["action"],
            model=filters.cleaned_data["model"],
            occurred_from=occurred_from,
            occurred_before=occurred_before,
            housekeeping=filters.cleaned_data["housekeeping"],
        )
        filtered = any(filters.cleaned_data.values())
    else:
        events, filtered = audit_event_list().none(), True
    page = _page(request, events, AUDIT_EVENTS_PER_PAGE)
    return render(
        request,
        "tenants/console/audit.html",
        {
            "filters": filters,
            "filtered": filtered,
            "page_obj": page,
            "entries": audit_entries(page.object_list),
        },
    )


# --- Joining by invitation, and the own account --------------------------------------------


@action_required("account.sign_in")
@GET_POST
def invitation_accept(request, token: str):
    """Join a tenant by the e-mailed link: a new person chooses a password and is signed in;
    a person who already has a cxgov login accepts with one button and signs in as usual."""
    tenant = request.tenant
    if tenant is None:
        raise Http404("Invitations are opened on the company's own address.")
    try:
        invitation = services.invitation_for_token(tenant=tenant, token=token)
    except DomainError as error:
        return render(request, "tenants/invitation_invalid.html", {"error": error.message}, status=410)

    context = {"invitation": invitation, "role": Membership.Role(invitation.role).label}
    if request.user.is_authenticated:
        # Someone is signed in here already: joining would change who this browser is.
        context["signed_in_as"] = request.user.email
        return render(request, "tenants/invitation_accept.html", context)

    existing = User.objects.filter(email=invitation.email).first()
    if existing is not None and Membership.objects.filter(user=existing).exists():
        context["already_member"] = True
        return render(request, "tenants/invitation_accept.html", context)
    form = None if existing else InvitationAcceptForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            membership = services.invitation_accept(
                tenant=tenant,
                token=token,
                password=None if form is None else form.cleaned_data["password1"],
                first_name="" if form is None else form.cleaned_data["first_name"],
                last_name="" if form is None else form.cleaned_data["last_name"],
            )
        except DomainError as error:
            if form is None or error.field not in form.fields:
                return render(
                    request, "tenants/invitation_invalid.html", {"error": error.message}, status=410
                )
            add_service_error(form, error)
        except ValidationError as error:  # the password validators, run again by the service
            add_service_error(form, ValidationError({"password1": error.messages}))
        else:
            if existing:
                messages.success(
                    request, f"You joined {tenant.name}. Sign in with the password you already use for cxgov."
                )
                return redirect("account_login")
            return perform_login(request, membership.user, redirect_url=reverse("home"))
    context.update(form=form, existing=existing)
    return render(request, "tenants/invitation_accept.html", context)


@action_required("account.manage_own")
@require_GET
def account(request):
    membership = request.membership
    return render(
        request,
        "tenants/account.html",
        {"departments": list(membership.departments.order_by("name"))},
    )
