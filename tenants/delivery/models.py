"""The outbox's rows: e-mails to send exactly once, and the bodies many of them share.

Imported by ``tenants.models`` so Django finds these models in the ``tenants`` app.
"""

from __future__ import annotations

from html import escape

from django.db import models
from django.db.models.functions import Now

from tenants.keys import TenantForeignKey
from tenants.models import TenantModel


class OutboxBody(TenantModel):
    """The text and HTML many messages share (a department's digest to each of its members),
    stored once; each :class:`OutboxMessage` fills in its own values (its unsubscribe link).

    ``key`` names it like a dedupe key: storing the same key again stores nothing.
    """

    audit_exempt = "delivery bookkeeping; the decisions that enqueue messages are audited"

    key = models.CharField(max_length=255)
    text = models.TextField()
    html = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "key", name="outbox_body_unique_key")]

    def __str__(self) -> str:
        return self.key

    @staticmethod
    def filled(text: str, html: str, fill: dict[str, str]) -> tuple[str, str]:
        """``text`` and ``html`` with each placeholder replaced by its value (escaped in HTML)."""
        for placeholder, value in fill.items():
            text = text.replace(placeholder, value)
            html = html.replace(placeholder, escape(value))
        return text, html


class OutboxMessage(TenantModel):
    """An e-mail that must be sent exactly once: written in the transaction that decided it,
    delivered by ``tenants.delivery.services.outbox_deliver`` (see that module for the guarantees).

    ``dedupe_key`` names what the message is for (``digest:<department>:<period>:<member>``,
    ``escalation:<id>:approved:<member>``…): enqueueing the same key twice stores one message.
    """

    # Delivery bookkeeping, not a decision: what caused each message (a transition, a digest)
    # is audited where it happened, and the row itself records attempts, errors and sent_at.
    audit_exempt = "delivery bookkeeping; the decisions that enqueue messages are audited"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up after retries)"

    kind = models.CharField(max_length=32, help_text="What sent it: digest, escalation…")
    dedupe_key = models.CharField(max_length=255)
    to_email = models.EmailField()
    subject = models.CharField(max_length=255)
    body_text = models.TextField(blank=True, default="")
    body_html = models.TextField(blank=True, default="")
    # Or, instead of its own text and HTML, a shared body with this message's values filled in
    # (a body in use cannot be deleted, except with its tenant).
    body = TenantForeignKey(OutboxBody, null=True, blank=True, on_delete=models.RESTRICT, related_name="+")
    fill = models.JSONField(default=dict, blank=True, help_text="Placeholder → value in the shared body.")
    headers = models.JSONField(default=dict, blank=True)
    message_id = models.CharField(max_length=255, help_text="Message-ID header, derived from dedupe_key.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_default=Now())
    last_error = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint("tenant", "dedupe_key", name="outbox_unique_dedupe_key")]
        indexes = [
            # The claim reads the oldest pending message: one index row, however many wait.
            models.Index(
                fields=["tenant", "id"], condition=models.Q(status="pending"), name="outbox_pending_order_idx"
            ),
            models.Index(fields=["tenant", "kind", "-created_at"], name="outbox_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_email}: {self.subject}"

    def contents(self) -> tuple[str, str]:
        """The text and HTML this message sends."""
        if self.body_id is None:
            return self.body_text, self.body_html
        return OutboxBody.filled(self.body.text, self.body.html, self.fill)
