"""Signals in the audit trail: one entry per write (API request, import chunk, web-form story),
none per inserted row; an UPDATE or DELETE of a signal is still recorded row by row."""

from __future__ import annotations

import html
from datetime import datetime

import pytest

from feedback.imports.models import SignalImport
from feedback.imports.services import signal_import_create, signal_import_run
from feedback.ingest.services import signals_ingest
from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from feedback.stories.services import story_create
from tenants.context import tenant_context
from tenants.models import AuditEvent, Membership, Touchpoint
from tests.feedback.conftest import client_with

NOW = "2026-01-05T10:00:00Z"


def response_item(**overrides):
    return {"measure": "nps", "score": 9, "occurred_at": NOW, "touchpoint": "delivery", **overrides}


def trail(tenant, **filters) -> list[AuditEvent]:
    with tenant_context(tenant):
        return list(AuditEvent.objects.filter(**filters).order_by("id"))


def test_a_batch_is_one_audit_entry_naming_the_key_count_and_ids(signals, api_key):
    client = client_with(api_key.secret, HTTP_IDEMPOTENCY_KEY="batch-7")
    items = [
        response_item(external_id="a"),
        response_item(score=42),  # rejected
        response_item(external_id="a"),  # duplicate within the batch
        response_item(external_id="b"),
        response_item(),
    ]
    response = client.post("/api/v1/survey-responses", {"items": items}, format="json")
    assert response.status_code == 200, response.content
    ids = [r["id"] for r in response.json()["results"] if r["status"] == "created"]
    assert len(ids) == 3
    [entry] = trail(signals, action="ingest")
    assert (entry.category, entry.model) == ("data", "feedback.SurveyResponse")
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == ("api_key", api_key.api_key.pk, "CRM")
    assert entry.object_id == f"{min(ids)}–{max(ids)}"
    assert entry.detail == {
        "count": 3,
        "first_id": min(ids),
        "last_id": max(ids),
        "kind": "survey_responses",
        "channel": "api",
        "idempotency_key": "batch-7",
    }
    assert entry.request_id and entry.request_id == response["X-Request-ID"]
    # No entry per inserted row any more.
    assert trail(signals, model="feedback.SurveyResponse", action="insert") == []


def test_a_write_that_stores_nothing_adds_no_entry(signals, api_key):
    signals_ingest(
        tenant=signals,
        kind="survey_responses",
        items=[response_item(external_id="a")],
        source=api_key.api_key,
    )
    signals_ingest(
        tenant=signals,
        kind="survey_responses",
        items=[response_item(external_id="a"), response_item(score=-1)],
        source=api_key.api_key,
    )
    assert len(trail(signals, action="ingest")) == 1


def test_updates_and_deletes_of_signals_are_still_audited_row_by_row(signals, api_key):
    [result] = signals_ingest(
        tenant=signals,
        kind="service_events",
        items=[
            {
                "measure": "refund_processing",
                "duration_seconds": 60,
                "occurred_at": NOW,
                "touchpoint": "delivery",
            }
        ],
        source=api_key.api_key,
    )
    with tenant_context(signals):
        ServiceEvent.objects.filter(pk=result.id).update(duration_seconds=120)
        ServiceEvent.objects.filter(pk=result.id).delete()
    changes = trail(signals, model="feedback.ServiceEvent")
    assert [e.action for e in changes] == ["ingest", "update", "delete"]
    assert changes[1].object_id == str(result.id)
    assert changes[1].changes["duration_seconds"] == [60, 120]
    assert changes[2].changes["duration_seconds"] == [120, None]


def test_a_web_form_story_is_one_entry_naming_the_member(signals):
    with tenant_context(signals):
        member = Membership.objects.select_related("user").get(user__email="employee@acme.test")
        touchpoint = Touchpoint.objects.get(slug="delivery")
    story = story_create(
        tenant=signals,
        text="Quick and friendly",
        occurred_at=datetime.fromisoformat("2026-01-05T10:00:00+00:00"),
        touchpoint=touchpoint,
        source=member,
    )
    [entry] = trail(signals, action="ingest")
    assert (entry.model, entry.object_id) == ("feedback.Story", str(story.pk))
    assert (entry.actor_kind, entry.actor_id, entry.actor_label) == (
        "member",
        member.pk,
        "employee@acme.test",
    )
    assert entry.detail == {
        "count": 1,
        "first_id": story.pk,
        "last_id": story.pk,
        "kind": "stories",
        "channel": "web_form",
    }
    assert trail(signals, model="feedback.Story", action="insert") == []
    with tenant_context(signals):
        assert Story.objects.count() == 1


def test_each_import_chunk_is_one_entry_naming_the_uploader_and_the_import(signals, settings):
    with tenant_context(signals):
        admin = Membership.objects.select_related("user").get(user__email="admin@acme.test")
    header = "external_id,measure,score,occurred_at,touchpoint\n"
    rows = "".join(f"r-{i},nps,{i % 11},2026-01-05T10:00:00+00:00,delivery\n" for i in range(1500))
    signal_import = signal_import_create(
        tenant=signals, kind="survey_responses", content=header + rows, file_name="a.csv", actor=admin
    )
    done = signal_import_run(tenant=signals, signal_import=signal_import)
    assert done.status == SignalImport.Status.DONE and done.created_count == 1500
    entries = trail(signals, action="ingest")
    assert [e.detail["count"] for e in entries] == [1000, 500]
    assert {(e.actor_kind, e.actor_id, e.actor_label) for e in entries} == {
        ("member", admin.pk, "admin@acme.test")
    }
    assert [(e.detail["import_id"], e.detail["first_line"], e.detail["last_line"]) for e in entries] == [
        (signal_import.pk, 2, 1001),
        (signal_import.pk, 1002, 1501),
    ]
    assert {e.detail["channel"] for e in entries} == {"csv_import"}
    with tenant_context(signals):
        ids = sorted(SurveyResponse.objects.values_list("id", flat=True))
    assert (entries[0].detail["first_id"], entries[-1].detail["last_id"]) == (ids[0], ids[-1])


@pytest.mark.parametrize("role", ["admin"])
def test_the_audit_log_page_shows_a_batch_entry(signals, api_key, member_clients, role):
    client = client_with(api_key.secret)
    body = client.post(
        "/api/v1/survey-responses", {"items": [response_item(), response_item()]}, format="json"
    ).json()
    first, last = (r["id"] for r in body["results"])
    page = member_clients[role].get("/admin/audit/?action=ingest").content.decode()
    # One sentence per write, with the key's name and the ids (tenants/audit_entries.py).
    assert f"API key “CRM” added 2 survey responses (#{first}–#{last})." in html.unescape(page)
