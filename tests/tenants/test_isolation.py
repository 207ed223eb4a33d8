"""Tenant isolation for every tenant-owned model, as the application's database role.

Models are found by introspection (``tests.factories.tenant_models``): a new subclass of
``TenantModel`` is covered without touching this file.
"""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, models, transaction
from django.test.utils import isolate_apps

from feedback.stories.models import Story
from tenants.context import TenantContextMissing, TenantMismatch, tenant_context
from tenants.models import Tenant, TenantModel
from tests.factories import make_row, tenant_models

MODELS = tenant_models()


def _ids(model):
    return model._meta.label


def _first_editable_column(model) -> models.Field:
    for field in model._meta.concrete_fields:
        if not field.primary_key and field.name != "tenant":
            return field
    raise AssertionError(f"{model._meta.label} has no column besides id and tenant")


@pytest.fixture
def rows(tenant, other_tenant):
    """One row of each model per tenant: {model: (row of A, row of B)}."""

    def build(model):
        with tenant_context(tenant):
            a = make_row(model, tenant)
        with tenant_context(other_tenant):
            b = make_row(model, other_tenant)
        return a, b

    return build


def test_runs_as_the_application_role(db, settings):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, session_user")
        current_user, session_user = cursor.fetchone()
    assert current_user == settings.CXGOV_DB_APP_ROLE
    assert session_user != current_user


def _uncovered_tenant_models(registry) -> list[str]:
    """Models whose rows belong to a tenant but that are no ``TenantModel`` (so they have no
    scoped manager, no row-level security and no place in the tests below): any model of any
    installed app, auto-created many-to-many tables included, that holds a foreign key to
    ``Tenant`` or to a tenant-owned model, or a many-to-many between tenant-owned models."""

    def tenant_owned(model) -> bool:
        return model is Tenant or (isinstance(model, type) and issubclass(model, TenantModel))

    uncovered = []
    for model in registry.get_models(include_auto_created=True):
        if issubclass(model, TenantModel):
            continue
        references = [f.related_model for f in model._meta.concrete_fields if f.is_relation]
        references += [f.related_model for f in model._meta.many_to_many]
        if any(tenant_owned(related) for related in references):
            uncovered.append(model._meta.label)
    return sorted(uncovered)


def test_every_tenant_model_is_covered():
    assert _uncovered_tenant_models(apps) == []
    # The parametrized tests below run over MODELS, the TenantModels there are.
    assert {"feedback.Story", "promises.Commitment", "tenants.Membership", "metrics.Digest"} <= {
        m._meta.label for m in MODELS
    }


@isolate_apps("feedback")
def test_a_model_holding_tenant_rows_without_the_base_is_found():
    """The check above fails for a model that forgot ``TenantModel`` — whether it points at the
    tenant, at a tenant's row, or links tenant rows many-to-many."""

    class Note(models.Model):  # noqa: DJ008 (a throwaway model)
        tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE)

        class Meta:
            app_label = "feedback"

    class StoryLink(models.Model):  # noqa: DJ008 (a throwaway model)
        story = models.ForeignKey(Story, on_delete=models.CASCADE)

        class Meta:
            app_label = "feedback"

    class Tagging(models.Model):  # noqa: DJ008 (a throwaway model)
        stories = models.ManyToManyField(Story)

        class Meta:
            app_label = "feedback"

    class Global(models.Model):  # noqa: DJ008 (a throwaway model)
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "feedback"

    isolated = Note._meta.apps
    assert isolated is not apps
    assert _uncovered_tenant_models(isolated) == [
        "feedback.Note",
        "feedback.StoryLink",
        "feedback.Tagging",
        "feedback.Tagging_stories",
    ]


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_query_without_tenant_raises(model, db):
    with pytest.raises(TenantContextMissing):
        list(model.objects.all())


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_orm_sees_only_the_active_tenant(model, rows, tenant, other_tenant):
    a, b = rows(model)
    with tenant_context(other_tenant):
        assert not model.objects.filter(pk=a.pk).exists()
        assert model.objects.filter(pk=b.pk).exists()
        # Even the explicit bypass sees nothing of A: the database refuses it underneath.
        assert set(model.objects.unscoped().values_list("tenant_id", flat=True)) == {other_tenant.id}


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_raw_sql_sees_only_the_setting_tenant(model, rows, tenant, other_tenant):
    rows(model)
    table = model._meta.db_table
    with tenant_context(other_tenant), connection.cursor() as cursor:
        cursor.execute(f'SELECT DISTINCT tenant_id FROM "{table}"')
        assert [r[0] for r in cursor.fetchall()] == [other_tenant.id]


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_raw_sql_without_setting_sees_nothing(model, rows):
    rows(model)
    with tenant_context(None), connection.cursor() as cursor:
        cursor.execute(f'SELECT count(*) FROM "{model._meta.db_table}"')
        assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_inserting_another_tenants_row_fails(model, rows, tenant, other_tenant):
    a, _ = rows(model)
    with tenant_context(other_tenant):
        copy = (
            model.objects.unscoped()
            .none()
            .model(
                **{f.attname: getattr(a, f.attname) for f in model._meta.concrete_fields if not f.primary_key}
            )
        )
        assert copy.tenant_id == tenant.id
        with pytest.raises(TenantMismatch):
            copy.save()
        # Past the Python check, the database's WITH CHECK refuses the row as well.
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            models.Model.save(copy)


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_updating_or_deleting_another_tenants_rows_touches_nothing(model, rows, tenant, other_tenant):
    a, _ = rows(model)
    column = _first_editable_column(model)
    table = model._meta.db_table
    with tenant_context(other_tenant):
        assert (
            model.objects.unscoped().filter(pk=a.pk).update(**{column.attname: getattr(a, column.attname)})
            == 0
        )
        assert model.objects.unscoped().filter(pk=a.pk).delete()[0] == 0
        with connection.cursor() as cursor:
            cursor.execute(f'UPDATE "{table}" SET tenant_id = tenant_id WHERE id = %s', [a.pk])
            assert cursor.rowcount == 0
            cursor.execute(f'DELETE FROM "{table}" WHERE id = %s', [a.pk])
            assert cursor.rowcount == 0
    with tenant_context(tenant):
        assert model.objects.filter(pk=a.pk).exists()


