"""Reads: the grouped registry and its filters, detail, history, pending sign-offs, effective versions."""

from __future__ import annotations

from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

from promises.commitments.selectors import commitment_versions_effective_at, measure_list
from promises.commitments.services import commitment_create, commitment_update
from promises.models import Measure, Promise
from promises.selectors import (
    promise_detail,
    promise_get_by_slug,
    promise_history,
    promise_list,
    promise_queryset,
)
from promises.services import promise_create, promise_update
from promises.signoffs.selectors import current_sign_offs, sign_offs_pending_for
from promises.signoffs.services import promise_sign_off, promise_submit
from tenants.context import tenant_context
from tests.promises.conftest import at


def _registry(world):
    """A brand promise with an active and a draft child, and a customer promise without brand."""
    brand = promise_create(
        tenant=world.tenant,
        kind="brand",
        title="Shopping without the hassle",
        statement="Easy.",
        owner=world.mkt,
        at=at(0),
    )
    returns = world.approve_all(world.customer_promise(parent=brand), when=at(1))
    human = world.customer_promise(
        title="A human answers within 4 hours", parent=brand, owner=world.cs, contributors=[]
    )
    commitment_create(
        tenant=world.tenant,
        promise=human,
        measure=world.measures["first_response"],
        touchpoint=world.delivery,
        target=95,
        threshold_seconds=14400,
    )
    loose = world.customer_promise(title="Delivered when we say", contributors=[world.mkt], commitments=False)
    return brand, returns, human, loose


def _titles(groups):
    return [
        (g.brand.title if g.brand else None, g.brand_matches, [p.title for p in g.promises]) for g in groups
    ]


def test_the_registry_groups_customer_promises_under_their_brand_promise(world):
    _registry(world)
    assert _titles(promise_list()) == [
        ("Shopping without the hassle", True, ["A human answers within 4 hours", "Hassle-free returns"]),
        (None, False, ["Delivered when we say"]),
    ]


def test_the_registry_filters(world):
    brand, returns, human, loose = _registry(world)
    # Status: the brand promise (a draft) still heads its active child.
    assert _titles(promise_list(status="active")) == [
        ("Shopping without the hassle", False, ["Hassle-free returns"])
    ]
    assert _titles(promise_list(status="draft")) == [
        ("Shopping without the hassle", True, ["A human answers within 4 hours"]),
        (None, False, ["Delivered when we say"]),
    ]
    # Department: owned or contributed to.
    assert _titles(promise_list(department=world.mkt)) == [
        ("Shopping without the hassle", True, []),
        (None, False, ["Delivered when we say"]),
    ]
    assert _titles(promise_list(department=world.cs)) == [
        ("Shopping without the hassle", False, ["A human answers within 4 hours", "Hassle-free returns"])
    ]
    # Touchpoint: a commitment there.
    assert _titles(promise_list(touchpoint=world.delivery)) == [
        ("Shopping without the hassle", False, ["A human answers within 4 hours"])
    ]
    assert _titles(promise_list(kind="brand")) == [("Shopping without the hassle", True, [])]
    assert list(promise_queryset(kind="customer", status="draft")) == [human, loose]


def test_the_registry_takes_a_fixed_number_of_queries(world):
    _registry(world)
    with CaptureQueriesContext(connection) as few:
        groups = promise_list()
        _touch(groups)
    for n in range(4):
        world.customer_promise(title=f"More {n}", contributors=[world.cs, world.mkt])
    with CaptureQueriesContext(connection) as many:
        groups = promise_list()
        _touch(groups)
    assert sum(len(g.promises) for g in groups) == 7
    assert len(many) == len(few)


def _touch(groups):
    """Everything a registry row shows."""
    for group in groups:
        for promise in group.promises:
            _ = (promise.owner.name, promise.parent and promise.parent.title)
            _ = [d.name for d in promise.contributors.all()]
            for commitment in promise.commitments.all():
                _ = (commitment.measure.name, commitment.touchpoint, commitment.current_version.target)


def test_detail_loads_everything_its_page_shows_in_a_fixed_number_of_queries(
    world, django_assert_num_queries
):
    brand, returns, *_ = _registry(world)
    with django_assert_num_queries(7):
        promise = promise_detail(promise_id=returns.pk)
        _ = (promise.owner.name, promise.parent.title, promise.created_by.user.email)
        _ = [d.name for d in promise.contributors.all()] + [c.title for c in promise.children.all()]
        _ = [
            (c.measure.key, c.touchpoint.name, [v.target for v in c.versions.all()])
            for c in promise.commitments.all()
        ]
        _ = [(s.department.name, s.decided_by.user.email) for s in current_sign_offs(promise)]
        _ = [v.title for v in promise.versions.all()]
    assert promise_detail(slug="hassle-free-returns") == returns
    assert [c.title for c in promise_detail(promise_id=brand.pk).children.all()] == [
        "A human answers within 4 hours",
        "Hassle-free returns",
    ]
    assert promise_detail(promise_id=999999) is None
    assert promise_detail() is None


