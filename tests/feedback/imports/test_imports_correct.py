"""Imports that correct: a re-imported row with other values updates its signal (audited per
row, rollups moved from the old values to the new), the same values are skipped, and the
result counts created, updated, unchanged and rejected rows. Stories import by CSV too.

The imports run in the test's process (the worker's path is covered in test_csv_import); the
rollups are compared with a rebuild from the raw signals after every correction."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.imports.models import SignalImport
from feedback.imports.services import signal_import_create, signal_import_run
from feedback.sentiment import sentiment_score
from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story, StoryPromise
from metrics.engine import scores_compute
from metrics.rollups import rollups_rebuild
from promises.models import Measure, Promise
from tenants.context import tenant_context
from tenants.models import AuditEvent, Department, Membership
from tenants.services import touchpoint_create
from tests.metrics.test_rollups import _rows

pytestmark = pytest.mark.django_db(transaction=True)

NOW = timezone.now().replace(microsecond=0)


def at(days: int, hours: int = 0) -> str:
    return (NOW - timedelta(days=days, hours=hours)).isoformat()


@pytest.fixture
def uploader(signals) -> Membership:
    touchpoint_create(tenant=signals, name="Returns")
    with tenant_context(signals):
        Measure.objects.create(
            key="review_stars", name="Review stars", kind="average", scale_min=1, scale_max=5
        )
        return Membership.objects.select_related("user").get(user__email="admin@acme.test")


def imported(tenant, uploader, kind: str, content: str, name: str = "file.csv") -> SignalImport:
    """Upload ``content`` as ``uploader`` and run the import here, to its end."""
    signal_import = signal_import_create(
        tenant=tenant, kind=kind, content=content, actor=uploader, file_name=name
    )
    signal_import = signal_import_run(tenant=tenant, signal_import=signal_import)
    assert signal_import.status == SignalImport.Status.DONE, signal_import.error
    return signal_import


def counts(signal_import: SignalImport) -> tuple[int, int, int, int]:
    return (
        signal_import.created_count,
        signal_import.updated_count,
        signal_import.unchanged_count,
        signal_import.rejected_count,
    )


def assert_rollups_equal_a_recompute(tenant) -> None:
    with tenant_context(tenant):
        kept = _rows()
        rollups_rebuild()
        assert _rows() == kept
        assert scores_compute(tenant=tenant, at=NOW, source="rollup") == scores_compute(
            tenant=tenant, at=NOW, source="raw"
        )


SURVEYS = f"""external_id,measure,score,occurred_at,touchpoint,respondent_ref,comment
r-1,nps,9,{at(3)},delivery,cust-1,Great
r-2,csat,5,{at(4)},,cust-2,
r-3,nps,2,{at(5)},delivery,,Slow
"""
# r-1: another score, day and touchpoint; r-2 as before; r-3 left out; r-4 new; r-5 bad.
SURVEYS_CORRECTED = f"""external_id,measure,score,occurred_at,touchpoint,respondent_ref,comment
r-1,nps,3,{at(6)},returns,cust-1,Not so great after all
r-2,csat,5,{at(4)},,cust-2,
r-4,ces,6,{at(2)},delivery,,
r-5,nps,12,{at(2)},delivery,,Out of range
"""


def test_a_re_imported_survey_response_with_other_values_is_corrected(signals, uploader):
    first = imported(signals, uploader, "survey_responses", SURVEYS)
    assert counts(first) == (3, 0, 0, 0)
    with tenant_context(signals):
        r1 = SurveyResponse.objects.get(external_id="r-1")
    assert_rollups_equal_a_recompute(signals)

    second = imported(signals, uploader, "survey_responses", SURVEYS_CORRECTED, name="corrected.csv")
    assert counts(second) == (1, 1, 1, 1)
    assert [entry["line"] for entry in second.report] == [5]
    with tenant_context(signals):
        rows = {
            r.external_id: (
                r.pk,
                r.measure.key,
                r.score,
                r.touchpoint.slug if r.touchpoint else None,
                r.comment,
            )
            for r in SurveyResponse.objects.select_related("measure", "touchpoint")
        }
        assert rows == {
            "r-1": (r1.pk, "nps", 3, "returns", "Not so great after all"),  # the same row, corrected
            "r-2": (rows["r-2"][0], "csat", 5, None, ""),
            "r-3": (rows["r-3"][0], "nps", 2, "delivery", "Slow"),  # left out of the file: kept
            "r-4": (rows["r-4"][0], "ces", 6, "delivery", ""),
        }
        assert SurveyResponse.objects.get(pk=r1.pk).occurred_at.isoformat() == at(6)
        # The correction is in the audit trail, row by row, with the uploader as actor.
        updates = list(AuditEvent.objects.filter(model="feedback.SurveyResponse", action="update"))
    assert [(e.object_id, e.actor_kind, e.actor_id) for e in updates] == [(str(r1.pk), "member", uploader.pk)]
    assert updates[0].changes["score"] == [9, 3]
    assert set(updates[0].changes) >= {"score", "occurred_at", "touchpoint_id", "comment"}
    assert_rollups_equal_a_recompute(signals)

    # The corrected file once more (a retry, or a second upload): nothing changes or counts twice.
    again = imported(signals, uploader, "survey_responses", SURVEYS_CORRECTED)
    assert counts(again) == (0, 0, 3, 1)
    with tenant_context(signals):
        assert SurveyResponse.objects.count() == 4
        assert AuditEvent.objects.filter(model="feedback.SurveyResponse", action="update").count() == 1
    assert_rollups_equal_a_recompute(signals)


def test_the_import_page_and_the_webhook_summary_show_the_four_counts(signals, uploader, member_clients):
    imported(signals, uploader, "survey_responses", SURVEYS)
    second = imported(signals, uploader, "survey_responses", SURVEYS_CORRECTED)
    page = member_clients["admin"].get(f"/signals/import/{second.pk}/status/").content.decode()
    for name, value in (("created", 1), ("updated", 1), ("unchanged", 1), ("rejected", 1)):
        assert f'id="import-{name}">{value}<' in page


def test_corrected_service_events_move_their_rollups(signals, uploader):
    content = f"""external_id,measure,duration_seconds,value,occurred_at,touchpoint
