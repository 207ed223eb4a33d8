"""The admin console's webhook pages: endpoints, their delivery logs, a test event, send again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tenants.errors import DomainError
from tenants.formonce import send_once
from tenants.forms import add_service_error
from tenants.permissions import action_required
from tenants.reauth import reauthenticate_on_post
from tenants.webhooks import services
from tenants.webhooks.forms import WebhookEndpointCreateForm, WebhookEndpointEditForm
from tenants.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants.webhooks.selectors import webhook_delivery_log, webhook_endpoint_list

DELIVERIES_PER_PAGE = 25
GET_POST = require_http_methods(["GET", "POST"])


@action_required("webhook.view")
@require_GET
def console_webhooks(request):
    return render(request, "tenants/console/webhooks.html", {"endpoints": webhook_endpoint_list()})


@action_required("webhook.create")
@GET_POST
@reauthenticate_on_post
def console_webhook_create(request):
    form = WebhookEndpointCreateForm(request.POST or None)

    def create():
        try:
            created = services.webhook_endpoint_create(
                tenant=request.tenant,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                kind=form.cleaned_data["kind"] or WebhookEndpoint.Kind.STANDARD,
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
            return None
        # The secret is shown in this response only; a second send of the form lands on the
        # endpoint's page, which never shows it.
        response = render(
            request,
            "tenants/console/webhook_created.html",
            {"endpoint": created.endpoint, "secret": created.secret},
        )
        add_never_cache_headers(response)
        return reverse("console_webhook", args=[created.endpoint.pk]), response

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    return render(request, "tenants/console/webhook_form.html", {"form": form, "endpoint": None})


@action_required("webhook.view")
@require_GET
def console_webhook(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint.objects.defer("secret", "previous_secret"), pk=pk)
    page = Paginator(webhook_delivery_log(endpoint=endpoint), DELIVERIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "tenants/console/webhook.html",
        {"endpoint": endpoint, "page_obj": page, "now": timezone.now()},
    )


@action_required("webhook.manage")
@GET_POST
def console_webhook_edit(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint.objects, pk=pk)
    initial = {
        "kind": endpoint.kind,
        "url": endpoint.url,
        "description": endpoint.description,
        "events": endpoint.events,
        "active": endpoint.active,
    }
    form = WebhookEndpointEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.webhook_endpoint_update(
                tenant=request.tenant,
                endpoint=endpoint,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                description=form.cleaned_data["description"],
                active=form.cleaned_data["active"],
                kind=form.cleaned_data["kind"] or None,
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"The endpoint {endpoint.url} is saved.")
            return redirect("console_webhook", pk=endpoint.pk)
    return render(request, "tenants/console/webhook_form.html", {"form": form, "endpoint": endpoint})


@action_required("webhook.manage")
@GET_POST
def console_webhook_delete(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint.objects.defer("secret"), pk=pk)
    if request.method == "POST":
        services.webhook_endpoint_delete(tenant=request.tenant, endpoint=endpoint)
        messages.success(request, f"The endpoint {endpoint.url} is deleted, with its delivery log.")
        return redirect("console_webhooks")
    return render(request, "tenants/console/webhook_delete.html", {"endpoint": endpoint})


@action_required("webhook.rotate_secret")
@GET_POST
@reauthenticate_on_post
def console_webhook_rotate_secret(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint.objects.defer("secret", "previous_secret"), pk=pk)
    if request.method != "POST":
        return render(request, "tenants/console/webhook_rotate.html", {"endpoint": endpoint})
    rotated = services.webhook_endpoint_rotate_secret(tenant=request.tenant, endpoint=endpoint)
    # The new secret is shown in this response only.
    response = render(
        request,
        "tenants/console/webhook_created.html",
        {"endpoint": rotated.endpoint, "secret": rotated.secret, "rotated": True},
    )
    add_never_cache_headers(response)
    return response


@action_required("webhook.manage")
@require_POST
def console_webhook_ping(request, pk: int):
    endpoint = get_object_or_404(WebhookEndpoint.objects.defer("secret"), pk=pk)
    services.webhook_ping(tenant=request.tenant, endpoint=endpoint)
    messages.success(
        request, "A test event (ping) is on its way; reload this page in a few seconds to see how it went."
    )
    return redirect("console_webhook", pk=endpoint.pk)


@action_required("webhook.manage")
@require_POST
def console_webhook_redeliver(request, pk: int, delivery_pk: int):
    delivery = get_object_or_404(
        WebhookDelivery.objects.select_related("endpoint"), pk=delivery_pk, endpoint_id=pk
    )
    services.webhook_redeliver(tenant=request.tenant, delivery=delivery)
    messages.success(
        request, f"The {delivery.event_type} event is sent again; the new attempt is at the top of the log."
    )
    return redirect("console_webhook", pk=pk)
