"""The page of a personalised link: its one answer carries the respondent and the link's segment;
opened again, answered, expired or withdrawn, it says so in the visitor's language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from feedback.signals.models import SourceKind, SurveyResponse
from surveys import services
from surveys.models import SurveyLink
from tenants.context import tenant_context
from tests.conftest import client_for
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def link(world) -> SurveyLink:
    return services.survey_link_mint(
        tenant=world.tenant, survey=world.survey, respondent_ref="C-10442", segment={"plan": "pro"}
    )


def _nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def _answer(client, link, score, *, lang="en"):
    page = client.get(f"/s/l/{link.token}/?lang={lang}")
    assert page.status_code == 200, page.content.decode()
    data = {"score": score, "nonce": _nonce(page.content.decode()), "website": ""}
    return client.post(f"/s/l/{link.token}/?lang={lang}", data)


def _responses(tenant) -> list[SurveyResponse]:
    with tenant_context(tenant):
        return list(SurveyResponse.objects.order_by("id"))


def test_a_link_is_answered_once_with_its_respondent_and_segment(world, link):
    client = client_for("acme")
    response = _answer(client, link, 9)
    assert response.status_code == 302
    # The pages after the score stay under the link's token: the survey's anonymous one is never shown.
    assert re.fullmatch(rf"/s/l/{link.token}/why/[^/]+/\?lang=en", response["Location"])
    (stored,) = _responses(world.tenant)
    assert (stored.score, stored.respondent_ref) == (9, "C-10442")
    assert stored.segment == {"plan": "pro", "link": "personal", "language": "en"}
    assert (stored.source_kind, stored.source_id) == (SourceKind.HOSTED_SURVEY, world.survey.pk)
    with tenant_context(world.tenant):
        link.refresh_from_db()
    assert link.answered_at is not None and link.response_id == stored.pk
    # The reason joins that same answer.
    done = client.post(response["Location"], {"reason": "Quick refund.", "website": ""})
    assert done["Location"] == f"/s/l/{link.token}/thanks/?lang=en"
    thanks = client.get(done["Location"]).content.decode()
    assert "Thank you" in thanks and world.survey.token not in thanks
    assert [r.comment for r in _responses(world.tenant)] == ["Quick refund."]

    again = client_for("acme").get(f"/s/l/{link.token}/?lang=en")
    html = again.content.decode()
    assert again.status_code == 409
    assert "You have already answered" in html and "yours is in" in html
    assert 'name="score"' not in html


def test_a_second_answer_of_the_same_link_is_not_stored(world, link):
    client = client_for("acme")
    page = client.get(f"/s/l/{link.token}/")
    first = client.post(
        f"/s/l/{link.token}/", {"score": 3, "nonce": _nonce(page.content.decode()), "website": ""}
    )
    assert first.status_code == 302
    # The same page sent again (Back, then another score).
    second = client.post(
        f"/s/l/{link.token}/", {"score": 10, "nonce": _nonce(page.content.decode()), "website": ""}
    )
    assert second.status_code == 409
    assert "You have already answered" in second.content.decode()
    assert [r.score for r in _responses(world.tenant)] == [3]


def test_an_answered_link_says_so_in_the_visitors_language(world, link):
    _answer(client_for("acme"), link, 8)
    page = client_for("acme").get(f"/s/l/{link.token}/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    assert page["Content-Language"] == "de"
    assert "Sie haben bereits geantwortet" in page.content.decode()


def test_an_expired_link_explains_itself(world, link):
    with tenant_context(world.tenant):
        SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    page = client_for("acme").get(f"/s/l/{link.token}/?lang=fr")
    html = page.content.decode()
    assert page.status_code == 410
    assert "Ce lien a expiré" in html and 'name="score"' not in html
    assert (
        client_for("acme")
        .post(f"/s/l/{link.token}/", {"score": 5, "nonce": "n" * 22, "website": ""})
        .status_code
        == 410
    )
    assert _responses(world.tenant) == []


def test_a_revoked_link_explains_itself(world, link):
    services.survey_link_revoke(tenant=world.tenant, link=link)
    page = client_for("acme").get(f"/s/l/{link.token}/?lang=es")
    assert page.status_code == 410
    assert "Este enlace ha sido retirado" in page.content.decode()
    english = client_for("acme").get(f"/s/l/{link.token}/")
    assert "This link was withdrawn" in english.content.decode()
    assert (
        client_for("acme")
        .post(f"/s/l/{link.token}/", {"score": 5, "nonce": "n" * 22, "website": ""})
        .status_code
        == 410
    )
    assert _responses(world.tenant) == []


def test_a_link_revoked_while_its_page_is_open_takes_no_answer(world, link):
    client = client_for("acme")
    page = client.get(f"/s/l/{link.token}/")
    services.survey_link_revoke(tenant=world.tenant, link=link)
    sent = client.post(
        f"/s/l/{link.token}/", {"score": 7, "nonce": _nonce(page.content.decode()), "website": ""}
    )
    assert sent.status_code == 410
    assert _responses(world.tenant) == []


def test_another_tenants_link_is_not_found_here(world, other_tenant):
    other = make_survey_world(other_tenant)
    theirs = services.survey_link_mint(tenant=other_tenant, survey=other.survey, respondent_ref="C-1")
    page = client_for("acme").get(f"/s/l/{theirs.token}/")
    assert page.status_code == 404
    assert "This survey does not exist" in page.content.decode()
    assert client_for(other_tenant.slug).get(f"/s/l/{theirs.token}/").status_code == 200


def test_a_link_of_a_closed_survey_says_the_survey_is_closed(world, link):
    with tenant_context(world.tenant):
        world.survey.__class__.objects.filter(pk=world.survey.pk).update(is_active=False)
    page = client_for("acme").get(f"/s/l/{link.token}/")
    assert page.status_code == 404
    assert "This survey is closed" in page.content.decode()
