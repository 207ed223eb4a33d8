"""Digest pages: a member's preferences, the signed unsubscribe link, and the admin console
(schedule, departments and extra subscribers, preview of the next digest, log and failed sends).

The unsubscribe link needs no sign-in: the signed token names the tenant, the department and
the member or subscriber, and is checked against the subdomain's tenant (another tenant's or a
tampered token answers 404 like a missing page). Opening the link (GET) only asks; the button
(POST, also what a mail client's one-click ``List-Unsubscribe-Post`` sends) unsubscribes —
link scanners of mail providers follow GET links, so a GET must change nothing (RFC 8058).
"""

from __future__ import annotations

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from metrics.digests import selectors, services
from metrics.digests.forms import DepartmentDigestForm, DigestSettingsForm, PreferencesForm, SubscriberForm
from metrics.models import DepartmentDigest, DigestSubscriber
from tenants.errors import DomainError
from tenants.forms import add_service_error
from tenants.models import Department
from tenants.permissions import action_required

GET_POST = require_http_methods(["GET", "POST"])
DIGESTS_PER_PAGE = 50


# --- Members ----------------------------------------------------------------------------------


@action_required("digest.preferences")
@GET_POST
def digest_preferences(request):
    rows = selectors.member_digest_departments(membership=request.membership)
    form = PreferencesForm(
        request.POST or None,
        choices=[(r["id"], r["name"]) for r in rows],
        initial={"departments": [r["id"] for r in rows if r["subscribed"]]},
    )
    if request.method == "POST" and form.is_valid():
        services.digest_preferences_set(
            tenant=request.tenant,
            membership=request.membership,
            subscribed_ids=set(form.cleaned_data["departments"]),
        )
        messages.success(request, "Digest preferences saved.")
        return redirect("digest_preferences")
    return render(request, "metrics/digest/preferences.html", {"form": form, "rows": rows})


@action_required("digest.unsubscribe")
@csrf_exempt  # the signed token is the authorisation; mail clients post without a session
@GET_POST
def digest_unsubscribe(request, token: str):
    if request.tenant is None:
        raise Http404("This page exists only on a company's address.")
    try:
        if request.method == "POST":
            done = services.digest_unsubscribe(tenant=request.tenant, token=token)
            return render(request, "metrics/digest/unsubscribed.html", {"target": done})
        target = services.digest_unsubscribe_check(tenant=request.tenant, token=token)
    except DomainError as error:
        return render(
            request, "metrics/digest/unsubscribe_invalid.html", {"error": error.message}, status=404
        )
    return render(request, "metrics/digest/unsubscribe.html", {"target": target})


# --- Admin console ----------------------------------------------------------------------------


@action_required("digest.manage")
@GET_POST
def console_digests(request):
    schedule = selectors.digest_schedule(tenant=request.tenant)
    form = DigestSettingsForm(
        request.POST or None,
        initial={
            "is_enabled": schedule.is_enabled,
            "cadence": schedule.cadence,
            "weekday": schedule.weekday,
            "send_hour": schedule.send_hour,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.digest_settings_update(tenant=request.tenant, **form.cleaned_data)
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, "Digest schedule saved.")
            return redirect("console_digests")
    next_period = selectors.period_next(tenant=request.tenant, schedule=schedule, now=timezone.now())
    return render(
        request,
        "metrics/digest/console_settings.html",
        {
            "form": form,
            "departments": selectors.digest_department_list(),
            "schedule": schedule,
            "next_period": next_period,
        },
    )


@action_required("digest.manage")
@GET_POST
def console_digest_department(request, pk: int):
    department = get_object_or_404(Department.objects, pk=pk)
    switch = DepartmentDigest.objects.filter(department=department).first()
    switch_form = DepartmentDigestForm(initial={"is_enabled": switch is None or switch.is_enabled})
    subscriber_form = SubscriberForm()
    if request.method == "POST":
        if "is_enabled_submit" in request.POST:
            switch_form = DepartmentDigestForm(request.POST)
            if switch_form.is_valid():
                services.department_digest_set(
                    tenant=request.tenant,
                    department=department,
                    is_enabled=switch_form.cleaned_data["is_enabled"],
                )
                messages.success(request, f"Digest of {department.name} saved.")
                return redirect("console_digest_department", pk=pk)
        else:
            subscriber_form = SubscriberForm(request.POST)
            if subscriber_form.is_valid():
                try:
                    services.digest_subscriber_add(
                        tenant=request.tenant,
                        department=department,
                        email=subscriber_form.cleaned_data["email"],
                        added_by=request.membership,
                    )
                except (DomainError, ValidationError) as error:
                    add_service_error(subscriber_form, error)
                else:
                    messages.success(request, f"{subscriber_form.cleaned_data['email']} added.")
                    return redirect("console_digest_department", pk=pk)
    return render(
        request,
        "metrics/digest/console_department.html",
        {
            "department": department,
            "switch_form": switch_form,
            "subscriber_form": subscriber_form,
            "subscribers": DigestSubscriber.objects.filter(department=department).order_by("email"),
        },
    )


@action_required("digest.manage")
@require_POST
def console_digest_subscriber_remove(request, pk: int, subscriber_pk: int):
    subscriber = get_object_or_404(DigestSubscriber.objects, pk=subscriber_pk, department_id=pk)
    services.digest_subscriber_remove(tenant=request.tenant, subscriber=subscriber)
    messages.success(request, f"{subscriber.email} removed.")
    return redirect("console_digest_department", pk=pk)


@action_required("digest.manage")
@require_GET
def console_digest_preview(request, pk: int):
    department = get_object_or_404(Department.objects, pk=pk)
    period, rendered = services.digest_preview(tenant=request.tenant, department=department)
    sample = services.UNSUBSCRIBE_PLACEHOLDER
    text, _html = rendered.for_recipient(sample)
    return render(
        request,
        "metrics/digest/console_preview.html",
        {
            "department": department,
            "departments": Department.objects.order_by("name").only("id", "name"),
            "period": period,
            "subject": rendered.subject,
            "text": text,
        },
    )


# The e-mail's HTML part, shown in the preview page's sandboxed frame. An e-mail carries its
# styles inline (mail clients drop style sheets), which the site's Content-Security-Policy
# forbids, so it is a document of its own with a policy of its own: inline styles, nothing
# else (no script, no request), framed only by the product's own pages.
@action_required("digest.manage")
@require_GET
@xframe_options_sameorigin
@csp_replace(
    {
        "default-src": [NONE],
        "script-src": None,
        "style-src": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "connect-src": None,
        "font-src": None,
        "form-action": [NONE],
        "frame-ancestors": [SELF],
        "sandbox": True,
    }
)
def console_digest_preview_email(request, pk: int):
    department = get_object_or_404(Department.objects, pk=pk)
    _period, rendered = services.digest_preview(tenant=request.tenant, department=department)
    _text, html = rendered.for_recipient(services.UNSUBSCRIBE_PLACEHOLDER)
    return HttpResponse(html, content_type="text/html; charset=utf-8")


@action_required("digest.manage")
@require_GET
def console_digest_log(request):
    page = Paginator(selectors.digest_log(), DIGESTS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "metrics/digest/console_log.html",
        {"page_obj": page, "failed": list(selectors.digest_failed_sends()[:100])},
    )
