"""The partner API's webhook endpoints and delivery logs: serializers only.

The endpoints live in :mod:`tenants.api_urls` (see its docstring). Input serializers check the
JSON types; the rules of a URL, its events and its kind are the console's, in
:mod:`tenants.webhooks.services`. No serializer ever renders a signing secret, except the two
answers that show it once (creation and rotation).
"""

from __future__ import annotations

from rest_framework import serializers

from tenants.api_base import JsonTypedInput
from tenants.webhooks.models import EVENTS, WebhookDelivery, WebhookEndpoint

_EVENT_NAMES = ", ".join(EVENTS)
_KINDS = ", ".join(WebhookEndpoint.Kind.values)


class WebhookEndpointSerializer(serializers.ModelSerializer):
    """An endpoint as it is read (never its secret)."""

    events = serializers.ListField(child=serializers.CharField(), help_text=f"Among: {_EVENT_NAMES}.")
    secret_rotation_ends_at = serializers.DateTimeField(
        source="previous_secret_expires_at",
        allow_null=True,
        help_text="After a rotation: until when the previous secret signs too (null: no rotation under way).",
    )

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id",
            "kind",
            "url",
            "description",
            "events",
            "active",
            "disabled_reason",
            "failing_since",
            "secret_rotation_ends_at",
            "created_at",
        ]
        read_only_fields = fields


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    """The answer to a creation or a rotation: the endpoint and its signing secret, shown this once."""

    secret = serializers.CharField(
        help_text="The signing secret (whsec_…): shown in this answer only; store it now."
    )

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]
        read_only_fields = fields


class WebhookEndpointInputSerializer(JsonTypedInput, serializers.Serializer):
    """A new endpoint (POST)."""

    kind = serializers.ChoiceField(
        choices=WebhookEndpoint.Kind.choices,
        required=False,
        help_text=f"One of: {_KINDS}. Default on creation: standard; left out of a change: kept.",
        error_messages={"invalid_choice": f'"{{input}}" is not a kind of endpoint; use one of: {_KINDS}.'},
    )
    url = serializers.CharField(
        max_length=500,
        trim_whitespace=False,
        help_text="Where the events go: https://…; for Slack or Teams, the channel's incoming-webhook URL.",
        error_messages={
            "required": "url is required: the URL that receives the events, starting with https://.",
            "blank": "url cannot be empty: the URL that receives the events, starting with https://.",
            "max_length": "url is longer than 500 characters.",
        },
    )
    description = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Optional. Which system receives them, e.g. Helpdesk.",
        error_messages={"max_length": "The description is longer than 200 characters: shorten it."},
    )
    events = serializers.ListField(
        child=serializers.CharField(),
        help_text=f"At least one of: {_EVENT_NAMES}.",
        error_messages={"required": f"events is required: choose at least one of: {_EVENT_NAMES}."},
    )


class WebhookEndpointChangeSerializer(WebhookEndpointInputSerializer):
    """The fields of an endpoint to change (PATCH): any of them; those left out keep their values."""

    active = serializers.BooleanField(
        required=False, help_text="false turns the endpoint off; true turns it on again (starting afresh)."
    )


class WebhookDeliverySerializer(serializers.ModelSerializer):
    """One attempt record of the delivery log (without the payload)."""

    endpoint = serializers.IntegerField(source="endpoint_id", help_text="The endpoint's id.")

    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event_type",
            "webhook_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "duration_ms",
            "response_excerpt",
            "last_error",
            "created_at",
            "sent_at",
        ]
        read_only_fields = fields
