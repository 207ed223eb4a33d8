"""The e-mail outbox: messages that must reach their recipient once, neither lost nor doubled.

- :func:`outbox_enqueue` stores messages in the caller's transaction (a rolled-back decision
  sends nothing), one per ``dedupe_key`` (enqueueing again — a task retried or run twice —
  adds nothing), and asks for delivery after commit. A body many messages share (a digest to
  every member of a department) is stored once (:class:`Body`); each message fills in its own
  values (its unsubscribe link) when it is sent.
- :func:`outbox_deliver` sends the tenant's due messages over **one** e-mail connection per
  batch, :data:`CHUNK` messages to a transaction: one statement claims them
  (``SELECT … FOR UPDATE SKIP LOCKED``: two workers never hold the same message), each is
  sent and, once the mail server has taken it, its id is added to the tenant's Redis set of
  sent marks (:func:`sent_marks_key`; one Redis round trip, no database transaction), and one
  statement marks the whole chunk sent before its commit. A worker killed mid-chunk leaves the
  chunk pending (its transaction rolls back, its row locks go); the worker that claims those
  messages next finds the ones the dead worker sent among the sent marks and marks them sent
  without sending them again, and sends the others. So a killed worker neither re-sends what
  it had sent nor skips what it had not. The one window left is a crash between the mail server
  accepting a message and its sent mark reaching Redis (or Redis losing its data before the
  chunk is resumed); the message then goes out again with the same ``Message-ID`` (derived
  from the dedupe key), which mail servers and ESPs use to drop the repeat.
- A failed send is retried with exponential backoff (1, 2, 4 … minutes, at most 6 hours) and
  given up after :data:`MAX_ATTEMPTS`, status ``failed`` with the last error for admins.
- ``outbox_sweep`` (beat, :mod:`tenants.delivery.tasks`) fans out one delivery per active
  tenant, so retries and messages of a dead worker are picked up.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import psycopg
import redis
import structlog
from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone
from psycopg.types.json import Jsonb

from tenants.context import require_tenant_id
from tenants.delivery.models import OutboxBody, OutboxMessage

logger = structlog.get_logger("cxgov.outbox")

MAX_ATTEMPTS = 8
# The task names predate this package; beat and queued messages use them, so they stay.
DELIVER_TASK = "tenants.tasks.outbox_deliver_task"
SWEEP_TASK = "tenants.tasks.outbox_sweep"
BATCH_SIZE = 500
# Messages claimed, and marked sent, per transaction: a round trip and a commit per chunk
# rather than per message. A chunk's rows stay locked while it is sent.
CHUNK = 50
# How long a sent mark outlives a killed worker: the next sweep (every minute) resumes its chunk.
SENT_MARKS_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class Body:
    """What many e-mails share, stored once: text and HTML with placeholders each e-mail fills
    (``Email.fill``). ``key`` names it like a dedupe key."""

    key: str
    text: str
    html: str = ""


@dataclass(frozen=True)
class Email:
    dedupe_key: str
    to: str
    subject: str
    text: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: Body | None = None  # instead of ``text`` and ``html``: a shared body…
    fill: dict[str, str] = field(default_factory=dict)  # …with these placeholders filled in


def message_id_for(tenant_id: int, dedupe_key: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}:{dedupe_key}".encode()).hexdigest()[:32]
    domain = getattr(settings, "CXGOV_MESSAGE_ID_DOMAIN", "cxgov.local")
    return f"<{digest}@{domain}>"


# One statement for any number of messages: a row per element of the arrays; a key stored
# already (a task retried or run twice) is skipped, and RETURNING tells how many were new.
_ENQUEUE = """
    INSERT INTO tenants_outboxmessage
           (tenant_id, kind, dedupe_key, to_email, subject, body_text, body_html, body_id, fill,
            headers, message_id, status, attempts, last_error, created_at)
    SELECT %s, %s, m.dedupe_key, m.to_email, m.subject, m.body_text, m.body_html, m.body_id,
           m.fill, m.headers, m.message_id, 'pending', 0, '', statement_timestamp()
      FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[],
                  %s::jsonb[], %s::jsonb[], %s::text[])
           AS m(dedupe_key, to_email, subject, body_text, body_html, body_id, fill, headers, message_id)
        ON CONFLICT (tenant_id, dedupe_key) DO NOTHING
    RETURNING id
