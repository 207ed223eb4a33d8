"""Survey comments in the department digest: the period's reasons customers gave with their scores,
at the department's touchpoints or on its hosted surveys, beside the stories, chosen like them
(5 most negative, 2 most positive), with sentiment and score, an empty state, and a constant
number of queries however many comments there are."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.sentiment import sentiment_score
from feedback.signals.models import SurveyResponse
from metrics.digests import selectors as digest_selectors
from metrics.digests import services as digest_services
from promises.models import Measure, Promise
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Department, Touchpoint
from tests.metrics.digests.helpers import seed_digest_tenant

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
_ids = itertools.count()


@pytest.fixture
def seeded():
    return seed_digest_tenant(now=NOW)


def _owner_of_returns(seeded) -> Department:
    with tenant_context(seeded.tenant):
        returns = next(p for p in Promise.objects.filter(kind="customer") if "return" in p.slug)
        return Department.objects.get(pk=returns.owner_id)


def _comment(seeded, text: str, *, at: datetime, touchpoint: str = "Returns", score: int = 2, **source):
    with tenant_context(seeded.tenant):
        return SurveyResponse.objects.create(
            measure=Measure.objects.get(key=source.pop("measure", "csat")),
            score=score,
            touchpoint=Touchpoint.objects.get(name=touchpoint),
            occurred_at=at,
            source_kind=source.get("source_kind", "api_key"),
            source_id=source.get("source_id", 1),
            external_id=f"digest-comment-{next(_ids)}",
            comment=text,
            comment_sentiment=sentiment_score(text),
        )


def _rendered(seeded, department: Department) -> tuple[str, str]:
    with tenant_context(seeded.tenant):
        data = digest_selectors.digest_data(
            tenant=seeded.tenant, department=department, period=seeded.period, now=NOW
        )
    return digest_services.digest_render(data).for_recipient("https://acme.example/u/")


def test_the_period_s_comments_show_beside_the_stories_with_sentiment_and_score(seeded):
    department = _owner_of_returns(seeded)
    inside = seeded.period.start + timedelta(days=2)
    day = f"{inside.astimezone(BERLIN):%d %b}"  # dates in the tenant's time zone
    _comment(seeded, "Still waiting for my refund, nobody answers, terrible.", at=inside, score=1)
    _comment(seeded, "Wonderful, the refund arrived in two days, thank you!", at=inside, score=5)
    _comment(
        seeded,
        "Awful: the label never arrived before the period.",
        at=seeded.period.start - timedelta(hours=1),
    )
    _comment(seeded, "", at=inside)  # a score without a reason is no comment
    text, html = _rendered(seeded, department)
    slice_html = html[html.index('id="slice"') :]
    assert "Survey comments at your touchpoints (2 in the period)" in slice_html
    negative = slice_html.index("Still waiting for my refund")
    assert slice_html.index("What customers said at your touchpoints") < negative
    assert slice_html.index("Wonderful, the refund arrived") > negative
    assert "before the period" not in slice_html
    bad = sentiment_score("Still waiting for my refund, nobody answers, terrible.")
    assert f"CSAT 1, Returns, {day}, sentiment {round(bad, 2)}" in slice_html
    assert "Survey comments at your touchpoints (2 in the period):" in text
    assert (
        '- [-] "Still waiting for my refund, nobody answers, terrible." '
        f"(CSAT 1, Returns, {day}, sentiment {round(bad, 2)})"
    ) in text
    assert '- [+] "Wonderful, the refund arrived in two days, thank you!" (CSAT 5, Returns' in text


def test_comments_are_limited_like_stories_and_other_departments_do_not_see_them(seeded):
    department = _owner_of_returns(seeded)
    inside = seeded.period.start + timedelta(days=1)
    for i in range(7):
        _comment(seeded, f"Terrible refund number {i}, awful and useless.", at=inside + timedelta(minutes=i))
    for i in range(3):
        _comment(seeded, f"Great and friendly help number {i}!", at=inside)
    with tenant_context(seeded.tenant):
        data = digest_selectors.digest_data(
            tenant=seeded.tenant, department=department, period=seeded.period, now=NOW
        )
        legal = Department.objects.create(name="Legal", slug="legal")
        others = digest_selectors.digest_data(
            tenant=seeded.tenant, department=legal, period=seeded.period, now=NOW
        )
    comments = data.slice["survey_comments"]
    assert (comments["total"], len(comments["negative"]), len(comments["positive"])) == (10, 5, 2)
    assert all(c["sentiment"] < 0 for c in comments["negative"])
    assert others.slice["survey_comments"] == {"total": 0, "negative": [], "positive": []}


def test_a_hosted_survey_s_comments_reach_its_department(seeded):
    with tenant_context(seeded.tenant):
        legal = Department.objects.create(name="Legal", slug="legal")
        touchpoint = Touchpoint.objects.get(name="Returns")
        survey = survey_create(
            tenant=seeded.tenant,
            name="Returns desk",
            touchpoint=touchpoint,
            department=legal,
            measure=Measure.objects.get(key="nps"),
        )
    _comment(
        seeded,
        "Horrible, nobody explained the contract terms.",
        at=seeded.period.start + timedelta(days=1),
        measure="nps",
        score=3,
        source_kind="hosted_survey",
        source_id=survey.pk,
    )
    text, html = _rendered(seeded, legal)
    assert "Nothing to report for Legal" not in text
    assert "Horrible, nobody explained the contract terms." in html and "NPS 3, Returns" in html


def test_the_empty_state(seeded):
    department = _owner_of_returns(seeded)
    text, html = _rendered(seeded, department)
    empty = "No customer wrote a reason with their survey score at your touchpoints in this period."
    assert empty in text and empty in html
    assert "Survey comments at your touchpoints (0 in the period)" in html
    _comment(seeded, "The parcel came on Tuesday.", at=seeded.period.start + timedelta(days=1))
    text, html = _rendered(seeded, department)
    assert "None of them clearly negative or positive." in text
    assert "Survey comments at your touchpoints (1 in the period)" in html


def test_queries_do_not_grow_with_the_comments(seeded):
    department = _owner_of_returns(seeded)
    inside = seeded.period.start + timedelta(days=1)

    def count() -> int:
        with tenant_context(seeded.tenant), CaptureQueriesContext(connection) as queries:
            data = digest_selectors.digest_data(
                tenant=seeded.tenant, department=department, period=seeded.period, now=NOW
            )
            digest_services.digest_render(data)
        return len(queries)

    _comment(seeded, "Terrible refund, awful.", at=inside)
    few = count()
    for i in range(25):
        _comment(seeded, f"Terrible refund {i}, awful." if i % 2 else f"Great help {i}!", at=inside)
    assert count() == few