@pytest.mark.parametrize("model", MODELS, ids=_ids)
def test_moving_a_row_to_another_tenant_fails(model, rows, tenant, other_tenant):
    a, _ = rows(model)
    with tenant_context(tenant):
        # Refused by the policy's WITH CHECK (or, for the audit trail, before that: append-only).
        with pytest.raises(DatabaseError, match="row-level security|append-only"), transaction.atomic():
            model.objects.filter(pk=a.pk).update(tenant_id=other_tenant.id)
        assert model.objects.filter(pk=a.pk).exists()


# --- Endpoints of action plans ---------------------------------------------------------------------


def test_action_endpoints_and_pages_answer_another_tenants_action_as_missing(tenant, other_tenant):
    """An action of tenant B is "not found" to A's API key and A's admin, on every route of its own
    and in every list; A's key and admin still reach A's own action."""
    from metrics.models import Action
    from tenants.models import User
    from tenants.services import api_key_create
    from tests.conftest import enrol_totp, signed_in
    from tests.feedback.conftest import client_with

    ids = {}
    for t in (tenant, other_tenant):
        with tenant_context(t):
            ids[t.slug] = make_row(Action, t).pk
    key = client_with(api_key_create(tenant=tenant, name="Planner", scopes=["actions:write"]).secret)
    enrol_totp(User.objects.get(email="admin@acme.test"))
    admin = signed_in("acme", "admin@acme.test")
    theirs, mine = ids["globex"], ids["acme"]
    assert key.get(f"/api/v1/actions/{theirs}").status_code == 404
    assert key.patch(f"/api/v1/actions/{theirs}", {"notes": "x"}, format="json").status_code == 404
    assert [a["id"] for a in key.get("/api/v1/actions").json()["results"]] == [mine]
    assert key.get(f"/api/v1/actions/{mine}").status_code == 200
    assert admin.get(f"/actions/{theirs}/").status_code == 404
    assert admin.post(f"/actions/{theirs}/", {"status": "done"}).status_code == 404
    assert admin.get(f"/actions/{mine}/").status_code == 200
    listed = admin.get("/actions/").content.decode()
    assert f'data-action="{mine}"' in listed and f'data-action="{theirs}"' not in listed
    with tenant_context(other_tenant):
        assert Action.objects.get(pk=theirs).notes == ""


