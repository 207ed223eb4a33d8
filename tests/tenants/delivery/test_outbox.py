"""The e-mail outbox: one message per key, one connection per batch, retries, no double send."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection as db_connection
from django.db import transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants.context import tenant_context
from tenants.delivery import services as delivery
from tenants.delivery.models import OutboxBody, OutboxMessage
from tenants.delivery.services import MAX_ATTEMPTS, Body, Email, outbox_deliver, outbox_enqueue

pytestmark = pytest.mark.django_db(transaction=True)

OPENED: list[int] = []


class CountingBackend(LocmemBackend):
    def open(self):
        OPENED.append(1)
        return super().open()


class WorkerKilled(BaseException):
    """Stands for the worker dying: no ``except Exception`` catches it."""


class DyingBackend(LocmemBackend):
    """Sends ``alive`` messages, then the worker "dies" while sending the next one."""

    alive = 0

    def send_messages(self, messages):
        if len(mail.outbox) >= DyingBackend.alive:
            raise WorkerKilled
        return super().send_messages(messages)


class FailingBackend(LocmemBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server refused the connection")


def emails(n: int, prefix: str = "k") -> list[Email]:
    return [
        Email(
            dedupe_key=f"{prefix}{i}", to=f"person{i}@acme.test", subject="Hello", text="Hi", html="<p>Hi</p>"
        )
        for i in range(n)
    ]


def test_enqueue_twice_stores_one_message_per_key_and_delivers_once(tenant):
    with tenant_context(tenant):
        assert outbox_enqueue(kind="test", emails=emails(3)) == 3
        assert outbox_enqueue(kind="test", emails=emails(3)) == 0
        assert OutboxMessage.objects.count() == 3
        assert outbox_deliver() == {"sent": 3, "failed": 0}
        assert outbox_deliver() == {"sent": 0, "failed": 0}
    assert sorted(m.to[0] for m in mail.outbox) == [f"person{i}@acme.test" for i in range(3)]
    message = mail.outbox[0]
    assert message.extra_headers["Message-ID"].startswith("<")
    assert message.alternatives[0][1] == "text/html"
    with tenant_context(tenant):
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}


def shared(n: int) -> list[Email]:
    body = Body(key="news:1:body", text="Hello — leave: LINK", html="<p>Hello</p><a href='LINK'>leave</a>")
    return [
        Email(
            dedupe_key=f"news:1:{i}",
            to=f"p{i}@acme.test",
            subject="News",
            body=body,
            fill={"LINK": f"/u?a={i}&b"},
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("in_transaction", [False, True])
def test_a_shared_body_is_stored_once_and_each_message_fills_in_its_values(tenant, in_transaction):
    with tenant_context(tenant):
        assert outbox_enqueue(kind="test", emails=shared(3)) == 3
        assert outbox_enqueue(kind="test", emails=shared(4)) == 1  # a retried task: one new recipient
        assert OutboxBody.objects.count() == 1
        assert set(OutboxMessage.objects.values_list("body_text", "body_html")) == {("", "")}
        if in_transaction:
            with transaction.atomic():
                assert outbox_deliver() == {"sent": 4, "failed": 0}
        else:
            assert outbox_deliver() == {"sent": 4, "failed": 0}
        assert OutboxMessage.objects.select_related("body").get(to_email="p2@acme.test").contents() == (
            "Hello — leave: /u?a=2&b",
            "<p>Hello</p><a href='/u?a=2&amp;b'>leave</a>",
        )
    sent = {m.to[0]: m for m in mail.outbox}
    assert sorted(sent) == [f"p{i}@acme.test" for i in range(4)]
    assert sent["p3@acme.test"].body == "Hello — leave: /u?a=3&b"
    assert sent["p3@acme.test"].alternatives[0][0] == "<p>Hello</p><a href='/u?a=3&amp;b'>leave</a>"


def test_one_connection_per_batch(tenant, settings):
    settings.EMAIL_BACKEND = "tests.tenants.delivery.test_outbox.CountingBackend"
    OPENED.clear()
    with tenant_context(tenant):
        outbox_enqueue(kind="test", emails=emails(25))
        assert outbox_deliver()["sent"] == 25
    assert len(OPENED) == 1
    assert len(mail.outbox) == 25


def test_failures_retry_with_backoff_then_give_up_visibly(tenant, settings):
    settings.EMAIL_BACKEND = "tests.tenants.delivery.test_outbox.FailingBackend"
    with tenant_context(tenant):
        outbox_enqueue(kind="test", emails=emails(1))
        assert outbox_deliver() == {"sent": 0, "failed": 1}
        message = OutboxMessage.objects.get()
        assert message.status == "pending" and message.attempts == 1
        assert "refused" in message.last_error
        assert message.next_attempt_at > timezone.now() + timedelta(seconds=50)
        assert outbox_deliver() == {"sent": 0, "failed": 0}  # not due yet
        for _ in range(MAX_ATTEMPTS - 1):
            OutboxMessage.objects.update(next_attempt_at=timezone.now())
            outbox_deliver()
        message.refresh_from_db()
        assert message.status == "failed" and message.attempts == MAX_ATTEMPTS
    assert mail.outbox == []


def test_two_workers_at_once_send_each_message_once(tenant):
    with tenant_context(tenant):
        outbox_enqueue(kind="test", emails=emails(40))
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            with tenant_context(tenant):
                barrier.wait()
                outbox_deliver()
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            db_connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == 40 and len(set(recipients)) == 40


def test_messages_are_tenant_isolated(tenant, other_tenant):
    with tenant_context(tenant):
        outbox_enqueue(kind="test", emails=emails(2))
    with tenant_context(other_tenant):
        assert OutboxMessage.objects.count() == 0
        assert outbox_deliver() == {"sent": 0, "failed": 0}
        assert outbox_enqueue(kind="test", emails=emails(2)) == 2  # same keys, other tenant
    assert mail.outbox == []


def test_delivery_statements_name_the_tenant(tenant, settings):
    """The marks and the shared body's read filter on tenant_id: a sharded database routes them
    to the tenant's shard instead of every shard."""
    with tenant_context(tenant):
        outbox_enqueue(kind="test", emails=[*shared(1), *emails(1)])
        settings.EMAIL_BACKEND = "tests.tenants.delivery.test_outbox.FailingBackend"
        with transaction.atomic(), CaptureQueriesContext(db_connection) as failing:
            assert outbox_deliver(limit=1) == {"sent": 0, "failed": 1}
        OutboxMessage.objects.update(next_attempt_at=timezone.now())
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        with transaction.atomic(), CaptureQueriesContext(db_connection) as sending:
            assert outbox_deliver() == {"sent": 2, "failed": 0}
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    statements = [
        q["sql"]
        for q in [*failing.captured_queries, *sending.captured_queries]
        if q["sql"].startswith("UPDATE") or "FROM tenants_outboxbody" in q["sql"]
    ]
    assert len(statements) == 2 + 3  # per batch, the shared body read once and a mark per message
    assert all(f"tenant_id = {tenant.pk}" in sql for sql in statements), statements


