"""Webhook endpoints and their deliveries (an outbox of HTTP requests).

Imported by ``tenants.models`` so Django finds these models in the ``tenants`` app.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Now

from tenants.keys import TenantForeignKey
from tenants.models import TenantModel

# The events an endpoint can ask for; ``ping`` is the test event, sent to one endpoint on request.
EVENTS = {
    "escalation.proposed": "An escalation was proposed",
    "escalation.approved": "An escalation was approved",
    "escalation.rejected": "An escalation was rejected",
    "escalation.started": "Work on an escalation started",
    "escalation.resolved": "An escalation was resolved",
    "escalation.overdue": "An escalation is overdue",
    "breach.detected": "A commitment was breached",
    "score.dropped": "A score fell by the tenant's threshold (5 points unless changed) within its window",
    "promise.activated": "A promise became active",
    "import.finished": "A CSV import finished",
    "followup.created": "An unhappy survey answer opened a follow-up",
    "action.created": "An action was planned",
    "action.done": "An action was done",
}
PING = "ping"


class WebhookEndpoint(TenantModel):
    """A URL that receives the tenant's events: as JSON signed with the endpoint's secret
    (Standard Webhooks), or, for a Slack or Teams incoming webhook, as a readable message. The secret is kept because every delivery is signed with it; it is
    shown once, when the endpoint is created, and never copied into the audit trail."""

    audit_noun = "webhook endpoint"
    audit_name = ("url",)

    class Kind(models.TextChoices):
        STANDARD = "standard", "Standard Webhooks (signed JSON)"
        SLACK = "slack", "Slack (a message in a channel)"
        TEAMS = "teams", "Microsoft Teams (a card in a channel)"

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True, default="")
    events = models.JSONField(default=list)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.STANDARD)
    secret = models.CharField(max_length=100, editable=False)
    # After a rotation the old secret still signs, beside the new one, until this time: the
    # receiver has a day to switch.
    previous_secret = models.CharField(max_length=100, blank=True, default="", editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    active = models.BooleanField(default=True)
    # Since when every attempt has failed (empty after a success); three days of it turn the
    # endpoint off.
    failing_since = models.DateTimeField(null=True, blank=True, editable=False)
    disabled_reason = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class WebhookDelivery(TenantModel):
    """One event for one endpoint, sent at least once: written in the transaction that caused
    the event, sent by ``tenants.webhooks.services.webhook_deliver``."""

    audit_exempt = "delivery bookkeeping; the decisions that cause events are audited"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up after 24 hours of retries)"

    endpoint = TenantForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event_type = models.CharField(max_length=64)
    payload = models.JSONField()
    webhook_id = models.CharField(max_length=64)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_default=Now())
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=1024, blank=True, default="")
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint("tenant", "webhook_id", name="webhookdelivery_unique_webhook_id"),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "id"], condition=models.Q(status="pending"), name="webhook_pending_idx"
            ),
            models.Index(fields=["tenant", "endpoint", "-id"], name="webhook_endpoint_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} to {self.endpoint_id} ({self.status})"


# Named at module level for the API schema (cxgov.settings SPECTACULAR_SETTINGS enum names).
WebhookEndpointKind = WebhookEndpoint.Kind
WebhookDeliveryStatus = WebhookDelivery.Status
