"""The escalation API: list with filters and detail (escalations:read), propose and move on
(escalations:write), never approve; problem+json errors; cross-tenant not found; query counts."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.escalations.models import Escalation
from tenants.context import tenant_context
from tenants.services import api_key_create
from tests.conftest import make_tenant
from tests.factories import tenant_state
from tests.feedback.conftest import client_with, escalation_setup
from tests.feedback.escalations.test_escalations import member, move, propose, story


@pytest.fixture
def reader(escalations_world):
    return client_with(
        api_key_create(tenant=escalations_world, name="BI", scopes=["escalations:read"]).secret
    )


@pytest.fixture
def writer(escalations_world):
    return client_with(
        api_key_create(tenant=escalations_world, name="Helpdesk", scopes=["escalations:write"]).secret
    )


def test_list_and_filters(escalations_world, reader):
    tenant = escalations_world
    first = propose(tenant, text="First.")
    second = move(tenant, propose(tenant, text="Second.", severity="high"), "approve", "manager")
    body = reader.get("/api/v1/escalations").json()
    assert [e["id"] for e in body["results"]] == [second.pk, first.pk]
    assert body["results"][0]["owner"] == "manager@acme.test"
    assert body["results"][1]["stories"] and body["results"][1]["proposed_by"] == "employee@acme.test"

    def ids(query: str) -> list[int]:
        response = reader.get(f"/api/v1/escalations?{query}")
        assert response.status_code == 200, response.json()
        return [e["id"] for e in response.json()["results"]]

    assert ids("state=approved") == [second.pk]
    assert ids("severity=medium") == [first.pk]
    assert ids("department=customer-service") == [second.pk, first.pk]
    assert ids("department=logistics") == []
    assert ids("overdue=true") == [] and ids("overdue=false") == [second.pk, first.pk]
    bad = reader.get("/api/v1/escalations?state=lost")
    assert bad.status_code == 400 and bad["Content-Type"].startswith("application/problem+json")


def test_detail_with_timeline_and_cross_tenant_not_found(escalations_world, reader):
    tenant = escalations_world
    escalation = move(tenant, propose(tenant), "approve", "manager")
    body = reader.get(f"/api/v1/escalations/{escalation.pk}").json()
    assert body["state"] == "approved" and [e["to_state"] for e in body["timeline"]][:2] == ["proposed", ""]
    other = make_tenant("globex", "Globex Bank")
    foreign = client_with(api_key_create(tenant=other, name="X", scopes=["escalations:read"]).secret)
    assert foreign.get(f"/api/v1/escalations/{escalation.pk}").status_code == 404
    assert foreign.get("/api/v1/escalations").json()["results"] == []


def test_scopes(escalations_world, reader):
    tenant = escalations_world
    feedback_key = client_with(api_key_create(tenant=tenant, name="CRM", scopes=["feedback:write"]).secret)
    assert feedback_key.get("/api/v1/escalations").status_code == 403
    escalation = propose(tenant)
    before = tenant_state(tenant)
    payload = {"title": "Refunds stuck", "severity": "high", "department": "customer-service"}
    assert reader.post("/api/v1/escalations", payload, format="json").status_code == 403
    assert reader.post(f"/api/v1/escalations/{escalation.pk}/start", {}, format="json").status_code == 403
    assert feedback_key.post("/api/v1/escalations", payload, format="json").status_code == 403
    assert tenant_state(tenant) == before


def test_propose_with_stories_then_merge(escalations_world, writer):
    tenant = escalations_world
    first, second = story(tenant, text="One."), story(tenant, text="Two.")
    payload = {
        "title": "Refunds stuck",
        "severity": "high",
        "department": "customer-service",
        "promise": "fast-refunds",
        "touchpoint": "delivery",
        "stories": [first.pk],
    }
    created = writer.post("/api/v1/escalations", payload, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (
        body["proposer_kind"] == "api_key"
        and body["proposed_by"] == "Helpdesk"
        and body["stories"] == [first.pk]
    )
    merged = writer.post("/api/v1/escalations", payload | {"stories": [second.pk]}, format="json")
    assert merged.status_code == 200 and merged.json()["id"] == body["id"]
    assert merged.json()["stories"] == [first.pk, second.pk]
    before = tenant_state(tenant)
    unknown = writer.post("/api/v1/escalations", payload | {"stories": [999999]}, format="json")
    assert unknown.status_code == 400 and "stories" in unknown.json()["errors"]
    other = make_tenant("globex", "Globex Bank")
    escalation_setup(other)
    foreign_story = story(other, text="Globex story.", promise=False)
    theirs = tenant_state(other)
    assert (
        writer.post(
            "/api/v1/escalations", payload | {"stories": [foreign_story.pk]}, format="json"
        ).status_code
        == 400
    )
    assert tenant_state(tenant) == before and tenant_state(other) == theirs


def test_api_keys_never_approve_but_move_on(escalations_world, writer):
    tenant = escalations_world
    escalation = propose(tenant)
    before = tenant_state(tenant)
    for name in ("approve", "reject"):
        refused = writer.post(f"/api/v1/escalations/{escalation.pk}/{name}", {"note": "ok"}, format="json")
        assert refused.status_code == 403 and "Approval is for people" in refused.json()["detail"]
    conflict = writer.post(f"/api/v1/escalations/{escalation.pk}/start", {}, format="json")
    assert (
        conflict.status_code == 409
        and "is proposed, so it cannot be moved to in progress" in conflict.json()["detail"]
    )
    assert tenant_state(tenant) == before
    move(tenant, escalation, "approve", "manager")
    assert (
        writer.post(f"/api/v1/escalations/{escalation.pk}/start", {}, format="json").json()["state"]
        == "in_progress"
    )
    before = tenant_state(tenant)
    missing = writer.post(f"/api/v1/escalations/{escalation.pk}/resolve", {"note": ""}, format="json")
    assert missing.status_code == 400 and "Describe the resolution" in missing.json()["detail"]
    assert tenant_state(tenant) == before
    done = writer.post(
        f"/api/v1/escalations/{escalation.pk}/resolve", {"note": "Fixed."}, format="json"
    ).json()
    assert done["state"] == "resolved" and done["resolution"] == "Fixed."
    before = tenant_state(tenant)
    assert writer.post("/api/v1/escalations/999999/close", {}, format="json").status_code == 404
    assert tenant_state(tenant) == before
    with tenant_context(tenant):
        assert Escalation.objects.get().owner == member(tenant, "manager")


def test_the_list_takes_a_constant_number_of_queries(escalations_world, reader):
    tenant = escalations_world

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert reader.get("/api/v1/escalations").status_code == 200
        return len(captured)

    for i in range(2):
        move(tenant, propose(tenant, text=f"Case {i}."), "approve", "manager")
    queries()  # the key's first use of the run records its last use: measure from the second
    few = queries()
    for i in range(2, 8):
        move(tenant, propose(tenant, text=f"Case {i}.", by="employee2"), "approve", "manager2")
    assert queries() == few


def test_an_escalation_without_promise_or_touchpoint_answers_nulls_the_schema_declares(
    escalations_world, reader
):
    from feedback.escalations.proposals import escalation_propose
    from tenants.models import Department

    with tenant_context(escalations_world):
        department = Department.objects.get(slug="customer-service")
    bare = escalation_propose(
        tenant=escalations_world, actor=None, title="Queue", severity="low", department=department
    ).escalation

    detail = reader.get(f"/api/v1/escalations/{bare.pk}").json()
    listed = reader.get("/api/v1/escalations").json()["results"][0]

    assert detail["promise"] is None and detail["touchpoint"] is None
    assert listed["promise"] is None and listed["touchpoint"] is None
    schemas = reader.get("/api/schema/?format=json").json()["components"]["schemas"]
    for name in ("Escalation", "EscalationDetail"):
        for field in ("promise", "touchpoint"):
            assert schemas[name]["properties"][field].get("nullable") is True, (name, field)