def test_import_and_settings_endpoints_reach_only_the_keys_tenant(tenant, other_tenant):
    """Tenant B's key neither reads nor changes A's imports or settings: an upload lands in B,
    a settings change changes B."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from feedback.imports.models import SignalImport
    from tenants.models import Tenant
    from tenants.services import api_key_create
    from tests.feedback.conftest import client_with

    def key(t, scopes):
        return client_with(api_key_create(tenant=t, name="Partner", scopes=scopes).secret)

    with tenant_context(tenant):
        mine = make_row(SignalImport, tenant).pk
    theirs = key(other_tenant, ["feedback:write", "tenant:settings"])
    assert theirs.get(f"/api/v1/imports/{mine}").status_code == 404
    assert theirs.get("/api/v1/imports").json()["results"] == []
    csv = SimpleUploadedFile("s.csv", b"external_id,text,occurred_at,touchpoint\n", content_type="text/csv")
    created = theirs.post("/api/v1/imports", {"kind": "stories", "file": csv}, format="multipart")
    assert created.status_code == 202, created.content
    with tenant_context(tenant):
        assert list(SignalImport.objects.values_list("pk", flat=True)) == [mine]
    with tenant_context(other_tenant):
        assert SignalImport.objects.filter(pk=created.json()["id"]).exists()
    assert (
        theirs.patch("/api/v1/tenant/settings", {"followup_due_hours": 5}, format="json").status_code == 200
    )
    assert Tenant.objects.get(pk=tenant.pk).followup_due_hours == 48
    assert Tenant.objects.get(pk=other_tenant.pk).followup_due_hours == 5
    assert key(tenant, ["tenant:settings"]).get("/api/v1/tenant/settings").json()["followup_due_hours"] == 48


# --- Public pages of personalised links ------------------------------------------------------------


def test_another_tenants_personalised_link_is_not_found_on_any_embedded_page(tenant, other_tenant):
    """B's link, on A's address: its page to frame and the pages after it (embedded) answer 404,
    are framed by no site of B's survey, and take no answer; on B's address the link works."""
    from django.test import Client

    from feedback.signals.models import SurveyResponse
    from surveys.models import SurveyLink
    from surveys.services import answer_token, survey_link_answer, survey_link_mint
    from tests.surveys.conftest import make_survey_world

    theirs = make_survey_world(other_tenant, embed_origins=["https://globex-shop.example"])
    link = survey_link_mint(tenant=other_tenant, survey=theirs.survey, respondent_ref="C-1")
    answered = survey_link_mint(tenant=other_tenant, survey=theirs.survey, respondent_ref="C-2")
    answer = survey_link_answer(tenant=other_tenant, link=answered, score=1, nonce="isolation")
    signed = answer_token(tenant=other_tenant, survey=theirs.survey, response_id=answer.response_id)
    acme = Client(HTTP_HOST="acme.localhost", enforce_csrf_checks=True)
    for method, path in [
        ("get", f"/s/l/{link.token}/embed/"),
        ("post", f"/s/l/{link.token}/embed/"),
        ("get", f"/s/l/{answered.token}/why/{signed}/?embed=1"),
        ("post", f"/s/l/{answered.token}/why/{signed}/?embed=1"),
        ("get", f"/s/l/{answered.token}/contact/{signed}/?embed=1"),
        ("get", f"/s/l/{answered.token}/thanks/?embed=1"),
    ]:
        if method == "post":
            response = acme.post(path, {"score": 5, "nonce": "n" * 22, "reason": "x"})
        else:
            response = acme.get(path)
        assert response.status_code == 404, (method, path)
        assert "globex-shop.example" not in response["Content-Security-Policy"], path
    with tenant_context(other_tenant):
        assert SurveyLink.objects.get(pk=link.pk).answered_at is None
        assert SurveyResponse.objects.get(pk=answer.response_id).comment == ""
    page = Client(HTTP_HOST="globex.localhost").get(f"/s/l/{link.token}/embed/")
    assert page.status_code == 200 and "https://globex-shop.example" in page["Content-Security-Policy"]


# --- Endpoints of follow-ups ------------------------------------------------------------------


def test_follow_up_endpoints_and_pages_answer_another_tenants_follow_up_as_missing(tenant, other_tenant):
    """A follow-up of tenant B is "not found" to A's API key and A's admin, on every route of its
    own (read, assign, close) and in every list; A's key and admin still reach A's own, and A's
    key cannot make B's member the owner of A's follow-up."""
    from surveys.models import FollowUp
    from tenants.models import User
    from tenants.services import api_key_create
    from tests.conftest import enrol_totp, signed_in
    from tests.feedback.conftest import client_with

    ids = {}
    for t in (tenant, other_tenant):
        with tenant_context(t):
            ids[t.slug] = make_row(FollowUp, t).pk
    key = client_with(api_key_create(tenant=tenant, name="Helpdesk", scopes=["followups:write"]).secret)
    enrol_totp(User.objects.get(email="admin@acme.test"))
    admin = signed_in("acme", "admin@acme.test")
    theirs, mine = ids["globex"], ids["acme"]
    assert key.get(f"/api/v1/followups/{theirs}").status_code == 404
    assert (
        key.patch(f"/api/v1/followups/{theirs}", {"owner": "admin@acme.test"}, format="json").status_code
        == 404
    )
    closing = {"outcome": "resolved", "note": "x"}
    assert key.post(f"/api/v1/followups/{theirs}/close", closing, format="json").status_code == 404
    assert [f["id"] for f in key.get("/api/v1/followups").json()["results"]] == [mine]
    assert key.get(f"/api/v1/followups/{mine}").status_code == 200
    stranger = key.patch(f"/api/v1/followups/{mine}", {"owner": "admin@globex.test"}, format="json")
    assert stranger.status_code == 400 and list(stranger.json()["errors"]) == ["owner"]
    assert admin.get(f"/followups/{theirs}/").status_code == 404
    assert admin.post(f"/followups/{theirs}/assign/", {"owner": ""}).status_code == 404
    assert admin.post(f"/followups/{theirs}/close/", closing).status_code == 404
    assert admin.get(f"/followups/{mine}/").status_code == 200
    listed = admin.get("/followups/?status=all").content.decode()
    assert f'href="/followups/{mine}/"' in listed and f'href="/followups/{theirs}/"' not in listed
    with tenant_context(other_tenant):
        assert FollowUp.objects.filter(pk=theirs, status="open", owner__isnull=True).exists()
    with tenant_context(tenant):
        assert FollowUp.objects.get(pk=mine).owner_id is None
