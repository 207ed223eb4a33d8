"""A tenant with a scored promise, a commitment, an escalation and a breach event to act on.

acme's members (``tests.conftest.make_tenant``): ``manager`` and ``employee`` of Customer
Service, ``admin`` and ``viewer`` of no department; here also ``logistics``, a manager of
Logistics only, and ``employee2`` of Customer Service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.escalations.models import Escalation
from metrics.actions.services import action_create, tenant_today
from metrics.models import Action, BreachEvent
from promises.models import Commitment, Promise
from tenants.context import tenant_context
from tenants.models import Department, Membership, Tenant
from tenants.services import department_create, member_add
from tests.conftest import TEST_PASSWORD
from tests.metrics.conftest import scoring_setup


@dataclass
class World:
    tenant: Tenant
    promise: Promise
    commitment: Commitment
    cs: Department
    logistics: Department
    escalation: Escalation
    breach: BreachEvent

    def member(self, role_or_name: str) -> Membership:
        return Membership.objects.select_related("user").get(
            user__email=f"{role_or_name}@{self.tenant.slug}.test"
        )

    def plan(self, **values) -> Action:
        """An action planned by the admin (defaults: about the promise, owned by the employee)."""
        values.setdefault("title", "Call back every refund request within a day")
        values.setdefault("owner", self.member("employee"))
        values.setdefault("department", self.cs)
        values.setdefault("due_on", tenant_today(self.tenant) + timedelta(days=10))
        if not {"promise", "escalation", "breach_event"} & set(values):
            values["promise"] = self.promise
        return action_create(tenant=self.tenant, actor=self.member("admin"), **values)


def world_setup(tenant: Tenant) -> World:
    scoring = scoring_setup(tenant)
    logistics = department_create(tenant=tenant, name="Logistics")
    member_add(
        tenant=tenant,
        email=f"logistics@{tenant.slug}.test",
        role="manager",
        password=TEST_PASSWORD,
        departments=[logistics],
    )
    member_add(
        tenant=tenant,
        email=f"employee2@{tenant.slug}.test",
        role="employee",
        password=TEST_PASSWORD,
        departments=[scoring.cs],
    )
    with tenant_context(tenant):
        promise = scoring.promise("fast-refunds", title="Fast refunds", owner=scoring.cs)
        commitment = scoring.commitment(
            promise, "csat", target="80", touchpoint=scoring.returns, window_days=28, min_sample=1
        )
        escalation = Escalation.objects.create(
            title="Refunds stuck",
            severity="high",
            department=scoring.cs,
            promise=promise,
            proposer_kind="system",
            proposed_at=timezone.now(),
            decision_due_at=timezone.now() + timedelta(days=1),
        )
        breach = BreachEvent.objects.create(
            kind="commitment_not_met",
            scope="commitment",
            scope_id=commitment.pk,
            promise=promise,
            commitment=commitment,
            department=scoring.cs,
            title="CSAT at Returns is no longer met",
            as_of=timezone.now(),
        )
    return World(tenant, promise, commitment, scoring.cs, logistics, escalation, breach)


@pytest.fixture
def world(tenant) -> World:
    built = world_setup(tenant)
    with tenant_context(tenant):
        yield built
