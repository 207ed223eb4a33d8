"""A company's web site shows its survey in a frame and a customer answers there; a site the
survey does not list gets no frame. A customer's own personalised link in a frame takes their one
answer, then says it is answered. A customer taps a score in an e-mail and sends it with one
more tap."""

import http.server
import re
import threading

import pytest
from playwright.sync_api import expect

from feedback.signals.models import SurveyResponse
from surveys.services import survey_link_mint
from surveys.snippet import survey_email_snippet
from tenants.context import tenant_context
from tests.conftest import make_tenant
from tests.surveys.conftest import make_survey_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

OTHER_SITE_HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; frame-src http://acme.localhost:*; style-src 'unsafe-inline'",
}


@pytest.fixture
def shop():
    """``shop(frame_url)`` → the address of another web site (a server of its own on the loopback
    address, so another site than acme.localhost) whose page shows ``frame_url`` in a frame."""
    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get("page", b"")
            self.send_response(200)
            for name, value in OTHER_SITE_HEADERS.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def serve(frame_url: str) -> str:
        pages["page"] = (
            "<!doctype html><html lang='en'><head><title>Shop</title></head><body><main><h1>Our shop</h1>"
            f"<iframe id='survey' title='Survey' src='{frame_url}' width='600' height='500'></iframe>"
            "</main></body></html>"
        ).encode()
        return f"http://127.0.0.1:{server.server_port}"

    yield serve
    server.shutdown()
    server.server_close()


def test_a_customer_answers_in_a_frame_on_the_companys_site(new_page, site, shop):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant)
    # The form only takes https sites; the test site is plain http, so it is listed directly.
    base = site("acme")
    shop_url = shop(f"{base}/s/{world.survey.token}/embed/?lang=fr")
    world.survey.embed_origins = [shop_url]
    with tenant_context(tenant):
        world.survey.save()
    page = new_page(locale="fr-FR")
    page.goto(f"{shop_url}/returns")
    frame = page.frame_locator("#survey")
    question = "Quelle est la probabilité que vous recommandiez Acme Retail à un ami ou à un collègue ?"
    expect(frame.get_by_role("heading", name=question)).to_be_visible()
    frame.get_by_role("button", name="3", exact=True).click()
    reason = frame.get_by_role("textbox")
    expect(reason).to_be_visible()
    reason.fill("Le remboursement a pris trois semaines.")
    frame.get_by_role("button", name=re.compile("Envoyer")).click()
    expect(frame.get_by_role("heading", name="Merci")).to_be_visible()
    with tenant_context(tenant):
        stored = SurveyResponse.objects.get()
    assert (stored.score, stored.comment, stored.segment["language"]) == (
        3,
        "Le remboursement a pris trois semaines.",
        "fr",
    )


def test_a_customer_answers_their_own_link_once_in_a_frame(new_page, site, shop):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant, asks_reason=False)
    link = survey_link_mint(tenant=tenant, survey=world.survey, respondent_ref="C-10442")
    base = site("acme")
    shop_url = shop(f"{base}/s/l/{link.token}/embed/?lang=en")
    world.survey.embed_origins = [shop_url]
    with tenant_context(tenant):
        world.survey.save()
    page = new_page()
    page.goto(f"{shop_url}/account")
    frame = page.frame_locator("#survey")
    frame.get_by_role("button", name="9", exact=True).click()
    expect(frame.get_by_role("heading", name="Thank you")).to_be_visible()
    with tenant_context(tenant):
        stored = SurveyResponse.objects.get()
    assert (stored.score, stored.respondent_ref) == (9, "C-10442")
    # The customer comes back to the page: the frame says the link is answered.
    page.reload()
    expect(frame.get_by_role("heading", name="You have already answered")).to_be_visible()
    expect(frame.get_by_role("button", name="9", exact=True)).to_have_count(0)
    with tenant_context(tenant):
        assert SurveyResponse.objects.count() == 1


def test_a_site_the_survey_does_not_list_gets_no_frame(new_page, site, shop, csp_watch):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant)
    base = site("acme")
    page = new_page()
    page.goto(f"{shop(f'{base}/s/{world.survey.token}/embed/')}/returns")
    page.wait_for_timeout(1000)
    frame = page.frame_locator("#survey")
    expect(frame.get_by_role("button", name="3", exact=True)).to_have_count(0)
    # The browser's refusal is the expected report here, not a fault of the product's pages.
    refused = [line for line in csp_watch.console if "frame-ancestors" in line]
    assert refused, csp_watch.console
    csp_watch.console = [line for line in csp_watch.console if line not in refused]


def test_a_score_tapped_in_an_email_is_sent_with_one_more_tap(new_page, site):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant, asks_reason=False)
    base = site("acme")
    with tenant_context(tenant):
        snippet = survey_email_snippet(survey=world.survey, language="en")
    page = new_page(viewport={"width": 390, "height": 844})
    # The mail client shows the snippet; its links go to the tenant's address (the live server).
    assert snippet.score_urls[8][1].startswith(f"{base}/s/")
    page.set_content(snippet.html)
    page.get_by_role("link", name="8", exact=True).click()
    expect(page.locator(".survey-confirm-score")).to_have_text("8")
    with tenant_context(tenant):
        assert SurveyResponse.objects.count() == 0  # opening the link stored nothing
    page.get_by_role("button", name="Send my score").click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    with tenant_context(tenant):
        assert SurveyResponse.objects.get().score == 8