e-1,refund_processing,86400,,{at(3)},delivery
e-2,refund_processing,3600,,{at(3)},delivery
s-1,review_stars,,4.5,{at(2)},delivery
"""
    corrected = f"""external_id,measure,duration_seconds,value,occurred_at,touchpoint
e-1,refund_processing,172800,,{at(3)},returns
e-2,refund_processing,3600,,{at(3)},delivery
s-1,review_stars,,1.25,{at(9)},delivery
"""
    assert counts(imported(signals, uploader, "service_events", content)) == (3, 0, 0, 0)
    assert counts(imported(signals, uploader, "service_events", corrected)) == (0, 2, 1, 0)
    with tenant_context(signals):
        rows = {
            e.external_id: (e.duration_seconds, e.value, e.touchpoint.slug)
            for e in ServiceEvent.objects.all()
        }
    assert rows == {
        "e-1": (172800, None, "returns"),
        "e-2": (3600, None, "delivery"),
        "s-1": (None, Decimal("1.250"), "delivery"),
    }
    assert_rollups_equal_a_recompute(signals)


def test_a_row_repeated_in_one_file_is_rejected_by_line(signals, uploader):
    content = f"""external_id,measure,score,occurred_at
r-1,nps,9,{at(3)}
r-1,nps,3,{at(3)}
"""
    signal_import = imported(signals, uploader, "survey_responses", content)
    assert counts(signal_import) == (1, 0, 0, 1)
    (entry,) = signal_import.report
    assert entry["line"] == 3
    assert entry["errors"]["row"] == [
        "external_id 'r-1' is already on line 2; each row needs its own external_id "
        "(to correct a row, change it on its line)."
    ]


STORIES = f"""external_id,text,occurred_at,touchpoint,promises,department,segment,severity
s-1,"Wonderful, the refund came the next day.",{at(3)},delivery,fast-refunds,customer-service,retail,low
s-2,Nobody called back.,{at(4)},delivery,,,,
s-3,The parcel was soaked.,{at(5)},nowhere,unknown-promise,,,urgent
s-4,!!!! ????,{at(5)},delivery,,,,
"""


def test_stories_import_by_csv_with_the_api_rules_and_corrections(signals, uploader):
    with tenant_context(signals):
        Promise.objects.create(
            kind="customer",
            slug="dry-parcels",
            title="Dry parcels",
            statement="Your parcel arrives dry.",
            owner=Department.objects.get(slug="customer-service"),
        )
    first = imported(signals, uploader, "stories", STORIES)
    assert counts(first) == (2, 0, 0, 2)
    entry, words = first.report
    assert entry["line"] == 4 and set(entry["errors"]) == {"touchpoint", "promises", "severity"}
    assert "Unknown touchpoint 'nowhere'" in entry["errors"]["touchpoint"][0]
    # The web form's rule for a story a person wrote: words, not only signs.
    assert (words["line"], words["external_id"]) == (5, "s-4")
    assert words["errors"]["text"][0].startswith("Describe what happened in words: at least 10 characters")
    with tenant_context(signals):
        s1 = Story.objects.get(external_id="s-1")
        assert (s1.channel, s1.severity, s1.segment, s1.department.slug) == (
            "csv",
            "low",
            "retail",
            "customer-service",
        )
        assert s1.sentiment == sentiment_score("Wonderful, the refund came the next day.") > 0
        assert list(s1.promises.values_list("slug", flat=True)) == ["fast-refunds"]
        assert Story.objects.get(external_id="s-2").severity == "medium"
    assert_rollups_equal_a_recompute(signals)

    corrected = f"""external_id,text,occurred_at,touchpoint,promises,department,segment,severity
