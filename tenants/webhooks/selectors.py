"""Reads of webhook endpoints and their delivery logs."""

from __future__ import annotations

from django.db.models import QuerySet

from tenants.webhooks.models import WebhookDelivery, WebhookEndpoint


def webhook_endpoint_list() -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.defer("secret").order_by("id")


def webhook_delivery_log(*, endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The endpoint's deliveries, newest first (without their payloads)."""
    return WebhookDelivery.objects.filter(endpoint=endpoint).defer("payload").order_by("-id")


def webhook_delivery_list() -> QuerySet[WebhookDelivery]:
    """Every delivery of the tenant, with its endpoint (what sending one again needs)."""
    return WebhookDelivery.objects.select_related("endpoint").defer(
        "endpoint__secret", "endpoint__previous_secret"
    )
