"""The audit log reads as sentences with people's names and local times, without housekeeping.

System housekeeping (the scheduled work's heartbeat, stored API answers, a key's last use) stays
out of the log unless an admin asks for it; entries are filtered by person, kind of object and
date; the page takes the same number of queries however many entries it shows.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.escalations.models import Escalation
from promises.models import Promise
from tenants.context import Actor, actor_context, tenant_context
from tenants.models import ApiKey, AuditEvent, Department, Membership, User
from tenants.services import api_key_create, department_create, tenant_heartbeat_record
from tenants.text import SYSTEM_ACTOR

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def admin(tenant, member_clients):
    """Acme's admin, Ada Lovelace: the log names her, not her e-mail address."""
    User.objects.filter(email="admin@acme.test").update(first_name="Ada", last_name="Lovelace")
    return member_clients["admin"]


def member(tenant, email: str) -> Membership:
    with tenant_context(tenant):
        return Membership.objects.select_related("user").get(user__email=email)


def as_member(tenant, email: str):
    who = member(tenant, email)
    return actor_context(Actor(kind="member", id=who.pk, label=email))


def sentences(response) -> list[str]:
    found = re.findall(r'<span class="audit-sentence">(.*?)</span>', response.content.decode(), re.S)
    return [" ".join(html.unescape(s).split()) for s in found]


def test_entries_read_as_sentences_with_names_and_local_times(tenant, admin):
    before = timezone.now()
    admin.post("/admin/departments/", {"name": "Logistics"})
    with tenant_context(tenant):
        logistics = Department.objects.get(name="Logistics")
        with as_member(tenant, "admin@acme.test"):
            promise = Promise.objects.create(
                kind="customer",
                slug="fast",
                title="Fast refunds",
                statement="Money back in days.",
                owner=logistics,
            )
            Promise.objects.filter(pk=promise.pk).update(status="in_review", version=2)
        with as_member(tenant, "manager@acme.test"):
            escalation = Escalation.objects.create(
                title="Parcel left in the rain",
                severity="high",
                department=logistics,
                proposer_kind="member",
                proposed_at=before,
                decision_due_at=before,
                state="approved",
            )
            Escalation.objects.filter(pk=escalation.pk).update(state="in_progress")
        with actor_context(None):  # the scheduled work
            Escalation.objects.filter(pk=escalation.pk).update(overdue_level=1)
    response = admin.get("/admin/audit/")
    shown = sentences(response)
    assert "Ada Lovelace created the department “Logistics”." in shown
    assert "Ada Lovelace created the promise “Fast refunds”." in shown
    assert (
        "Ada Lovelace changed the promise “Fast refunds”: status from Draft to In review; version from 1 to 2."
        in shown
    )
    assert (
        "manager@acme.test changed the escalation “Parcel left in the rain”: state from Approved to In progress."
        in shown
    )
    assert (
        f"{SYSTEM_ACTOR} changed the escalation “Parcel left in the rain”: overdue level from 0 to 1."
        in shown
    )
    page = html.unescape(response.content.decode())
    assert "in_progress" not in page.replace('value="in_progress"', "") and "promises.Promise #" not in page
    # Local time: Berlin's clock, not UTC's.
    first = response.context["page_obj"][0]
    assert timezone.localtime(first.occurred_at, BERLIN).strftime("%H:%M:%S") in page


def test_signals_received_read_as_one_sentence_per_write(tenant, admin):
    with tenant_context(tenant):
        key = api_key_create(tenant=tenant, name="crm", scopes=["feedback:write"]).api_key
        AuditEvent.objects.create(  # as tenants.audit.ingest_event_record writes it
            category="data",
            action="ingest",
            actor_kind="api_key",
            actor_id=key.pk,
            actor_label="crm",
            model="feedback.SurveyResponse",
            object_id="101–1100",
            detail={
                "count": 1000,
                "first_id": 101,
                "last_id": 1100,
                "kind": "survey_responses",
                "channel": "api",
            },
        )
        AuditEvent.objects.create(
            category="data",
            action="ingest",
            actor_kind="member",
            actor_id=member(tenant, "admin@acme.test").pk,
            actor_label="admin@acme.test",
            model="feedback.ServiceEvent",
            object_id="7–506",
            detail={
                "count": 500,
                "channel": "csv_import",
                "import_id": 3,
                "first_line": 1002,
                "last_line": 1501,
            },
        )
    shown = sentences(admin.get("/admin/audit/?action=ingest"))
    assert shown == [
        "Ada Lovelace added 500 service events (#7–#506) from a CSV import (lines 1,002–1,501).",
        "API key “crm” added 1,000 survey responses (#101–#1100).",
    ]


