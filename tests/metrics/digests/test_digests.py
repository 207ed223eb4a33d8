"""Department digests: content (shared core and department slice), sending exactly once,
unsubscribing, tenant isolation, constant queries, and the admin and member pages."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core import mail, signing
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from metrics.digests import selectors as digest_selectors
from metrics.digests import services as digest_services
from metrics.digests.tasks import digest_send, digests_dispatch
from metrics.models import DepartmentDigest, Digest, DigestOptOut, DigestSubscriber
from tenants.context import tenant_context
from tenants.delivery.models import OutboxMessage
from tenants.delivery.services import outbox_deliver
from tenants.delivery.tasks import outbox_deliver_task
from tenants.models import Department, Membership
from tenants.services import member_add
from tests.conftest import client_for, enrol_totp, signed_in
from tests.metrics.digests.helpers import department_promise_ids, seed_digest_tenant

pytestmark = pytest.mark.django_db
# The module's worker sends e-mails as files (tests/metrics/digests/mail_dir_backend.py).
WORKER_SETTINGS = "tests.metrics.digests.worker_settings"
DIGEST_SEND = "metrics.digest_tasks.digest_send"

# Tuesday 1 Dec 2026, 10:00 in Berlin: Monday's 08:00 weekly digest (23–30 Nov) is due.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def seeded():
    return seed_digest_tenant(now=NOW)


def data_for(seeded, name: str):
    with tenant_context(seeded.tenant):
        department = seeded.departments[name]
        return digest_selectors.digest_data(
            tenant=seeded.tenant, department=department, period=seeded.period, now=NOW
        )


def core_html(html: str) -> str:
    return html[html.index('id="core"') : html.index('id="slice"')]


# --- Content ----------------------------------------------------------------------------------


def test_the_period_due_is_last_week_in_the_tenant_time_zone(seeded):
    assert seeded.period.key == "weekly:2026-11-23..2026-11-30"
    assert seeded.period.start == datetime(2026, 11, 22, 23, 0, tzinfo=UTC)
    assert seeded.period.end == datetime(2026, 11, 29, 23, 0, tzinfo=UTC)


def test_the_core_is_identical_for_every_department_and_the_slices_differ(seeded):
    names = list(seeded.departments)
    data = {name: data_for(seeded, name) for name in names}
    rendered = {name: digest_services.digest_render(d) for name, d in data.items()}
    cores = {name: d.core for name, d in data.items()}
    assert all(core == cores[names[0]] for core in cores.values())
    assert len({core_html(r.html) for r in rendered.values()}) == 1

    core = cores[names[0]]
    assert core["score"] == 75.5  # as of the period's end, not the run after it
    assert core["change"] == 5.5  # since the run at the previous digest (70)
    assert core["change_quarter"] == 15.5  # since the last quarter end (60)
    returns = next(p for p in seeded.promises.values() if "return" in p.slug)
    assert core["largest_gap"][0]["id"] == returns.pk and len(core["largest_gap"]) == 3
    assert [p["title"] for p in core["hidden_breaches"]] == [
        p.title for p in seeded.promises.values() if "human" in p.slug
    ]

    slices = {}
    with tenant_context(seeded.tenant):
        for name in names:
            expected = department_promise_ids(seeded.departments[name], seeded.promises)
            got = {p["id"] for p in data[name].slice["promises"]}
            assert got == expected, name
            slices[name] = got
            not_met = data[name].slice["not_met"]
            assert bool(not_met) == (returns.pk in expected)
    assert len({frozenset(s) for s in slices.values()}) > 1


def test_stories_in_the_slice_are_the_period_s_at_the_department_s_touchpoints(seeded):
    with tenant_context(seeded.tenant):
        returns = next(p for p in seeded.promises.values() if "return" in p.slug)
        owner = returns.owner.name
    stories = data_for(seeded, owner).slice["stories"]
    negative = [s["id"] for s in stories["negative"]]
    assert negative[0] == seeded.stories["returns_bad"]
    assert seeded.stories["returns_old"] not in negative  # before the period
    assert [s["id"] for s in stories["positive"]] == [seeded.stories["returns_good"]]
    sales = data_for(seeded, "Sales").slice["stories"]
    assert [s["id"] for s in sales["negative"]] == [seeded.stories["sales_bad"]]  # logged for Sales


def test_html_and_text_parts_link_to_the_tenant_site_with_inlined_css_and_no_images(seeded, settings):
    settings.CXGOV_TENANT_URL = "https://{slug}.cxgov.example"
    data = data_for(seeded, "Customer Service")
    rendered = digest_services.digest_render(data)
    text, html = rendered.for_recipient("https://acme.cxgov.example/digests/unsubscribe/x/")
    assert "<style" not in html and 'style="' in html
    assert "<img" not in html.lower() and "url(" not in html
    links = re.findall(r'href="([^"]+)"', html)
    assert links and all(link.startswith("https://acme.cxgov.example/") for link in links)
    assert any(re.fullmatch(r"https://acme\.cxgov\.example/promises/\d+/", link) for link in links)
    assert any("/stories/" in link for link in links)
    assert "Customer Service" in text and "https://acme.cxgov.example/promises/" in text
    assert "&amp;" not in text and "&#x27;" not in text and "<table" not in text


def test_an_empty_period_says_so_in_one_line(seeded):
    with tenant_context(seeded.tenant):
        department = Department.objects.create(name="Legal", slug="legal")
        data = digest_selectors.digest_data(
            tenant=seeded.tenant, department=department, period=seeded.period, now=NOW
        )
    assert data.slice["is_empty"]
    text, html = digest_services.digest_render(data).for_recipient("u")
    assert "Nothing to report for Legal in this period." in text
    slice_part = html[html.index('id="slice"') :]
    assert "Nothing to report for Legal in this period." in slice_part and "<table" not in slice_part


# --- Sending exactly once ---------------------------------------------------------------------


def department_members(seeded, name: str) -> set[str]:
    with tenant_context(seeded.tenant):
        return set(
            Membership.objects.filter(departments=seeded.departments[name], is_active=True).values_list(
                "user__email", flat=True
            )
        )


def sent_e_mails(mail_dir: Path) -> list[EmailMessage]:
    """The e-mails the worker sent (tests.metrics.digests.mail_dir_backend: one file each)."""
    return [
        BytesParser(policy=policy.default).parsebytes(p.read_bytes()) for p in sorted(mail_dir.glob("*.eml"))
    ]


@pytest.mark.django_db(transaction=True)
def test_a_task_run_twice_sends_each_recipient_one_e_mail(worker, seeded):
    shutil.rmtree(worker.mail_dir, ignore_errors=True)
    tenant = seeded.tenant
    with tenant_context(tenant):
        department = seeded.departments["Customer Service"]
        DigestSubscriber.objects.create(department=department, email="board@acme.example")
    runs = [digest_send.delay(tenant.pk, department.pk, seeded.period.key) for _ in range(2)]
    assert [worker.outcome(r.id)["type"] for r in runs] == ["task-succeeded"] * 2
    with tenant_context(tenant):
        assert Digest.objects.count() == 1
        digest = Digest.objects.get()
        assert OutboxMessage.objects.filter(kind="digest").count() == digest.recipients
    # Each run's delivery was queued after its commit; delivering twice more sends nothing new.
    worker.finish("tenants.tasks.outbox_deliver_task", 1)
    for _ in range(2):
        assert worker.outcome(outbox_deliver_task.delay(tenant.pk).id)["type"] == "task-succeeded"
    expected = department_members(seeded, "Customer Service") | {"board@acme.example"}
    messages = sent_e_mails(worker.mail_dir)
    recipients = sorted(str(m["To"]) for m in messages)
    assert recipients == sorted(expected) and digest.recipients == len(expected)
    message = messages[0]
    assert [part.get_content_type() for part in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert re.fullmatch(
        r"<http://acme\.localhost:8000/digests/unsubscribe/[^/]+/>", message["List-Unsubscribe"].strip()
    )


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_run_twice_queues_each_department_once(worker, seeded, time_machine):
    time_machine.move_to(NOW, tick=False)
    with tenant_context(seeded.tenant):
        DepartmentDigest.objects.create(department=seeded.departments["Sales"], is_enabled=False)
    enabled = len(seeded.departments) - 1
    first = digests_dispatch()
    assert first == enabled
    outcomes = worker.finish(DIGEST_SEND, first)
    assert {o["type"] for o in outcomes} == {"task-succeeded"}, outcomes
    # Once the worker has made them, the dispatcher run again queues nothing.
    assert digests_dispatch() == 0
    with tenant_context(seeded.tenant):
        made = list(Digest.objects.values_list("department__name", flat=True))
    assert sorted(made) == sorted(set(seeded.departments) - {"Sales"})


def test_queries_per_department_do_not_grow_with_recipients(seeded):
    tenant = seeded.tenant
    with tenant_context(tenant):
        small, large = seeded.departments["IT"], seeded.departments["Operations"]
        for i in range(30):
            member_add(
                tenant=tenant,
                email=f"ops{i}@acme.example",
                role="employee",
                password="x" * 12,
                departments=[large],
            )
        for i in range(5):
            DigestSubscriber.objects.create(department=large, email=f"extra{i}@partner.example")
        counts = {}
        for department in (small, large):
            with CaptureQueriesContext(connection) as queries:
                digest = digest_services.digest_send_department(
                    tenant=tenant, department=department, period=seeded.period, now=NOW
                )
            counts[department.name] = len(queries)
            assert digest is not None
    assert digest.recipients >= 35
    assert counts["IT"] == counts["Operations"], counts


# --- Unsubscribing ----------------------------------------------------------------------------


def sent_link(seeded, email: str) -> str:
    with tenant_context(seeded.tenant):
        text, _ = OutboxMessage.objects.select_related("body").get(kind="digest", to_email=email).contents()
    return re.search(r"http://acme\.localhost:8000(/digests/unsubscribe/[^/]+/)", text).group(1)


def test_the_unsubscribe_link_works_without_signing_in_and_only_for_its_member(seeded, other_tenant):
    tenant = seeded.tenant
    department = seeded.departments["Customer Service"]
    with tenant_context(tenant):
        digest_services.digest_send_department(
            tenant=tenant, department=department, period=seeded.period, now=NOW
        )
        erin = Membership.objects.get(user__email="employee@acme.example")
        max_ = Membership.objects.get(user__email="manager@acme.example")
    path = sent_link(seeded, "employee@acme.example")
    anonymous = client_for("acme")

    page = anonymous.get(path)
    assert page.status_code == 200 and b"employee@acme.example" in page.content
    with tenant_context(tenant):
        assert not DigestOptOut.objects.exists()  # opening the link changes nothing
    done = anonymous.post(path)
    assert done.status_code == 200 and b"Unsubscribed" in done.content
    assert anonymous.post(path).status_code == 200  # idempotent
    with tenant_context(tenant):
        assert list(DigestOptOut.objects.values_list("membership_id", "department_id")) == [
            (erin.pk, department.pk)
        ]

    token = path.split("/")[-2]
    payload = signing.loads(token, salt=digest_services.UNSUBSCRIBE_SALT)
    # Tampered: the same token body naming another member, with the old signature.
    body, _, signature = token.partition(":")
    forged_body = signing.b64_encode(signing.JSONSerializer().dumps({**payload, "m": max_.pk})).decode()
    assert anonymous.post(f"/digests/unsubscribe/{forged_body}:{signature}/").status_code == 404
    # A real token of another tenant's member does not work on this tenant, nor this one there.
    with tenant_context(other_tenant):
        other_member = Membership.objects.first()
    other_token = digest_services.unsubscribe_token(
        {"t": other_tenant.pk, "d": department.pk, "m": other_member.pk}
    )
    assert anonymous.post(f"/digests/unsubscribe/{other_token}/").status_code == 404
    assert client_for(other_tenant.slug).post(path).status_code == 404
    # Signed with another salt (e.g. some other signed value of the app): refused.
    assert anonymous.post(f"/digests/unsubscribe/{signing.dumps(payload)}/").status_code == 404
    with tenant_context(tenant):
        assert DigestOptOut.objects.count() == 1

    # The next digest skips the member who unsubscribed.
    with tenant_context(tenant):
        recipients = {r.email for r in digest_selectors.digest_recipients(department=department)}
    assert "employee@acme.example" not in recipients and "manager@acme.example" in recipients


def test_an_extra_subscriber_unsubscribes_with_their_link(seeded):
    tenant = seeded.tenant
    with tenant_context(tenant):
        department = seeded.departments["IT"]
        DigestSubscriber.objects.create(department=department, email="cto@partner.example")
        digest_services.digest_send_department(
            tenant=tenant, department=department, period=seeded.period, now=NOW
        )
    path = sent_link(seeded, "cto@partner.example")
    assert client_for("acme").post(path).status_code == 200
    with tenant_context(tenant):
        assert not DigestSubscriber.objects.get().is_active


# --- Tenant isolation -------------------------------------------------------------------------


def test_no_digest_contains_another_tenant_s_data(db):
    acme = seed_digest_tenant("acme", "Acme Retail", now=NOW)
    twin = seed_digest_tenant("acme-eu", "Acme Retail EU", now=NOW)
    for seeded in (acme, twin):
        with tenant_context(seeded.tenant):
            for department in seeded.departments.values():
                digest_services.digest_send_department(
                    tenant=seeded.tenant, department=department, period=seeded.period, now=NOW
                )
            outbox_deliver()
    by_tenant = {"acme": [], "acme-eu": []}
    for message in mail.outbox:
        slug = "acme-eu" if message.to[0].endswith("@acme-eu.example") else "acme"
        by_tenant[slug].append(message)
    assert by_tenant["acme"] and by_tenant["acme-eu"]
    for message in by_tenant["acme"]:
        body = message.body + message.alternatives[0][0]
        assert "acme-eu" not in body and "Retail EU" not in body and "[acme-eu]" not in body
        assert "http://acme.localhost:8000/" in body
    for message in by_tenant["acme-eu"]:
        body = message.body + message.alternatives[0][0]
        assert "[acme]" not in body and "http://acme.localhost" not in body and "Acme Retail EU" in body


# --- Pages ------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(seeded):
    from tenants.models import User

    enrol_totp(User.objects.get(email="admin@acme.example"))
    return signed_in("acme", "admin@acme.example")


def test_admin_sets_the_schedule_switches_a_department_and_adds_a_subscriber(seeded, admin_client):
    response = admin_client.post(
        "/admin/digests/", {"is_enabled": "on", "cadence": "daily", "weekday": "2", "send_hour": "7"}
    )
    assert response.status_code == 302
    department = seeded.departments["Marketing"]
    assert (
        admin_client.post(
            f"/admin/digests/departments/{department.pk}/", {"is_enabled_submit": "1"}
        ).status_code
        == 302
    )
    added = admin_client.post(
        f"/admin/digests/departments/{department.pk}/", {"email": "Agency@Partner.example"}
    )
    assert added.status_code == 302
    again = admin_client.post(
        f"/admin/digests/departments/{department.pk}/", {"email": "agency@partner.example"}
    )
    assert b"already receives" in again.content
    with tenant_context(seeded.tenant):
        schedule = digest_selectors.digest_schedule(tenant=seeded.tenant)
        assert (schedule.cadence, schedule.send_hour) == ("daily", 7)
        assert not DepartmentDigest.objects.get(department=department).is_enabled
        assert list(DigestSubscriber.objects.values_list("email", flat=True)) == ["agency@partner.example"]
    page = admin_client.get("/admin/digests/")
    assert page.status_code == 200 and b"Marketing" in page.content


def test_admin_previews_and_sees_the_log_with_failed_sends(seeded, admin_client):
    department = seeded.departments["Customer Service"]
    preview = admin_client.get(f"/admin/digests/departments/{department.pk}/preview/")
    assert preview.status_code == 200
    assert b"Customer Service digest" in preview.content
    # The e-mail's HTML is a framed document of its own, with a policy of its own.
    frame_url = f"/admin/digests/departments/{department.pk}/preview/email/"
    assert f'src="{frame_url}"'.encode() in preview.content
    email = admin_client.get(frame_url)
    assert email.status_code == 200 and b"Customer Service: the customer reality" in email.content
    policy = dict(part.strip().partition(" ")[::2] for part in email["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'" and "script-src" not in policy
    assert policy["style-src"] == "'unsafe-inline'"
    assert policy["frame-ancestors"] == "'self'" and "sandbox" in policy
    assert email["X-Frame-Options"] == "SAMEORIGIN"
    with tenant_context(seeded.tenant):
        digest_services.digest_send_department(
            tenant=seeded.tenant, department=department, period=seeded.period, now=NOW
        )
        first = OutboxMessage.objects.filter(kind="digest").order_by("pk").first()
        OutboxMessage.objects.filter(pk=first.pk).update(
            status="failed", attempts=8, last_error="SMTPRecipientsRefused: no such user"
        )
    log = admin_client.get("/admin/digests/log/")
    assert log.status_code == 200
    content = log.content.decode()
    assert seeded.period.label in content and "SMTPRecipientsRefused" in content and first.to_email in content


def test_digest_pages_are_for_admins_and_another_tenant_s_department_is_not_found(seeded, other_tenant):
    employee = signed_in("acme", "employee@acme.example")
    assert employee.get("/admin/digests/").status_code == 403
    from tenants.models import User

    enrol_totp(User.objects.get(email="admin@globex.test"))
    globex_admin = signed_in("globex", "admin@globex.test")
    department = seeded.departments["Customer Service"]
    assert globex_admin.get(f"/admin/digests/departments/{department.pk}/preview/").status_code == 404
    assert globex_admin.get(f"/admin/digests/departments/{department.pk}/preview/email/").status_code == 404
    assert employee.get(f"/admin/digests/departments/{department.pk}/preview/email/").status_code == 403


def test_a_member_chooses_their_digests(seeded):
    manager = signed_in("acme", "manager@acme.example")
    page = manager.get("/digests/preferences/")
    assert page.status_code == 200 and b"Customer Service" in page.content and b"Operations" in page.content
    operations = seeded.departments["Operations"]
    assert manager.post("/digests/preferences/", {"departments": [str(operations.pk)]}).status_code == 302
    with tenant_context(seeded.tenant):
        optouts = set(DigestOptOut.objects.values_list("department__name", flat=True))
    assert optouts == {"Customer Service"}
    assert (
        manager.post(
            "/digests/preferences/",
            {"departments": [str(operations.pk), str(seeded.departments["Customer Service"].pk)]},
        ).status_code
        == 302
    )
    with tenant_context(seeded.tenant):
        assert not DigestOptOut.objects.exists()


def test_the_next_period_is_after_now(seeded):
    with tenant_context(seeded.tenant):
        period = digest_selectors.period_next(
            tenant=seeded.tenant, schedule=digest_selectors.digest_schedule(tenant=seeded.tenant), now=NOW
        )
    assert period.send_at > NOW and period.key == "weekly:2026-11-30..2026-12-07"
    assert timezone.localtime(period.send_at, ZoneInfo("Europe/Berlin")).hour == 8
    assert period.send_at - NOW < timedelta(days=7)


def test_the_slice_lists_the_department_s_escalations_awaiting_overdue_and_resolved(seeded):
    from feedback.escalations.models import Escalation

    period = seeded.period
    inside = period.start + timedelta(days=2)
    with tenant_context(seeded.tenant):
        cs, ops = seeded.departments["Customer Service"], seeded.departments["Operations"]

        def escalation(title: str, department, **fields) -> int:
            row = Escalation.objects.create(
                title=title,
                severity="high",
                department=department,
                proposer_kind="system",
                proposed_at=inside,
                decision_due_at=period.end + timedelta(days=1),
            )
            Escalation.objects.filter(pk=row.pk).update(**fields)
            return row.pk

        waiting = escalation("Refund refused twice", cs)
        late = escalation("Courier lost the parcel", cs, decision_due_at=inside + timedelta(hours=4))
        working = escalation(
            "Hotline queue over an hour",
            cs,
            state="in_progress",
            resolution_due_at=inside + timedelta(hours=8),
        )
        done = escalation(
            "Label printer fixed", cs, state="resolved", resolved_at=inside + timedelta(hours=1)
        )
        escalation("Warehouse scanner down", ops)  # another department's
    slice_ = data_for(seeded, "Customer Service").slice
    escalations = slice_["escalations"]
    assert [e["id"] for e in escalations["awaiting"]] == [late, waiting]
    assert {e["id"] for e in escalations["overdue"]} == {late, working}
    assert [e["id"] for e in escalations["resolved"]] == [done]
    text, html = digest_services.digest_render(data_for(seeded, "Customer Service")).for_recipient("u")
    assert "Courier lost the parcel" in text and f"http://acme.localhost:8000/escalations/{late}/" in html
    assert "Warehouse scanner down" not in text