"""


def outbox_enqueue(*, kind: str, emails: Iterable[Email]) -> int:
    """Store ``emails`` for delivery; returns how many were new (repeats of a key are skipped).

    A body shared by several e-mails is stored once (:class:`Body`)."""
    tenant_id = require_tenant_id()
    emails = list(emails)
    if not emails:
        return 0
    body_ids = _bodies_store({e.body.key: e.body for e in emails if e.body is not None})
    columns = [
        [e.dedupe_key for e in emails],
        [e.to for e in emails],
        [e.subject for e in emails],
        [e.text for e in emails],
        [e.html for e in emails],
        [body_ids[e.body.key] if e.body is not None else None for e in emails],
        [Jsonb(e.fill) for e in emails],
        [Jsonb(e.headers) for e in emails],
        [message_id_for(tenant_id, e.dedupe_key) for e in emails],
    ]
    with db_connection.cursor() as cursor:
        cursor.execute(_ENQUEUE, [tenant_id, kind, *columns])
        created = len(cursor.fetchall())
    if created:
        transaction.on_commit(lambda: _deliver_soon(tenant_id))
    return created


def _bodies_store(bodies: dict[str, Body]) -> dict[str, int]:
    """``{key: id}`` of ``bodies``, stored unless stored already."""
    if not bodies:
        return {}
    OutboxBody.objects.bulk_create(
        [OutboxBody(key=b.key, text=b.text, html=b.html) for b in bodies.values()], ignore_conflicts=True
    )
    return dict(OutboxBody.objects.filter(key__in=list(bodies)).values_list("key", "id"))


def _deliver_soon(tenant_id: int) -> None:
    # Sent by name: the task module imports this one, so importing it back would make a circle.
    current_app.send_task(DELIVER_TASK, args=[tenant_id])


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** (attempts - 1)), timedelta(hours=6))


@dataclass(frozen=True)
class _Claimed:
    id: int
    to_email: str
    subject: str
    body_text: str
    body_html: str
    headers: dict[str, str]
    message_id: str
    attempts: int
    body_id: int | None
    fill: dict[str, str]


# The oldest due message nobody else holds, locked until this transaction ends, after the
# batch's previous one (``id > %s``: the index scan starts there, not at the entries of the
# messages the batch has sent). Plain SQL: it runs once per message, and the ORM's query
# building would cost more than the query. statement_timestamp(), like the column's default:
# now() is the transaction's start, earlier than messages enqueued further on in it.
_CLAIM = """
    SELECT id, to_email, subject, body_text, body_html, headers, message_id, attempts, body_id, fill
      FROM tenants_outboxmessage
     WHERE tenant_id = %s AND status = 'pending' AND next_attempt_at <= statement_timestamp() {kind}
       AND id > %s
     ORDER BY id LIMIT {limit} FOR UPDATE SKIP LOCKED
"""
# Every statement names the tenant: on a sharded database that routes it to the tenant's shard.
# statement_timestamp(), the time of the mark: Citus refuses a volatile function such as
# clock_timestamp() in an UPDATE of a distributed table ("must not be VOLATILE").
_SENT = (
    "UPDATE tenants_outboxmessage SET status = 'sent', attempts = %s, sent_at = statement_timestamp(), "
    "last_error = '' WHERE tenant_id = %s AND id = %s"
)
# A chunk's sent messages in one statement: ids and their attempt counts as arrays.
_SENT_CHUNK = (
    "UPDATE tenants_outboxmessage m SET status = 'sent', attempts = u.attempts, "
    "sent_at = statement_timestamp(), last_error = '' "
    "FROM unnest(%s::bigint[], %s::smallint[]) AS u(id, attempts) WHERE m.tenant_id = %s AND m.id = u.id"
)
_FAILED = (
    "UPDATE tenants_outboxmessage SET status = %s, attempts = %s, next_attempt_at = %s, last_error = %s "
    "WHERE tenant_id = %s AND id = %s"
)


_BODY = "SELECT text, html FROM tenants_outboxbody WHERE tenant_id = %s AND id = %s"


class _Bodies:
    """The shared bodies of a batch's messages, each read once (with ``cursor``)."""

    def __init__(self, cursor):
        self.cursor, self.read = cursor, {}

    def contents(self, m: _Claimed) -> tuple[str, str]:
        if m.body_id is None:
            return m.body_text, m.body_html
        if m.body_id not in self.read:
            self.cursor.execute(_BODY, [require_tenant_id(), m.body_id])
            self.read[m.body_id] = self.cursor.fetchone()
        return OutboxBody.filled(*self.read[m.body_id], m.fill)


def _message(m: _Claimed, text: str, html: str, connection) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=m.subject,
        body=text,
        to=[m.to_email],
        headers={"Message-ID": m.message_id, **m.headers},
        connection=connection,
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _claimed(row) -> _Claimed:
    return _Claimed(*row[:5], _json(row[5]), *row[6:9], _json(row[9]))


def _send(row, connection: _LazyConnection, bodies: _Bodies) -> tuple[bool, str, list]:
    """Send the claimed ``row``: whether it went, and the statement (with its parameters) that
    marks it sent, or due again later with backoff, or given up after the last attempt."""
    message = _claimed(row)
    attempts = message.attempts + 1
    try:
        _message(message, *bodies.contents(message), connection.get()).send()
    except Exception as error:  # the provider's failure, whatever its type
        gave_up = attempts >= MAX_ATTEMPTS
        logger.warning("outbox send failed", id=message.id, attempts=attempts, error=str(error))
        return (
            False,
            _FAILED,
            [
                OutboxMessage.Status.FAILED if gave_up else OutboxMessage.Status.PENDING,
                attempts,
                timezone.now() + (timedelta(0) if gave_up else _backoff(attempts)),
                f"{type(error).__name__}: {error}"[:2000],
                require_tenant_id(),
                message.id,
            ],
        )
    return True, _SENT, [attempts, require_tenant_id(), message.id]


