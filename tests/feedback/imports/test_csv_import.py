"""CSV import of survey responses and service events: upload, task, progress, report, re-import.

Imports run on a real Celery worker process (the module's ``worker``), as in production."""

from __future__ import annotations

import contextlib
import csv
import html
import io
import re
from datetime import timedelta

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connections
from django.utils import timezone

from feedback.imports.models import SignalImport
from feedback.imports.services import signal_import_create, signal_imports_resume_stalled
from feedback.imports.tasks import signal_import_run
from feedback.signals.models import ServiceEvent, SurveyResponse
from promises.commitments.services import measure_create
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import touchpoint_create
from tests.celery_worker import database_url
from tests.feedback.conftest import import_finished, signal_setup

# The worker reads what the test wrote: every test commits.
pytestmark = pytest.mark.django_db(transaction=True)

SURVEY_CSV = """external_id,measure,score,occurred_at,touchpoint,respondent_ref,comment
r-1,nps,9,2026-01-05T10:00:00+01:00,delivery,cust-1,Great
r-2,csat,5,2026-01-05T11:00:00+01:00,,cust-2,
r-3,nps,11,2026-01-05T12:00:00+01:00,delivery,,Out of range
r-4,ces,3,2026-01-05,delivery,,No time zone
r-5,nps,7,2026-01-05T13:00:00+01:00,nowhere,,Unknown touchpoint
,nps,8,2026-01-05T14:00:00+01:00,delivery,,No external id
r-7,nps,8.5,2026-01-05T15:00:00+01:00,delivery,,Not whole
r-8,nps,6,2026-01-05T16:00:00+01:00,delivery,,"Two
lines"
"""

EVENTS_CSV = """external_id,measure,duration_seconds,occurred_at,touchpoint
e-1,refund_processing,86400,2026-01-05T10:00:00Z,delivery
e-2,refund_processing,-5,2026-01-05T10:00:00Z,delivery
e-3,nps,60,2026-01-05T10:00:00Z,delivery
"""


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def upload(client, kind: str, content: str, name: str = "signals.csv"):
    return client.post(
        "/signals/import/",
        {"kind": kind, "file": SimpleUploadedFile(name, content.encode(), content_type="text/csv")},
    )


@contextlib.contextmanager
def writes_held(table: str):
    """Another session (the owner's, as a backup or migration would) holds ``table`` in SHARE
    mode: the worker's first insert into it waits, its chunk uncommitted, until the block ends."""
    with psycopg.connect(database_url(connections["default"].settings_dict)) as other:
        other.execute(f'LOCK TABLE "{table}" IN SHARE MODE')
        yield
        other.rollback()


def import_id_of(response) -> int:
    return int(re.search(r"/signals/import/(\d+)/", response["Location"]).group(1))


def run(worker, tenant, response) -> SignalImport:
    """The import the upload queued, once the worker has finished it."""
    return import_finished(worker, tenant, import_id_of(response))


