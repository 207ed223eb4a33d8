"""The public page of a survey: no sign-in, one question per screen, the answer stored at once,
the reason added to that answer, languages, and what keeps visitors from abusing it."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from feedback.signals.models import SourceKind, SurveyResponse
from surveys import services
from tenants.context import tenant_context
from tests.conftest import client_for, signed_in
from tests.factories import tenant_state
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


def _nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def _answer(client, world, score, *, lang="en", **extra):
    page = client.get(f"/s/{world.survey.token}/?lang={lang}")
    data = {"score": score, "nonce": _nonce(page.content.decode()), "website": "", **extra}
    return client.post(f"/s/{world.survey.token}/?lang={lang}", data)


def test_the_question_needs_no_sign_in_and_offers_every_score(world):
    response = world.public()
    html = response.content.decode()
    assert response.status_code == 200
    assert "How likely are you to recommend Acme Retail to a friend or colleague?" in html
    assert [int(v) for v in re.findall(r'name="score" value="(\d+)"', html)] == list(range(11))
    assert '<html lang="en">' in html
    assert response["Content-Language"] == "en"
    # Only the product's own files: no third-party request.
    assert not re.search(r'(src|href)="https?://', html)


def test_tapping_a_score_stores_it_then_the_reason_joins_it(world):
    client = client_for("acme")
    response = _answer(client, world, 4)
    assert response.status_code == 302
    assert re.fullmatch(rf"/s/{world.survey.token}/why/[^/]+/\?lang=en", response["Location"])
    with tenant_context(world.tenant):
        stored = SurveyResponse.objects.get()
    assert (stored.score, stored.touchpoint_id, stored.comment) == (4, world.returns.pk, "")
    assert (stored.source_kind, stored.source_id) == (SourceKind.HOSTED_SURVEY, world.survey.pk)
    assert stored.segment["link"] == "anonymous"

    reason_page = client.get(response["Location"])
    assert "What is the main reason for your score?" in reason_page.content.decode()
    done = client.post(response["Location"], {"reason": "The refund took three weeks.", "website": ""})
    assert done["Location"] == f"/s/{world.survey.token}/thanks/?lang=en"
    thanks = client.get(done["Location"])
    assert "Your answer helps Acme Retail keep its promises." in thanks.content.decode()
    with tenant_context(world.tenant):
        assert SurveyResponse.objects.get().comment == "The refund took three weeks."


def test_without_the_reason_question_the_score_leads_to_the_thanks(tenant):
    world = make_survey_world(tenant, asks_reason=False, thank_you="Danke! See you at the counter.")
    response = _answer(client_for("acme"), world, 10)
    assert response["Location"] == f"/s/{world.survey.token}/thanks/?lang=en"
    assert "Danke! See you at the counter." in client_for("acme").get(response["Location"]).content.decode()


def test_the_page_speaks_german_from_the_link_or_the_browser(world):
    by_link = world.public("?lang=de").content.decode()
    assert '<html lang="de">' in by_link
    assert "Wie wahrscheinlich ist es, dass Sie Acme Retail einem Freund oder Kollegen empfehlen?" in by_link
    by_browser = world.public(HTTP_ACCEPT_LANGUAGE="fr-CH, fr;q=0.9, en;q=0.8")
    assert by_browser["Content-Language"] == "fr"
    assert "Quelle est la probabilité que vous recommandiez Acme Retail" in by_browser.content.decode()
    unknown = world.public("?lang=xx", HTTP_ACCEPT_LANGUAGE="ja, es;q=0.5")
    assert unknown["Content-Language"] == "es"
    # The switcher offers every language, the current one marked.
    assert re.search(r'href="[^"]*\?lang=de" lang="de" hreflang="de" aria-current="true">Deutsch<', by_link)
    assert translation.get_language() == "en"  # the page's language did not leak into the process


def test_every_catalogue_is_complete_and_compiled(settings):
    import gettext
    from pathlib import Path

    root = Path(settings.BASE_DIR) / "surveys" / "locale"
    for lang in ("de", "fr", "es"):
        po = (root / lang / "LC_MESSAGES" / "django.po").read_text()
        pairs = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', po, re.M)
        assert pairs and all(text for _, text in pairs), f"{lang}: untranslated messages"
        with open(root / lang / "LC_MESSAGES" / "django.mo", "rb") as mo:
            compiled = gettext.GNUTranslations(mo)
        unescape = lambda s: s.replace('\\"', '"').replace("\\\\", "\\")  # noqa: E731
        stale = [m for m, t in pairs if compiled.gettext(unescape(m)) != unescape(t)]
        assert stale == [], f"{lang}: run compilemessages in surveys/"


def test_an_unknown_or_closed_survey_explains_itself(world):
    missing = client_for("acme").get("/s/not-a-real-token/?lang=de")
    assert missing.status_code == 404
    assert "Diese Umfrage gibt es nicht" in missing.content.decode()
    world.survey.is_active = False
    with tenant_context(world.tenant):
        world.survey.save()
    closed = world.public()
    assert closed.status_code == 404
    assert "This survey is closed" in closed.content.decode()
    page = client_for("acme").post(f"/s/{world.survey.token}/", {"score": 5, "nonce": "x"})
    assert page.status_code == 404
    with tenant_context(world.tenant):
        assert not SurveyResponse.objects.exists()


def test_a_token_of_another_tenant_is_not_found_on_this_address(world, other_tenant):
    other = make_survey_world(other_tenant)
    before = tenant_state(other_tenant)
    page = client_for("acme").get(f"/s/{other.survey.token}/")
    assert page.status_code == 404
    assert "Globex" not in page.content.decode()
    sent = client_for("acme").post(f"/s/{other.survey.token}/", {"score": 9, "nonce": "n", "website": ""})
    assert sent.status_code == 404
    assert tenant_state(other_tenant) == before
    # A reason token minted for globex's answer does nothing on acme's address, even with acme's survey.
    answer = services.survey_answer(tenant=other_tenant, survey=other.survey, score=1, nonce="g")
    token = services.answer_token(tenant=other_tenant, survey=other.survey, response_id=answer.response_id)
    assert (
        client_for("acme").post(f"/s/{world.survey.token}/why/{token}/", {"reason": "x"}).status_code == 404
    )
    with tenant_context(other_tenant):
        assert SurveyResponse.objects.get(pk=answer.response_id).comment == ""
    # On the platform's own address there is no survey at all.
    assert client_for(None).get(f"/s/{world.survey.token}/").status_code == 404


def test_a_signed_in_member_answers_like_anyone(world):
    response = _answer(signed_in("acme", "employee@acme.test"), world, 6)
    assert response.status_code == 302
    with tenant_context(world.tenant):
        assert SurveyResponse.objects.get().source_kind == SourceKind.HOSTED_SURVEY


def test_the_honeypot_is_thanked_and_stores_nothing(world):
    response = _answer(client_for("acme"), world, 0, website="http://spam.example")
    assert response["Location"] == f"/s/{world.survey.token}/thanks/?lang=en"
    with tenant_context(world.tenant):
        assert not SurveyResponse.objects.exists()


def test_a_missing_score_is_asked_again_in_the_visitors_language(world):
    client = client_for("acme")
    page = client.get(f"/s/{world.survey.token}/?lang=es")
    sent = client.post(f"/s/{world.survey.token}/?lang=es", {"nonce": _nonce(page.content.decode())})
    assert sent.status_code == 400
    assert "Elija una puntuación." in sent.content.decode()
    off_scale = client.post(f"/s/{world.survey.token}/?lang=en", {"score": 42, "nonce": "n"})
    assert off_scale.status_code == 400
    assert "Choose a score from 0 to 10." in off_scale.content.decode()
    with tenant_context(world.tenant):
        assert not SurveyResponse.objects.exists()


def test_the_rate_limit_holds_per_survey_and_address(world, settings):
    settings.CXGOV_SURVEY_ANSWERS = 3
    client = client_for("acme")
    statuses = [_answer(client, world, 7).status_code for _ in range(4)]
    assert statuses == [302, 302, 302, 429]
    blocked = _answer(client, world, 7, lang="de")
    assert blocked.status_code == 429 and "Zu viele Antworten" in blocked.content.decode()
    assert blocked["Retry-After"]
    # Another address still answers; so does the same address on another survey.
    other_address = client_for("acme")
    other_address.defaults["REMOTE_ADDR"] = "198.51.100.7"
    assert _answer(other_address, world, 7).status_code == 302
    second = services.survey_create(
        tenant=world.tenant,
        name="Second",
        touchpoint=world.returns,
        department=world.service,
        measure=world.measures["ces"],
    )
    page = client.get(f"/s/{second.token}/")
    assert (
        client.post(f"/s/{second.token}/", {"score": 5, "nonce": _nonce(page.content.decode())}).status_code
        == 302
    )
    with tenant_context(world.tenant):
        assert SurveyResponse.objects.filter(source_id=world.survey.pk).count() == 4


def test_an_expired_or_forged_reason_page_explains_itself(world):
    forged = client_for("acme").get(f"/s/{world.survey.token}/why/abc:def/?lang=fr")
    assert forged.status_code == 404
    assert "Cette page a expiré" in forged.content.decode()


def test_the_answer_buttons_are_big_enough_to_tap():
    from pathlib import Path

    from django.conf import settings

    css = (Path(settings.BASE_DIR) / "surveys" / "static" / "surveys" / "survey.css").read_text()
    rule = re.search(r"\.survey-score \{([^}]*)\}", css).group(1)
    assert int(re.search(r"min-width: (\d+)px", rule).group(1)) >= 44
    assert int(re.search(r"min-height: (\d+)px", rule).group(1)) >= 44