def test_another_tenants_promise_is_missing(world, other_tenant):
    _, returns, *_ = _registry(world)
    with tenant_context(other_tenant):
        assert promise_detail(promise_id=returns.pk) is None
        assert promise_list() == []


def test_pending_sign_offs_of_a_manager(world):
    promise = world.customer_promise(contributors=[world.cs, world.mkt])
    promise_submit(tenant=world.tenant, promise=promise, at=at(1))
    [pending] = sign_offs_pending_for(membership=world.manager)
    assert (pending.promise, pending.department) == (promise, world.cs)
    assert [s.department for s in sign_offs_pending_for(membership=world.mkt_manager)] == [world.mkt]
    assert sign_offs_pending_for(membership=world.employee) == []
    assert sign_offs_pending_for(membership=world.admin) == []

    promise_sign_off(
        tenant=world.tenant, promise=promise, department=world.cs, actor=world.manager, approve=True
    )
    assert sign_offs_pending_for(membership=world.manager) == []
    # Changes requested: the round ends, nobody is asked any more.
    promise_sign_off(
        tenant=world.tenant,
        promise=promise,
        department=world.mkt,
        actor=world.mkt_manager,
        approve=False,
        comment="No",
    )
    assert sign_offs_pending_for(membership=world.ops_manager) == []


def test_history_shows_versions_rounds_commitment_versions_and_the_audit_trail(world):
    promise = world.customer_promise()
    promise_submit(tenant=world.tenant, promise=promise, at=at(1))
    promise_sign_off(
        tenant=world.tenant,
        promise=promise,
        department=world.cs,
        actor=world.manager,
        approve=False,
        comment="Vaguer",
    )
    promise_update(tenant=world.tenant, promise=promise, statement="Clearer.")
    world.approve_all(promise, when=at(2))
    promise_update(tenant=world.tenant, promise=promise, statement="Clearer still.", at=at(10))
    commitment_update(tenant=world.tenant, commitment=promise.commitments.get(), target=85, at=at(11))

    history = promise_history(promise=promise)
    assert [(v.number, v.statement) for v in history.versions] == [(2, "Clearer still."), (1, "Clearer.")]
    assert [(r.number, sorted(s.status for s in r.sign_offs)) for r in history.rounds] == [
        (2, ["approved", "approved"]),
        (1, ["changes_requested", "withdrawn"]),
    ]
    [commitment] = history.commitments
    assert [(v.number, v.target) for v in commitment.versions.all()] == [(1, Decimal(80)), (2, Decimal(85))]
    models = {e.model for e in history.audit_events}
    assert models == {
        "promises.Promise",
        "promises.PromiseVersion",
        "promises.PromiseContributor",
        "promises.SignOff",
        "promises.Commitment",
        "promises.CommitmentVersion",
    }


def test_versions_effective_at_an_instant(world):
    returns = world.approve_all(world.customer_promise(), when=at(1))
    draft = world.customer_promise(title="Draft")
    csat = returns.commitments.get()
    commitment_update(tenant=world.tenant, commitment=csat, target=85, at=at(50))
    v1, v2 = csat.versions.order_by("number")

    assert commitment_versions_effective_at(at=at(1)) == []  # submitted, not yet active
    assert commitment_versions_effective_at(at=at(49)) == [v1]
    assert commitment_versions_effective_at(at=at(50)) == [v2]
    assert commitment_versions_effective_at(at=at(50), promise=draft) == []
    [version] = commitment_versions_effective_at(at=at(60), promise=returns)
    assert (version.commitment.measure.key, version.commitment.touchpoint, version.commitment.promise) == (
        "csat",
        world.returns,
        returns,
    )


def test_measures_list_creates_the_built_ins_on_first_use(other_tenant):
    with tenant_context(other_tenant):
        assert not Measure.objects.exists()
        assert [(m.key, m.scale, m.commitment_kind) for m in measure_list()] == [
            ("ces", (1, 7), "perceived"),
            ("csat", (0, 100), "perceived"),
            ("nps", (-100, 100), "perceived"),
            ("story_sentiment", (0, 100), "perceived"),
        ]
        assert len(measure_list()) == 4


def test_promise_by_slug(world):
    promise = world.customer_promise()
    assert promise_get_by_slug(slug="hassle-free-returns") == promise
    assert Promise.objects.count() == 1
