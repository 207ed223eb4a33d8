"""The follow-up pages and endpoints: who sees which, filters and pages with a fixed number of
queries, assigning and closing with clear errors, another tenant's follow-up not found."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from surveys import services
from surveys.models import FollowUp
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.services import api_key_create, member_add
from tests.conftest import TEST_PASSWORD, signed_in
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


def _unhappy(world, n: int, *, start: int = 0) -> list[FollowUp]:
    for i in range(start, start + n):
        services.survey_answer(tenant=world.tenant, survey=world.survey, score=i % 7, nonce=f"u{i}")
    with tenant_context(world.tenant):
        return list(FollowUp.objects.order_by("id"))


def _member(world, email: str) -> Membership:
    with tenant_context(world.tenant):
        return Membership.objects.get(user__email=email)


def _api(tenant, scopes) -> APIClient:
    client = APIClient()
    secret = api_key_create(tenant=tenant, name="Helpdesk", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_the_inbox_by_role(world, member_clients):
    (followup,) = _unhappy(world, 1)
    for role in ("admin", "manager"):
        page = member_clients[role].get("/followups/")
        assert page.status_code == 200
        assert f'href="/followups/{followup.pk}/"' in page.content.decode()
    # An employee sees only what they own; a viewer has no inbox (the contact is personal data).
    employee = member_clients["employee"].get("/followups/").content.decode()
    assert "No open follow-up." in employee
    assert member_clients["employee"].get(f"/followups/{followup.pk}/").status_code == 404
    assert member_clients["viewer"].get("/followups/").status_code == 403
    # The menu and the home page show the inbox and its open count.
    home = member_clients["manager"].get("/").content.decode()
    assert 'href="/followups/">Follow-ups</a>' in home
    assert 'id="followups-count">1<' in home


def test_a_manager_of_another_department_does_not_see_it(world, member_clients):
    (followup,) = _unhappy(world, 1)
    member_add(
        tenant=world.tenant,
        email="mkt@acme.test",
        role="manager",
        password=TEST_PASSWORD,
        departments=[world.marketing],
    )
    client = signed_in("acme", "mkt@acme.test")
    assert f"/followups/{followup.pk}/" not in client.get("/followups/").content.decode()
    assert client.get(f"/followups/{followup.pk}/").status_code == 404
    closing = client.post(f"/followups/{followup.pk}/close/", {"outcome": "resolved", "note": "x"})
    assert closing.status_code == 404


def test_filters_pages_and_empty_state_with_a_fixed_number_of_queries(world, member_clients):
    _unhappy(world, 3)
    admin = member_clients["admin"]
    admin.get("/followups/")  # warm the session and the member's caches

    def count(path: str) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            assert admin.get(path).status_code == 200
        return len(queries)

    few = count("/followups/")
    _unhappy(world, 30, start=3)
    assert count("/followups/") == few
    page = admin.get("/followups/").content.decode()
    assert "Page 1 of 2" in page and page.count('href="/followups/') >= 25
    assert "Page 2 of 2" in admin.get("/followups/?page=2").content.decode()
    with tenant_context(world.tenant):
        first = FollowUp.objects.order_by("id").first()
    services_close = {"outcome": "resolved", "note": "Refund sent."}
    assert admin.post(f"/followups/{first.pk}/close/", services_close).status_code == 302
    closed = admin.get("/followups/?status=closed").content.decode()
    assert f'href="/followups/{first.pk}/"' in closed and "Closed: resolved" in closed
    other = admin.get(f"/followups/?department={world.marketing.pk}").content.decode()
    assert "No follow-up matches these filters." in other
    bad = admin.get("/followups/?status=maybe").content.decode()
    assert "Choose open, closed or all." in bad


def test_assign_then_the_owner_closes_with_an_outcome_and_note(world, member_clients):
    (followup,) = _unhappy(world, 1)
    employee = _member(world, "employee@acme.test")
    manager = member_clients["manager"]
    # The employee cannot assign; the manager assigns to someone of the department.
    assert member_clients["employee"].post(
        f"/followups/{followup.pk}/assign/", {"owner": employee.pk}
    ).status_code in (403, 404)
    stranger = member_add(
        tenant=world.tenant,
        email="mkt2@acme.test",
        role="employee",
        password=TEST_PASSWORD,
        departments=[world.marketing],
    )
    refused = manager.post(f"/followups/{followup.pk}/assign/", {"owner": stranger.pk})
    assert refused.status_code == 400 and "Choose an owner from the list" in refused.content.decode()
    assert manager.post(f"/followups/{followup.pk}/assign/", {"owner": employee.pk}).status_code == 302
    # Now the employee owns it: sees it and closes it.
    client = member_clients["employee"]
    page = client.get(f"/followups/{followup.pk}/")
    assert page.status_code == 200 and "Close follow-up" in page.content.decode()
    missing = client.post(f"/followups/{followup.pk}/close/", {"outcome": "", "note": ""})
    html = missing.content.decode()
    assert missing.status_code == 400
    assert "Choose the outcome: contacted, resolved or could not reach." in html
    assert "Write a note on what was done" in html
    done = client.post(f"/followups/{followup.pk}/close/", {"outcome": "contacted", "note": "Called him."})
    assert done.status_code == 302
    with tenant_context(world.tenant):
        stored = FollowUp.objects.get(pk=followup.pk)
    assert (stored.status, stored.outcome, stored.note, stored.owner_id, stored.closed_by_id) == (
        "closed",
        "contacted",
        "Called him.",
        employee.pk,
        employee.pk,
    )
    again = manager.post(
        f"/followups/{followup.pk}/close/", {"outcome": "resolved", "note": "x"}, follow=True
    )
    assert "This follow-up was already closed" in again.content.decode()
    with tenant_context(world.tenant):
        assert FollowUp.objects.get(pk=followup.pk).outcome == "contacted"


def test_the_api_lists_with_filters_and_a_fixed_number_of_queries(world):
    tenant = world.tenant
    _unhappy(world, 3)
    api = _api(tenant, ["followups:read"])
    api.get("/api/v1/followups")  # the key's first use is recorded once

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        body = api.get("/api/v1/followups").json()
    assert [f["score"] for f in body["results"]] == [0, 1, 2]
    first = body["results"][0]
    assert (first["department"], first["touchpoint"], first["measure"], first["status"]) == (
        "customer-service",
        "returns",
        "nps",
        "open",
    )
    assert first["consented"] is False and first["contact"] is None
    _unhappy(world, 20, start=3)
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/followups?page_size=50").json()["results"]) == 23
    assert len(many) == len(few)
    assert api.get("/api/v1/followups?status=closed").json()["results"] == []
    assert api.get("/api/v1/followups?department=marketing").json()["results"] == []
    bad = api.get("/api/v1/followups?status=maybe")
    assert bad.status_code == 400 and "use open or closed" in str(bad.json())


def test_the_api_closes_with_the_write_scope_only(world):
    (followup,) = _unhappy(world, 1)
    reader = _api(world.tenant, ["followups:read"])
    assert (
        reader.post(
            f"/api/v1/followups/{followup.pk}/close", {"outcome": "resolved", "note": "x"}, format="json"
        ).status_code
        == 403
    )
    writer = _api(world.tenant, ["followups:write"])
    bad = writer.post(
        f"/api/v1/followups/{followup.pk}/close", {"outcome": "happy", "note": "x"}, format="json"
    )
    assert bad.status_code == 400 and "happy is not an outcome" in str(bad.json())
    done = writer.post(
        f"/api/v1/followups/{followup.pk}/close",
        {"outcome": "could_not_reach", "note": "No answer."},
        format="json",
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["outcome"]) == ("closed", "could_not_reach")
    again = writer.post(
        f"/api/v1/followups/{followup.pk}/close", {"outcome": "resolved", "note": "x"}, format="json"
    )
    assert again.status_code == 409
    assert (
        writer.post(
            "/api/v1/followups/999999/close", {"outcome": "resolved", "note": "x"}, format="json"
        ).status_code
        == 404
    )


def test_another_tenants_follow_up_is_not_found(world, other_tenant, member_clients):
    (followup,) = _unhappy(world, 1)
    other = make_survey_world(other_tenant)
    services.survey_answer(tenant=other_tenant, survey=other.survey, score=0, nonce="o1")
    with tenant_context(other_tenant):
        theirs = FollowUp.objects.get()
    assert member_clients["admin"].get(f"/followups/{theirs.pk}/").status_code == 404
    closing = member_clients["admin"].post(
        f"/followups/{theirs.pk}/close/", {"outcome": "resolved", "note": "x"}
    )
    assert closing.status_code == 404
    api = _api(world.tenant, ["followups:write"])
    assert [f["id"] for f in api.get("/api/v1/followups").json()["results"]] == [followup.pk]
    response = api.post(
        f"/api/v1/followups/{theirs.pk}/close", {"outcome": "resolved", "note": "x"}, format="json"
    )
    assert response.status_code == 404
    with tenant_context(other_tenant):
        assert FollowUp.objects.get().status == "open"
