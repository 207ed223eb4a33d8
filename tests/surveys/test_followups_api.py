"""One follow-up over the API: read it, assign its owner by e-mail (the inbox's rule and service),
unassign it; clear 400s naming the field, the write scope, the audit trail, another tenant's 404."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from surveys import services
from surveys.followups.services import followup_close
from surveys.models import FollowUp
from tenants.context import tenant_context
from tenants.models import AuditEvent, Membership
from tenants.services import api_key_create, member_add, member_set_active
from tests.conftest import TEST_PASSWORD
from tests.surveys.conftest import make_survey_world

pytestmark = pytest.mark.django_db


def _api(tenant, scopes) -> APIClient:
    client = APIClient()
    secret = api_key_create(tenant=tenant, name="Helpdesk", scopes=list(scopes)).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def _followup(world, nonce: str = "u1") -> FollowUp:
    services.survey_answer(tenant=world.tenant, survey=world.survey, score=2, nonce=nonce)
    with tenant_context(world.tenant):
        return FollowUp.objects.select_related("department").get()


def _stored(world, followup: FollowUp) -> FollowUp:
    with tenant_context(world.tenant):
        return FollowUp.objects.select_related("owner__user").get(pk=followup.pk)


@pytest.fixture
def writer(world) -> APIClient:
    return _api(world.tenant, ["followups:write"])


def test_read_one_follow_up(world):
    followup = _followup(world)
    reader = _api(world.tenant, ["followups:read"])
    body = reader.get(f"/api/v1/followups/{followup.pk}").json()
    assert (body["id"], body["score"], body["department"], body["owner"], body["status"]) == (
        followup.pk,
        2,
        "customer-service",
        None,
        "open",
    )
    missing = reader.get("/api/v1/followups/999999")
    assert missing.status_code == 404 and missing.json()["detail"].startswith("Not found")


def test_assign_by_e_mail_then_unassign_with_the_audit_trail(world, writer):
    followup = _followup(world)
    assigned = writer.patch(
        f"/api/v1/followups/{followup.pk}", {"owner": "Employee@ACME.test"}, format="json"
    )
    assert assigned.status_code == 200, assigned.content
    assert assigned.json()["owner"] == "employee@acme.test"
    assert _stored(world, followup).owner.user.email == "employee@acme.test"
    assert writer.get(f"/api/v1/followups/{followup.pk}").json()["owner"] == "employee@acme.test"
    cleared = writer.patch(f"/api/v1/followups/{followup.pk}", {"owner": None}, format="json")
    assert cleared.status_code == 200 and cleared.json()["owner"] is None
    assert _stored(world, followup).owner_id is None
    with tenant_context(world.tenant):
        employee = Membership.objects.get(user__email="employee@acme.test")
        changes = [
            (e.actor_kind, e.actor_label, e.changes.get("owner_id"))
            for e in AuditEvent.objects.filter(
                model="surveys.FollowUp", object_id=str(followup.pk), action="update"
            ).order_by("id")
        ]
    assert [(kind, label) for kind, label, _ in changes] == [("api_key", "Helpdesk")] * 2
    assert [owner for _, _, owner in changes] == [[None, employee.pk], [employee.pk, None]]


def test_the_inbox_s_rule_on_owners_with_errors_naming_the_field(world, writer, marketing_manager):
    followup = _followup(world)
    url = f"/api/v1/followups/{followup.pk}"

    def refused(body) -> str:
        response = writer.patch(url, body, format="json")
        assert response.status_code == 400, (body, response.content)
        assert list(response.json()["errors"]) == ["owner"], response.json()
        return response.json()["errors"]["owner"][0]

    assert refused({"owner": "nobody@acme.test"}) == "No member has the e-mail nobody@acme.test."
    # A manager of another department, a viewer: not owners of Customer Service's follow-ups.
    assert "mkt.manager@acme.test cannot own this follow-up" in refused({"owner": "mkt.manager@acme.test"})
    assert "or an active manager or employee of Customer Service" in refused({"owner": "viewer@acme.test"})
    # Another tenant's member is no member here.
    assert "No member" in refused({"owner": "admin@globex.test"})
    # A deactivated member of the department: not any more.
    leaver = member_add(
        tenant=world.tenant,
        email="leaver@acme.test",
        role="employee",
        password=TEST_PASSWORD,
        departments=[world.service],
    )
    with tenant_context(world.tenant):
        admin = Membership.objects.get(user__email="admin@acme.test")
    member_set_active(tenant=world.tenant, membership=leaver, active=False, changed_by=admin)
    assert "cannot own this follow-up" in refused({"owner": "leaver@acme.test"})
    # Bad input: not an e-mail, not a string, left out.
    assert "valid email" in refused({"owner": "not an address"})
    assert refused({"owner": 12}).startswith("Expected a string")
    assert refused({}) == "Send owner: a member's e-mail, or null for nobody."
    # An admin of the tenant may own any follow-up.
    assert writer.patch(url, {"owner": "admin@acme.test"}, format="json").status_code == 200
    assert _stored(world, followup).owner.user.email == "admin@acme.test"


def test_a_closed_follow_up_keeps_its_owner(world, writer):
    followup = _followup(world)
    followup_close(tenant=world.tenant, followup=followup, outcome="resolved", note="Refund sent.")
    response = writer.patch(
        f"/api/v1/followups/{followup.pk}", {"owner": "employee@acme.test"}, format="json"
    )
    assert response.status_code == 400
    assert "a closed follow-up keeps its owner" in response.json()["errors"]["owner"][0]
    assert _stored(world, followup).owner_id is None


def test_a_closed_follow_up_keeps_its_owner_in_the_inbox_too(world, member_clients):
    followup = _followup(world)
    followup_close(tenant=world.tenant, followup=followup, outcome="resolved", note="Refund sent.")
    with tenant_context(world.tenant):
        employee = Membership.objects.get(user__email="employee@acme.test")
    page = member_clients["manager"].post(
        f"/followups/{followup.pk}/assign/", {"owner": employee.pk}, follow=True
    )
    assert "a closed follow-up keeps its owner" in page.content.decode()
    assert _stored(world, followup).owner_id is None


def test_assigning_needs_the_write_scope(world):
    followup = _followup(world)
    reader = _api(world.tenant, ["followups:read"])
    response = reader.patch(
        f"/api/v1/followups/{followup.pk}", {"owner": "employee@acme.test"}, format="json"
    )
    assert response.status_code == 403
    assert _stored(world, followup).owner_id is None


def test_another_tenants_follow_up_is_not_found(world, other_tenant, writer):
    other = make_survey_world(other_tenant)
    services.survey_answer(tenant=other_tenant, survey=other.survey, score=0, nonce="o1")
    with tenant_context(other_tenant):
        theirs = FollowUp.objects.get()
    assert writer.get(f"/api/v1/followups/{theirs.pk}").status_code == 404
    response = writer.patch(f"/api/v1/followups/{theirs.pk}", {"owner": "admin@acme.test"}, format="json")
    assert response.status_code == 404
    with tenant_context(other_tenant):
        assert FollowUp.objects.get().owner_id is None