def test_a_worker_dying_mid_chunk_neither_resends_what_it_sent_nor_skips_the_rest(tenant, settings):
    """A chunk is marked sent in the database when it commits; until then each message the mail
    server took is on record in Redis, and the next delivery marks those without sending them."""
    redis = delivery._sent_marks()
    with tenant_context(tenant):
        outbox_enqueue(kind="test", emails=emails(delivery.CHUNK + 10))
        settings.EMAIL_BACKEND = "tests.tenants.delivery.test_outbox.DyingBackend"
        DyingBackend.alive = 7
        with pytest.raises(WorkerKilled):
            outbox_deliver()
        assert len(mail.outbox) == 7
        # The chunk's transaction rolled back: nothing is marked in the database, nothing locked.
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"pending"}
        first_seven = list(OutboxMessage.objects.order_by("id").values_list("id", flat=True)[:7])
        key = delivery.sent_marks_key(tenant.pk)
        assert {int(i) for i in redis.smembers(key)} == set(first_seven)

        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert outbox_deliver() == {"sent": delivery.CHUNK + 10, "failed": 0}
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
        assert list(OutboxMessage.objects.filter(attempts=1).values_list("id", flat=True).order_by("id")) == [
            *OutboxMessage.objects.order_by("id").values_list("id", flat=True)
        ]
    recipients = [m.to[0] for m in mail.outbox]
    assert len(recipients) == delivery.CHUNK + 10 == len(set(recipients))
    assert not redis.exists(key)  # the marks are dropped once the rows say it


def test_delivery_claims_and_commits_once_per_chunk(tenant, monkeypatch):
    """A claim, a mark and a commit per chunk of messages, not per message."""
    statements: list[str] = []

    class RecordingCursor(psycopg.Cursor):
        def execute(self, query, params=None, **kwargs):
            statements.append(query)
            return super().execute(query, params, **kwargs)

    monkeypatch.setattr(delivery.psycopg, "Cursor", RecordingCursor)
    with tenant_context(tenant):
        outbox_enqueue(kind="test", emails=emails(2 * delivery.CHUNK + 1))
        assert outbox_deliver() == {"sent": 2 * delivery.CHUNK + 1, "failed": 0}
        assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    claims = [q for q in statements if "FOR UPDATE SKIP LOCKED" in q]
    marks = [q for q in statements if q.startswith("UPDATE")]
    # three chunks (50, 50, 1), then the claim that finds nothing
    assert (len(claims), len(marks), statements.count("COMMIT")) == (4, 3, 3)
    assert len(mail.outbox) == 2 * delivery.CHUNK + 1
