"""Bad input through the web: the story form, list filters, CSV uploads and every CSV export."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from feedback.escalations import proposals
from feedback.escalations.models import Escalation
from feedback.imports import services as import_services
from feedback.imports.models import SignalImport
from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from tenants.context import tenant_context
from tenants.models import Department, Membership, Touchpoint
from tests.feedback.poison import poison_story


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def count(tenant, model) -> int:
    with tenant_context(tenant):
        return model.objects.count()


def csv_rows(response) -> list[list[str]]:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(content.decode())))


# --- The story form and the list filters ---------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "words"),
    [
        ("0001-01-01T00:00", "is before 2000-01-01"),
        ("1999-12-31T23:59", "is before 2000-01-01"),
        ("9999-12-31T23:59", "is in the future"),
    ],
)
def test_the_story_form_refuses_a_time_out_of_range(signals, member_clients, when, words):
    client = member_clients["employee"]
    page = client.get("/stories/new/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    with tenant_context(signals):
        touchpoint = Touchpoint.objects.get(slug="delivery")
    response = client.post(
        "/stories/new/",
        {
            "text": "Late again",
            "occurred_at": when,
            "touchpoint": touchpoint.pk,
            "form_token": token,
            "severity": "low",
        },
    )
    assert response.status_code == 200
    assert words in text(response)
    assert count(signals, Story) == 0


def test_the_story_form_refuses_nul(signals, member_clients):
    client = member_clients["employee"]
    page = client.get("/stories/new/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/stories/new/", {"text": "Late\x00again", "occurred_at": "2026-01-05T10:00", "form_token": token}
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in text(response)
    assert count(signals, Story) == 0


@pytest.mark.parametrize(
    "query",
    [
        "date_to=9999-12-31",
        "date_from=0001-01-01",
        "date_from=1999-12-31&date_to=9999-12-31",
        "touchpoint=%00",
        "sentiment_min=1e400",
        "sentiment_min=nan",
    ],
)
def test_the_story_list_filters_answer_a_message(signals, member_clients, query):
    response = member_clients["manager"].get(f"/stories/?{query}")
    assert response.status_code == 200
    export = member_clients["manager"].get(f"/stories/export.csv?{query}")
    assert export.status_code == 200
    if "date" in query:
        assert "2000-01-01" in text(response) or "too far in the future" in text(response)


# --- CSV uploads ----------------------------------------------------------------------------------


def upload(client, kind: str, content: bytes, name: str = "signals.csv"):
    return client.post(
        "/signals/import/",
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type="text/csv")},
    )


@pytest.mark.parametrize(
    "content",
    [
        b"external_id,measure,score,occurred_at\nr-1,nps,9,2026-01-05T10:00:00Z\x00\n",
        b"external_id\x00,measure,score,occurred_at\n",
        "external_id,measure,score,occurred_at\n".encode("utf-16-le"),
    ],
    ids=["nul-in-a-row", "nul-in-the-header", "utf-16"],
)
def test_a_csv_with_nul_is_refused_with_a_message(signals, member_clients, content):
    response = upload(member_clients["admin"], "survey_responses", content)
    assert response.status_code == 200
    page = text(response)
    assert "NUL character on line" in page or "not UTF-8" in page
    assert count(signals, SignalImport) == 0


def _import(tenant, client, kind: str, content: str) -> SignalImport:
    response = upload(client, kind, content.encode())
    assert response.status_code == 302, text(response)
    import_id = int(re.search(r"/signals/import/(\d+)/", response["Location"]).group(1))
    with tenant_context(tenant):
        signal_import = SignalImport.objects.select_related("created_by").get(pk=import_id)
    # The rows' rules, not the worker, are under test here: run the service itself.
    return import_services.signal_import_run(tenant=tenant, signal_import=signal_import)


def test_out_of_range_rows_are_rejected_with_a_reason_and_the_rest_imported(signals, member_clients):
    content = (
        "external_id,measure,duration_seconds,occurred_at,touchpoint\n"
        "e-1,refund_processing,86400,2026-01-05T10:00:00Z,delivery\n"
        f"e-2,refund_processing,{10**30},2026-01-05T10:00:00Z,delivery\n"
        f"e-3,refund_processing,{'9' * 5000},2026-01-05T10:00:00Z,delivery\n"
        "e-4,refund_processing,60,0001-01-01T00:00:00+14:00,delivery\n"
        "e-5,refund_processing,60,9999-12-31T23:59:59-14:00,delivery\n"
        "e-6,refund_processing,315360001,2026-01-05T10:00:00Z,delivery\n"
    )
    signal_import = _import(signals, member_clients["admin"], "service_events", content)
    assert signal_import.status == SignalImport.Status.DONE
    assert (signal_import.created_count, signal_import.rejected_count) == (1, 5)
    reasons = {entry["line"]: " ".join(sum(entry["errors"].values(), [])) for entry in signal_import.report}
    assert "more than ten years" in reasons[3]
    assert "5000-digit number" in reasons[4]
    assert "before 2000-01-01" in reasons[5]
    assert "in the future" in reasons[6]
    assert "more than ten years" in reasons[7]
    with tenant_context(signals):
        assert list(ServiceEvent.objects.values_list("external_id", flat=True)) == ["e-1"]


def test_survey_rows_out_of_range_are_rejected(signals, member_clients):
    content = (
        "external_id,measure,score,occurred_at,touchpoint,comment\n"
        f"r-1,nps,{10**30},2026-01-05T10:00:00Z,delivery,\n"
        "r-2,nps,9,1999-01-01T00:00:00Z,delivery,\n"
        "r-3,nps,9,2026-01-05T10:00:00Z,delivery,fine\n"
    )
    signal_import = _import(signals, member_clients["admin"], "survey_responses", content)
    assert (signal_import.created_count, signal_import.rejected_count) == (1, 2)
    assert count(signals, SurveyResponse) == 1


# --- Every CSV export neutralises formulas -------------------------------------------------------

FORMULAS = ["+cmd|' /C calc'!A0", "=1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR"]


def test_the_story_export_neutralises_every_formula(signals, member_clients):
    ids = [poison_story(signals, "2026-01-05T10:00:00Z", text=f, segment=f[:120]) for f in FORMULAS]
    rows = csv_rows(member_clients["manager"].get("/stories/export.csv"))
    header, body = rows[0], {int(row[0]): row for row in rows[1:]}
    for pk, formula in zip(ids, FORMULAS, strict=True):
        row = dict(zip(header, body[pk], strict=True))
        assert row["segment"] == "'" + formula
        assert row["text"] == "'" + formula
        assert row["sentiment"] == "-0.5000"  # a plain negative number stays a number


def test_the_rejected_rows_export_neutralises_every_formula(signals, member_clients):
    content = "external_id,measure,score,occurred_at\n" + "".join(
        f'"{f}",nps,99,2026-01-05T10:00:00Z\n' for f in FORMULAS if f.strip() == f
    )
    signal_import = _import(signals, member_clients["admin"], "survey_responses", content)
    response = member_clients["admin"].get(f"/signals/import/{signal_import.pk}/rejected.csv")
    external_ids = [row[1] for row in csv_rows(response)[1:]]
    assert external_ids == ["'" + f for f in FORMULAS if f.strip() == f]


def test_the_escalation_export_neutralises_every_formula(signals, member_clients):
    with tenant_context(signals):
        department = Department.objects.get(slug="customer-service")
        admin = Membership.objects.get(user__email="admin@acme.test")
    # Titles are stored stripped, so the tab and CR cases cannot reach this export.
    formulas = [f for f in FORMULAS if f.strip() == f]
    for formula in formulas:
        proposals.escalation_propose(
            tenant=signals, actor=admin, title=formula, severity="high", department=department, stories=[]
        )
    assert count(signals, Escalation) == len(formulas)
    rows = csv_rows(member_clients["manager"].get("/escalations/export.csv"))
    titles = sorted(row[rows[0].index("title")] for row in rows[1:])
    assert titles == sorted("'" + f for f in formulas)


def test_the_import_template_is_plain(signals, member_clients):
    response = member_clients["admin"].get("/signals/import/template/service_events.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1] == ["refund-0001", "refund_processing", "86400", "2026-03-01T14:30:00+01:00", "delivery"]
