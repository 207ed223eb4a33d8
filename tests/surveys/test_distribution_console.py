"""The staff's side of survey distribution: wording per language and the sites that may embed a
survey (validated per field), the snippet on the survey page, and the list of personalised links
(filters, pages, a constant number of queries, withdrawing, who may, another tenant's)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys import services
from surveys.models import Survey, SurveyLink
from tenants.context import tenant_context
from tenants.models import AuditEvent, Tenant, User
from tenants.sites import tenant_url
from tests.conftest import enrol_totp, signed_in
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(world):
    enrol_totp(User.objects.get(email="admin@acme.test"))
    return signed_in("acme", "admin@acme.test")


@pytest.fixture
def manager(world):
    return signed_in("acme", "manager@acme.test")


def _form(world, **extra) -> dict:
    return {
        "name": "Returns counter",
        "touchpoint": world.returns.pk,
        "department": world.service.pk,
        "measure": "nps",
        "asks_reason": "on",
        "thank_you": "",
        "is_active": "on",
        **extra,
    }


def _mint(world, ref: str, **fields) -> SurveyLink:
    return services.survey_link_mint(tenant=world.tenant, survey=world.survey, respondent_ref=ref, **fields)


def test_an_admin_words_the_survey_per_language_and_lists_embedding_sites(admin, world):
    data = _form(
        world,
        wording_de_question="Würden Sie uns weiterempfehlen?",
        wording_de_thank_you="Danke!",
        wording_es_reason="  ¿Por qué?  ",
        embed_origins="https://shop.example.com\nhttps://Help.Example.com/\n\nhttps://shop.example.com",
    )
    assert admin.post(f"/surveys/{world.survey.pk}/edit/", data).status_code == 302
    with tenant_context(world.tenant):
        survey = Survey.objects.get(pk=world.survey.pk)
    assert survey.wording == {
        "de": {"question": "Würden Sie uns weiterempfehlen?", "thank_you": "Danke!"},
        "es": {"reason": "¿Por qué?"},
    }
    assert survey.embed_origins == ["https://shop.example.com", "https://help.example.com"]
    form = admin.get(f"/surveys/{world.survey.pk}/edit/").content.decode()
    assert "Würden Sie uns weiterempfehlen?" in form and "https://help.example.com" in form
    with tenant_context(world.tenant):
        change = AuditEvent.objects.filter(
            model="surveys.Survey", object_id=str(survey.pk), action="update"
        ).last()
    assert change is not None
    # Emptied, a language's text is the standard one again.
    assert admin.post(f"/surveys/{world.survey.pk}/edit/", _form(world)).status_code == 302
    with tenant_context(world.tenant):
        survey.refresh_from_db()
    assert (survey.wording, survey.embed_origins) == ({}, [])


@pytest.mark.parametrize(
    ("extra", "field", "words"),
    [
        ({"embed_origins": "http://shop.example.com"}, "embed_origins", "https://host"),
        ({"embed_origins": "https://shop.example.com/survey"}, "embed_origins", "without a path"),
        ({"embed_origins": "https://*.example.com"}, "embed_origins", "https://host"),
        (
            {"embed_origins": "\n".join(f"https://s{i}.example.com" for i in range(11))},
            "embed_origins",
            "at most 10",
        ),
        ({"wording_fr_question": "x" * 301}, "wording_fr_question", "at most 300"),
        ({"wording_de_question": "Wie <b>gut</b>?"}, "wording_de_question", "plain text"),
        ({"wording_de_reason": "Warum\x00?"}, "wording_de_reason", ""),
    ],
)
def test_bad_wording_or_sites_are_refused_per_field(admin, world, extra, field, words):
    response = admin.post(f"/surveys/{world.survey.pk}/edit/", _form(world, **extra))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and words in errors[field][0], errors
    with tenant_context(world.tenant):
        survey = Survey.objects.get(pk=world.survey.pk)
    assert (survey.wording, survey.embed_origins) == ({}, [])


def test_the_survey_page_offers_the_snippet_and_the_frame_code(admin, world):
    _mint(world, "C-1")
    page = admin.get(f"/surveys/{world.survey.pk}/?snippet_lang=es").content.decode()
    assert 'id="survey-snippet"' in page and f"/s/{world.survey.token}/score/10/?lang=es" in page
    assert f"/s/{world.survey.token}/embed/" in page
    assert "1 personalised link " in page and f"/surveys/{world.survey.pk}/links/" in page


def test_the_links_are_listed_filtered_and_paged(admin, world):
    Tenant.objects.filter(pk=world.tenant.pk).update(survey_suppression_days=0)
    answered = _mint(world, "A-1")
    services.survey_link_answer(tenant=world.tenant, link=answered, score=9, nonce="n1")
    revoked = _mint(world, "R-1")
    services.survey_link_revoke(tenant=world.tenant, link=revoked)
    expired = _mint(world, "E-1")
    with tenant_context(world.tenant):
        SurveyLink.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    for n in range(3):
        _mint(world, f"O-{n}")
    base = f"/surveys/{world.survey.pk}/links/"

    def refs(query: str) -> list[str]:
        response = admin.get(base + query)
        assert response.status_code == 200
        return [link.respondent_ref for link, *_rest in response.context["rows"]]

    assert refs("") == ["O-2", "O-1", "O-0", "E-1", "R-1", "A-1"]
    assert refs("?state=open") == ["O-2", "O-1", "O-0"]
    assert refs("?state=answered") == ["A-1"]
    assert refs("?state=revoked") == ["R-1"]
    assert refs("?state=expired") == ["E-1"]
    assert refs("?respondent=O-1") == ["O-1"]
    assert refs("?state=bogus&page=99") == ["O-2", "O-1", "O-0", "E-1", "R-1", "A-1"]


def test_each_link_is_listed_with_its_page_and_its_page_to_frame(admin, world):
    link = _mint(world, "C-1")
    page = admin.get(f"/surveys/{world.survey.pk}/links/").content.decode()
    for path in (f"/s/l/{link.token}/", f"/s/l/{link.token}/embed/"):
        url = tenant_url(world.tenant, path)
        assert f'href="{url}">{url}</a>' in page


def test_the_links_page_takes_the_same_queries_however_many_links(admin, world):
    Tenant.objects.filter(pk=world.tenant.pk).update(survey_suppression_days=0)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert admin.get(f"/surveys/{world.survey.pk}/links/").status_code == 200
        return len(captured)

    _mint(world, "C-0")
    few = queries()
    services.survey_links_mint_bulk(
        tenant=world.tenant, survey=world.survey, items=[{"respondent_ref": f"C-{n}"} for n in range(1, 120)]
    )
    assert queries() == few
    page = admin.get(f"/surveys/{world.survey.pk}/links/?page=3").content.decode()
    assert "Page 3 of 3" in page


def test_an_admin_withdraws_a_link(admin, world):
    link = _mint(world, "C-1")
    response = admin.post(f"/surveys/{world.survey.pk}/links/{link.pk}/revoke/", {"next": "/elsewhere/"})
    assert response.status_code == 302 and response["Location"] == f"/surveys/{world.survey.pk}/links/"
    with tenant_context(world.tenant):
        link.refresh_from_db()
        assert link.revoked_at is not None
        assert AuditEvent.objects.filter(
            model="surveys.SurveyLink", object_id=str(link.pk), action="update"
        ).exists()
    page = admin.get(f"/surveys/{world.survey.pk}/links/?state=revoked").content.decode()
    assert "C-1" in page and "Withdrawn" in page


def test_a_manager_sees_only_their_departments_links(manager, world, marketing_manager):
    theirs = services.survey_create(
        tenant=world.tenant,
        name="Marketing booth",
        touchpoint=world.returns,
        department=world.marketing,
        measure=world.measures["nps"],
    )
    link = services.survey_link_mint(tenant=world.tenant, survey=theirs, respondent_ref="M-1")
    assert manager.get(f"/surveys/{world.survey.pk}/links/").status_code == 200
    assert manager.get(f"/surveys/{theirs.pk}/links/").status_code == 403
    assert manager.post(f"/surveys/{theirs.pk}/links/{link.pk}/revoke/").status_code == 403
    # Its id under the manager's own survey: no such link there.
    assert manager.post(f"/surveys/{world.survey.pk}/links/{link.pk}/revoke/").status_code == 404
    with tenant_context(world.tenant):
        assert SurveyLink.objects.get(pk=link.pk).revoked_at is None


@pytest.mark.parametrize("role", ["employee", "viewer"])
def test_employees_and_viewers_see_no_links(world, role):
    link = _mint(world, "C-1")
    client = signed_in("acme", f"{role}@acme.test")
    assert client.get(f"/surveys/{world.survey.pk}/links/").status_code == 403
    assert client.post(f"/surveys/{world.survey.pk}/links/{link.pk}/revoke/").status_code == 403


def test_another_tenants_links_are_not_found(admin, world, other_tenant):
    other = make_survey_world(other_tenant)
    theirs = services.survey_link_mint(tenant=other_tenant, survey=other.survey, respondent_ref="C-1")
    assert admin.get(f"/surveys/{other.survey.pk}/links/").status_code == 404
    assert admin.post(f"/surveys/{other.survey.pk}/links/{theirs.pk}/revoke/").status_code == 404
    assert admin.post(f"/surveys/{world.survey.pk}/links/{theirs.pk}/revoke/").status_code == 404
    with tenant_context(other_tenant):
        assert SurveyLink.objects.get(pk=theirs.pk).revoked_at is None
