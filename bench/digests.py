"""Department digests for a large tenant: end to end against rendering alone.

A tenant of ``--departments`` departments and ``--members`` members (spread evenly, each in
one department), two promises per department with commitments, a score run, and stories in
the period. Runs, side by side:

- render only: from data fetched beforehand, every department's e-mail rendered (template,
  CSS inlining), then one e-mail per recipient with its signed unsubscribe link, serialized
  to the MIME bytes a mail server receives — with **no database access** (a query raises);
- end to end: :func:`metrics.digests.digest_send_department` per department (queries,
  rendering, the log row and the outbox messages in one transaction), then the outbox
  delivering every message through a counting e-mail backend (the same MIME bytes).

Prints both times, the ratio render ÷ end to end (goal ≥ 0.6: end to end takes at most
1.67 times the rendering), the queries per department (min and max: constant, whatever the
number of recipients), and the e-mail connections opened (one per outbox batch).

    DEBUG=false .venv/bin/python -m bench.digests --departments 50 --members 5000
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

import django  # noqa: E402
import psycopg  # noqa: E402

django.setup()

from django.core.mail.backends.base import BaseEmailBackend  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from bench.owner import owner_conninfo  # noqa: E402
from feedback.stories.models import Story  # noqa: E402
from metrics.digests import selectors as digest_selectors  # noqa: E402
from metrics.digests import services as digest_services  # noqa: E402
from metrics.models import Digest, DigestSettings, ScoreRun  # noqa: E402
from promises.models import Promise  # noqa: E402
from tenants.context import tenant_context  # noqa: E402
from tenants.delivery.services import Email, outbox_deliver  # noqa: E402
from tenants.models import (  # noqa: E402
    Department,
    Membership,
    MembershipDepartment,
    OutboxBody,
    OutboxMessage,
    Tenant,
    Touchpoint,
    User,
)
from tenants.services import tenant_create  # noqa: E402

TENANT_SLUG = "bench-digests"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class CountingBackend(BaseEmailBackend):
    """Serializes each message as SMTP would, and counts connections and messages."""

    opened = 0
    sent = 0
    bytes = 0

    def open(self):
        CountingBackend.opened += 1
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        for message in messages:
            CountingBackend.bytes += len(message.message().as_bytes(linesep="\r\n"))
            CountingBackend.sent += 1
        return len(messages)


# By this module's own name: run with ``-m`` it is ``__main__``, and the counters must be these.
BACKEND = f"{CountingBackend.__module__}.CountingBackend"


def _setup(departments: int, members: int) -> Tenant:
    tenant = Tenant.objects.filter(slug=TENANT_SLUG).first() or tenant_create(
        slug=TENANT_SLUG, name="Bench Digests", time_zone="Europe/Berlin"
    )
    with tenant_context(tenant):
        have = Department.objects.count()
        Department.objects.bulk_create(
            [
                Department(name=f"Department {i:03d}", slug=f"department-{i:03d}")
                for i in range(have, departments)
            ]
        )
        depts = list(Department.objects.order_by("slug")[:departments])
        if not Touchpoint.objects.exists():
            Touchpoint.objects.bulk_create(
                [Touchpoint(name=f"Touchpoint {i}", slug=f"touchpoint-{i}", position=i) for i in range(10)]
            )
        touchpoints = list(Touchpoint.objects.order_by("position"))
        have = Membership.objects.count()
        if have < members:
            users = User.objects.bulk_create(
                [User(email=f"m{i:05d}@{TENANT_SLUG}.example", password="!") for i in range(have, members)],
                ignore_conflicts=True,
            )
            users = list(User.objects.filter(email__in=[u.email for u in users]).order_by("email"))
            created = Membership.objects.bulk_create([Membership(user=u, role="employee") for u in users])
            MembershipDepartment.objects.bulk_create(
                [
                    MembershipDepartment(membership=m, department=depts[(have + i) % len(depts)])
                    for i, m in enumerate(created)
                ]
            )
        for department in depts:
            for j in range(2):
                slug = f"{department.slug}-promise-{j}"
                if not Promise.objects.filter(slug=slug).exists():
                    Promise.objects.create(
                        kind="customer",
                        slug=slug,
                        title=f"Promise {j} of {department.name}",
                        statement="We keep it.",
                        owner=department,
                        status="active",
                    )
        DigestSettings.objects.update_or_create(defaults={"cadence": "weekly", "weekday": 0, "send_hour": 8})
        period = _period(tenant)
        if not ScoreRun.objects.filter(as_of=period.end - timedelta(hours=1)).exists():
            promises = list(Promise.objects.filter(slug__contains="-promise-").order_by("pk"))
            result = {
                "tenant": {"score": 71.0, "delivery_rate": 64.0},
                "promises": [
                    {
                        "id": p.pk,
                        "slug": p.slug,
                        "title": p.title,
                        "owner_id": p.owner_id,
                        "score": 40 + (p.pk % 50),
                        "delivery_rate": 50.0,
                        "operational_score": 90.0,
                        "perceived_score": 60.0 if p.pk % 7 == 0 else 88.0,
                        "perception_gap": 30.0 if p.pk % 7 == 0 else 2.0,
                        "flags": ["hidden_breach"] if p.pk % 7 == 0 else [],
                        "status": "scored",
                    }
                    for p in promises
                ],
                "commitments": [
                    {
                        "id": 10_000 + p.pk,
                        "promise": p.slug,
                        "promise_id": p.pk,
                        "measure": "csat",
                        "touchpoint": touchpoints[p.pk % len(touchpoints)].slug,
                        "actual": 70.0,
                        "n": 50,
                        "status": "not_met" if p.pk % 3 == 0 else "met",
                        "met": p.pk % 3 != 0,
                        "score": 80.0,
                        "gap": 10.0,
                        "kind": "perceived",
                        "target": 80.0,
                    }
                    for p in promises
                ],
                "departments": [],
                "touchpoints": [],
            }
            for as_of, kind in (
                (period.start - timedelta(hours=1), "daily"),
                (period.end - timedelta(hours=1), "recompute"),
            ):
                ScoreRun.objects.create(kind=kind, source="rollup", as_of=as_of, result=result)
        if not Story.objects.filter(occurred_at__gte=period.start, occurred_at__lt=period.end).exists():
            Story.objects.bulk_create(
                [
                    Story(
                        occurred_at=period.start + timedelta(minutes=13 * i),
                        source_kind="member",
                        source_id=0,
                        text=f"Story {i}: " + ("awful, slow and broken" if i % 3 else "great and friendly"),
                        touchpoint=touchpoints[i % len(touchpoints)],
                        channel="web_form",
                        sentiment=-0.6 if i % 3 else 0.7,
                    )
                    for i in range(500)
                ]
            )
    return tenant


def _period(tenant: Tenant) -> digest_selectors.Period:
    return digest_selectors.period_due(
        tenant=tenant, schedule=DigestSettings(cadence="weekly", weekday=0, send_hour=8), now=NOW
    )


def _reset(tenant: Tenant) -> None:
    """No digest made or sent yet; the outbox vacuumed (as the database's owner, whether or not
    autovacuum runs here) so that every run starts from the same table, not from the dead rows
    of the runs before it."""
    with tenant_context(tenant):
        OutboxMessage.objects.filter(kind=digest_selectors.OUTBOX_KIND).delete()
        OutboxBody.objects.filter(key__startswith="digest:").delete()
        Digest.objects.all().delete()
    with psycopg.connect(owner_conninfo(), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE tenants_outboxmessage, tenants_outboxbody")


def _no_database(*args, **kwargs):
    raise AssertionError("render-only touched the database")


def run(departments: int = 50, members: int = 5000) -> dict[str, float]:
    tenant = _setup(departments, members)
    _reset(tenant)
    period = _period(tenant)
    with tenant_context(tenant):
        depts = list(Department.objects.order_by("slug")[:departments])
        prefetched = []
        for department in depts:
            data = digest_selectors.digest_data(tenant=tenant, department=department, period=period, now=NOW)
            data.recipients = digest_selectors.digest_recipients(department=department)
            prefetched.append(data)

    digest_services.digest_render(prefetched[0])  # templates compiled once, as in a long-running worker

    # Render only: no database access at all.
    CountingBackend.sent = CountingBackend.bytes = 0
    backend = CountingBackend()
    started = time.perf_counter()
    with connection.execute_wrapper(_no_database):
        for data in prefetched:
            rendered = digest_services.digest_render(data)
            prefix = digest_services.digest_outbox_prefix(
                department_id=data.slice["department"]["id"], period=period
            )
            emails = digest_services.digest_emails(data=data, rendered=rendered, outbox_prefix=prefix)
            backend.send_messages([_email_message(e) for e in emails])
    render_s = time.perf_counter() - started
    render_messages = CountingBackend.sent

    # End to end: make every department's digest, then deliver the outbox.
    CountingBackend.opened = CountingBackend.sent = CountingBackend.bytes = 0
    queries = []
    started = time.perf_counter()
    # The outbox's after-commit delivery task is not queued (no broker here): the loop below
    # delivers, batch by batch, as the worker would.
    with (
        tenant_context(tenant),
        override_settings(EMAIL_BACKEND=BACKEND),
        mock.patch("tenants.delivery.services._deliver_soon", lambda tenant_id: None),
    ):
        for department in depts:
            with CaptureQueriesContext(connection) as captured:
                digest_services.digest_send_department(
                    tenant=tenant, department=department, period=period, now=NOW
                )
            queries.append(len(captured))
        made = time.perf_counter()
        batches = 0
        while outbox_deliver(kind=digest_selectors.OUTBOX_KIND)["sent"]:
            batches += 1
    e2e_s = time.perf_counter() - started
    make_s = made - started
    e2e_messages = CountingBackend.sent
    _reset(tenant)
    if e2e_messages != render_messages:
        raise AssertionError(f"end to end sent {e2e_messages} e-mails, render only {render_messages}")
    return {
        "departments": float(len(depts)),
        "emails": float(e2e_messages),
        "render_s": render_s,
        "e2e_s": e2e_s,
        "make_s": make_s,
        "deliver_s": e2e_s - make_s,
        "render_ratio": render_s / e2e_s,
        "queries_per_department_min": float(min(queries)),
        "queries_per_department_max": float(max(queries)),
        "connections": float(CountingBackend.opened),
        "batches": float(batches),
    }


def _email_message(email: Email):
    """The e-mail as delivery builds it: the shared body with the recipient's values filled in."""
    from django.core.mail import EmailMultiAlternatives

    text, html = OutboxBody.filled(email.body.text, email.body.html, email.fill)
    message = EmailMultiAlternatives(subject=email.subject, body=text, to=[email.to], headers=email.headers)
    message.attach_alternative(html, "text/html")
    return message


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--departments", type=int, default=50)
    parser.add_argument("--members", type=int, default=5000)
    args = parser.parse_args()
    r = run(args.departments, args.members)
    print(
        f"{r['emails']:.0f} e-mails for {r['departments']:.0f} departments\n"
        f"render only {r['render_s']:.2f} s · end to end {r['e2e_s']:.2f} s · "
        f"render ÷ end to end {r['render_ratio']:.2f} (goal ≥ 0.60)\n"
        f"end to end = making the digests {r['make_s']:.2f} s + delivering the outbox {r['deliver_s']:.2f} s\n"
        f"queries per department {r['queries_per_department_min']:.0f}–{r['queries_per_department_max']:.0f} · "
        f"e-mail connections {r['connections']:.0f} for {r['batches']:.0f} outbox batches"
    )


if __name__ == "__main__":
    main()
