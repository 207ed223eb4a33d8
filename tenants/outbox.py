"""The e-mail outbox: messages that must reach their recipient once, neither lost nor doubled.

- :func:`outbox_enqueue` stores messages in the caller's transaction (a rolled-back decision
  sends nothing), one per ``dedupe_key`` (enqueueing again — a task retried or run twice —
  adds nothing), and asks for delivery after commit.
- :func:`outbox_deliver` sends the tenant's due messages over **one** e-mail connection per
  batch. Each message is claimed with ``SELECT … FOR UPDATE SKIP LOCKED`` in its own
  transaction, sent, and marked sent in that same transaction: two workers never send the
  same message, and a worker killed mid-batch leaves the messages it had not marked pending
  (they go out on the next sweep) while those it marked stay sent. The one window left is a
  crash between the mail server accepting a message and the commit; the message then goes out
  again with the same ``Message-ID`` (derived from the dedupe key), which mail servers and
  ESPs use to drop the repeat.
- A failed send is retried with exponential backoff (1, 2, 4 … minutes, at most 6 hours) and
  given up after :data:`MAX_ATTEMPTS`, status ``failed`` with the last error for admins.
- ``tenants.tasks.outbox_sweep`` (beat) fans out one delivery per active tenant, so retries
  and messages of a dead worker are picked up.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.utils import timezone

from tenants.context import require_tenant_id
from tenants.models import OutboxMessage

logger = structlog.get_logger("cxgov.outbox")

MAX_ATTEMPTS = 8
BATCH_SIZE = 500


@dataclass(frozen=True)
class Email:
    dedupe_key: str
    to: str
    subject: str
    text: str
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)


def message_id_for(tenant_id: int, dedupe_key: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}:{dedupe_key}".encode()).hexdigest()[:32]
    domain = getattr(settings, "CXGOV_MESSAGE_ID_DOMAIN", "cxgov.local")
    return f"<{digest}@{domain}>"


def outbox_enqueue(*, kind: str, emails: Iterable[Email]) -> int:
    """Store ``emails`` for delivery; returns how many were new (repeats of a key are skipped)."""
    tenant_id = require_tenant_id()
    rows = [
        OutboxMessage(
            kind=kind,
            dedupe_key=e.dedupe_key,
            to_email=e.to,
            subject=e.subject,
            body_text=e.text,
            body_html=e.html,
            headers=e.headers,
            message_id=message_id_for(tenant_id, e.dedupe_key),
        )
        for e in emails
    ]
    if not rows:
        return 0
    before = OutboxMessage.objects.filter(dedupe_key__in=[r.dedupe_key for r in rows]).count()
    OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
    created = len({r.dedupe_key for r in rows}) - before
    if created:
        transaction.on_commit(lambda: _deliver_soon(tenant_id))
    return created


def _deliver_soon(tenant_id: int) -> None:
    from tenants.tasks import outbox_deliver_task  # the task module imports this one

    outbox_deliver_task.delay(tenant_id)


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** (attempts - 1)), timedelta(hours=6))


def _message(m: OutboxMessage, connection) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=m.subject,
        body=m.body_text,
        to=[m.to_email],
        headers={"Message-ID": m.message_id, **m.headers},
        connection=connection,
    )
    if m.body_html:
        email.attach_alternative(m.body_html, "text/html")
    return email


def outbox_deliver(*, kind: str | None = None, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send the active tenant's due messages (optionally of one ``kind``) over one connection.

    Returns ``{"sent": …, "failed": …}`` for this batch.
    """
    sent = failed = 0
    connection = get_connection()
    opened = False
    try:
        for _ in range(limit):
            with transaction.atomic():
                due = OutboxMessage.objects.filter(
                    status=OutboxMessage.Status.PENDING, next_attempt_at__lte=timezone.now()
                )
                if kind:
                    due = due.filter(kind=kind)
                message = due.select_for_update(skip_locked=True).order_by("id").first()
                if message is None:
                    break
                if not opened:
                    connection.open()
                    opened = True
                message.attempts += 1
                try:
                    _message(message, connection).send()
                except Exception as error:  # the provider's failure, whatever its type
                    failed += 1
                    message.last_error = f"{type(error).__name__}: {error}"[:2000]
                    if message.attempts >= MAX_ATTEMPTS:
                        message.status = OutboxMessage.Status.FAILED
                    else:
                        message.next_attempt_at = timezone.now() + _backoff(message.attempts)
                    logger.warning(
                        "outbox send failed", id=message.pk, attempts=message.attempts, error=str(error)
                    )
                else:
                    sent += 1
                    message.status = OutboxMessage.Status.SENT
                    message.sent_at = timezone.now()
                    message.last_error = ""
                message.save(update_fields=["attempts", "status", "sent_at", "last_error", "next_attempt_at"])
    finally:
        if opened:
            connection.close()
    return {"sent": sent, "failed": failed}
