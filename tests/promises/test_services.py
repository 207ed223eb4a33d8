"""The promise itself: drafting, editing (wording versions), retiring, and the audit trail
of its whole lifecycle."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from promises.commitments.selectors import commitment_versions_effective_at
from promises.commitments.services import (
    commitment_create,
)
from promises.models import CommitmentVersion, PromiseVersion
from promises.services import promise_create, promise_retire, promise_update
from tenants.errors import DomainError
from tenants.models import AuditEvent
from tests.promises.conftest import at

# --- Creating ---------------------------------------------------------------------------------


def test_create_drafts_a_promise_with_its_wording_as_version_1(world):
    promise = world.customer_promise(commitments=False)
    assert (promise.status, promise.version, promise.slug) == ("draft", 1, "hassle-free-returns")
    assert promise.created_by == world.ops_manager
    assert list(promise.contributors.all()) == [world.cs]
    version = PromiseVersion.objects.get(promise=promise)
    assert (version.number, version.title, version.created_by, version.created_at) == (
        1,
        "Hassle-free returns",
        world.ops_manager,
        at(0),
    )


def test_slugs_are_unique_per_tenant(world):
    first = world.customer_promise(commitments=False)
    second = world.customer_promise(commitments=False)
    assert (first.slug, second.slug) == ("hassle-free-returns", "hassle-free-returns-2")
    with pytest.raises(DomainError, match="already used by") as error:
        promise_create(
            tenant=world.tenant,
            kind="brand",
            title="Other",
            statement="x",
            owner=world.cs,
            slug="hassle-free-returns",
        )
    assert error.value.field == "slug"


def test_a_customer_promise_activates_a_brand_promise(world):
    brand = promise_create(
        tenant=world.tenant,
        kind="brand",
        title="Shopping without the hassle",
        statement="Easy.",
        owner=world.mkt,
    )
    child = world.customer_promise(parent=brand)
    assert child.parent == brand
    assert list(brand.children.all()) == [child]


# --- Retiring ---------------------------------------------------------------------------------


def test_retiring_closes_every_open_commitment_version(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    retired = promise_retire(tenant=world.tenant, promise=promise, at=at(30))
    assert (retired.status, retired.retired_at) == ("retired", at(30))
    version = CommitmentVersion.objects.get(commitment__promise=promise)
    assert (version.effective_from, version.effective_to) == (at(1, hours=1), at(30))
    assert commitment_versions_effective_at(at=at(29)) == [version]
    assert commitment_versions_effective_at(at=at(30)) == []
    with pytest.raises(DomainError, match="Cannot edit ‘Hassle-free returns’: it is retired"):
        promise_update(tenant=world.tenant, promise=promise, title="New")
    with pytest.raises(DomainError, match="While it is retired you can only read it"):
        promise_retire(tenant=world.tenant, promise=promise)


def test_only_an_active_promise_can_be_retired(world):
    promise = world.customer_promise()
    with pytest.raises(
        DomainError,
        match="Cannot retire ‘Hassle-free returns’: it is a draft; that is possible only for an active",
    ):
        promise_retire(tenant=world.tenant, promise=promise)


# --- Wording versions -------------------------------------------------------------------------


def test_a_draft_is_edited_in_place(world):
    promise = world.customer_promise()
    promise_update(tenant=world.tenant, promise=promise, title="Returns without hassle", benefits="No forms.")
    assert (promise.title, promise.version, promise.slug) == (
        "Returns without hassle",
        1,
        "hassle-free-returns",
    )
    [version] = PromiseVersion.objects.filter(promise=promise)
    assert (version.number, version.title, version.benefits) == (1, "Returns without hassle", "No forms.")


def test_editing_an_active_promise_adds_a_version_and_keeps_the_old_one(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    old_statement = promise.statement
    updated = promise_update(
        tenant=world.tenant,
        promise=promise,
        statement="Your money is back within 3 days.",
        note="Faster refunds since the new warehouse.",
        actor=world.ops_manager,
        at=at(40),
    )
    assert (updated.version, updated.statement) == (2, "Your money is back within 3 days.")
    v1, v2 = PromiseVersion.objects.filter(promise=promise).order_by("number")
    assert (v1.number, v1.statement, v1.created_at) == (1, old_statement, at(0))
    assert (v2.number, v2.statement, v2.note, v2.created_by, v2.created_at) == (
        2,
        "Your money is back within 3 days.",
        "Faster refunds since the new warehouse.",
        world.ops_manager,
        at(40),
    )
    # Saving the same wording again adds nothing.
    promise_update(tenant=world.tenant, promise=promise, statement="Your money is back within 3 days.")
    assert PromiseVersion.objects.filter(promise=promise).count() == 2


def test_an_active_promise_keeps_its_departments_but_may_change_weight(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    with pytest.raises(
        DomainError, match="owner, contributing departments and parent of an active promise are fixed"
    ):
        promise_update(tenant=world.tenant, promise=promise, contributors=[world.cs, world.mkt])
    promise_update(tenant=world.tenant, promise=promise, weight="2.5")
    promise.refresh_from_db()
    assert promise.weight == Decimal("2.5")


def test_a_draft_changes_its_departments(world):
    promise = world.customer_promise()
    promise_update(tenant=world.tenant, promise=promise, owner=world.cs, contributors=[world.ops, world.mkt])
    assert promise.owner == world.cs
    assert sorted(d.name for d in promise.contributors.all()) == ["Marketing", "Operations"]


def test_a_promise_in_review_cannot_be_edited(world, in_review):
    with pytest.raises(DomainError, match="Cannot edit ‘Hassle-free returns’: it is in review"):
        promise_update(tenant=world.tenant, promise=in_review, title="Changed during review")
    with pytest.raises(DomainError, match="it is in review"):
        commitment_create(
            tenant=world.tenant,
            promise=in_review,
            measure=world.measures["nps"],
            target=30,
            touchpoint=world.returns,
        )


def test_a_wording_change_cannot_predate_the_current_version(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    promise_update(tenant=world.tenant, promise=promise, title="V2", at=at(40))
    with pytest.raises(DomainError, match="recorded history is never rewritten"):
        promise_update(tenant=world.tenant, promise=promise, title="V3", at=at(39))


def test_a_change_cannot_take_effect_in_the_future(world):
    with pytest.raises(DomainError, match="cannot take effect in the future") as error:
        world.customer_promise(when=timezone.now() + timedelta(days=1))
    assert error.value.field == "at"


# --- Audit trail ------------------------------------------------------------------------------


def test_every_transition_is_in_the_audit_trail(world):
    promise = world.customer_promise()
    world.approve_all(promise, when=at(1))
    promise_retire(tenant=world.tenant, promise=promise, at=at(20))
    status_changes = [
        e.changes["status"]
        for e in AuditEvent.objects.filter(
            model="promises.Promise", object_id=str(promise.pk), action="update"
        )
        .order_by("occurred_at", "id")
        .exclude(changes__status=None)
    ]
    assert status_changes == [["draft", "in_review"], ["in_review", "active"], ["active", "retired"]]
    assert AuditEvent.objects.filter(
        model="promises.Promise", object_id=str(promise.pk), action="insert"
    ).exists()
    sign_off_events = AuditEvent.objects.filter(model="promises.SignOff")
    assert sign_off_events.filter(action="insert").count() == 2
    assert sorted(e.changes["status"][1] for e in sign_off_events.filter(action="update")) == [
        "approved",
        "approved",
    ]
    for label in ("promises.PromiseVersion", "promises.Commitment", "promises.CommitmentVersion"):
        assert AuditEvent.objects.filter(model=label, action="insert").exists(), label
