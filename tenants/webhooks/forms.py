"""Forms of the webhook pages: they parse input; the services hold the rules."""

from __future__ import annotations

from django import forms

from tenants.formonce import FormTokenMixin
from tenants.webhooks.models import EVENTS, WebhookEndpoint

EVENT_CHOICES = [(name, f"{name} — {label}") for name, label in EVENTS.items()]


class WebhookEndpointForm(forms.Form):
    kind = forms.ChoiceField(
        choices=WebhookEndpoint.Kind.choices,
        initial=WebhookEndpoint.Kind.STANDARD,
        widget=forms.RadioSelect,
        required=False,  # left out: a new endpoint is a standard one, an edited one keeps its kind
        help_text="Slack and Teams get each event as a readable message with a link to open it in cxgov.",
        error_messages={
            "invalid_choice": "Choose the kind of endpoint: Standard Webhooks, Slack or Microsoft Teams.",
        },
    )
    url = forms.CharField(
        label="URL",
        max_length=500,
        help_text=(
            "Where cxgov sends the events, e.g. https://hooks.example.com/cxgov; for Slack or Teams, "
            "the channel's incoming-webhook URL."
        ),
        error_messages={"required": "Enter the URL that receives the events, starting with https://."},
    )
    description = forms.CharField(
        max_length=200, required=False, help_text="Optional. Which system receives them, e.g. “Helpdesk”."
    )
    events = forms.MultipleChoiceField(
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text="Send only what the receiving system needs.",
        error_messages={"required": "Choose at least one event: which events should this endpoint receive?"},
    )


class WebhookEndpointCreateForm(FormTokenMixin, WebhookEndpointForm):
    pass


class WebhookEndpointEditForm(WebhookEndpointForm):
    active = forms.BooleanField(
        required=False,
        label="Active",
        help_text="Turned off, the endpoint receives nothing until turned on again.",
    )
