"""The public side of survey distribution: the score pages behind the e-mail snippet (a GET stores
nothing, one tap stores the score and goes on to the reason), the embeddable page (framed only by
the listed sites, its whole flow stays embedded; a personalised link's too, with its one answer),
and the survey's own wording per language."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import timezone

from feedback.signals.models import SurveyResponse
from surveys import services
from surveys.models import FollowUp, SurveyLink
from surveys.snippet import survey_email_snippet
from tenants.context import tenant_context
from tests.conftest import client_for
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


def _nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def _responses(tenant) -> list[SurveyResponse]:
    with tenant_context(tenant):
        return list(SurveyResponse.objects.order_by("id"))


def _set(survey, **fields):
    for name, value in fields.items():
        setattr(survey, name, value)
    with tenant_context(survey.tenant):
        survey.save()


# --- The e-mail snippet and its score pages ------------------------------------------------------


def test_the_snippet_links_each_score_to_its_page(world):
    with tenant_context(world.tenant):
        snippet = survey_email_snippet(survey=world.survey, language="fr")
    assert [score for score, _url in snippet.score_urls] == list(range(0, 11))
    assert snippet.score_urls[0][1].endswith(f"/s/{world.survey.token}/score/0/?lang=fr")
    assert "recommandiez" in snippet.html
    assert 'role="presentation"' in snippet.html and "<script" not in snippet.html


def test_opening_a_score_link_stores_nothing_until_the_tap(world):
    client = client_for("acme")
    path = f"/s/{world.survey.token}/score/3/?lang=de"
    # A mail scanner or prefetcher opens every link: nothing is stored.
    for score in range(0, 11):
        assert client.get(f"/s/{world.survey.token}/score/{score}/").status_code == 200
    page = client.get(path)
    assert page.status_code == 200 and _responses(world.tenant) == []
    html = page.content.decode()
    assert "Bewertung senden" in html and 'name="score" value="3"' in html
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    assert action == f"/s/{world.survey.token}/?lang=de"
    sent = client.post(action, {"score": 3, "nonce": _nonce(html), "website": ""})
    assert sent.status_code == 302 and f"/s/{world.survey.token}/why/" in sent["Location"]
    (stored,) = _responses(world.tenant)
    assert (stored.score, stored.segment["language"]) == (3, "de")


def test_a_score_off_the_scale_shows_the_question(world):
    response = client_for("acme").get(f"/s/{world.survey.token}/score/11/?lang=en")
    assert response.status_code == 302 and response["Location"] == f"/s/{world.survey.token}/?lang=en"


def test_a_personal_score_link_is_answered_once(world):
    link = services.survey_link_mint(tenant=world.tenant, survey=world.survey, respondent_ref="C-9")
    client = client_for("acme")
    page = client.get(f"/s/l/{link.token}/score/2/?lang=en")
    assert page.status_code == 200 and _responses(world.tenant) == []
    html = page.content.decode()
    action = re.search(r'<form method="post" action="([^"]+)"', html).group(1)
    assert action == f"/s/l/{link.token}/?lang=en"
    assert client.post(action, {"score": 2, "nonce": _nonce(html), "website": ""}).status_code == 302
    (stored,) = _responses(world.tenant)
    assert (stored.score, stored.respondent_ref) == (2, "C-9")
    again = client.get(f"/s/l/{link.token}/score/7/?lang=en")
    assert again.status_code == 409 and "already answered" in again.content.decode()


def test_a_withdrawn_personal_score_link_says_so(world):
    link = services.survey_link_mint(tenant=world.tenant, survey=world.survey, respondent_ref="C-9")
    services.survey_link_revoke(tenant=world.tenant, link=link)
    response = client_for("acme").get(f"/s/l/{link.token}/score/7/?lang=en")
    assert response.status_code == 410 and "withdrawn" in response.content.decode()


def test_another_tenants_score_links_are_not_found(world, other_tenant):
    other = make_survey_world(other_tenant)
    theirs = services.survey_link_mint(tenant=other_tenant, survey=other.survey, respondent_ref="C-1")
    client = client_for("acme")
    assert client.get(f"/s/{other.survey.token}/score/5/").status_code == 404
    assert client.get(f"/s/l/{theirs.token}/score/5/").status_code == 404
    assert client.get(f"/s/{other.survey.token}/embed/").status_code == 404
    assert client.get(f"/s/l/{theirs.token}/embed/").status_code == 404
    with tenant_context(other_tenant):
        assert SurveyLink.objects.get(pk=theirs.pk).answered_at is None


# --- The embeddable page -------------------------------------------------------------------------


def test_the_normal_pages_may_not_be_framed(world):
    response = client_for("acme").get(f"/s/{world.survey.token}/")
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]


def test_without_listed_sites_only_cxgov_may_frame_the_embed(world):
    response = client_for("acme").get(f"/s/{world.survey.token}/embed/?lang=en")
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors 'self'" in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "survey-embedded" in html and "survey-languages" not in html


def test_the_listed_sites_may_frame_the_whole_flow(world):
    services.survey_update(
        tenant=world.tenant,
        survey=world.survey,
        name=world.survey.name,
        touchpoint=world.returns,
        department=world.service,
        measure=world.measures["nps"],
        embed_origins=["https://shop.example.com", "https://help.example.com:8443/"],
    )
    # A browser sends no SameSite=Lax cookie from a third-party frame: no CSRF cookie either.
    client = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    page = client.get(f"/s/{world.survey.token}/embed/?lang=fr")
    policy = page["Content-Security-Policy"]
    assert "frame-ancestors 'self' https://shop.example.com https://help.example.com:8443" in policy
    html = page.content.decode()
    client.cookies.clear()
    sent = client.post(
        f"/s/{world.survey.token}/embed/?lang=fr&embed=1", {"score": 4, "nonce": _nonce(html), "website": ""}
    )
    assert sent.status_code == 302, sent.content.decode()[:300]
    assert sent["Location"].endswith("?lang=fr&embed=1") and "/why/" in sent["Location"]
    reason = client.get(sent["Location"])
    assert reason.status_code == 200 and "X-Frame-Options" not in reason
    assert "https://shop.example.com" in reason["Content-Security-Policy"]
    reason_html = reason.content.decode()
    assert "&amp;embed=1" in reason_html  # its form and its skip link stay embedded
    done = client.post(sent["Location"], {"reason": "Trop lent.", "website": ""})
    assert done.status_code == 302 and done["Location"].endswith("embed=1")
    thanks = client.get(done["Location"])
    assert thanks.status_code == 200 and "X-Frame-Options" not in thanks
    (stored,) = _responses(world.tenant)
    assert (stored.score, stored.comment, stored.segment["language"]) == (4, "Trop lent.", "fr")


def test_the_question_page_keeps_its_csrf_check_when_not_embedded(world):
    client = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    html = client.get(f"/s/{world.survey.token}/").content.decode()
    client.cookies.clear()
    refused = client.post(f"/s/{world.survey.token}/", {"score": 4, "nonce": _nonce(html), "website": ""})
    assert refused.status_code == 403 and _responses(world.tenant) == []


# --- The embeddable page of a personalised link --------------------------------------------------

SHOP = "https://shop.example.com"


def _embedding(world, **fields) -> SurveyLink:
    """The survey framed by the shop, and a personalised link of it."""
    _set(world.survey, embed_origins=[SHOP], **fields)
    return services.survey_link_mint(tenant=world.tenant, survey=world.survey, respondent_ref="C-9")


def _framed(response, *, by: str = SHOP) -> str:
    """The page, checked to be framed by ``by`` (and cxgov), embedded: no header."""
    assert "X-Frame-Options" not in response
    assert f"frame-ancestors 'self' {by}".strip() in response["Content-Security-Policy"]
    html = response.content.decode()
    assert "survey-embedded" in html and "survey-languages" not in html
    return html


def _frame_client() -> Client:
    # A browser sends no SameSite=Lax cookie from a third-party frame: no CSRF cookie either.
    return Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)


def test_a_personal_links_embed_takes_its_one_answer_in_the_frame(world):
    link = _embedding(world)
    client = _frame_client()
    page = client.get(f"/s/l/{link.token}/embed/?lang=de")
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    html = _framed(page)
    assert f'action="/s/l/{link.token}/embed/?lang=de&amp;embed=1"' in html
    client.cookies.clear()
    sent = client.post(
        f"/s/l/{link.token}/embed/?lang=de&embed=1", {"score": 4, "nonce": _nonce(html), "website": ""}
    )
    assert sent.status_code == 302, sent.content.decode()[:300]
    # The next pages stay under the link's token, embedded.
    assert re.fullmatch(rf"/s/l/{link.token}/why/[^/]+/\?lang=de&embed=1", sent["Location"])
    reason_html = _framed(client.get(sent["Location"]))
    assert "&amp;embed=1" in reason_html and world.survey.token not in reason_html
    done = client.post(sent["Location"], {"reason": "Zu langsam.", "website": ""})
    assert done["Location"] == f"/s/l/{link.token}/thanks/?lang=de&embed=1"
    _framed(client.get(done["Location"]))
    (stored,) = _responses(world.tenant)
    assert (stored.score, stored.comment, stored.respondent_ref) == (4, "Zu langsam.", "C-9")
    assert stored.segment == {"link": "personal", "language": "de"}

    # Opened or sent again in the frame: it says so there, and stores nothing more.
    again = client.get(f"/s/l/{link.token}/embed/?lang=en")
    assert again.status_code == 409
    assert "You have already answered" in _framed(again)
    resent = client.post(
        f"/s/l/{link.token}/embed/?lang=en&embed=1", {"score": 9, "nonce": _nonce(html), "website": ""}
    )
    assert resent.status_code == 409 and "You have already answered" in _framed(resent)
    assert [r.score for r in _responses(world.tenant)] == [4]


def test_an_unhappy_answer_in_the_frame_is_asked_for_contact_in_the_frame(world):
    link = _embedding(world, asks_reason=False, asks_consent=True)
    client = _frame_client()
    html = client.get(f"/s/l/{link.token}/embed/?lang=en").content.decode()
    client.cookies.clear()
    sent = client.post(
        f"/s/l/{link.token}/embed/?lang=en", {"score": 1, "nonce": _nonce(html), "website": ""}
    )
    assert re.fullmatch(rf"/s/l/{link.token}/contact/[^/]+/\?lang=en&embed=1", sent["Location"])
    contact_html = _framed(client.get(sent["Location"]))
    # Its form and its "no" link stay embedded.
    assert re.search(r'<form method="post" action="[^"]+&amp;embed=1"', contact_html)
    details = client.post(sent["Location"], {"consent": "yes", "step": "choose", "website": ""})
    assert 'href="/s/l/' in _framed(details) and "thanks/?lang=en&amp;embed=1" in details.content.decode()
    done = client.post(
        sent["Location"], {"consent": "yes", "step": "details", "email": "c9@example.com", "website": ""}
    )
    assert done["Location"] == f"/s/l/{link.token}/thanks/?lang=en&embed=1"
    (stored,) = _responses(world.tenant)
    with tenant_context(world.tenant):
        followup = FollowUp.objects.get(response_id=stored.pk)
    assert followup.consented_at is not None and followup.contact_email == "c9@example.com"


@pytest.mark.parametrize(
    "state, status, words",
    [("expired", 410, "Ce lien a expiré"), ("revoked", 410, "Ce lien a été retiré")],
)
def test_an_expired_or_withdrawn_link_explains_itself_in_the_frame(world, state, status, words):
    link = _embedding(world)
    if state == "revoked":
        services.survey_link_revoke(tenant=world.tenant, link=link)
    else:
        with tenant_context(world.tenant):
            SurveyLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    client = _frame_client()
    page = client.get(f"/s/l/{link.token}/embed/?lang=fr")
    html = _framed(page)
    assert page.status_code == status and words in html and 'name="score"' not in html
    sent = client.post(f"/s/l/{link.token}/embed/?lang=fr", {"score": 5, "nonce": "n" * 22, "website": ""})
    assert sent.status_code == status and words in _framed(sent)
    assert _responses(world.tenant) == []


def test_the_honeypot_and_the_rate_limit_hold_in_the_frame(world, settings):
    link = _embedding(world)
    client = _frame_client()
    robot = client.post(
        f"/s/l/{link.token}/embed/?lang=en", {"score": 0, "nonce": "n" * 22, "website": "http://spam.example"}
    )
    assert robot["Location"] == f"/s/l/{link.token}/thanks/?lang=en&embed=1"
    assert _responses(world.tenant) == []
    settings.CXGOV_SURVEY_ANSWERS = 0
    blocked = client.post(f"/s/l/{link.token}/embed/?lang=de", {"score": 5, "nonce": "n" * 22, "website": ""})
    assert blocked.status_code == 429 and blocked["Retry-After"]
    assert "Zu viele Antworten" in _framed(blocked)
    assert _responses(world.tenant) == []
    with tenant_context(world.tenant):
        assert services.survey_link_state(SurveyLink.objects.get(pk=link.pk)) == "open"


def test_another_tenants_link_is_not_found_in_the_frame_nor_framed_by_their_sites(world, other_tenant):
    other = make_survey_world(other_tenant)
    _set(other.survey, embed_origins=["https://globex.example"])
    theirs = services.survey_link_mint(tenant=other_tenant, survey=other.survey, respondent_ref="C-1")
    client = _frame_client()
    page = client.get(f"/s/l/{theirs.token}/embed/")
    assert page.status_code == 404 and "This survey does not exist" in _framed(page, by="")
    assert "globex.example" not in page["Content-Security-Policy"]
    assert client.post(f"/s/l/{theirs.token}/embed/", {"score": 5, "nonce": "n" * 22}).status_code == 404
    with tenant_context(other_tenant):
        assert SurveyLink.objects.get(pk=theirs.pk).answered_at is None
    assert client_for(other_tenant.slug).get(f"/s/l/{theirs.token}/embed/").status_code == 200


def test_the_personal_links_page_keeps_its_csrf_check_and_its_frame_refusal(world):
    link = _embedding(world)
    client = _frame_client()
    page = client.get(f"/s/l/{link.token}/")
    assert page["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in page["Content-Security-Policy"]
    client.cookies.clear()
    refused = client.post(
        f"/s/l/{link.token}/", {"score": 4, "nonce": _nonce(page.content.decode()), "website": ""}
    )
    assert refused.status_code == 403 and _responses(world.tenant) == []


# --- Wording per language ------------------------------------------------------------------------


def test_a_german_visitor_reads_the_german_wording_and_others_the_standard(world):
    _set(
        world.survey,
        wording={
            "de": {
                "question": "Würden Sie unseren Rückgabeschalter weiterempfehlen?",
                "reason": "Was war der wichtigste Grund?",
                "thank_you": "Danke, bis bald!",
            }
        },
    )
    client = client_for("acme")
    page = client.get(f"/s/{world.survey.token}/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9")
    html = page.content.decode()
    assert "Würden Sie unseren Rückgabeschalter weiterempfehlen?" in html
    sent = client.post(
        f"/s/{world.survey.token}/?lang=de", {"score": 9, "nonce": _nonce(html), "website": ""}
    )
    reason = client.get(sent["Location"]).content.decode()
    assert "Was war der wichtigste Grund?" in reason
    thanks_url = re.search(r'class="survey-skip" href="([^"]+)"', reason).group(1).replace("&amp;", "&")
    assert "Danke, bis bald!" in client.get(thanks_url).content.decode()
    # French: no own wording, the standard French question.
    french = client.get(f"/s/{world.survey.token}/?lang=fr").content.decode()
    assert "recommandiez" in french, french
    assert "Würden Sie" not in french, french