def test_an_admin_imports_survey_responses_with_a_report_of_bad_rows(worker, signals, member_clients):
    client = member_clients["admin"]
    with writes_held(SurveyResponse._meta.db_table):
        response = upload(client, "survey_responses", SURVEY_CSV)
        assert response.status_code == 302
        queued = client.get(response["Location"]).content.decode()
        assert "Queued" in text(client.get(response["Location"])) and 'hx-trigger="every 1s"' in queued
    imp = run(worker, signals, response)
    assert imp.status == SignalImport.Status.DONE and imp.total_rows == 8 and imp.processed_rows == 8
    assert (imp.created_count, imp.unchanged_count, imp.rejected_count) == (3, 0, 5)
    with tenant_context(signals):
        assert set(SurveyResponse.objects.values_list("external_id", flat=True)) == {"r-1", "r-2", "r-8"}
        assert SurveyResponse.objects.get(external_id="r-8").comment == "Two\nlines"
        assert SurveyResponse.objects.get(external_id="r-1").touchpoint.slug == "delivery"
    by_line = {entry["line"]: entry for entry in imp.report}
    assert sorted(by_line) == [4, 5, 6, 7, 8]
    assert by_line[4]["errors"]["score"] == ["nps score 11 is outside 0…10."]
    assert "no time zone" in by_line[5]["errors"]["occurred_at"][0]
    assert "Unknown touchpoint 'nowhere'" in by_line[6]["errors"]["touchpoint"][0]
    assert "external_id is empty" in by_line[7]["errors"]["row"][0]
    assert "whole number" in by_line[8]["errors"]["score"][0]

    page = text(client.get(f"/signals/import/{imp.pk}/status/"))
    assert "Done" in page and "every 1s" not in page and "nps score 11 is outside 0…10." in page
    rejected = client.get(f"/signals/import/{imp.pk}/rejected.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(rejected.streaming_content).decode())))
    assert [r["line"] for r in rows] == ["4", "5", "6", "7", "8"]
    assert rows[0] == {
        "line": "4",
        "external_id": "r-3",
        "field": "score",
        "reason": "nps score 11 is outside 0…10.",
    }


def test_re_importing_the_same_file_creates_nothing_new(worker, signals, member_clients):
    client = member_clients["admin"]
    first = run(worker, signals, upload(client, "survey_responses", SURVEY_CSV))
    second = run(worker, signals, upload(client, "survey_responses", SURVEY_CSV))
    assert (second.created_count, second.unchanged_count, second.rejected_count) == (0, 3, 5)
    assert first.created_count == 3
    with tenant_context(signals):
        assert SurveyResponse.objects.count() == 3
    # Running a finished import again does nothing either.
    again = signal_import_run.delay(signals.id, second.pk)
    assert worker.outcome(again.id)["type"] == "task-succeeded"
    with tenant_context(signals):
        assert SurveyResponse.objects.count() == 3
        unchanged = SignalImport.objects.get(pk=second.pk)
    assert (unchanged.created_count, unchanged.unchanged_count, unchanged.rejected_count) == (0, 3, 5)
    assert unchanged.finished_at == second.finished_at


def test_service_events_import(worker, signals, member_clients):
    imp = run(worker, signals, upload(member_clients["admin"], "service_events", EVENTS_CSV))
    assert (imp.created_count, imp.rejected_count) == (1, 2)
    reasons = {e["line"]: e["errors"] for e in imp.report}
    assert "a duration cannot be negative" in reasons[3]["duration_seconds"][0]
    assert "Unknown duration, rate or average measure 'nps'" in reasons[4]["measure"][0]
    with tenant_context(signals):
        assert ServiceEvent.objects.get().duration_seconds == 86400


def test_large_files_are_fed_in_chunks_with_progress(worker, signals, member_clients):
    lines = ["external_id,measure,score,occurred_at"] + [
        f"bulk-{n},csat,{1 + n % 5},2026-01-05T10:00:00Z" for n in range(2500)
    ]
    imp = run(worker, signals, upload(member_clients["admin"], "survey_responses", "\n".join(lines)))
    assert (imp.total_rows, imp.processed_rows, imp.created_count) == (2500, 2500, 2500)
    assert imp.progress_percent == 100


def test_a_bad_header_is_refused_at_upload_with_what_to_fix(signals, member_clients):
    client = member_clients["admin"]
    page = text(upload(client, "survey_responses", "external_id,measure,rating,occurred_at\n"))
    assert "Unknown column(s) rating" in page
    page = text(upload(client, "service_events", "external_id,measure,occurred_at\n"))
    assert "lacks the required column(s) touchpoint" in page
    page = text(upload(client, "survey_responses", ""))
    assert "The submitted file is empty." in page or "The file is empty" in page
    response = client.post(
        "/signals/import/",
        {"kind": "survey_responses", "file": SimpleUploadedFile("x.csv", "é".encode("latin-1"))},
    )
    assert "not UTF-8" in text(response)
    with tenant_context(signals):
        assert SignalImport.objects.count() == 0


def test_templates_download_with_the_documented_columns(worker, signals, member_clients):
    client = member_clients["admin"]
    survey = client.get("/signals/import/template/survey_responses.csv")
    assert survey.status_code == 200 and survey["Content-Type"].startswith("text/csv")
    header = survey.content.decode().splitlines()[0]
    assert header == "external_id,measure,score,occurred_at,touchpoint,respondent_ref,comment"
    events = client.get("/signals/import/template/service_events.csv").content.decode()
    assert events.splitlines()[0] == "external_id,measure,duration_seconds,occurred_at,touchpoint"
    stories = client.get("/signals/import/template/stories.csv").content.decode()
    assert stories.splitlines()[0] == (
        "external_id,text,occurred_at,touchpoint,promises,department,segment,severity"
    )
    assert client.get("/signals/import/template/escalations.csv").status_code == 404
    # The template itself imports cleanly (given the touchpoint and measure it names exist).
    imp = run(worker, signals, upload(client, "service_events", events))
    assert (imp.created_count, imp.rejected_count) == (1, 0)


def test_rate_and_average_events_import_from_their_templates_and_a_wrong_fact_rejects_its_row(
    worker, signals, member_clients
):
    measure_create(tenant=signals, key="first_contact_resolution", name="FCR", kind="rate")
    measure_create(tenant=signals, key="review_stars", name="Stars", kind="average", scale_min=1, scale_max=5)
    touchpoint_create(tenant=signals, name="Support")
    touchpoint_create(tenant=signals, name="Website")
    client = member_clients["admin"]
    headers = {}
    for kind, fact in (("duration", "duration_seconds"), ("rate", "outcome"), ("average", "value")):
        template = client.get(f"/signals/import/template/service_events.csv?measure_kind={kind}")
        assert template.status_code == 200
        assert f"service_events-{kind}-template.csv" in template["Content-Disposition"]
        headers[kind] = template.content.decode()
        assert headers[kind].splitlines()[0] == f"external_id,measure,{fact},occurred_at,touchpoint"
    assert client.get("/signals/import/template/service_events.csv?measure_kind=sum").status_code == 404
    for kind in ("rate", "average"):  # each template imports cleanly
        imp = run(worker, signals, upload(client, "service_events", headers[kind]))
        assert (imp.created_count, imp.rejected_count) == (1, 0)
    mixed = (
        "external_id,measure,duration_seconds,outcome,value,occurred_at,touchpoint\n"
        "m-1,first_contact_resolution,,FALSE,,2026-01-05T10:00:00Z,support\n"
        "m-2,first_contact_resolution,,yes,,2026-01-05T10:00:00Z,support\n"
        "m-3,first_contact_resolution,60,,,2026-01-05T10:00:00Z,support\n"
        "m-4,review_stars,,,4.5,2026-01-05T10:00:00Z,website\n"
        "m-5,review_stars,,true,4,2026-01-05T10:00:00Z,website\n"
        "m-6,review_stars,,,0.5,2026-01-05T10:00:00Z,website\n"
        "m-7,refund_processing,,,3,2026-01-05T10:00:00Z,delivery\n"
    )
    imp = run(worker, signals, upload(client, "service_events", mixed))
    assert (imp.created_count, imp.rejected_count) == (2, 5)
    with tenant_context(signals):
        stored = dict(
            ServiceEvent.objects.filter(external_id__startswith="m-").values_list(
                "external_id", "measure__key"
            )
        )
        assert stored == {"m-1": "first_contact_resolution", "m-4": "review_stars"}
        assert ServiceEvent.objects.get(external_id="m-1").outcome is False
        assert str(ServiceEvent.objects.get(external_id="m-4").value) == "4.500"
    report = member_clients["admin"].get(f"/signals/import/{imp.pk}/rejected.csv")
    rejected = b"".join(report.streaming_content).decode()
    assert "outcome must be true or false, not 'yes'" in rejected
    assert "its events carry outcome, not duration_seconds" in rejected
    assert "its events carry value, not outcome" in rejected
    assert "outside its scale 1…5" in rejected
    assert "its events carry duration_seconds, not value" in rejected


def test_only_admins_import(signals, member_clients):
    for role in ("manager", "employee", "viewer"):
        assert member_clients[role].get("/signals/import/").status_code == 403
        assert upload(member_clients[role], "survey_responses", SURVEY_CSV).status_code == 403
        assert member_clients[role].get("/signals/import/template/survey_responses.csv").status_code == 403
    assert member_clients["admin"].get("/signals/import/").status_code == 200


def test_another_tenants_import_is_not_found(worker, signals, other_tenant, member_clients):
    signal_setup(other_tenant)
    with tenant_context(other_tenant):
        admin = Membership.objects.get(user__email="admin@globex.test")
    imp = signal_import_create(tenant=other_tenant, kind="survey_responses", content=SURVEY_CSV, actor=admin)
    import_finished(worker, other_tenant, imp.pk)
    client = member_clients["admin"]
    for path in ("/", "/status/", "/rejected.csv"):
        assert client.get(f"/signals/import/{imp.pk}{path}").status_code == 404
    # A task given the wrong tenant's id finds nothing and does nothing.
    wrong_tenant = signal_import_run.delay(signals.id, imp.pk)
    assert worker.outcome(wrong_tenant.id)["type"] == "task-succeeded"
    with tenant_context(signals):
        assert SurveyResponse.objects.count() == 0
    with tenant_context(other_tenant):
        assert SurveyResponse.objects.count() == 3


@pytest.mark.django_db  # nothing reaches the worker: queued after commit, and this test never commits
def test_the_sweep_queues_again_only_the_tenants_imports_gone_quiet(signals, other_tenant):
    signal_setup(other_tenant)
    imports = {}
    for tenant, name in ((signals, "stale"), (signals, "fresh"), (signals, "done"), (other_tenant, "other")):
        with tenant_context(tenant):
            admin = Membership.objects.get(user__email=f"admin@{tenant.slug}.test")
        imports[name] = signal_import_create(
            tenant=tenant, kind="survey_responses", content=SURVEY_CSV, actor=admin
        )
    long_ago = timezone.now() - timedelta(minutes=5)
    with tenant_context(signals):
        SignalImport.objects.filter(pk=imports["stale"].pk).update(
            status="running", processed_rows=4, heartbeat_at=long_ago
        )
        SignalImport.objects.filter(pk=imports["done"].pk).update(status="done", heartbeat_at=long_ago)
    with tenant_context(other_tenant):
        SignalImport.objects.filter(pk=imports["other"].pk).update(status="running", heartbeat_at=long_ago)

    def state(tenant) -> dict[int, tuple]:
        with tenant_context(tenant):
            return {i.pk: (i.status, i.processed_rows, i.heartbeat_at) for i in SignalImport.objects.all()}

    before = state(signals) | state(other_tenant)
    assert signal_imports_resume_stalled(tenant=signals, stale_after=timedelta(seconds=30)) == [
        imports["stale"].pk
    ]
    after = state(signals) | state(other_tenant)
    stale = imports["stale"].pk
    assert after[stale][:2] == ("running", 4) and after[stale][2] > long_ago  # progress kept, heartbeat set
    assert {pk: v for pk, v in after.items() if pk != stale} == {
        pk: v for pk, v in before.items() if pk != stale
    }
    # Just queued again: the next sweep leaves it to that task.
    assert signal_imports_resume_stalled(tenant=signals, stale_after=timedelta(seconds=30)) == []