def outbox_deliver(*, kind: str | None = None, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send up to ``limit`` of the active tenant's due messages (optionally of one ``kind``)
    over one e-mail connection.

    Outside any transaction, :data:`CHUNK` messages a transaction: claim them (row-locked),
    send each and record it among the sent marks in Redis, mark the chunk sent, commit (see
    the module's docstring for what a killed worker leaves). Inside one (messages the caller
    has not committed yet) each message is claimed, sent and marked in turn, a savepoint per
    message, in the caller's transaction.

    Returns ``{"sent": …, "failed": …}`` for this batch.
    """
    tenant_id = require_tenant_id()
    claim_params = [tenant_id, kind] if kind else [tenant_id]
    kind_sql = "AND kind = %s" if kind else ""
    connection = _LazyConnection(get_connection())
    try:
        if db_connection.in_atomic_block:
            return _deliver_in_transaction(
                _CLAIM.format(kind=kind_sql, limit=1), claim_params, connection, limit
            )
        return _deliver_chunked(_CLAIM.format(kind=kind_sql, limit="%s"), claim_params, connection, limit)
    finally:
        connection.close()


class _LazyConnection:
    """The batch's one e-mail connection, opened at the first message (none for an empty batch)."""

    def __init__(self, backend):
        self.backend, self.opened = backend, False

    def get(self):
        if not self.opened:
            self.backend.open()
            self.opened = True
        return self.backend

    def close(self) -> None:
        if self.opened:
            self.backend.close()


_redis: redis.Redis | None = None


def sent_marks_key(tenant_id: int) -> str:
    """The Redis set of the tenant's messages sent in a chunk not committed yet (see the module)."""
    return f"{settings.CXGOV_REDIS_PREFIX}:outbox-sent:{tenant_id}"


def _sent_marks() -> redis.Redis:
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL)
    return _redis


def _deliver_chunked(claim: str, claim_params: list, connection, limit: int) -> dict[str, int]:
    db_connection.ensure_connection()
    raw = db_connection.connection
    tenant_id = require_tenant_id()
    marks, marks_key = _sent_marks(), sent_marks_key(tenant_id)
    # This path runs its own transactions on the raw connection: each carries the tenant.
    begin = ["BEGIN", *db_connection.transaction_settings_sql()]
    cursor = psycopg.Cursor(raw)
    bodies = _Bodies(cursor)
    sent = failed = after = 0
    try:
        while sent + failed < limit:
            with raw.pipeline():
                for statement in begin:
                    cursor.execute(statement)
                cursor.execute(claim, [*claim_params, after, min(CHUNK, limit - sent - failed)])
            rows = cursor.fetchall()
            if not rows:
                break
            after = rows[-1][0]
            # Sent by a worker that died before committing its chunk: marked now, not sent again.
            ids = [row[0] for row in rows]
            gone = {i for i, member in zip(ids, marks.smismember(marks_key, ids), strict=True) if member}
            done_ids, done_attempts, failures = [], [], []
            for row in rows:
                if row[0] not in gone:
                    ok, _, params = _send(row, connection, bodies)
                    if not ok:
                        failures.append(params)
                        continue
                    # Before the next message: what the mail server has taken is on record.
                    marks.pipeline().sadd(marks_key, row[0]).expire(marks_key, SENT_MARKS_TTL).execute()
                done_ids.append(row[0])
                done_attempts.append(row[7] + 1)
            with raw.pipeline():
                if done_ids:
                    cursor.execute(_SENT_CHUNK, [done_ids, done_attempts, tenant_id])
                for params in failures:
                    cursor.execute(_FAILED, params)
                cursor.execute("COMMIT")
            if done_ids:
                marks.srem(marks_key, *done_ids)  # committed: the rows say it from now on
            sent, failed = sent + len(done_ids), failed + len(failures)
    finally:
        if raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
            raw.execute("ROLLBACK")  # releases a claimed chunk; its sent marks stay for the next claim
        cursor.close()
    return {"sent": sent, "failed": failed}


def _deliver_in_transaction(claim: str, claim_params: list, connection, limit: int) -> dict[str, int]:
    sent = failed = after = 0
    with db_connection.cursor() as cursor:
        bodies = _Bodies(cursor)
        for _ in range(limit):
            with transaction.atomic():
                cursor.execute(claim, [*claim_params, after])
                row = cursor.fetchone()
                if row is None:
                    break
                after = row[0]
                ok, mark, params = _send(row, connection, bodies)
                sent, failed = sent + ok, failed + (not ok)
                cursor.execute(mark, params)
    return {"sent": sent, "failed": failed}
