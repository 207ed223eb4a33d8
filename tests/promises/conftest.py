"""A tenant ready for promises: departments with managers, touchpoints, measures.

``world`` runs the test body inside acme's tenant context. Times are explicit (``T0`` and
later) so that effective dates can be asserted exactly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from promises.commitments.services import commitment_create, measure_create, measures_ensure_builtin
from promises.models import Measure, Promise
from promises.services import promise_create
from promises.signoffs.services import promise_sign_off, promise_submit
from tenants.context import tenant_context
from tenants.models import Department, Membership, Tenant, Touchpoint
from tenants.services import department_create, member_add, touchpoint_create
from tests.conftest import TEST_PASSWORD

# Far enough in the past that every step of a test can happen after it and before now.
T0 = (timezone.now() - timedelta(days=365)).replace(microsecond=0)


def at(days: float = 0, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


@dataclass
class World:
    tenant: Tenant
    cs: Department  # Customer Service: manager@acme.test and employee@acme.test
    ops: Department  # Operations: ops.manager@acme.test
    mkt: Department  # Marketing: mkt.manager@acme.test
    delivery: Touchpoint
    returns: Touchpoint
    admin: Membership
    manager: Membership
    employee: Membership
    viewer: Membership
    ops_manager: Membership
    mkt_manager: Membership
    measures: dict[str, Measure]

    def manager_of(self, department: Department) -> Membership:
        return {self.cs.pk: self.manager, self.ops.pk: self.ops_manager, self.mkt.pk: self.mkt_manager}[
            department.pk
        ]

    def customer_promise(
        self,
        *,
        title: str = "Hassle-free returns",
        owner: Department | None = None,
        contributors: Sequence[Department] | None = None,
        parent: Promise | None = None,
        commitments: bool = True,
        when: datetime | None = None,
    ) -> Promise:
        """A draft customer promise owned by Operations with Customer Service contributing,
        and (unless ``commitments`` is False) a CSAT ≥ 80 commitment at Returns."""
        promise = promise_create(
            tenant=self.tenant,
            kind=Promise.Kind.CUSTOMER,
            title=title,
            statement="Send it back without a form; your money is back within 5 days.",
            owner=owner or self.ops,
            contributors=[self.cs] if contributors is None else contributors,
            parent=parent,
            actor=self.ops_manager,
            at=when or at(0),
        )
        if commitments:
            commitment_create(
                tenant=self.tenant,
                promise=promise,
                measure=self.measures["csat"],
                touchpoint=self.returns,
                target=Decimal(80),
                at=when or at(0),
            )
        return promise

    def approve_all(self, promise: Promise, *, when: datetime) -> Promise:
        """Submit ``promise`` at ``when`` and have every department approve one hour later."""
        promise_submit(tenant=self.tenant, promise=promise, actor=self.manager_of(promise.owner), at=when)
        for department in [promise.owner, *promise.contributors.all()]:
            promise_sign_off(
                tenant=self.tenant,
                promise=promise,
                department=department,
                actor=self.manager_of(department),
                approve=True,
                at=when + timedelta(hours=1),
            )
        return promise


def _member(tenant: Tenant, email: str) -> Membership:
    return Membership.objects.select_related("user").get(user__email=email)


@pytest.fixture
def world(tenant) -> Iterator[World]:
    ops = department_create(tenant=tenant, name="Operations")
    mkt = department_create(tenant=tenant, name="Marketing")
    returns = touchpoint_create(tenant=tenant, name="Returns", position=20)
    member_add(
        tenant=tenant,
        email="ops.manager@acme.test",
        role="manager",
        password=TEST_PASSWORD,
        departments=[ops],
    )
    member_add(
        tenant=tenant,
        email="mkt.manager@acme.test",
        role="manager",
        password=TEST_PASSWORD,
        departments=[mkt],
    )
    measures_ensure_builtin(tenant=tenant)
    measure_create(tenant=tenant, key="refund_processing", name="Refund processing time", unit="days")
    measure_create(tenant=tenant, key="first_response", name="First response time", unit="hours")
    with tenant_context(tenant):
        cs = Department.objects.get(name="Customer Service")
        yield World(
            tenant=tenant,
            cs=cs,
            ops=ops,
            mkt=mkt,
            delivery=Touchpoint.objects.get(slug="delivery"),
            returns=returns,
            admin=_member(tenant, "admin@acme.test"),
            manager=_member(tenant, "manager@acme.test"),
            employee=_member(tenant, "employee@acme.test"),
            viewer=_member(tenant, "viewer@acme.test"),
            ops_manager=_member(tenant, "ops.manager@acme.test"),
            mkt_manager=_member(tenant, "mkt.manager@acme.test"),
            measures={m.key: m for m in Measure.objects.all()},
        )


@pytest.fixture
def in_review(world):
    promise = world.customer_promise()
    return promise_submit(tenant=world.tenant, promise=promise, actor=world.ops_manager, at=at(1))
