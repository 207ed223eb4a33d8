"""The promise API: promises, nested commitments, measures — scopes, filters, transitions, isolation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from promises.commitments.services import commitment_create, measures_ensure_builtin
from promises.models import Commitment, CommitmentVersion, Measure, Promise, SignOff
from promises.services import promise_create
from promises.signoffs.services import promise_sign_off, promise_submit
from tenants.context import tenant_context
from tenants.models import AuditEvent, Department
from tenants.services import api_key_create, department_create
from tests.factories import tenant_state
from tests.promises.conftest import World

PROBLEM = "application/problem+json"


def api(tenant, scopes: list[str]) -> APIClient:
    client = APIClient()
    secret = api_key_create(tenant=tenant, name="CX as code", scopes=scopes).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


@pytest.fixture
def reader(world: World) -> APIClient:
    return api(world.tenant, ["promises:read"])


@pytest.fixture
def writer(world: World) -> APIClient:
    return api(world.tenant, ["promises:write"])


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return response.json()


NEW_PROMISE = {
    "kind": "customer",
    "title": "A human answers within 4 hours",
    "statement": "Write to us any time: a person answers within 4 hours.",
    "owner": "customer-service",
    "contributors": ["operations"],
    "weight": "2",
}


def test_list_and_retrieve_with_a_read_key(world, reader):
    promise = world.customer_promise()
    body = reader.get("/api/v1/promises").json()
    [row] = body["results"]
    assert row["slug"] == promise.slug and row["owner"] == "operations"
    assert row["contributors"] == ["customer-service"] and "tenant" not in row
    [commitment] = row["commitments"]
    assert commitment["measure"] == "csat" and commitment["touchpoint"] == "returns"
    assert commitment["current"]["target"] == "80.000" and commitment["current"]["effective_from"] is None
    detail = reader.get(f"/api/v1/promises/{promise.pk}").json()
    assert detail["sign_offs"] == [] and detail["status"] == "draft"


def test_filters_status_kind_department_touchpoint(world, reader):
    world.customer_promise()
    world.customer_promise(title="Fast delivery", owner=world.mkt, contributors=[], commitments=False)
    promise_create(tenant=world.tenant, kind="brand", title="Easy", statement="x", owner=world.mkt)

    def titles(query: str) -> set[str]:
        response = reader.get(f"/api/v1/promises?{query}")
        assert response.status_code == 200, response.content
        return {p["title"] for p in response.json()["results"]}

    assert titles("kind=brand") == {"Easy"}
    assert titles("department=operations") == {"Hassle-free returns"}
    assert titles("department=marketing") == {"Fast delivery", "Easy"}
    assert titles("touchpoint=returns") == {"Hassle-free returns"}
    assert titles("status=active") == set()
    assert "unknown" in problem(reader.get("/api/v1/promises?department=nope"), 400)["detail"].lower()
    problem(reader.get("/api/v1/promises?status=bogus"), 400)


def test_a_read_key_cannot_write(world, reader):
    promise = world.customer_promise()
    before = tenant_state(world.tenant)
    assert (
        "promises:write"
        in problem(reader.post("/api/v1/promises", NEW_PROMISE, format="json"), 403)["detail"]
    )
    for path in ("submit", "activate", "retire"):
        problem(reader.post(f"/api/v1/promises/{promise.pk}/{path}"), 403)
    problem(reader.patch(f"/api/v1/promises/{promise.pk}", {"title": "Changed"}, format="json"), 403)
    problem(
        reader.post(
            f"/api/v1/promises/{promise.pk}/commitments", {"measure": "csat", "target": "80"}, format="json"
        ),
        403,
    )
    problem(reader.post("/api/v1/measures", {"key": "x", "name": "X", "unit": "days"}, format="json"), 403)
    assert tenant_state(world.tenant) == before
    # A key without a promises scope cannot even read.
    scores = api(world.tenant, ["scores:read"])
    for path in ("/api/v1/promises", f"/api/v1/promises/{promise.pk}", "/api/v1/measures"):
        problem(scores.get(path), 403)
    problem(client_without_key().get("/api/v1/promises"), 401)


def client_without_key() -> APIClient:
    return APIClient()


def test_create_add_commitments_submit_and_activate_semantics(
    world, writer, django_capture_on_commit_callbacks
):
    response = writer.post("/api/v1/promises", NEW_PROMISE, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["owner"] == "customer-service" and body["weight"] == "2.000"
    pk = body["id"]

    response = writer.post(
        f"/api/v1/promises/{pk}/commitments",
        {"measure": "first_response", "target": "95", "threshold_seconds": 14400},
        format="json",
    )
    assert response.status_code == 201, response.content
    commitment_id = response.json()["id"]
    response = writer.post(
        f"/api/v1/promises/{pk}/commitments",
        {"measure": "ces", "touchpoint": "returns", "target": "5.5"},
        format="json",
    )
    assert response.status_code == 201, response.content
    listed = writer.get(f"/api/v1/promises/{pk}/commitments").json()
    assert [c["measure"] for c in listed] == ["first_response", "ces"]

    response = writer.patch(
        f"/api/v1/promises/{pk}/commitments/{commitment_id}", {"target": "90"}, format="json"
    )
    assert response.status_code == 200 and response.json()["current"]["target"] == "90.000"

    assert "Submit it first" in problem(writer.post(f"/api/v1/promises/{pk}/activate"), 409)["detail"]
    response = writer.post(f"/api/v1/promises/{pk}/submit")
    assert response.status_code == 200, response.content
    assert {s["department"] for s in response.json()["sign_offs"]} == {"customer-service", "operations"}

    # Sign-off is for people: a key cannot activate over missing sign-offs.
    body = problem(writer.post(f"/api/v1/promises/{pk}/activate"), 409)
    assert body["missing_sign_offs"] == ["customer-service", "operations"]
    assert Promise.objects.get(pk=pk).status == Promise.Status.IN_REVIEW
    promise = Promise.objects.get(pk=pk)
    for department, manager in ((world.cs, world.manager), (world.ops, world.ops_manager)):
        promise_sign_off(
            tenant=world.tenant, promise=promise, department=department, actor=manager, approve=True
        )
    response = writer.post(f"/api/v1/promises/{pk}/activate")
    assert response.status_code == 200 and response.json()["status"] == "active"

    # On an active promise a changed commitment opens a new version.
    response = writer.patch(
        f"/api/v1/promises/{pk}/commitments/{commitment_id}", {"target": "92"}, format="json"
    )
    versions = response.json()["versions"]
    assert [v["target"] for v in versions] == ["90.000", "92.000"]
    assert versions[0]["effective_to"] == versions[1]["effective_from"]

    response = writer.post(f"/api/v1/promises/{pk}/retire")
    assert response.status_code == 200 and response.json()["status"] == "retired"
    transitions = [
        e.changes["status"]
        for e in AuditEvent.objects.filter(
            model="promises.Promise", object_id=str(pk), action="update"
        ).order_by("id")
        if "status" in e.changes
    ]
    assert [t[1] for t in transitions] == ["in_review", "active", "retired"]
    assert AuditEvent.objects.filter(
        model="promises.Promise", object_id=str(pk), actor_kind="api_key"
    ).exists()


def test_validation_errors_name_the_field(world, writer):
    promise = world.customer_promise(commitments=False)
    before = tenant_state(world.tenant)
    url = f"/api/v1/promises/{promise.pk}/commitments"
    body = problem(writer.post(url, {"measure": "nps", "target": "150"}, format="json"), 400)
    assert "target" in body["errors"] and "150" in body["detail"]
    body = problem(writer.post(url, {"measure": "first_response", "target": "90"}, format="json"), 400)
    assert "threshold_seconds" in body["errors"]
    body = problem(writer.post(url, {"measure": "nope", "target": "90"}, format="json"), 400)
    assert "measure" in body["errors"] and "csat" in body["detail"]
    body = problem(
        writer.post(url, {"measure": "csat", "touchpoint": "nope", "target": "90"}, format="json"), 400
    )
    assert "touchpoint" in body["errors"]
    body = problem(
        writer.post("/api/v1/promises", {**NEW_PROMISE, "contributors": ["customer-service"]}, format="json"),
        400,
    )
    assert "contributors" in body["errors"]
    body = problem(
        writer.post("/api/v1/promises", {**NEW_PROMISE, "tenant": 99, "weight": "0"}, format="json"), 400
    )
    assert "weight" in body["errors"]
    problem(writer.patch(f"/api/v1/promises/{promise.pk}", {"kind": "brand"}, format="json"), 400)
    assert tenant_state(world.tenant) == before
    response = writer.patch(f"/api/v1/promises/{promise.pk}", {"title": "Returns, no hassle"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Returns, no hassle"


def test_measures_list_and_create(world, reader, writer):
    keys = [m["key"] for m in reader.get("/api/v1/measures").json()]
    assert keys[:4] == ["ces", "csat", "nps", "story_sentiment"] and "first_response" in keys
    response = writer.post(
        "/api/v1/measures", {"key": "delivery_time", "name": "Delivery", "unit": "days"}, format="json"
    )
    assert response.status_code == 201 and response.json()["kind"] == "duration"
    before = tenant_state(world.tenant)
    assert (
        "key"
        in problem(
            writer.post("/api/v1/measures", {"key": "nps", "name": "N", "unit": "days"}, format="json"), 400
        )["errors"]
    )
    assert tenant_state(world.tenant) == before


def test_another_tenants_promises_are_not_found(world, writer, other_tenant):
    with tenant_context(other_tenant):
        department = Department.objects.get(name="Customer Service")
        measure = {m.key: m for m in measures_ensure_builtin(tenant=other_tenant)}["csat"]
        theirs = promise_create(
            tenant=other_tenant, kind="customer", title="Globex", statement="x", owner=department
        )
        commitment = commitment_create(
            tenant=other_tenant, promise=theirs, measure=measure, target=Decimal(80)
        )
    ours = world.customer_promise(commitments=False)
    before, theirs_before = tenant_state(world.tenant), tenant_state(other_tenant)
    for method, path in [
        ("get", f"/api/v1/promises/{theirs.pk}"),
        ("patch", f"/api/v1/promises/{theirs.pk}"),
        ("post", f"/api/v1/promises/{theirs.pk}/submit"),
        ("post", f"/api/v1/promises/{theirs.pk}/activate"),
        ("post", f"/api/v1/promises/{theirs.pk}/retire"),
        ("get", f"/api/v1/promises/{theirs.pk}/commitments"),
        ("post", f"/api/v1/promises/{theirs.pk}/commitments"),
        ("patch", f"/api/v1/promises/{theirs.pk}/commitments/{commitment.pk}"),
        ("patch", f"/api/v1/promises/{ours.pk}/commitments/{commitment.pk}"),
    ]:
        problem(getattr(writer, method)(path, {"title": "x", "target": "1"}, format="json"), 404)
    assert tenant_state(world.tenant) == before and tenant_state(other_tenant) == theirs_before
    assert writer.get("/api/v1/promises").json()["results"][0]["title"] == ours.title
    assert len(writer.get("/api/v1/promises").json()["results"]) == 1
    # Another tenant's department slug is simply unknown here.
    with tenant_context(other_tenant):
        department_create(tenant=other_tenant, name="Globex Only")
    before = tenant_state(world.tenant)
    body = problem(
        writer.post("/api/v1/promises", {**NEW_PROMISE, "owner": "globex-only"}, format="json"), 400
    )
    assert "owner" in body["errors"]
    assert tenant_state(world.tenant) == before
    with tenant_context(other_tenant):
        assert Promise.objects.get(pk=theirs.pk).status == Promise.Status.DRAFT
        assert CommitmentVersion.objects.get(commitment=commitment).target == Decimal(80)


def test_the_list_needs_the_same_queries_for_3_and_20_promises(world, reader):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert reader.get("/api/v1/promises").status_code == 200
        return len(queries)

    for n in range(3):
        world.customer_promise(title=f"Promise {n}")
    count()  # the key's first use of the run is recorded once
    few = count()
    for n in range(3, 20):
        world.customer_promise(title=f"Promise {n}")
    assert count() == few


def test_the_schema_documents_the_endpoints_with_examples():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for path in (
        "/api/v1/promises",
        "/api/v1/promises/{id}",
        "/api/v1/promises/{id}/submit",
        "/api/v1/promises/{id}/activate",
        "/api/v1/promises/{id}/retire",
        "/api/v1/promises/{id}/commitments",
        "/api/v1/promises/{id}/commitments/{commitment_id}",
        "/api/v1/measures",
    ):
        assert path in paths, path
    create = paths["/api/v1/promises"]["post"]
    assert "examples" in create["requestBody"]["content"]["application/json"]
    assert "promises:write" in create["description"]
    parameters = {p["name"] for p in paths["/api/v1/promises"]["get"]["parameters"]}
    assert {"status", "kind", "department", "touchpoint"} <= parameters
    serialized = str(schema["components"]["schemas"])
    assert "'tenant'" not in serialized


def test_sign_offs_are_for_people_only(world, writer):
    promise = world.customer_promise()
    promise_submit(tenant=world.tenant, promise=promise, actor=world.ops_manager)
    assert not any("sign" in p for p in _api_paths())
    assert SignOff.objects.filter(promise=promise, status="pending").count() == 2
    assert Commitment.objects.filter(promise=promise).count() == 1
    assert Measure.objects.exists()


def _api_paths() -> list[str]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [p for p in schema["paths"] if p.startswith("/api/v1/promises")]


def _schemas(client: APIClient) -> dict:
    return client.get("/api/schema/?format=json").json()["components"]["schemas"]


def test_a_promise_without_parent_answers_null_the_schema_declares(world, reader, writer):
    created = writer.post("/api/v1/promises", NEW_PROMISE, format="json").json()
    assert created["parent"] is None
    assert reader.get(f"/api/v1/promises/{created['id']}").json()["parent"] is None
    schemas = _schemas(reader)
    for name in ("Promise", "PromiseDetail"):
        assert schemas[name]["properties"]["parent"].get("nullable") is True
    assert schemas["Commitment"]["properties"]["touchpoint"].get("nullable") is True


def test_built_in_measures_answer_a_blank_unit_the_schema_allows(world, reader):
    measures = reader.get("/api/v1/measures").json()
    assert "" in {m["unit"] for m in measures}
    schemas = _schemas(reader)
    unit = schemas["Measure"]["properties"]["unit"]
    allowed = {value for ref in unit["oneOf"] for value in schemas[ref["$ref"].rsplit("/", 1)[1]]["enum"]}
    assert allowed == {"hours", "days", ""}


@pytest.mark.parametrize("target", ["", "-", ".", "1e2", " 90", 90])
def test_a_target_that_is_not_decimal_text_is_refused_by_schema_and_server(world, writer, target):
    import re

    promise_id = writer.post("/api/v1/promises", NEW_PROMISE, format="json").json()["id"]
    with tenant_context(world.tenant):
        before = Commitment.objects.count()
    pattern = _schemas(writer)["CommitmentWriteRequest"]["properties"]["target"]["pattern"]
    assert not (isinstance(target, str) and re.fullmatch(pattern, target))

    body = problem(
        writer.post(
            f"/api/v1/promises/{promise_id}/commitments", {"measure": "csat", "target": target}, format="json"
        ),
        400,
    )

    assert "target" in body["errors"]
    with tenant_context(world.tenant):
        assert Commitment.objects.count() == before


def test_body_values_of_another_json_type_are_refused_not_coerced(world, writer):
    with tenant_context(world.tenant):
        before = Promise.objects.count()
    body = problem(
        writer.post("/api/v1/promises", {**NEW_PROMISE, "title": 0, "note": 0}, format="json"), 400
    )
    assert body["errors"]["title"] == ["Expected a string (text in double quotes), not a whole number."]
    assert "note" in body["errors"]
    with tenant_context(world.tenant):
        assert Promise.objects.count() == before
