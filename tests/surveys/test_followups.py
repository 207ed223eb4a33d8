"""Follow-ups of unhappy answers: the rule (defaults and per survey), one follow-up per answer
in the answer's transaction, the reason and the contact joining it (only with consent), in
every language, the webhook event and the department's digest."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone, translation

from feedback.signals.models import SurveyResponse
from metrics.digests.selectors import digest_data, period_due
from metrics.digests.services import digest_render
from metrics.models import DigestSettings
from surveys import services
from surveys.followups.services import followup_close, followup_consent
from surveys.models import FollowUp
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import AuditEvent, Tenant
from tenants.services import tenant_settings_update
from tenants.webhooks.models import WebhookDelivery
from tenants.webhooks.services import webhook_endpoint_create
from tests.conftest import client_for
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


def _nonce(html: str) -> str:
    return re.search(r'name="nonce" value="([^"]+)"', html).group(1)


def _answer(client, world, score, *, lang="en"):
    page = client.get(f"/s/{world.survey.token}/?lang={lang}")
    data = {"score": score, "nonce": _nonce(page.content.decode()), "website": ""}
    return client.post(f"/s/{world.survey.token}/?lang={lang}", data)


def _followups(tenant) -> list[FollowUp]:
    with tenant_context(tenant):
        return list(FollowUp.objects.order_by("id"))


@pytest.mark.parametrize(
    ("measure", "unhappy", "happy"),
    [("nps", [0, 6], [7, 10]), ("csat", [1, 2], [3, 5]), ("ces", [1, 2], [3, 7])],
)
def test_the_standard_rule_per_measure(tenant, measure, unhappy, happy):
    world = make_survey_world(tenant, measure=None)
    services.survey_update(
        tenant=tenant,
        survey=world.survey,
        name="Returns counter",
        touchpoint=world.returns,
        department=world.service,
        measure=world.measures[measure],
    )
    for n, score in enumerate(unhappy + happy):
        services.survey_answer(tenant=tenant, survey=world.survey, score=score, nonce=f"n{n}")
    assert sorted(f.score for f in _followups(tenant)) == sorted(unhappy)


def test_a_survey_may_set_its_own_rule_on_its_scale(world):
    services.survey_update(
        tenant=world.tenant,
        survey=world.survey,
        name="Returns counter",
        touchpoint=world.returns,
        department=world.service,
        measure=world.measures["nps"],
        unhappy_at_most=4,
    )
    for n, score in enumerate([4, 5, 6]):
        services.survey_answer(tenant=world.tenant, survey=world.survey, score=score, nonce=f"n{n}")
    assert [f.score for f in _followups(world.tenant)] == [4]
    # The rule must leave a happy score on the survey's scale.
    with pytest.raises(DomainError, match=r"CSAT scale \(1–5\).*from 1 to 4") as error:
        services.survey_update(
            tenant=world.tenant,
            survey=world.survey,
            name="Returns counter",
            touchpoint=world.returns,
            department=world.service,
            measure=world.measures["csat"],
            unhappy_at_most=5,
        )
    assert error.value.field == "unhappy_at_most"


def test_the_survey_form_checks_the_rule_against_the_measure(world, member_clients):
    data = {
        "name": "Returns counter",
        "touchpoint": world.returns.pk,
        "department": world.service.pk,
        "measure": "ces",
        "asks_reason": "on",
        "unhappy_at_most": "7",
        "is_active": "on",
    }
    response = member_clients["admin"].post(f"/surveys/{world.survey.pk}/edit/", data)
    assert response.status_code == 200
    assert "On the CES scale (1–7)" in response.content.decode()
    data["unhappy_at_most"] = "3"
    assert member_clients["admin"].post(f"/surveys/{world.survey.pk}/edit/", data).status_code == 302
    with tenant_context(world.tenant):
        world.survey.refresh_from_db()
    assert world.survey.unhappy_at_most == 3


def test_a_follow_up_is_opened_once_with_the_department_due_time_and_reason(world):
    tenant_settings_update(
        tenant=world.tenant, name="Acme Retail", time_zone="Europe/Berlin", followup_due_hours=24
    )
    before = timezone.now()
    first = services.survey_answer(tenant=world.tenant, survey=world.survey, score=2, nonce="tap-1")
    # The same page sent again (a double tap, a retry): one answer, one follow-up.
    again = services.survey_answer(tenant=world.tenant, survey=world.survey, score=2, nonce="tap-1")
    assert again.duplicate and again.response_id == first.response_id
    (followup,) = _followups(world.tenant)
    assert followup.response_id == first.response_id
    assert (followup.department_id, followup.touchpoint_id, followup.survey_id) == (
        world.service.pk,
        world.returns.pk,
        world.survey.pk,
    )
    assert (followup.score, followup.status, followup.reason) == (2, "open", "")
    assert before + dt.timedelta(hours=24) <= followup.due_at <= timezone.now() + dt.timedelta(hours=24)
    token = services.answer_token(tenant=world.tenant, survey=world.survey, response_id=first.response_id)
    services.survey_answer_reason(
        tenant=world.tenant, survey=world.survey, token=token, reason="Nobody called."
    )
    (followup,) = _followups(world.tenant)
    assert followup.reason == "Nobody called."
    with tenant_context(world.tenant):
        assert AuditEvent.objects.filter(model="surveys.FollowUp", action="insert").count() == 1


def test_the_due_time_setting_is_checked(world, member_clients):
    response = member_clients["admin"].post(
        "/admin/settings/",
        {"name": "Acme Retail", "time_zone": "Europe/Berlin", "followup_due_hours": "0"},
    )
    assert response.status_code == 200
    assert "A follow-up needs at least 1 hour" in response.content.decode()
    response = member_clients["admin"].post(
        "/admin/settings/",
        {"name": "Acme Retail", "time_zone": "Europe/Berlin", "followup_due_hours": "72"},
    )
    assert response.status_code == 302
    assert Tenant.objects.get(pk=world.tenant.pk).followup_due_hours == 72


def test_a_happy_answer_asks_no_consent_and_opens_nothing(tenant):
    world = make_survey_world(tenant, asks_consent=True)
    client = client_for("acme")
    score = _answer(client, world, 9)
    reason = client.post(score["Location"], {"reason": "Quick.", "website": ""})
    assert reason["Location"] == f"/s/{world.survey.token}/thanks/?lang=en"
    assert _followups(tenant) == []


def test_a_detractor_who_consents_leaves_a_contact_on_the_follow_up_only(tenant):
    world = make_survey_world(tenant, asks_consent=True)
    client = client_for("acme")
    score = _answer(client, world, 3)
    contact_url = client.post(score["Location"], {"reason": "Refund never came.", "website": ""})["Location"]
    assert re.fullmatch(rf"/s/{world.survey.token}/contact/[^/]+/\?lang=en", contact_url)
    question = client.get(contact_url).content.decode()
    assert "May we contact you about your answer?" in question
    assert 'name="email"' not in question  # the fields come only after a yes
    details = client.post(contact_url, {"consent": "yes", "step": "choose", "website": ""})
    assert details.status_code == 200 and 'name="email"' in details.content.decode()
    # Neither field: a clear error, nothing stored.
    empty = client.post(
        contact_url, {"consent": "yes", "step": "details", "email": "", "phone": "", "website": ""}
    )
    assert empty.status_code == 400
    assert "give your e-mail address or your phone number" in empty.content.decode()
    bad = client.post(
        contact_url, {"consent": "yes", "step": "details", "email": "kim@", "phone": "12", "website": ""}
    )
    html = bad.content.decode()
    assert "Enter your e-mail address in the form name@example.com." in html
    assert "Enter your phone number with digits only (6 to 15)" in html
    assert _followups(tenant)[0].consented_at is None
    done = client.post(
        contact_url,
        {
            "consent": "yes",
            "step": "details",
            "email": "kim@example.com",
            "phone": "+49 30 1234567",
            "website": "",
        },
    )
    assert done["Location"] == f"/s/{world.survey.token}/thanks/?lang=en"
    (followup,) = _followups(tenant)
    assert (followup.contact_email, followup.contact_phone) == ("kim@example.com", "+49 30 1234567")
    assert followup.consented_at is not None and followup.reason == "Refund never came."
    with tenant_context(tenant):
        response = SurveyResponse.objects.get()
        # The answer itself keeps no contact, and the audit trail never copies it.
        assert "kim@example.com" not in str(response.segment) + response.comment + response.respondent_ref
        trail = " ".join(str(e.changes) for e in AuditEvent.objects.filter(model="surveys.FollowUp"))
    assert "kim@example.com" not in trail and "1234567" not in trail
    # The page is asked once: sent again, it leads to the thanks.
    assert client.get(contact_url)["Location"] == f"/s/{world.survey.token}/thanks/?lang=en"


def test_without_consent_no_contact_is_stored(tenant):
    world = make_survey_world(tenant, asks_consent=True, asks_reason=False)
    client = client_for("acme")
    contact_url = _answer(client, world, 1)["Location"]
    assert "/contact/" in contact_url
    done = client.post(
        contact_url, {"consent": "no", "step": "details", "email": "kim@example.com", "website": ""}
    )
    assert done["Location"] == f"/s/{world.survey.token}/thanks/?lang=en"
    (followup,) = _followups(tenant)
    assert (followup.consented_at, followup.contact_email, followup.contact_phone) == (None, "", "")
    # And the service refuses to keep a contact without a yes.
    followup_consent(
        tenant=tenant,
        survey=world.survey,
        response_id=followup.response_id,
        consent=False,
        email="x@example.com",
    )
    assert _followups(tenant)[0].contact_email == ""


CONSENT_TEXTS = {
    "en": (
        "May we contact you about your answer?",
        "Enter your e-mail address in the form name@example.com.",
    ),
    "de": (
        "Dürfen wir Sie zu Ihrer Antwort kontaktieren?",
        "Geben Sie Ihre E-Mail-Adresse in der Form name@example.com ein.",
    ),
    "fr": (
        "Pouvons-nous vous contacter au sujet de votre réponse ?",
        "Saisissez votre adresse e-mail sous la forme nom@example.com.",
    ),
    "es": (
        "¿Podemos contactarle sobre su respuesta?",
        "Escriba su correo electrónico con el formato nombre@example.com.",
    ),
}


@pytest.mark.parametrize("lang", list(CONSENT_TEXTS))
def test_the_consent_question_and_its_errors_in_each_language(tenant, lang):
    world = make_survey_world(tenant, asks_consent=True, asks_reason=False)
    client = client_for("acme")
    contact_url = _answer(client, world, 0, lang=lang)["Location"]
    question, email_error = CONSENT_TEXTS[lang]
    page = client.get(contact_url)
    assert question in page.content.decode() and page["Content-Language"] == lang
    bad = client.post(contact_url, {"consent": "yes", "step": "details", "email": "kim@", "website": ""})
    assert bad.status_code == 400 and email_error in bad.content.decode()
    with translation.override(lang), pytest.raises(DomainError) as error:
        followup_consent(
            tenant=tenant,
            survey=world.survey,
            response_id=_followups(tenant)[0].response_id,
            consent=True,
            email="kim@",
        )
    assert error.value.message == email_error


def test_the_followup_created_event_is_sent_in_the_answers_transaction(world, settings):
    settings.CXGOV_WEBHOOKS_ALLOW_LOOPBACK = True
    webhook_endpoint_create(tenant=world.tenant, url="http://127.0.0.1:9/hook", events=["followup.created"])
    answer = services.survey_answer(tenant=world.tenant, survey=world.survey, score=5, nonce="w1")
    services.survey_answer(tenant=world.tenant, survey=world.survey, score=9, nonce="w2")  # happy: no event
    with tenant_context(world.tenant):
        (delivery,) = WebhookDelivery.objects.all()
    assert delivery.event_type == "followup.created"
    data = delivery.payload["data"]["followup"]
    assert (data["response_id"], data["score"], data["measure"]) == (answer.response_id, 5, "nps")
    assert data["department"]["name"] == "Customer Service" and data["consented"] is False
    assert "contact" not in data
    assert delivery.payload["summary"].startswith("Unhappy answer: NPS 5 at Returns — Customer Service")


def test_open_follow_ups_appear_in_the_departments_digest(world, django_assert_max_num_queries):
    services.survey_answer(tenant=world.tenant, survey=world.survey, score=1, nonce="d1")
    second = services.survey_answer(tenant=world.tenant, survey=world.survey, score=4, nonce="d2")
    with tenant_context(world.tenant):
        closed = FollowUp.objects.get(response_id=second.response_id)
    followup_close(tenant=world.tenant, followup=closed, outcome="resolved", note="Refunded.")
    now = timezone.now() + dt.timedelta(days=8)
    with tenant_context(world.tenant):
        period = period_due(tenant=world.tenant, schedule=DigestSettings(tenant=world.tenant), now=now)
        data = digest_data(tenant=world.tenant, department=world.service, period=period, now=now)
        other = digest_data(tenant=world.tenant, department=world.marketing, period=period, now=now)
    (row,) = data.slice["followups"]["open"]
    assert (row["score"], row["measure"], row["touchpoint"]) == (1, "NPS", "Returns")
    assert row["url"].endswith(f"/followups/{row['id']}/") and row["overdue"] is True
    assert data.slice["is_empty"] is False
    assert other.slice["followups"]["open"] == []
    rendered = digest_render(data)
    assert "Open follow-ups of unhappy survey answers (1):" in rendered.text
    assert "Open follow-ups of unhappy survey answers (1)" in rendered.html


def test_closing_needs_an_outcome_and_a_note_and_happens_once(world, manager_membership):
    services.survey_answer(tenant=world.tenant, survey=world.survey, score=2, nonce="c1")
    (followup,) = _followups(world.tenant)
    with pytest.raises(DomainError, match="Choose the outcome") as error:
        followup_close(tenant=world.tenant, followup=followup, outcome="happy", note="x")
    assert error.value.field == "outcome"
    with pytest.raises(DomainError, match="Write a note") as error:
        followup_close(tenant=world.tenant, followup=followup, outcome="contacted", note="  ")
    assert error.value.field == "note"
    followup_close(
        tenant=world.tenant,
        followup=followup,
        outcome="could_not_reach",
        note="Called twice.",
        closed_by=manager_membership,
    )
    (stored,) = _followups(world.tenant)
    assert (stored.status, stored.outcome, stored.note, stored.closed_by_id) == (
        "closed",
        "could_not_reach",
        "Called twice.",
        manager_membership.pk,
    )
    with pytest.raises(DomainError, match="already closed") as error:
        followup_close(tenant=world.tenant, followup=stored, outcome="resolved", note="Again.")
    assert error.value.code == "closed"
    with tenant_context(world.tenant):
        assert AuditEvent.objects.filter(model="surveys.FollowUp", action="update").exists()


@pytest.fixture
def manager_membership(world):
    from tenants.models import Membership

    with tenant_context(world.tenant):
        return Membership.objects.get(user__email="manager@acme.test")


def test_a_personalised_links_pages_never_show_the_surveys_token(tenant):
    world = make_survey_world(tenant, asks_consent=True)
    link = services.survey_link_mint(tenant=tenant, survey=world.survey, respondent_ref="C-7")
    client = client_for("acme")
    page = client.get(f"/s/l/{link.token}/?lang=de").content.decode()
    score = client.post(f"/s/l/{link.token}/?lang=de", {"score": 2, "nonce": _nonce(page), "website": ""})
    visited = [score["Location"]]
    assert visited[0].startswith(f"/s/l/{link.token}/why/")
    contact = client.post(visited[0], {"reason": "Zu langsam.", "website": ""})["Location"]
    assert contact.startswith(f"/s/l/{link.token}/contact/")
    details = client.post(contact, {"consent": "yes", "step": "choose", "website": ""})
    done = client.post(
        contact, {"consent": "yes", "step": "details", "phone": "+49 30 1234567", "website": ""}
    )
    assert done["Location"] == f"/s/l/{link.token}/thanks/?lang=de"
    pages = [client.get(url).content.decode() for url in (visited[0], done["Location"])]
    for html in [page, details.content.decode(), *pages]:
        assert world.survey.token not in html
    (followup,) = _followups(tenant)
    assert (followup.reason, followup.contact_phone, followup.language) == (
        "Zu langsam.",
        "+49 30 1234567",
        "de",
    )
    # Another answer's token does not open under this link.
    other = services.survey_answer(tenant=tenant, survey=world.survey, score=1, nonce="anon")
    token = services.answer_token(tenant=tenant, survey=world.survey, response_id=other.response_id)
    assert client.get(f"/s/l/{link.token}/contact/{token}/").status_code == 404


def test_the_due_time_counts_business_hours_when_the_tenant_says_so(world):
    from zoneinfo import ZoneInfo

    import time_machine

    from tenants.calendars.services import business_calendar_save

    berlin = ZoneInfo("Europe/Berlin")
    office = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    tenant_settings_update(
        tenant=world.tenant,
        name="Acme Retail",
        time_zone="Europe/Berlin",
        followup_due_hours=10,
        business_hours_clocks=True,
    )
    business_calendar_save(tenant=world.tenant, weekly_hours=office, country="DE", subdivision="BY")
    world.tenant.refresh_from_db()
    # Friday 6 March 2026, 15:00: 2 hours that day, then 8 hours on Monday: due Monday 17:00.
    with time_machine.travel(dt.datetime(2026, 3, 6, 15, tzinfo=berlin), tick=False):
        services.survey_answer(tenant=world.tenant, survey=world.survey, score=1, nonce="tap-biz")
    (followup,) = _followups(world.tenant)
    assert followup.due_at == dt.datetime(2026, 3, 9, 17, tzinfo=berlin)
    # Off again: plain hours.
    tenant_settings_update(
        tenant=world.tenant, name="Acme Retail", time_zone="Europe/Berlin", business_hours_clocks=False
    )
    world.tenant.refresh_from_db()
    with time_machine.travel(dt.datetime(2026, 3, 6, 15, tzinfo=berlin), tick=False):
        services.survey_answer(tenant=world.tenant, survey=world.survey, score=1, nonce="tap-plain")
    assert _followups(world.tenant)[1].due_at == dt.datetime(2026, 3, 7, 1, tzinfo=berlin)