def test_security_events_read_as_sentences(tenant, admin):
    with tenant_context(tenant), as_member(tenant, "admin@acme.test"):
        key = api_key_create(tenant=tenant, name="Helpdesk", scopes=["scores:read"]).api_key
    shown = sentences(admin.get("/admin/audit/?category=security"))
    assert f"Ada Lovelace created the API key “Helpdesk” ({key.prefix}…)." in shown


def test_housekeeping_stays_out_unless_asked_for(tenant, admin):
    tenant_heartbeat_record(tenant=tenant)
    tenant_heartbeat_record(tenant=tenant)
    with tenant_context(tenant):
        # The heartbeat is no longer recorded at all …
        assert not AuditEvent.objects.filter(model="tenants.TenantHeartbeat").exists()
        # … and entries recorded before, or a key's last use, are housekeeping.
        AuditEvent.objects.create(
            category="data", action="update", model="tenants.TenantHeartbeat", object_id="1",
            changes={"beats": [7, 8], "last_seen": ["2026-01-01T10:00:00+00:00", "2026-01-01T10:01:00+00:00"]},
        )  # fmt: skip
        key = api_key_create(tenant=tenant, name="Survey tool", scopes=["scores:read"]).api_key
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=timezone.now())
        ApiKey.objects.filter(pk=key.pk).update(name="Survey tool (old)")
    default = sentences(admin.get("/admin/audit/"))
    assert not any("heartbeat" in s or "last used" in s for s in default)
    assert (
        f"{SYSTEM_ACTOR} changed the API key “Survey tool (old)”: name from “Survey tool” to “Survey tool (old)”."
        in default
    )
    assert '<option value="feedback.IdempotencyRecord"' not in admin.get("/admin/audit/").content.decode()
    everything = admin.get("/admin/audit/?housekeeping=on")
    assert "Housekeeping</span>" in everything.content.decode()
    shown = sentences(everything)
    assert any(
        s.startswith(f"{SYSTEM_ACTOR} changed the API key “Survey tool (old)”: last used at from nothing to ")
        for s in shown
    )
    assert any(
        s.startswith(f"{SYSTEM_ACTOR} changed the tenant heartbeat #1: beats from 7 to 8") for s in shown
    )
    assert (
        everything.context["page_obj"].paginator.count
        == admin.get("/admin/audit/").context["page_obj"].paginator.count + 2
    )


def test_filters_by_person_kind_of_object_and_dates(tenant, admin):
    admin.post("/admin/departments/", {"name": "Logistics"})
    with tenant_context(tenant), as_member(tenant, "manager@acme.test"):
        api_key_create(tenant=tenant, name="Helpdesk", scopes=["scores:read"])
    manager = member(tenant, "manager@acme.test")
    by_manager = admin.get(f"/admin/audit/?actor=member:{manager.pk}")
    assert by_manager.context["page_obj"].paginator.count >= 1
    assert {e.actor_id for e in by_manager.context["page_obj"]} == {manager.pk}
    departments = admin.get("/admin/audit/?model=tenants.Department")
    assert {e.model for e in departments.context["page_obj"]} == {"tenants.Department"}
    assert "Ada Lovelace created the department “Logistics”." in sentences(departments)
    page = departments.content.decode()
    assert '<option value="tenants.Department" selected>Departments</option>' in page
    assert (
        f'<option value="member:{member(tenant, "admin@acme.test").pk}">Ada Lovelace (admin@acme.test)</option>'
        in page
    )
    today = timezone.localdate(timezone=BERLIN)
    assert (
        admin.get(f"/admin/audit/?model=tenants.Department&date_from={today}&date_to={today}")
        .context["page_obj"]
        .paginator.count
        == departments.context["page_obj"].paginator.count
    )
    yesterday = today - timedelta(days=1)
    assert admin.get(f"/admin/audit/?date_to={yesterday}").context["page_obj"].paginator.count == 0
    assert admin.get("/admin/audit/?model=no.Such").status_code == 200
    assert "Select a valid choice" in admin.get("/admin/audit/?model=no.Such").content.decode()


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_the_log_is_paginated_and_its_queries_do_not_grow_with_entries(tenant, admin):
    def add(n: int, start: int) -> None:
        with tenant_context(tenant), as_member(tenant, "manager@acme.test"):
            for i in range(start, start + n):
                department = department_create(tenant=tenant, name=f"Team {i:03}")
                Department.objects.filter(pk=department.pk).update(name=f"Squad {i:03}")
                api_key_create(tenant=tenant, name=f"Key {i:03}", scopes=["scores:read"])

    add(3, 0)
    few = _queries(admin, "/admin/audit/")
    add(40, 3)
    response = admin.get("/admin/audit/?page=2")
    assert "Page 2 of" in response.content.decode() and len(sentences(response)) == 50
    assert _queries(admin, "/admin/audit/") == few
    assert _queries(admin, "/admin/audit/?page=3") == few
