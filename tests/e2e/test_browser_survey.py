"""A customer answers a hosted survey on a phone, in German, without signing in; a manager
creates one and gets its link and QR code."""

import re

import pytest
from playwright.sync_api import expect

from feedback.signals.models import SourceKind, SurveyResponse
from surveys.models import Survey
from tenants.context import tenant_context
from tests.conftest import TEST_PASSWORD, make_tenant
from tests.surveys.conftest import make_survey_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(new_page):
    return new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="de-DE")


def test_a_customer_answers_in_german_on_a_phone(phone, site):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant)
    base = site("acme")
    page = phone
    outside = []
    page.on(
        "request", lambda request: outside.append(request.url) if not request.url.startswith(base) else None
    )

    # The browser asks for German (Accept-Language): the page speaks it.
    page.goto(f"{base}/s/{world.survey.token}/")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    question = "Wie wahrscheinlich ist es, dass Sie Acme Retail einem Freund oder Kollegen empfehlen?"
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    nine = page.get_by_role("button", name="9", exact=True)
    box = nine.bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    nine.tap()

    # Stored the moment it was tapped; the follow-up question comes next.
    reason = page.get_by_label("Was ist der wichtigste Grund für Ihre Bewertung?")
    expect(reason).to_be_visible()
    expect(page.get_by_text("Vielen Dank, Ihre Bewertung ist gespeichert.")).to_be_visible()
    with tenant_context(tenant):
        stored = SurveyResponse.objects.get()
        assert (stored.score, stored.touchpoint.slug, stored.measure.key) == (9, "returns", "nps")
        assert (stored.source_kind, stored.source_id) == (SourceKind.HOSTED_SURVEY, world.survey.pk)
        assert stored.segment == {"link": "anonymous", "language": "de"}

    reason.fill("Die Rücksendung ging schnell und ohne Formular.")
    page.get_by_role("button", name="Senden").click()
    expect(page.get_by_role("heading", name="Vielen Dank")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/thanks/\?lang=de$"))
    with tenant_context(tenant):
        assert (
            SurveyResponse.objects.get(pk=stored.pk).comment
            == "Die Rücksendung ging schnell und ohne Formular."
        )
        assert SurveyResponse.objects.count() == 1
    assert outside == []


def test_the_survey_works_by_keyboard_at_320_pixels_and_switches_language(new_page, site):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant)
    page = new_page(viewport={"width": 320, "height": 640})
    page.goto(f"{site('acme')}/s/{world.survey.token}/?lang=en")
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    # Tab from the language switcher into the scores; Enter sends the focused score.
    page.get_by_role("button", name="0", exact=True).focus()
    for _ in range(3):
        page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="3", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_label("Quelle est la raison principale de votre note ?")).to_be_visible()
    page.get_by_role("link", name="Passer cette question").click()
    expect(page.get_by_role("heading", name="Merci")).to_be_visible()
    with tenant_context(tenant):
        stored = SurveyResponse.objects.get()
        assert (stored.score, stored.comment, stored.segment["language"]) == (3, "", "fr")


def test_a_manager_creates_a_survey_and_gets_its_link_and_qr_code(page, site):
    tenant = make_tenant("acme", "Acme Retail")
    make_survey_world(tenant)  # Returns, the built-in measures, a first survey
    base = site("acme")
    page.goto(f"{base}/surveys/new/")
    page.locator("input[name=login]").fill("manager@acme.test")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.get_by_role("heading", name="New survey")).to_be_visible()

    page.get_by_label("Name").fill("Returns desk")
    page.get_by_label("Touchpoint").select_option(label="Returns")
    page.get_by_label("Department").select_option(label="Customer Service")
    page.get_by_label("Measure").select_option(label="CSAT")
    page.get_by_role("button", name="Create survey").click()

    expect(page.get_by_text("Survey “Returns desk” created.")).to_be_visible()
    with tenant_context(tenant):
        survey = Survey.objects.get(name="Returns desk")
    expect(page.locator("#survey-link")).to_have_value(f"{base}/s/{survey.token}/")
    qr = page.get_by_role("img", name=re.compile("QR code of the link"))
    expect(qr).to_be_visible()
    # The picture itself arrived and decoded (visible is only its box: wait until it loaded).
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    with page.expect_download() as download:
        page.get_by_role("link", name="download the PNG").click()
    assert download.value.suggested_filename == f"survey-{survey.pk}-qr.png"
