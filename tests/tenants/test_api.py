"""The partner API: API-key authentication, tenant isolation, the resources, errors, limits, docs."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import RestrictedError
from django.test import Client
from django.urls import URLPattern, URLResolver
from django.utils import timezone
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tenants import api_urls
from tenants.api_base import ApiKeyRateThrottle, problem_exception_handler
from tenants.api_urls import TenantResourceViewSet
from tenants.apikey_cache import api_key_cache_store, api_key_cached
from tenants.context import tenant_context
from tenants.models import ApiKey, AuditEvent, Department, Tenant, Touchpoint
from tenants.permissions import view_actions
from tenants.services import (
    api_key_create,
    api_key_revoke,
    department_create,
    tenant_set_status,
    touchpoint_create,
)
from tests.factories import tenant_state

PROBLEM = "application/problem+json"
READ = ["promises:read"]
WRITE = ["promises:write"]


@pytest.fixture(autouse=True)
def _no_rate_limit_counts():
    """Rate-limit counters live in Redis and outlive a test; start each test without this run's.

    Only this run's keys (its prefix) are deleted: other runs may share the Redis database.
    """
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=cache.make_key("*")))
    if keys:
        client.delete(*keys)


def issue(tenant: Tenant, scopes: list[str], **kwargs) -> str:
    return api_key_create(tenant=tenant, name="Partner system", scopes=scopes, **kwargs).secret


def client_with(key: str | None = None, **headers) -> APIClient:
    client = APIClient()
    if key is not None:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", **headers)
    elif headers:
        client.credentials(**headers)
    return client


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def rows(model, tenant: Tenant) -> list[tuple]:
    with tenant_context(tenant):
        return list(model.objects.order_by("id").values_list("id", "name", "slug"))


def audit(tenant: Tenant, **filters) -> list[AuditEvent]:
    with tenant_context(tenant):
        return list(AuditEvent.objects.filter(**filters).order_by("id"))


# --- The tenant endpoint ----------------------------------------------------------------------


def test_tenant_shows_the_keys_tenant_with_departments_and_the_journey_in_order(tenant, other_tenant):
    touchpoint_create(tenant=tenant, name="Website", position=5, journey_stage="awareness")
    department_create(tenant=tenant, name="Billing")
    key = issue(tenant, ["feedback:write"])  # any scope may read its tenant

    response = client_with(key).get("/api/v1/tenant")

    assert response.status_code == 200
    body = response.json()
    assert (body["slug"], body["name"], body["time_zone"]) == ("acme", "Acme Retail", "Europe/Berlin")
    assert [d["name"] for d in body["departments"]] == ["Billing", "Customer Service"]
    assert [t["name"] for t in body["touchpoints"]] == ["Website", "Delivery"]
    delivery = body["touchpoints"][1]
    assert (delivery["journey_stage"], delivery["is_moment_of_truth"], delivery["position"]) == (
        "delivery",
        True,
        10,
    )
    assert "Globex" not in response.content.decode()


def test_the_tenant_comes_from_the_key_whatever_a_header_or_an_address_without_a_company_says(
    tenant, other_tenant
):
    key = issue(other_tenant, READ)
    for host in ("localhost", "127.0.0.1", "globex.localhost", "nosuchco.localhost"):
        client = client_with(key, HTTP_X_TENANT="acme")
        client.defaults["HTTP_HOST"] = host
        assert client.get("/api/v1/tenant").json()["slug"] == "globex", host


def test_a_key_sent_to_another_companys_address_is_refused_and_told_where_to_go(
    tenant, other_tenant, settings
):
    settings.CXGOV_TENANT_URL = "https://{slug}.cx.example"
    client = client_with(issue(other_tenant, READ))
    client.defaults["HTTP_HOST"] = "acme.localhost"
    for path in ("/api/v1/tenant", "/api/v1/departments", "/api/v1/departments/1"):
        body = assert_problem(client.get(path), 403)
        assert body["detail"] == (
            "This API key belongs to Globex Bank, and acme.localhost is the address of Acme Retail. "
            "Send the key's requests to https://globex.cx.example/api/v1/."
        ), path
        assert "No company" not in body["detail"]


# --- Departments ------------------------------------------------------------------------------


def test_department_create_read_rename_delete(tenant):
    client = client_with(issue(tenant, WRITE))

    created = client.post("/api/v1/departments", {"name": "  Field Service "}, format="json")
    assert created.status_code == 201
    department_id = created.json()["id"]
    assert created.json()["name"] == "Field Service"
    assert created.json()["slug"] == "field-service"
    assert (department_id, "Field Service", "field-service") in rows(Department, tenant)

    fetched = client.get(f"/api/v1/departments/{department_id}")
    assert fetched.status_code == 200
    assert fetched.json() == created.json()

    renamed = client.patch(f"/api/v1/departments/{department_id}", {"name": "Field Ops"}, format="json")
    assert renamed.status_code == 200
    assert (renamed.json()["name"], renamed.json()["slug"]) == ("Field Ops", "field-service")
    assert (department_id, "Field Ops", "field-service") in rows(Department, tenant)

    deleted = client.delete(f"/api/v1/departments/{department_id}")
    assert deleted.status_code == 204
    assert department_id not in [row[0] for row in rows(Department, tenant)]
    assert client.get(f"/api/v1/departments/{department_id}").status_code == 404


def test_department_list_pages_with_a_cursor_until_every_department_is_seen(tenant):
    for n in range(24):
        department_create(tenant=tenant, name=f"Department {n:02}")
    client = client_with(issue(tenant, READ))

    seen, url, pages = [], "/api/v1/departments?page_size=10", 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) <= 10
        seen += [d["id"] for d in body["results"]]
        url, pages = body["next"], pages + 1

    assert pages == 3
    assert seen == sorted(seen)
    assert sorted(seen) == [row[0] for row in rows(Department, tenant)]  # 25 rows, each once


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "nosuchco.localhost"])
def test_page_links_lead_to_the_keys_company_not_to_the_address_asked(tenant, settings, host):
    settings.CXGOV_TENANT_URL = "https://{slug}.cx.example"
    for n in range(5):
        department_create(tenant=tenant, name=f"Department {n}")
    client = client_with(issue(tenant, READ))
    client.defaults["HTTP_HOST"] = host

    first = client.get("/api/v1/departments?page_size=2&name=Department").json()
    assert first["next"].startswith("https://acme.cx.example/api/v1/departments?"), first["next"]
    assert "page_size=2" in first["next"] and "name=Department" in first["next"]
    second = client.get(first["next"]).json()
    assert second["previous"].startswith("https://acme.cx.example/api/v1/departments?")
    assert second["next"].startswith("https://acme.cx.example/api/v1/departments?")
    assert host.split(":")[0] not in second["next"] + second["previous"]


def test_department_list_filters_by_name(tenant):
    department_create(tenant=tenant, name="Billing")
    department_create(tenant=tenant, name="Online Service")
    response = client_with(issue(tenant, READ)).get("/api/v1/departments?name=SERVICE")
    assert sorted(d["name"] for d in response.json()["results"]) == ["Customer Service", "Online Service"]


# --- Touchpoints ------------------------------------------------------------------------------


def test_touchpoint_create_read_update_delete(tenant):
    client = client_with(issue(tenant, WRITE))

    created = client.post(
        "/api/v1/touchpoints",
        {"name": "Returns desk", "journey_stage": "support", "is_moment_of_truth": True},
        format="json",
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["name"], body["slug"], body["journey_stage"], body["is_moment_of_truth"]) == (
        "Returns desk",
        "returns-desk",
        "support",
        True,
    )
    assert body["position"] == 20  # after Delivery (10): the end of the journey

    updated = client.patch(
        f"/api/v1/touchpoints/{body['id']}",
        {"name": "Returns", "journey_stage": "", "is_moment_of_truth": False, "position": 1},
        format="json",
    )
    assert updated.status_code == 200
    with tenant_context(tenant):
        touchpoint = Touchpoint.objects.get(pk=body["id"])
    assert (touchpoint.name, touchpoint.slug, touchpoint.journey_stage) == ("Returns", "returns-desk", "")
    assert (touchpoint.is_moment_of_truth, touchpoint.position) == (False, 1)
    journey = client.get("/api/v1/touchpoints").json()["results"]
    assert [t["name"] for t in journey] == ["Returns", "Delivery"]

    assert client.get(f"/api/v1/touchpoints/{body['id']}").json()["name"] == "Returns"
    assert client.delete(f"/api/v1/touchpoints/{body['id']}").status_code == 204
    assert [row[1] for row in rows(Touchpoint, tenant)] == ["Delivery"]


def test_touchpoint_reorder_sets_the_journey(tenant):
    with tenant_context(tenant):
        delivery = Touchpoint.objects.get(name="Delivery")
    website = touchpoint_create(tenant=tenant, name="Website")
    checkout = touchpoint_create(tenant=tenant, name="Checkout")
    client = client_with(issue(tenant, WRITE))

    response = client.post(
        "/api/v1/touchpoints/reorder",
        {"ordered_ids": [website.pk, checkout.pk, delivery.pk]},
        format="json",
    )

    assert response.status_code == 200
    assert [t["name"] for t in response.json()] == ["Website", "Checkout", "Delivery"]
    with tenant_context(tenant):
        assert list(Touchpoint.objects.order_by("position").values_list("name", "position")) == [
            ("Website", 10),
            ("Checkout", 20),
            ("Delivery", 30),
        ]


def test_touchpoint_reorder_must_name_each_own_touchpoint_once(tenant, other_tenant):
    with tenant_context(tenant):
        delivery = Touchpoint.objects.get(name="Delivery")
    website = touchpoint_create(tenant=tenant, name="Website")
    with tenant_context(other_tenant):
        foreign = Touchpoint.objects.get(name="Delivery")
    client = client_with(issue(tenant, WRITE))
    before, theirs = tenant_state(tenant), tenant_state(other_tenant)

    for ordered_ids in ([website.pk], [website.pk, website.pk], [website.pk, foreign.pk], []):
        response = client.post("/api/v1/touchpoints/reorder", {"ordered_ids": ordered_ids}, format="json")
        body = assert_problem(response, 400)
        assert list(body["errors"]) == ["ordered_ids"]
    assert tenant_state(tenant) == before and tenant_state(other_tenant) == theirs

    with tenant_context(tenant):
        assert list(Touchpoint.objects.order_by("position").values_list("pk", flat=True)) == [
            delivery.pk,
            website.pk,
        ]


def test_touchpoint_list_filters_by_stage_moment_of_truth_and_name(tenant):
    touchpoint_create(tenant=tenant, name="Website", journey_stage="awareness")
    touchpoint_create(tenant=tenant, name="Hotline", journey_stage="support", is_moment_of_truth=True)
    client = client_with(issue(tenant, READ))

    def names(query: str) -> list[str]:
        response = client.get(f"/api/v1/touchpoints?{query}")
        assert response.status_code == 200
        return [t["name"] for t in response.json()["results"]]

    assert names("journey_stage=support") == ["Hotline"]
    assert names("is_moment_of_truth=true") == ["Delivery", "Hotline"]
    assert names("is_moment_of_truth=false") == ["Website"]
    assert names("name=line&is_moment_of_truth=true") == ["Hotline"]
    assert names("") == ["Delivery", "Website", "Hotline"]  # journey order

    body = assert_problem(client.get("/api/v1/touchpoints?journey_stage=nirvana"), 400)
    assert "awareness" in body["errors"]["journey_stage"][0]


# --- Isolation between tenants ----------------------------------------------------------------


@pytest.mark.parametrize("resource", ["departments", "touchpoints"])
def test_another_tenants_rows_answer_exactly_like_missing_ones(tenant, other_tenant, resource):
    model = Department if resource == "departments" else Touchpoint
    before = rows(model, other_tenant)
    foreign_id = before[0][0]
    missing_id = foreign_id + 10_000
    client = client_with(issue(tenant, WRITE))

    for method in ("get", "patch", "delete"):
        call = getattr(client, method)
        foreign = call(f"/api/v1/{resource}/{foreign_id}", {"name": "Taken over"}, format="json")
        missing = call(f"/api/v1/{resource}/{missing_id}", {"name": "Taken over"}, format="json")
        assert assert_problem(foreign, 404) == assert_problem(missing, 404)

    assert rows(model, other_tenant) == before


@pytest.mark.parametrize("path", ["/api/v1/departments/abc", "/api/v1/departments/99999999999999999999"])
def test_an_id_that_is_no_id_is_not_found(tenant, path):
    assert_problem(client_with(issue(tenant, READ)).get(path), 404)


def test_lists_show_only_the_keys_tenant(tenant, other_tenant):
    department_create(tenant=other_tenant, name="Globex Only")
    client = client_with(issue(tenant, READ))
    departments = client.get("/api/v1/departments").json()["results"]
    touchpoints = client.get("/api/v1/touchpoints").json()["results"]
    assert [d["id"] for d in departments] == [row[0] for row in rows(Department, tenant)]
    assert [t["id"] for t in touchpoints] == [row[0] for row in rows(Touchpoint, tenant)]


def test_a_tenant_named_in_the_body_or_a_header_is_ignored(tenant, other_tenant):
    before = rows(Department, other_tenant)
    client = client_with(issue(tenant, WRITE), HTTP_X_TENANT="globex")

    response = client.post(
        "/api/v1/departments", {"name": "Shipping", "tenant": other_tenant.pk}, format="json"
    )

    assert response.status_code == 201
    assert "Shipping" in [row[1] for row in rows(Department, tenant)]
    assert rows(Department, other_tenant) == before


def test_mass_assignment_of_tenant_id_and_slug_changes_nothing(tenant, other_tenant):
    foreign = rows(Department, other_tenant)[0]
    client = client_with(issue(tenant, WRITE))

    created = client.post(
        "/api/v1/departments",
        {"name": "Billing", "tenant": other_tenant.pk, "id": foreign[0], "slug": "hijack"},
        format="json",
    ).json()
    assert created["id"] != foreign[0] and created["slug"] == "billing"

    touchpoint = client.post(
        "/api/v1/touchpoints", {"name": "Kiosk", "position": 1, "slug": "x", "tenant": 0}, format="json"
    ).json()
    assert (touchpoint["slug"], touchpoint["position"]) == ("kiosk", 20)  # position is set on update

    patched = client.patch(
        f"/api/v1/touchpoints/{touchpoint['id']}",
        {"id": foreign[0], "slug": "hijack", "tenant": other_tenant.pk, "name": "Kiosk 2"},
        format="json",
    )
    assert patched.status_code == 200
    assert (patched.json()["id"], patched.json()["slug"]) == (touchpoint["id"], "kiosk")

    with tenant_context(tenant):
        assert Department.objects.filter(pk=created["id"], slug="billing").exists()
        assert Touchpoint.objects.filter(pk=touchpoint["id"], name="Kiosk 2", slug="kiosk").exists()
    assert rows(Department, other_tenant) == [foreign]
    assert [row[1] for row in rows(Touchpoint, other_tenant)] == ["Delivery"]


# --- Authentication and scopes ----------------------------------------------------------------


def _wrong_secret(key: str) -> str:
    return key[:-4] + ("AAAA" if not key.endswith("AAAA") else "BBBB")


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        (None, "Send an API key"),
        ("Basic dXNlcjpwYXNz", "Bearer <key>"),
        ("Token {key}", "Bearer <key>"),
        ("Bearer", "Bearer <key>"),
        ("Bearer {key} extra", "Bearer <key>"),
        ("Bearer not-a-key", "malformed"),
        ("Bearer cxg_acme_1234abcd_secret", "malformed"),
        ("Bearer cxg_999999_1234abcd_secret", "not valid"),
        ("Bearer {unknown_prefix}", "not valid"),
        ("Bearer {wrong_secret}", "not valid"),
    ],
)
def test_requests_without_a_valid_key_are_401_problems(tenant, authorization, message):
    key = issue(tenant, READ)
    client = APIClient()
    if authorization is not None:
        header = authorization.format(
            key=key,
            unknown_prefix=f"cxg_{tenant.pk}_00000000_{key.rsplit('_', 1)[-1]}",
            wrong_secret=_wrong_secret(key),
        )
        client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/departments")

    body = assert_problem(response, 401)
    assert message in body["detail"]
    assert response["WWW-Authenticate"] == 'Bearer realm="cxgov"'
    assert key not in response.content.decode()


def test_a_revoked_key_is_refused_and_its_use_recorded(tenant):
    issued = api_key_create(tenant=tenant, name="Old CRM", scopes=READ)
    api_key_revoke(tenant=tenant, api_key=issued.api_key)

    response = client_with(issued.secret).get("/api/v1/tenant")

    assert "revoked" in assert_problem(response, 401)["detail"]
    [event] = audit(tenant, action="api_key.used_after_revocation")
    assert (event.actor_kind, event.actor_id, event.category) == ("api_key", issued.api_key.pk, "security")


def test_a_revoked_key_is_refused_at_once_though_its_last_use_was_cached(tenant):
    issued = api_key_create(tenant=tenant, name="ERP", scopes=READ)
    client = client_with(issued.secret)
    assert client.get("/api/v1/tenant").status_code == 200
    assert api_key_cached(issued.api_key.secret_hash) is not None  # the next request reads no table

    api_key_revoke(tenant=tenant, api_key=issued.api_key)

    assert api_key_cached(issued.api_key.secret_hash) is None
    assert "revoked" in assert_problem(client.get("/api/v1/tenant"), 401)["detail"]
    assert len(audit(tenant, action="api_key.used_after_revocation")) == 1


def test_a_cached_key_is_refused_once_it_expires_or_its_tenant_is_suspended(tenant):
    issued = api_key_create(
        tenant=tenant, name="Temp", scopes=READ, expires_at=timezone.now() + timedelta(days=1)
    )
    client = client_with(issued.secret)
    assert client.get("/api/v1/tenant").status_code == 200
    tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED)
    assert "suspended" in assert_problem(client.get("/api/v1/tenant"), 401)["detail"]

    tenant_set_status(tenant=tenant, status=Tenant.Status.ACTIVE)
    assert client.get("/api/v1/tenant").status_code == 200
    with tenant_context(tenant):  # past its expiry, without a save: the cached entry stays
        ApiKey.objects.filter(pk=issued.api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    cached_tenant, cached_key = api_key_cached(issued.api_key.secret_hash)
    cached_key.expires_at = timezone.now() - timedelta(seconds=1)
    api_key_cache_store(issued.api_key.secret_hash, cached_tenant, cached_key)

    assert "expired" in assert_problem(client.get("/api/v1/tenant"), 401)["detail"]


def test_a_known_key_is_authenticated_without_reading_a_table(tenant, django_assert_num_queries):
    client = client_with(issue(tenant, READ))
    with django_assert_num_queries(4):  # tenant, key, its last use, the page
        assert client.get("/api/v1/departments").status_code == 200
    with django_assert_num_queries(1):  # the page
        assert client.get("/api/v1/departments").status_code == 200


def test_an_expired_key_is_refused_and_its_use_recorded(tenant):
    issued = api_key_create(
        tenant=tenant, name="Temp", scopes=READ, expires_at=timezone.now() + timedelta(days=1)
    )
    with tenant_context(tenant):
        ApiKey.objects.filter(pk=issued.api_key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = client_with(issued.secret).get("/api/v1/tenant")

    assert "expired" in assert_problem(response, 401)["detail"]
    assert len(audit(tenant, action="api_key.used_after_expiry", actor_id=issued.api_key.pk)) == 1


def test_a_suspended_tenants_key_is_refused(tenant):
    key = issue(tenant, READ)
    tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED)
    assert "suspended" in assert_problem(client_with(key).get("/api/v1/tenant"), 401)["detail"]


def test_a_key_without_the_scope_is_forbidden_and_changes_nothing(tenant):
    before = rows(Department, tenant)
    reader = client_with(issue(tenant, READ))
    department_id = before[0][0]

    for response in (
        reader.post("/api/v1/departments", {"name": "Billing"}, format="json"),
        reader.patch(f"/api/v1/departments/{department_id}", {"name": "X"}, format="json"),
        reader.delete(f"/api/v1/departments/{department_id}"),
        reader.post("/api/v1/touchpoints/reorder", {"ordered_ids": [1]}, format="json"),
    ):
        assert "promises:write" in assert_problem(response, 403)["detail"]
    assert rows(Department, tenant) == before

    feedback_only = client_with(issue(tenant, ["feedback:write"]))
    for path in ("/api/v1/departments", "/api/v1/touchpoints", f"/api/v1/departments/{department_id}"):
        body = assert_problem(feedback_only.get(path), 403)
        assert "promises:read" in body["detail"] and "promises:write" in body["detail"]


def test_a_method_the_endpoint_does_not_offer_is_405(tenant):
    client = client_with(issue(tenant, WRITE))
    department_id = rows(Department, tenant)[0][0]
    response = client.put(f"/api/v1/departments/{department_id}", {"name": "X"}, format="json")
    assert_problem(response, 405)
    assert "PATCH" in response["Allow"]
    assert_problem(client.post("/api/v1/tenant", {}, format="json"), 405)


# --- Secrets ----------------------------------------------------------------------------------


def test_the_database_holds_no_plaintext_key(tenant):
    issued = api_key_create(tenant=tenant, name="Survey tool", scopes=READ)
    secret_part = issued.secret.removeprefix(issued.api_key.prefix + "_")
    assert client_with(issued.secret).get("/api/v1/tenant").status_code == 200

    with tenant_context(tenant):
        stored = ApiKey.objects.unscoped().get(pk=issued.api_key.pk)
        assert issued.secret not in {stored.prefix, stored.secret_hash, stored.name}
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND has_table_privilege(c.oid, 'SELECT')"
            )
            tables = [name for (name,) in cursor.fetchall()]
            assert {"tenants_apikey", "tenants_auditevent"} <= set(tables)
            for table in tables:
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" AS r WHERE strpos(r::text, %s) > 0', [secret_part]
                )
                assert cursor.fetchone()[0] == 0, f"the key's secret is stored in {table}"
            cursor.execute(
                "SELECT count(*) FROM tenants_apikey AS r WHERE strpos(r::text, %s) > 0", [stored.prefix]
            )
            assert cursor.fetchone()[0] == 1  # the row is visible: the scan above looked at it

        [inserted] = AuditEvent.objects.filter(
            model="tenants.ApiKey", action="insert", object_id=str(stored.pk)
        )
        assert "secret_hash" not in inserted.changes
        assert "prefix" in inserted.changes
        assert not AuditEvent.objects.filter(changes__icontains=stored.secret_hash).exists()
        assert stored.secret_hash not in json.dumps([e.detail for e in AuditEvent.objects.all()])


# --- Validation errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "payload", "field", "message"),
    [
        ("/api/v1/departments", {}, "name", "Give it a name"),
        ("/api/v1/departments", {"name": "   "}, "name", "cannot be empty"),
        ("/api/v1/departments", {"name": None}, "name", "cannot be null"),
        ("/api/v1/departments", {"name": "x" * 121}, "name", "at most 120 characters"),
        ("/api/v1/departments", {"name": "customer SERVICE"}, "name", "already exists; choose another name"),
        ("/api/v1/touchpoints", {"name": "Kiosk", "journey_stage": "nirvana"}, "journey_stage", "awareness,"),
        ("/api/v1/touchpoints", {"name": "delivery"}, "name", "already exists"),
        ("/api/v1/touchpoints", {"name": "Kiosk", "is_moment_of_truth": "perhaps"}, "is_moment_of_truth", ""),
        ("/api/v1/touchpoints/reorder", {"ordered_ids": "all"}, "ordered_ids", ""),
    ],
)
def test_invalid_input_is_a_400_problem_per_field(tenant, path, payload, field, message):
    before = rows(Department, tenant), rows(Touchpoint, tenant)
    response = client_with(issue(tenant, WRITE)).post(path, payload, format="json")
    body = assert_problem(response, 400)
    assert list(body["errors"]) == [field]
    assert message in body["errors"][field][0]
    assert (rows(Department, tenant), rows(Touchpoint, tenant)) == before


def test_unknown_journey_stage_lists_the_allowed_ones(tenant):
    client = client_with(issue(tenant, WRITE))
    before = tenant_state(tenant)
    response = client.post(
        "/api/v1/touchpoints", {"name": "Kiosk", "journey_stage": "nirvana"}, format="json"
    )
    assert assert_problem(response, 400)["errors"] == {
        "journey_stage": [
            '"nirvana" is not a journey stage; use one of: awareness, consideration, purchase, '
            'delivery, use, support, loyalty (or "" for none).'
        ]
    }
    assert tenant_state(tenant) == before


def test_renaming_to_a_taken_name_is_refused_with_the_services_message(tenant):
    billing = department_create(tenant=tenant, name="Billing")
    response = client_with(issue(tenant, WRITE)).patch(
        f"/api/v1/departments/{billing.pk}", {"name": "Customer Service"}, format="json"
    )
    body = assert_problem(response, 400)
    assert body["errors"] == {
        "name": ["A department named 'Customer Service' already exists; choose another name."]
    }
    assert body["detail"] == body["errors"]["name"][0]
    assert "Billing" in [row[1] for row in rows(Department, tenant)]


def test_a_body_that_is_not_json_is_refused(tenant):
    client = client_with(issue(tenant, WRITE))
    before = tenant_state(tenant)
    malformed = client.post("/api/v1/departments", "{not json", content_type="application/json")
    assert "JSON parse error" in assert_problem(malformed, 400)["detail"]
    assert_problem(client.post("/api/v1/departments", "name=X", content_type="text/plain"), 415)
    assert tenant_state(tenant) == before


def test_a_department_still_referred_to_is_a_409_problem(tenant):
    with tenant_context(tenant):
        department = Department.objects.get(name="Customer Service")
    response = problem_exception_handler(RestrictedError("in use", {department}), {})
    assert response.status_code == 409
    assert response.content_type == PROBLEM
    assert "departments" in response.data["detail"]


# --- Audit trail ------------------------------------------------------------------------------


def test_api_writes_are_audited_with_the_key_and_the_request_id(tenant):
    issued = api_key_create(tenant=tenant, name="ERP", scopes=WRITE)
    client = client_with(issued.secret, HTTP_X_REQUEST_ID="partner-req-0001")

    department_id = client.post("/api/v1/departments", {"name": "Billing"}, format="json").json()["id"]
    client.patch(f"/api/v1/departments/{department_id}", {"name": "Invoicing"}, format="json")
    client.delete(f"/api/v1/departments/{department_id}")

    events = audit(tenant, model="tenants.Department", object_id=str(department_id))
    assert [e.action for e in events] == ["insert", "update", "delete"]
    for event in events:
        assert (event.actor_kind, event.actor_id, event.actor_label) == ("api_key", issued.api_key.pk, "ERP")
        assert event.request_id == "partner-req-0001"
    assert events[1].changes["name"] == ["Billing", "Invoicing"]


# --- Rate limits ------------------------------------------------------------------------------


def test_each_key_has_its_own_rate_limit(tenant, other_tenant, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/min"})
    busy = client_with(issue(tenant, READ))
    for _ in range(3):
        assert busy.get("/api/v1/departments").status_code == 200

    throttled = busy.get("/api/v1/departments")

    body = assert_problem(throttled, 429)
    assert 1 <= int(throttled["Retry-After"]) <= 60
    assert "retry in" in body["detail"]
    assert client_with(issue(tenant, READ)).get("/api/v1/departments").status_code == 200
    assert client_with(issue(other_tenant, READ)).get("/api/v1/departments").status_code == 200


def test_the_rate_limit_counts_in_one_window_counter_that_expires(tenant, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "5/min"})
    issued = api_key_create(tenant=tenant, name="ERP", scopes=READ)
    client = client_with(issued.secret)
    for _ in range(2):
        assert client.get("/api/v1/departments").status_code == 200

    redis = cache._cache.get_client(write=True)
    # Named by the key's hash (only its holder can spend it), incremented with the key's lookup.
    [counter] = redis.keys(cache.make_key(f"throttle_api_key_key-{issued.api_key.secret_hash[:32]}:*"))
    assert int(redis.get(counter)) == 2
    assert 0 < redis.ttl(counter) <= 61


# --- Query counts -----------------------------------------------------------------------------

# Authentication (tenant, key) and one query for the page, however many rows there are.
LIST_QUERIES = 3


@pytest.mark.parametrize("resource", ["departments", "touchpoints"])
def test_list_queries_do_not_grow_with_the_rows(tenant, resource, django_assert_max_num_queries):
    client = client_with(issue(tenant, READ))
    client.get(f"/api/v1/{resource}")  # the key's first use records last_used_at
    create = department_create if resource == "departments" else touchpoint_create

    counts = []
    for total in (3, 30):
        while len(rows(Department if resource == "departments" else Touchpoint, tenant)) < total:
            create(tenant=tenant, name=f"Row {total} {timezone.now().timestamp()}")
        with django_assert_max_num_queries(LIST_QUERIES) as captured:
            response = client.get(f"/api/v1/{resource}")
        assert len(response.json()["results"]) == total
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_tenant_endpoint_takes_a_fixed_number_of_queries(tenant, django_assert_max_num_queries):
    client = client_with(issue(tenant, READ))
    client.get("/api/v1/tenant")
    for n in range(20):
        department_create(tenant=tenant, name=f"Department {n}")
        touchpoint_create(tenant=tenant, name=f"Touchpoint {n}")
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/tenant").json()["touchpoints"]) == 21


# --- Schema and docs --------------------------------------------------------------------------


def test_the_schema_is_valid_openapi_listing_every_endpoint(db):
    response = Client().get("/api/schema/?format=json")

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/v1/tenant",
        "/api/v1/departments",
        "/api/v1/departments/{id}",
        "/api/v1/touchpoints",
        "/api/v1/touchpoints/{id}",
        "/api/v1/touchpoints/reorder",
    } <= schema["paths"].keys()
    assert schema["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "cxg_<tenant>_<key>_<secret>",
        "description": schema["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    create = schema["paths"]["/api/v1/departments"]["post"]
    assert create["security"] == [{"ApiKey": []}]
    assert "application/problem+json" in create["responses"]["400"]["content"]
    assert "tenant" not in json.dumps(schema["components"]["schemas"]["DepartmentRequest"])


def test_the_docs_are_served_from_our_static_files_without_a_cdn(db):
    response = Client().get("/api/docs/", HTTP_AUTHORIZATION="Bearer whatever")

    assert response.status_code == 200
    html = response.content.decode()
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in html
    assert '"/api/schema/"' in html
    assert not re.search(r"https?://", html)
    assert Client().get(bundle).status_code == 200


# --- Every endpoint names its action ----------------------------------------------------------


def _api_callbacks(patterns=api_urls.urlpatterns):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _api_callbacks(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            yield pattern.callback


def test_every_api_handler_names_an_action_of_the_permission_table():
    callbacks = list(_api_callbacks())
    assert len(callbacks) >= 7
    for callback in callbacks:
        assert view_actions(callback), callback
        if getattr(callback, "actions", None):  # a viewset route: each handler is named
            assert set(callback.actions.values()) <= callback.cls.cxgov_actions.keys(), callback.cls


def test_tenant_resources_cannot_bypass_the_selector_or_leave_a_handler_unnamed():
    with pytest.raises(TypeError, match="must not override get_queryset"):

        class Overriding(TenantResourceViewSet):
            def get_queryset(self):
                return Department.objects.unscoped()

    with pytest.raises(TypeError, match="names no permission action for: list"):

        class Unnamed(TenantResourceViewSet):
            cxgov_actions = {"retrieve": "department.view"}

            def list(self, request):
                return None


# --- Operator command -------------------------------------------------------------------------


def run(*args) -> str:
    out = io.StringIO()
    call_command("apikey_create", *args, stdout=out)
    return out.getvalue()


def test_apikey_create_prints_a_working_key_on_its_last_line(tenant):
    output = run("--tenant", "acme", "--name", "Survey tool", "--scopes", "feedback:write", "promises:read")

    lines = output.strip().splitlines()
    key = lines[-1]
    assert re.fullmatch(rf"cxg_{tenant.pk}_[0-9a-f]{{8}}_\S+", key)
    assert "Survey tool" in lines[0] and "shown only once" in lines[0]
    with tenant_context(tenant):
        stored = ApiKey.objects.get(name="Survey tool")
    assert (stored.scopes, stored.expires_at) == (["feedback:write", "promises:read"], None)
    assert client_with(key).get("/api/v1/departments").status_code == 200


def test_apikey_create_can_set_an_expiry(tenant):
    run("--tenant", "acme", "--name", "Pilot", "--scopes", "scores:read", "--expires-in-days", "30")
    with tenant_context(tenant):
        expires_at = ApiKey.objects.get(name="Pilot").expires_at
    assert abs(expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tenant", "nope", "--name", "X", "--scopes", "promises:read"], "No tenant has the slug 'nope'"),
        (["--tenant", "acme", "--name", "X", "--scopes", "promises:delete"], "feedback:write, promises:read"),
        (["--tenant", "acme", "--name", "X", "--scopes", "promises:delete"], "unknown: promises:delete"),
        (["--tenant", "acme", "--scopes", "promises:read"], "--name"),
        (["--tenant", "acme", "--name", "  ", "--scopes", "promises:read"], "Give the key a name"),
        (
            ["--tenant", "acme", "--name", "X", "--scopes", "promises:read", "--expires-in-days", "0"],
            "1 or more",
        ),
    ],
)
def test_apikey_create_explains_what_is_wrong(tenant, args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)
    with tenant_context(tenant):
        assert not ApiKey.objects.exists()


@pytest.mark.parametrize("page_size", ["null", "abc", "0", "-1", "501", "", "1.5"])
def test_a_malformed_page_size_is_400_naming_it(tenant, page_size):
    client = client_with(issue(tenant, ["promises:read"]))
    body = assert_problem(client.get(f"/api/v1/touchpoints?page_size={page_size}"), 400)
    assert "page_size" in body["errors"]
    assert "1 to 500" in body["errors"]["page_size"][0]


@pytest.mark.parametrize("cursor", ["M", "bm90LWEtY3Vyc29y", "cD1ub3QtYW4taWQ%3D"])
def test_a_cursor_this_list_did_not_hand_out_is_400_naming_it(tenant, cursor):
    client = client_with(issue(tenant, ["promises:read"]))
    body = assert_problem(client.get(f"/api/v1/departments?cursor={cursor}"), 400)
    assert "cursor" in body["errors"]


def test_the_schema_documents_page_size_bounds_and_the_400(tenant):
    schema = client_with().get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/touchpoints"]["get"]
    (page_size,) = [p for p in operation["parameters"] if p["name"] == "page_size"]
    assert page_size["schema"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert "400" in operation["responses"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("is_moment_of_truth=null", "is_moment_of_truth"),
        ("is_moment_of_truth=abc", "is_moment_of_truth"),
        ("journey_stage=", "journey_stage"),
        ("journey_stage=nowhere", "journey_stage"),
    ],
)
def test_malformed_filter_values_are_400_naming_the_parameter(tenant, query, parameter):
    client = client_with(issue(tenant, ["promises:read"]))
    body = assert_problem(client.get(f"/api/v1/touchpoints?{query}"), 400)
    assert parameter in body["errors"]


def test_a_name_that_is_not_a_string_is_refused_not_stored(tenant):
    client = client_with(issue(tenant, ["promises:write"]))
    before = rows(Department, tenant)
    body = assert_problem(client.post("/api/v1/departments", {"name": 0}, format="json"), 400)
    assert body["errors"]["name"] == ["Expected a string (text in double quotes), not a whole number."]
    assert rows(Department, tenant) == before


def test_deleting_a_touchpoint_still_measured_is_the_documented_409(tenant):
    from promises.commitments.services import commitment_create, measures_ensure_builtin
    from promises.models import Measure, Promise

    measures_ensure_builtin(tenant=tenant)
    with tenant_context(tenant):
        touchpoint = Touchpoint.objects.get(slug="delivery")
        promise = Promise.objects.create(
            kind="customer", slug="p", title="P", statement="S", owner=Department.objects.first()
        )
        commitment_create(
            tenant=tenant,
            promise=promise,
            measure=Measure.objects.get(key="csat"),
            target="4",
            touchpoint=touchpoint,
        )
    client = client_with(issue(tenant, ["promises:write"]))
    assert_problem(client.delete(f"/api/v1/touchpoints/{touchpoint.pk}"), 409)
    with tenant_context(tenant):
        assert Touchpoint.objects.filter(pk=touchpoint.pk).exists()
