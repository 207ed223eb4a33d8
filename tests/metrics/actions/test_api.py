"""The actions API: list with filters, plan, read one, change it (``actions:read`` reads,
``actions:write`` writes); problem+json naming the field; another tenant's actions not found;
the list's queries do not grow with its rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.actions.services import tenant_today
from metrics.models import Action
from tenants.context import tenant_context
from tenants.services import api_key_create
from tests.conftest import make_tenant
from tests.feedback.conftest import client_with


def _client(tenant, *scopes):
    return client_with(
        api_key_create(tenant=tenant, name=f"Key {'+'.join(scopes)}", scopes=list(scopes)).secret
    )


@pytest.fixture
def writer(world):
    return _client(world.tenant, "actions:write")


@pytest.fixture
def reader(world):
    return _client(world.tenant, "actions:read")


def _body(world, **values) -> dict:
    return {
        "title": "Call back within a day",
        "owner": "employee@acme.test",
        "department": "customer-service",
        "due_on": (tenant_today(world.tenant) + timedelta(days=5)).isoformat(),
        "escalation": world.escalation.pk,
        "commitment": world.commitment.pk,
    } | values


def test_plan_read_and_change_an_action(world, writer, reader):
    created = writer.post("/api/v1/actions", _body(world), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body | {"id": 0, "created_at": "", "updated_at": ""} == {
        "id": 0,
        "title": "Call back within a day",
        "status": "planned",
        "owner": "employee@acme.test",
        "department": "customer-service",
        "due_on": _body(world)["due_on"],
        "promise": "fast-refunds",
        "escalation": world.escalation.pk,
        "breach_event": None,
        "commitment": world.commitment.pk,
        "notes": "",
        "done_at": None,
        "overdue": False,
        "created_at": "",
        "updated_at": "",
    }
    assert reader.get(f"/api/v1/actions/{body['id']}").json()["title"] == "Call back within a day"
    done = writer.patch(f"/api/v1/actions/{body['id']}", {"status": "done", "notes": "Live."}, format="json")
    assert done.status_code == 200 and done.json()["status"] == "done" and done.json()["done_at"]
    assert Action.objects.get(pk=body["id"]).notes == "Live."


def test_list_and_filters(world, reader):
    today = tenant_today(world.tenant)
    late = world.plan(title="Late", due_on=today)
    Action.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=1))
    other = world.plan(title="Logistics", owner=world.member("logistics"), department=world.logistics)

    def ids(query: str = "") -> list[int]:
        response = reader.get(f"/api/v1/actions?{query}")
        assert response.status_code == 200, response.json()
        return [a["id"] for a in response.json()["results"]]

    assert ids() == [late.pk, other.pk]
    assert ids("overdue=true") == [late.pk] and ids("overdue=false") == [other.pk]
    assert ids("department=logistics") == [other.pk]
    assert ids("owner=LOGISTICS@acme.test") == [other.pk]
    assert ids("status=done") == []
    bad = reader.get("/api/v1/actions?status=finished")
    assert bad.status_code == 400 and "not a status" in str(bad.json())


def test_scopes(world, reader):
    action = world.plan()
    assert reader.post("/api/v1/actions", _body(world), format="json").status_code == 403
    assert reader.patch(f"/api/v1/actions/{action.pk}", {"status": "done"}, format="json").status_code == 403
    scores = _client(world.tenant, "scores:read")
    assert scores.get("/api/v1/actions").status_code == 403
    assert Action.objects.get(pk=action.pk).status == "planned"


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"due_on": "2020-01-01"}, "due_on", "in the past"),
        ({"due_on": "31/12/2026"}, "due_on", "YYYY-MM-DD"),
        ({"owner": "nobody@acme.test"}, "owner", "No member"),
        ({"owner": "viewer@acme.test"}, "owner", "is a viewer"),
        ({"department": "logistics"}, "department", "does not belong to Logistics"),
        ({"escalation": 999999}, "escalation", "No escalation"),
        ({"title": ""}, "title", ""),
        ({"title": 5}, "title", ""),
    ],
)
def test_bad_input_names_the_field(world, writer, values, field, words):
    answer = writer.post("/api/v1/actions", _body(world, **values), format="json")
    assert answer.status_code == 400, answer.json()
    assert answer["Content-Type"].startswith("application/problem+json")
    errors = answer.json()["errors"]
    assert field in errors and words in " ".join(errors[field])
    assert not Action.objects.exists()


def test_patch_bad_input(world, writer):
    action = world.plan()
    answer = writer.patch(f"/api/v1/actions/{action.pk}", {"status": "finished"}, format="json")
    assert answer.status_code == 400 and "status" in answer.json()["errors"]
    answer = writer.patch(f"/api/v1/actions/{action.pk}", {"commitment": 999999}, format="json")
    assert answer.status_code == 400 and "commitment" in answer.json()["errors"]


def test_another_tenants_action_is_not_found(world, writer):
    other = make_tenant("globex", "Globex Bank")
    from tests.metrics.actions.conftest import world_setup

    theirs = world_setup(other)
    with tenant_context(other):
        their_action = theirs.plan()
        their_writer = _client(other, "actions:write")
    assert writer.get(f"/api/v1/actions/{their_action.pk}").status_code == 404
    assert (
        writer.patch(f"/api/v1/actions/{their_action.pk}", {"status": "done"}, format="json").status_code
        == 404
    )
    assert writer.get("/api/v1/actions").json()["results"] == []
    # Their escalation is as unknown here as a missing one.
    answer = writer.post("/api/v1/actions", _body(world, escalation=theirs.escalation.pk), format="json")
    assert answer.status_code == 400 and "escalation" in answer.json()["errors"]
    assert [a["id"] for a in their_writer.get("/api/v1/actions").json()["results"]] == [their_action.pk]


def test_the_list_takes_the_same_queries_however_many_actions(world, reader):
    world.plan()
    reader.get("/api/v1/actions")

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reader.get("/api/v1/actions").status_code == 200
        return len(captured)

    few = queries()
    for i in range(10):
        world.plan(title=f"Action {i}")
    assert queries() == few
