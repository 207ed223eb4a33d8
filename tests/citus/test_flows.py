"""End-to-end flows of every app on a Citus cluster (``make test-citus``), as the application
role, each also with local execution off on the coordinator (every query crosses a connection
to a worker): what a tenant does, read back the way its users and partners read it, and
another tenant seeing none of it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from feedback.escalations.models import Escalation, EscalationState
from feedback.signals.models import SurveyResponse
from feedback.stories.models import Story
from metrics.digests import services as digest_services
from metrics.models import Digest, ScoreRun, SurveyRollup
from metrics.services import scores_run
from promises.commitments.services import commitment_create
from promises.models import CommitmentVersion, Measure, Promise, SignOff
from promises.signoffs.services import promise_activate_override, promise_submit
from tenants.context import tenant_context
from tenants.delivery.services import outbox_deliver
from tenants.models import Department, Membership, OutboxMessage, Tenant
from tenants.services import api_key_create, department_create, member_add
from tests.conftest import TEST_PASSWORD, make_tenant
from tests.feedback.conftest import client_with, escalation_setup, signal_setup
from tests.feedback.escalations.test_escalations import member, move, propose
from tests.metrics.digests.helpers import seed_digest_tenant
from tests.promises.conftest import (
    World,
    at,
    world,  # noqa: F401  (the fixture)
)

pytestmark = pytest.mark.citus


@pytest.fixture(params=["local execution", "no local execution on the coordinator"])
def execution(request, db):
    """Without local execution the coordinator runs no shard query itself: every query crosses
    a connection to a worker. Set in the test's transaction, whose rollback undoes it."""
    if request.param != "local execution":
        with connection.cursor() as cursor:
            cursor.execute("SET citus.enable_local_execution = off")
    return request.param


def _api(tenant: Tenant, *scopes: str):
    return client_with(api_key_create(tenant=tenant, name="partner", scopes=list(scopes)).secret)


def test_a_tenant_with_departments_and_members(execution, other_tenant):
    tenant = make_tenant("initech", "Initech")  # tenant, a department, a touchpoint, one member per role
    department_create(tenant=tenant, name="Billing")
    member_add(
        tenant=tenant, email="billing@initech.test", role="employee", password=TEST_PASSWORD, departments=[]
    )
    answer = _api(tenant, "promises:read").get("/api/v1/departments")
    assert answer.status_code == 200, answer.content
    assert sorted(d["name"] for d in answer.json()["results"]) == ["Billing", "Customer Service"]
    with tenant_context(tenant):
        assert Membership.objects.filter(user__email__endswith="@initech.test").count() == 5
        assert Membership.objects.get(user__email="billing@initech.test").role == "employee"
    with tenant_context(other_tenant):
        assert not Department.objects.filter(name="Billing").exists()
        assert not Membership.objects.filter(user__email__endswith="@initech.test").exists()
    other = _api(other_tenant, "promises:read").get("/api/v1/departments")
    assert [d["name"] for d in other.json()["results"]] == ["Customer Service"]