s-1,"Awful, the refund never came.",{at(6)},returns,fast-refunds dry-parcels,,retail,high
s-2,Nobody called back.,{at(4)},delivery,,,,
"""
    second = imported(signals, uploader, "stories", corrected)
    assert counts(second) == (0, 1, 1, 0)
    with tenant_context(signals):
        s1 = Story.objects.select_related("touchpoint").get(pk=s1.pk)
        assert (s1.text, s1.touchpoint.slug, s1.severity, s1.department_id) == (
            "Awful, the refund never came.",
            "returns",
            "high",
            None,
        )
        assert s1.sentiment == sentiment_score("Awful, the refund never came.") < 0
        assert sorted(StoryPromise.objects.filter(story=s1).values_list("promise__slug", flat=True)) == [
            "dry-parcels",
            "fast-refunds",
        ]
        update = AuditEvent.objects.get(model="feedback.Story", action="update")
    assert update.object_id == str(s1.pk) and update.actor_id == uploader.pk
    assert_rollups_equal_a_recompute(signals)


def _file(rows: int, score: int) -> str:
    lines = ["external_id,measure,score,occurred_at,touchpoint"]
    lines += [f"r-{i},nps,{score},{at(2 + i % 5, i % 24)},delivery" for i in range(rows)]
    return "\n".join(lines) + "\n"


def _queries_of_correcting(tenant, uploader, rows: int) -> int:
    imported(tenant, uploader, "survey_responses", _file(rows, 9))
    signal_import = signal_import_create(
        tenant=tenant, kind="survey_responses", content=_file(rows, 4), actor=uploader
    )
    with CaptureQueriesContext(connection) as queries:
        done = signal_import_run(tenant=tenant, signal_import=signal_import)
    assert counts(done) == (0, rows, 0, 0)
    return len(queries)


def test_correcting_rows_takes_the_same_queries_for_5_or_200_rows(signals, uploader, other_tenant):
    from tests.feedback.conftest import signal_setup

    signal_setup(other_tenant)
    with tenant_context(other_tenant):
        other = Membership.objects.select_related("user").get(user__email="admin@globex.test")
    assert _queries_of_correcting(signals, uploader, 5) == _queries_of_correcting(other_tenant, other, 200)
    assert_rollups_equal_a_recompute(signals)
    assert_rollups_equal_a_recompute(other_tenant)


def test_the_api_gives_an_imports_counts_and_hides_other_tenants_imports(signals, uploader, other_tenant):
    from rest_framework.test import APIClient

    from tenants.services import api_key_create

    imported(signals, uploader, "survey_responses", SURVEYS)
    second = imported(signals, uploader, "survey_responses", SURVEYS_CORRECTED, name="corrected.csv")
    client = APIClient()
    key = api_key_create(tenant=signals, name="CRM", scopes=["feedback:write"]).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="acme.localhost")
    body = client.get(f"/api/v1/imports/{second.pk}").json()
    assert (body["kind"], body["file_name"], body["status"]) == ("survey_responses", "corrected.csv", "done")
    assert (
        body["created_count"],
        body["updated_count"],
        body["unchanged_count"],
        body["rejected_count"],
    ) == (
        1,
        1,
        1,
        1,
    )
    assert body["report"][0]["line"] == 5 and "content" not in body
    assert [i["id"] for i in client.get("/api/v1/imports").json()["results"]] == [second.pk, second.pk - 1]

    from tests.feedback.conftest import signal_setup

    signal_setup(other_tenant)
    with tenant_context(other_tenant):
        theirs = Membership.objects.select_related("user").get(user__email="admin@globex.test")
    foreign = imported(other_tenant, theirs, "survey_responses", SURVEYS)
    answers = [client.get(f"/api/v1/imports/{pk}") for pk in (foreign.pk, foreign.pk + 10_000)]
    assert [a.status_code for a in answers] == [404, 404] and answers[0].json() == answers[1].json()
    assert foreign.pk not in [i["id"] for i in client.get("/api/v1/imports").json()["results"]]


def test_two_corrections_of_one_row_take_turns(signals, uploader):
    """A correction held open locks the stored row: a second correction of it waits (a row
    lock), then compares with what the first committed. Rollups stay equal to a recompute."""
    from feedback.ingest.services import signals_ingest
    from tests.feedback.ingest.test_ingest_locks import _held_open, _other_connection, _run, _waiting_on

    imported(signals, uploader, "survey_responses", SURVEYS)

    def correct(score: int):
        item = {
            "external_id": "r-1",
            "measure": "nps",
            "score": score,
            "occurred_at": at(3),
            "touchpoint": "delivery",
        }
        return lambda: [
            r.status
            for r in signals_ingest(
                tenant=signals, kind="survey_responses", items=[item], source=uploader, on_existing="update"
            )
        ]

    first, first_outcome, ready, release = _held_open(correct(4), commit=True)
    ready.wait(60)
    with _other_connection() as observer:
        observer.autocommit = True
        second, second_outcome = _run(correct(4))  # the same correction, sent twice
        waited_on = _waiting_on(second, observer)
        release.set()
        first.join()
        second.join()
    assert "error" not in first_outcome and "error" not in second_outcome, (first_outcome, second_outcome)
    assert waited_on in ("tuple", "transactionid")
    assert (first_outcome["value"], second_outcome["value"]) == (["updated"], ["unchanged"])
    with tenant_context(signals):
        assert SurveyResponse.objects.get(external_id="r-1").score == 4
        assert AuditEvent.objects.filter(model="feedback.SurveyResponse", action="update").count() == 1
    assert_rollups_equal_a_recompute(signals)
