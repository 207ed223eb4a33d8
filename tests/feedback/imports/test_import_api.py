"""``POST /api/v1/imports``: a partner system uploads a CSV import by API key (``feedback:write``).

The import runs on a real Celery worker process, as in production; bad uploads answer 400
problems naming the field, never 500."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.imports import services
from feedback.imports.models import SignalImport
from feedback.signals.models import SurveyResponse
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tenants.services import api_key_create
from tests.feedback.conftest import client_with, import_finished

pytestmark = pytest.mark.django_db(transaction=True)

SURVEY_CSV = """external_id,measure,score,occurred_at,touchpoint,respondent_ref,comment
r-1,nps,9,2026-01-05T10:00:00+01:00,delivery,cust-1,Great
r-2,csat,5,2026-01-05T11:00:00+01:00,,cust-2,
r-3,nps,11,2026-01-05T12:00:00+01:00,delivery,,Out of range
"""


def csv_file(content: str | bytes, name: str = "responses.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def post(api, **fields):
    return api.post("/api/v1/imports", fields, format="multipart")


def problem_fields(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json().get("errors", {})


def test_a_key_uploads_an_import_that_runs_and_stores_its_rows(worker, signals, api, api_key):
    response = post(api, kind="survey_responses", file=csv_file(SURVEY_CSV))
    assert response.status_code == 202, response.content
    body = response.json()
    assert (body["kind"], body["file_name"], body["status"]) == (
        "survey_responses",
        "responses.csv",
        "queued",
    )

    done = import_finished(worker, signals, body["id"])
    assert done.status == SignalImport.Status.DONE
    assert (done.created_count, done.updated_count, done.unchanged_count, done.rejected_count) == (2, 0, 0, 1)
    assert (done.created_by_id, done.api_key_id) == (None, api_key.api_key.pk)
    with tenant_context(signals):
        stored = sorted(SurveyResponse.objects.values_list("external_id", "score"))
        uploaded = AuditEvent.objects.get(model="feedback.SignalImport", action="insert")
        ingested = AuditEvent.objects.get(model="feedback.SurveyResponse", action="ingest")
    assert stored == [("r-1", 9), ("r-2", 5)]
    key_pk = api_key.api_key.pk
    assert (uploaded.actor_kind, uploaded.actor_id) == ("api_key", key_pk)  # the upload, and
    assert (ingested.actor_kind, ingested.actor_id) == ("api_key", key_pk)  # the rows stored
    read = api.get(f"/api/v1/imports/{body['id']}").json()
    assert (read["status"], read["created_count"], read["rejected_count"]) == ("done", 2, 1)
    assert read["report"][0]["line"] == 4

    # The same file again by the same key: its rows are that key's signals, so nothing is new.
    again = import_finished(
        worker, signals, post(api, kind="survey_responses", file=csv_file(SURVEY_CSV)).json()["id"]
    )
    assert (again.created_count, again.unchanged_count, again.rejected_count) == (0, 2, 1)


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "survey_responses"}, "file", "Attach the CSV file"),
        ({"file": "not a file", "kind": "survey_responses"}, "file", "multipart field file"),
        ({"kind": "orders", "file": SURVEY_CSV}, "kind", "use one of"),
        ({"file": SURVEY_CSV}, "kind", "required"),
        ({"kind": "survey_responses", "file": "external_id,score,colour\nr-1,9,red\n"}, "file", "colour"),
        ({"kind": "survey_responses", "file": "external_id,measure\nr-1\x00,nps\n"}, "file", "NUL character"),
        ({"kind": "survey_responses", "file": b"\xff\xfeexternal_id"}, "file", "UTF-8"),
        ({"kind": "survey_responses", "file": b""}, "file", "empty"),
    ],
)
def test_bad_uploads_answer_400_naming_the_field(signals, api, fields, field, words):
    fields = {k: csv_file(v) if k == "file" and v != "not a file" else v for k, v in fields.items()}
    errors = problem_fields(post(api, **fields))
    assert field in errors and words in " ".join(errors[field]), errors
    with tenant_context(signals):
        assert not SignalImport.objects.exists()


def test_an_oversized_file_is_refused_naming_the_file(signals, api, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_MAX_BYTES", 1024)
    errors = problem_fields(post(api, kind="survey_responses", file=csv_file(SURVEY_CSV + "x" * 2000)))
    assert "larger than" in errors["file"][0]


def test_a_json_body_is_told_to_send_the_file(signals, api):
    response = api.post("/api/v1/imports", {"kind": "survey_responses", "content": SURVEY_CSV}, format="json")
    assert "file" in problem_fields(response)


def test_uploading_needs_the_feedback_write_scope(signals):
    reader = client_with(api_key_create(tenant=signals, name="BI", scopes=["promises:read"]).secret)
    assert (
        reader.post("/api/v1/imports", {"kind": "survey_responses", "file": csv_file(SURVEY_CSV)}).status_code
        == 403
    )
    with tenant_context(signals):
        assert not SignalImport.objects.exists()


def test_another_tenants_key_neither_sees_nor_reaches_the_import(signals, api, other_tenant):
    mine = post(api, kind="survey_responses", file=csv_file(SURVEY_CSV)).json()["id"]
    theirs = client_with(api_key_create(tenant=other_tenant, name="CRM", scopes=["feedback:write"]).secret)
    assert theirs.get(f"/api/v1/imports/{mine}").status_code == 404
    assert theirs.get("/api/v1/imports").json()["results"] == []
    with tenant_context(other_tenant):
        assert not SignalImport.objects.exists()
