"""Survey comments on the promise page: beside the stories, with their sentiment, newest first,
five a page, in a constant number of queries; only the comments about the promise."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.sentiment import sentiment_score
from feedback.signals.models import SurveyResponse
from metrics.models import ScoreRun
from metrics.services import scores_run
from surveys.models import Survey
from tests.metrics.conftest import Scoring

PATH = "/scores/promises/hassle-free-returns/"
_ids = itertools.count()


def _comment(scoring: Scoring, text: str, *, days_ago: float, touchpoint=None, measure="csat", **source):
    return SurveyResponse.objects.create(
        measure=scoring.measures[measure],
        score=2,
        touchpoint=touchpoint if touchpoint is not None else scoring.returns,
        occurred_at=timezone.now() - timedelta(days=days_ago),
        source_kind=source.get("source_kind", "api_key"),
        source_id=source.get("source_id", 1),
        external_id=f"comment-{next(_ids)}",
        comment=text,
        comment_sentiment=sentiment_score(text),
    )


@pytest.fixture
def returns(scoring):
    promise = scoring.promise(contributors=(scoring.cs,))
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    return promise


def _section(client, query: str = "") -> str:
    page = client.get(PATH + query).content.decode()
    return page[page.index('id="survey-comments"') :]


def test_comments_show_beside_the_stories_with_sentiment_touchpoint_and_date(
    scoring, returns, member_clients
):
    _comment(scoring, "The refund arrived within two days, thank you.", days_ago=3)
    _comment(scoring, "Still waiting for my refund, nobody answers.", days_ago=1)
    _comment(scoring, "", days_ago=0.5)  # a score without a comment is not a comment
    page = member_clients["viewer"].get(PATH).content.decode()
    assert page.index('id="latest-stories"') < page.index('id="survey-comments"')
    section = page[page.index('id="survey-comments"') :]
    newest, older = section.index("Still waiting"), section.index("arrived within two days")
    assert newest < older
    # Each comment's badge comes before its text.
    assert "negative (" in section[:newest] and "positive (" not in section[:newest]
    assert "positive (" in section[newest:older]
    assert "Returns · CSAT 2" in section
    assert (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%d") in section


def test_only_comments_about_the_promise_are_shown(scoring, returns, member_clients):
    _comment(scoring, "Counted: CSAT at Returns.", days_ago=1)
    _comment(scoring, "Another touchpoint.", days_ago=1, touchpoint=scoring.delivery)
    _comment(scoring, "Another measure.", days_ago=1, measure="nps")
    survey = Survey.objects.create(
        name="Delivery",
        touchpoint=scoring.delivery,
        department=scoring.cs,
        promise=returns,
        measure=scoring.measures["nps"],
    )
    _comment(
        scoring,
        "Asked about the promise on a hosted survey.",
        days_ago=2,
        touchpoint=scoring.delivery,
        measure="nps",
        source_kind="hosted_survey",
        source_id=survey.pk,
    )
    section = _section(member_clients["viewer"])
    assert "Counted: CSAT at Returns." in section
    assert "Asked about the promise on a hosted survey." in section
    assert "Another touchpoint." not in section and "Another measure." not in section


def test_no_comment_says_so(scoring, returns, member_clients):
    section = _section(member_clients["viewer"])
    assert 'id="survey-comments-empty"' in section


def test_comments_are_paginated_five_a_page(scoring, returns, member_clients):
    for i in range(7):
        _comment(scoring, f"Comment number {i}.", days_ago=10 - i)
    first = _section(member_clients["viewer"])
    assert [f"Comment number {i}." in first for i in range(7)] == [False, False] + [True] * 5
    assert "Page 1 of 2" in first
    second = _section(member_clients["viewer"], "?page=2")
    assert "Comment number 0." in second and "Comment number 1." in second
    assert "Comment number 6." not in second
    # A page past the end shows the last one, not an error.
    assert "Comment number 0." in _section(member_clients["viewer"], "?page=99")


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(PATH).status_code == 200
    return len(captured)


def test_the_page_takes_the_same_queries_for_one_comment_or_many(scoring, returns, member_clients):
    scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE)
    _comment(scoring, "Just one.", days_ago=1)
    client = member_clients["manager"]
    one = _queries(client)
    for i in range(12):
        _comment(scoring, f"One of many {i}.", days_ago=2 + i)
    assert _queries(client) == one
