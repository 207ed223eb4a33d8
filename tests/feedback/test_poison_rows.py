"""Rows stored before the input rules (written here with raw SQL): every read path still answers.

Before the rules, ``"occurred_at": "0001-01-01T00:00:00+14:00"`` was stored as a date BC,
which Python cannot load: the API lists, the story page and the CSV export all failed, and
the scores endpoints failed on the same value as a query parameter.
"""

from __future__ import annotations

import csv
import io
from urllib.parse import quote

import pytest

from feedback.stories.models import Story
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.services import api_key_create
from tests.feedback.conftest import client_with
from tests.feedback.poison import (
    BC,
    YEAR_10000,
    YEAR_ONE_UTC,
    poison_service_event,
    poison_story,
    poison_survey_response,
)

PROBLEM = "application/problem+json"


@pytest.fixture(params=["Europe/Berlin", "America/Los_Angeles", "Pacific/Kiritimati"])
def poisoned(request, signals) -> dict[str, list[int]]:
    """Poison rows of every signal type, in a tenant east or west of UTC."""
    Tenant.objects.filter(pk=signals.pk).update(time_zone=request.param)
    signals.refresh_from_db()
    return {
        "stories": [poison_story(signals, when) for when in (BC, YEAR_10000, YEAR_ONE_UTC)]
        + [poison_story(signals, "2026-01-05T10:00:00Z", text="A good story")],
        "survey-responses": [poison_survey_response(signals, when) for when in (BC, YEAR_10000)],
        "service-events": [poison_service_event(signals, when) for when in (BC, YEAR_10000, YEAR_ONE_UTC)],
    }


@pytest.fixture
def reader(signals):
    key = api_key_create(tenant=signals, name="BI", scopes=["promises:read", "scores:read"])
    return client_with(key.secret)


@pytest.mark.parametrize("kind", ["stories", "survey-responses", "service-events"])
@pytest.mark.parametrize(
    "query", ["page_size=500", "occurred_before=2000-01-01T00:00:00Z", "occurred_after=2000-01-01T00:00:00Z"]
)
def test_api_lists_answer_with_poison_rows(reader, poisoned, kind, query):
    response = reader.get(f"/api/v1/{kind}?{query}")
    assert response.status_code == 200, response.content
    ids = {row["id"] for row in response.json()["results"]}
    if query.startswith("page_size"):
        assert ids == set(poisoned[kind])
    else:
        assert ids  # the old rows are before 2000, the year-10000 ones after


@pytest.mark.parametrize("kind", ["stories", "survey-responses", "service-events"])
def test_paging_through_poison_rows_ends(reader, poisoned, kind):
    url, seen, pages = f"/api/v1/{kind}?page_size=1", [], 0
    while url and pages < 20:
        body = reader.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert url is None
    assert sorted(seen) == sorted(poisoned[kind])


def test_the_story_pages_and_export_answer(poisoned, member_clients):
    manager = member_clients["manager"]
    for pk in poisoned["stories"]:
        assert manager.get(f"/stories/{pk}/").status_code == 200
    assert manager.get("/stories/").status_code == 200
    assert manager.get("/stories/?date_to=2026-12-31").status_code == 200
    response = manager.get("/stories/export.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][0] == "id"
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(poisoned["stories"])


def test_scores_answer_with_poison_rows(reader, poisoned, member_clients):
    assert reader.get("/api/v1/scores").status_code == 200
    assert reader.get(f"/api/v1/scores?as_of={quote('2026-01-06T00:00:00Z')}").status_code == 200
    assert member_clients["manager"].get("/scores/").status_code == 200


BAD_INSTANTS = [BC, YEAR_10000, YEAR_ONE_UTC, "1999-12-31T23:59:59Z", "0001-01-01T00:00:00-14:00"]


@pytest.mark.parametrize("value", BAD_INSTANTS)
def test_scores_as_of_out_of_range_is_400(reader, signals, value):
    response = reader.get(f"/api/v1/scores?as_of={quote(value)}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    [message] = response.json()["errors"]["as_of"]
    assert "2000-01-01" in message or "future" in message


@pytest.mark.parametrize("value", BAD_INSTANTS)
@pytest.mark.parametrize("bound", ["from", "to"])
def test_score_history_bound_out_of_range_is_400(reader, signals, value, bound):
    response = reader.get(f"/api/v1/scores/history?scope=tenant&{bound}={quote(value)}")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == PROBLEM
    [message] = response.json()["errors"][bound]
    assert "2000-01-01" in message or "future" in message


def test_nothing_changed_by_reading(poisoned, signals):
    with tenant_context(signals):
        assert Story.objects.count() == len(poisoned["stories"])
