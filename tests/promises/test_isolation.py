"""Another tenant's departments, touchpoints, measures, promises and people are "unknown"."""

from __future__ import annotations

import pytest

from promises.commitments.selectors import measure_get_by_key
from promises.commitments.services import commitment_create, commitment_update, measure_create, measure_update
from promises.models import Commitment, Measure, Promise
from promises.selectors import department_get_by_slug, promise_get_by_slug, touchpoint_get_by_slug
from promises.services import promise_create, promise_retire, promise_update
from promises.signoffs.selectors import sign_offs_pending_for
from promises.signoffs.services import promise_activate_override, promise_sign_off, promise_submit
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import Department, Membership, Touchpoint
from tenants.services import department_create, touchpoint_create


@pytest.fixture
def globex(other_tenant):
    """Globex's own department, touchpoint, measure, manager and (draft) promise."""
    department = department_create(tenant=other_tenant, name="Security")
    touchpoint = touchpoint_create(tenant=other_tenant, name="Online banking")
    measure = measure_create(tenant=other_tenant, key="unlock_time", name="Unlock time", unit="hours")
    with tenant_context(other_tenant):
        service = Department.objects.get(name="Customer Service")
        manager = Membership.objects.get(user__email="manager@globex.test")
        admin = Membership.objects.get(user__email="admin@globex.test")
    promise = promise_create(
        tenant=other_tenant, kind="customer", title="Never locked out", statement="x", owner=service
    )
    return {
        "tenant": other_tenant,
        "department": department,
        "service": service,
        "touchpoint": touchpoint,
        "measure": measure,
        "manager": manager,
        "admin": admin,
        "promise": promise,
    }


def _unknown(what: str, call) -> DomainError:
    with pytest.raises(DomainError) as error:
        call()
    assert error.value.code == "not_found"
    assert error.value.message == f"Unknown {what}: there is no such {what} in Acme Retail."
    return error.value


def test_another_tenants_department_is_unknown(world, globex):
    assert (
        _unknown(
            "department", lambda: world.customer_promise(owner=globex["department"], contributors=[])
        ).field
        == "owner"
    )
    assert _unknown(
        "department", lambda: world.customer_promise(contributors=[globex["department"]])
    ).field == ("contributors")
    promise = world.customer_promise()
    _unknown(
        "department", lambda: promise_update(tenant=world.tenant, promise=promise, owner=globex["service"])
    )
    assert not Promise.objects.exclude(pk=promise.pk).exists()


def test_another_tenants_touchpoint_and_measure_are_unknown(world, globex):
    promise = world.customer_promise(commitments=False)
    error = _unknown(
        "touchpoint",
        lambda: commitment_create(
            tenant=world.tenant,
            promise=promise,
            measure=world.measures["csat"],
            touchpoint=globex["touchpoint"],
            target=80,
        ),
    )
    assert error.field == "touchpoint"
    error = _unknown(
        "measure",
        lambda: commitment_create(
            tenant=world.tenant, promise=promise, measure=globex["measure"], target=80, threshold_seconds=60
        ),
    )
    assert error.field == "measure"
    _unknown(
        "measure", lambda: measure_update(tenant=world.tenant, measure=globex["measure"], name="Mine now")
    )
    assert not Commitment.objects.exists()


def test_another_tenants_promise_is_unknown(world, globex):
    theirs = globex["promise"]
    for call in (
        lambda: promise_update(tenant=world.tenant, promise=theirs, title="Hijacked"),
        lambda: promise_submit(tenant=world.tenant, promise=theirs),
        lambda: promise_retire(tenant=world.tenant, promise=theirs),
        lambda: promise_activate_override(tenant=world.tenant, promise=theirs, actor=world.admin, reason="x"),
        lambda: promise_sign_off(
            tenant=world.tenant, promise=theirs, department=world.cs, actor=world.manager, approve=True
        ),
        lambda: commitment_create(
            tenant=world.tenant, promise=theirs, measure=world.measures["nps"], target=1
        ),
        lambda: world.customer_promise(parent=theirs),
    ):
        _unknown("promise", call)
    with tenant_context(globex["tenant"]):
        theirs.refresh_from_db()
        assert (theirs.title, theirs.status) == ("Never locked out", "draft")


def test_another_tenants_commitment_is_unknown(world, globex):
    commitment = commitment_create(
        tenant=globex["tenant"],
        promise=globex["promise"],
        measure=globex["measure"],
        target=90,
        threshold_seconds=3600,
    )
    _unknown("commitment", lambda: commitment_update(tenant=world.tenant, commitment=commitment, target=10))


def test_another_tenants_people_cannot_act(world, globex):
    promise = world.customer_promise()
    promise_submit(tenant=world.tenant, promise=promise)
    _unknown(
        "member",
        lambda: promise_sign_off(
            tenant=world.tenant, promise=promise, department=world.cs, actor=globex["manager"], approve=True
        ),
    )
    _unknown(
        "member",
        lambda: promise_activate_override(
            tenant=world.tenant, promise=promise, actor=globex["admin"], reason="x"
        ),
    )
    promise.refresh_from_db()
    assert promise.status == "in_review"
    with tenant_context(globex["tenant"]):
        assert sign_offs_pending_for(membership=globex["manager"]) == []


def test_lookups_by_key_or_slug_stay_in_the_tenant(world, globex):
    for call in (
        lambda: measure_get_by_key(key="unlock_time"),
        lambda: touchpoint_get_by_slug(slug="online-banking"),
        lambda: department_get_by_slug(slug="security"),
        lambda: promise_get_by_slug(slug="never-locked-out"),
    ):
        with pytest.raises(DomainError) as error:
            call()
        assert error.value.code == "not_found"
    with tenant_context(globex["tenant"]):
        assert measure_get_by_key(key="unlock_time") == globex["measure"]
        assert touchpoint_get_by_slug(slug="online-banking") == globex["touchpoint"]
    # Both tenants have their own built-ins and may reuse the same keys.
    measure_create(tenant=world.tenant, key="unlock_time", name="Unlock time", unit="days")
    assert Measure.objects.filter(key__in=["unlock_time", "nps"]).count() == 2
    assert Touchpoint.objects.filter(slug="online-banking").count() == 0