def test_a_promise_signed_off_activates_with_its_commitment(
    execution,
    world: World,  # noqa: F811  (the fixture imported above)
    other_tenant,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    promise = world.customer_promise()  # owned by Operations, Customer Service contributing
    with django_capture_on_commit_callbacks(execute=True):
        world.approve_all(promise, when=at(1))  # submitted, then both departments approve
    promise = Promise.objects.get(pk=promise.pk)
    assert (promise.status, promise.activated_at) == ("active", at(1, hours=1))
    version = CommitmentVersion.objects.get(commitment__promise=promise)
    assert (version.effective_from, version.effective_to) == (at(1, hours=1), None)
    assert set(SignOff.objects.filter(promise=promise).values_list("status", flat=True)) == {"approved"}
    answer = _api(world.tenant, "promises:read").get("/api/v1/promises")
    assert [(p["slug"], p["status"]) for p in answer.json()["results"]] == [(promise.slug, "active")]
    subjects = [m.subject for m in mailoutbox]
    assert subjects[-1] == "[cxgov] Promise active: Hassle-free returns"
    assert subjects[:-1] == ["[cxgov] Sign-off requested: Hassle-free returns"] * 2
    with tenant_context(other_tenant):
        assert not Promise.objects.exists() and not SignOff.objects.exists()
    assert _api(other_tenant, "promises:read").get("/api/v1/promises").json()["results"] == []


def test_ingest_keeps_the_rollups_and_the_api_reads_the_recomputed_scores(execution, tenant, other_tenant):
    signal_setup(tenant)  # built-in measures, promise fast-refunds owned by Customer Service
    now = timezone.now().replace(microsecond=0)
    with tenant_context(tenant):
        promise = Promise.objects.get(slug="fast-refunds")
        measure = Measure.objects.get(key="csat")
    commitment_create(
        tenant=tenant,
        promise=promise,
        measure=measure,
        touchpoint=None,
        target=80,
        at=now - timedelta(days=2),
    )
    admin = member(tenant, "admin")
    promise_submit(
        tenant=tenant, promise=promise, actor=member(tenant, "manager"), at=now - timedelta(days=2)
    )
    promise_activate_override(
        tenant=tenant, promise=promise, actor=admin, reason="Launch day.", at=now - timedelta(days=1)
    )
    writer = _api(tenant, "feedback:write")
    items = [
        {
            "measure": "csat",
            "score": 5 if i % 4 else 2,
            "occurred_at": (now - timedelta(hours=i + 1)).isoformat(),
        }
        for i in range(20)
    ]
    answer = writer.post("/api/v1/survey-responses", {"items": items}, format="json")
    assert answer.status_code in (200, 201, 207), answer.content
    with tenant_context(tenant):
        assert SurveyResponse.objects.count() == 20
        assert sum(SurveyRollup.objects.values_list("n", flat=True)) == 20
        run = scores_run(tenant=tenant, kind="recompute", at=now)
        assert ScoreRun.objects.filter(pk=run.pk).exists()
    scores = _api(tenant, "scores:read").get("/api/v1/scores")
    assert scores.status_code == 200, scores.content
    (commitment,) = scores.json()["commitments"]
    assert (commitment["measure"], commitment["n"], commitment["actual"]) == ("csat", 20, 75.0)
    with tenant_context(other_tenant):
        assert not SurveyResponse.objects.exists() and not SurveyRollup.objects.exists()
        assert not ScoreRun.objects.exists()
    assert _api(other_tenant, "scores:read").get("/api/v1/scores").json()["commitments"] == []


def test_an_escalation_proposed_and_approved(execution, tenant, other_tenant, mailoutbox):
    escalation_setup(tenant)
    escalation = propose(tenant)  # from a new story by employee@acme.test, to Customer Service
    assert escalation.state == EscalationState.PROPOSED
    escalation = move(tenant, escalation, "approve", "manager", note="On it.")
    with tenant_context(tenant):
        escalation = Escalation.objects.get(pk=escalation.pk)
        assert (escalation.state, escalation.owner) == (EscalationState.APPROVED, member(tenant, "manager"))
        assert Story.objects.filter(escalations=escalation).count() == 1
        assert outbox_deliver(kind="escalation")["sent"] >= 2
    sent = sorted((m.to[0], m.subject) for m in mailoutbox)
    assert {to for to, _ in sent} >= {"employee@acme.test", "manager@acme.test"}, sent
    listed = _api(tenant, "escalations:read").get("/api/v1/escalations")
    assert [e["id"] for e in listed.json()["results"]] == [escalation.pk]
    with tenant_context(other_tenant):
        assert not Escalation.objects.exists() and not Story.objects.exists()
        assert not OutboxMessage.objects.exists()
    assert (
        _api(other_tenant, "escalations:read").get(f"/api/v1/escalations/{escalation.pk}").status_code == 404
    )


DIGEST_NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_digest_delivered_through_the_outbox(execution, other_tenant):
    seeded = seed_digest_tenant(now=DIGEST_NOW)
    with tenant_context(seeded.tenant):
        department = seeded.departments["Customer Service"]
        digest_services.digest_send_department(
            tenant=seeded.tenant, department=department, period=seeded.period, now=DIGEST_NOW
        )
        queued = OutboxMessage.objects.filter(kind="digest").count()
        assert queued == Digest.objects.get(department=department).recipients > 0
        outbox_deliver()
        assert not OutboxMessage.objects.filter(kind="digest", sent_at__isnull=True).exists()
    assert len(mail.outbox) == queued
    for message in mail.outbox:
        assert "http://acme.localhost:8000/" in message.body
        assert "Customer Service" in message.subject or "Customer Service" in message.body
    with tenant_context(other_tenant):
        assert not Digest.objects.exists() and not OutboxMessage.objects.exists()
