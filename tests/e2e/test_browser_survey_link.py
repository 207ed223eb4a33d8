"""A partner system mints a personalised survey link over the API; the customer opens it in a
browser and answers; opened again, the link says it was already answered."""

import json
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from feedback.signals.models import SurveyResponse
from surveys.models import SurveyLink
from tenants.context import tenant_context
from tenants.services import api_key_create
from tests.conftest import make_tenant
from tests.surveys.conftest import make_survey_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_customer_answers_a_minted_link_once(new_page, site):
    tenant = make_tenant("acme", "Acme Retail")
    world = make_survey_world(tenant, asks_reason=False)
    secret = api_key_create(tenant=tenant, name="CRM", scopes=["surveys:write"]).secret
    base = site("acme")
    page = new_page(viewport={"width": 390, "height": 844}, locale="en-GB")

    # The partner system calls the live server (its resolver knows no *.localhost: the address
    # goes in the Host header).
    minted = urllib.request.urlopen(
        urllib.request.Request(
            f"http://127.0.0.1:{urllib.parse.urlsplit(base).port}/api/v1/surveys/{world.survey.pk}/links",
            data=json.dumps({"respondent_ref": "C-10442", "segment": {"channel": "email"}}).encode(),
            headers={
                "Authorization": f"Bearer {secret}",
                "Content-Type": "application/json",
                "Host": urllib.parse.urlsplit(base).netloc,
            },
            method="POST",
        ),
        timeout=30,
    )
    assert minted.status == 201
    url = json.loads(minted.read())["url"]
    assert url.startswith(f"{base}/s/l/")

    page.goto(url)
    question = "How likely are you to recommend Acme Retail to a friend or colleague?"
    expect(page.get_by_role("heading", name=question)).to_be_visible()
    page.get_by_role("button", name="10", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    with tenant_context(tenant):
        stored = SurveyResponse.objects.get()
        assert (stored.score, stored.respondent_ref) == (10, "C-10442")
        assert stored.segment == {"channel": "email", "link": "personal", "language": "en"}
        assert SurveyLink.objects.get().response_id == stored.pk

    page.goto(url)
    expect(page.get_by_role("heading", name="You have already answered")).to_be_visible()
    expect(page.get_by_role("button", name="10", exact=True)).to_have_count(0)
    with tenant_context(tenant):
        assert SurveyResponse.objects.count() == 1
