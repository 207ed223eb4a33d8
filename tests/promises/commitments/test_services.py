"""Commitment versions: edited in place on a draft, versioned from activation on, ended or
deleted."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from promises.commitments.selectors import commitment_versions_effective_at
from promises.commitments.services import (
    commitment_create,
    commitment_delete,
    commitment_end,
    commitment_update,
)
from promises.models import Commitment
from promises.services import promise_create
from tenants.errors import DomainError
from tests.promises.conftest import at

# --- Commitment versions ----------------------------------------------------------------------


def _refund(world, promise, **terms):
    return commitment_create(
        tenant=world.tenant,
        promise=promise,
        measure=world.measures["refund_processing"],
        touchpoint=world.returns,
        target=Decimal(90),
        threshold_seconds=432000,
        weight=2,
        **terms,
    )


def test_a_draft_commitment_is_edited_in_place_and_counts_nowhere(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    commitment_update(tenant=world.tenant, commitment=refund, target=85, window_days=30)
    [version] = refund.versions.all()
    assert (version.number, version.target, version.window_days, version.effective_from) == (1, 85, 30, None)
    assert commitment_versions_effective_at(at=timezone.now()) == []


def test_a_change_at_x_keeps_the_version_effective_before_x(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(1))
    activation = at(1, hours=1)
    x = at(100)

    commitment_update(tenant=world.tenant, commitment=refund, target=95, threshold_seconds=259200, at=x)

    v1, v2 = refund.versions.order_by("number")
    assert (v1.target, v1.threshold_seconds, v1.effective_from, v1.effective_to) == (
        90,
        432000,
        activation,
        x,
    )
    assert (v2.target, v2.threshold_seconds, v2.effective_from, v2.effective_to) == (95, 259200, x, None)
    assert (v2.weight, v2.window_days, v2.min_sample) == (2, 90, 5)  # unchanged terms carry over
    assert refund.current_version == v2

    def refund_version_at(instant):
        return [v for v in commitment_versions_effective_at(at=instant) if v.commitment_id == refund.pk]

    assert refund_version_at(activation - timedelta(seconds=1)) == []
    assert refund_version_at(activation) == [v1]
    assert refund_version_at(x - timedelta(microseconds=1)) == [v1]
    assert refund_version_at(x) == [v2]
    assert refund_version_at(timezone.now()) == [v2]


@pytest.mark.parametrize(
    "change",
    [{"target": 92}, {"threshold_seconds": 3600}, {"window_days": 30}, {"weight": "0.5"}, {"min_sample": 20}],
)
def test_every_scoring_term_of_an_active_commitment_is_versioned(world, change):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(1))
    commitment_update(tenant=world.tenant, commitment=refund, at=at(10), **change)
    assert refund.versions.count() == 2
    field, value = next(iter(change.items()))
    assert getattr(refund.current_version, field) == Decimal(str(value))


def test_an_unchanged_commitment_gets_no_new_version(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(1))
    commitment_update(tenant=world.tenant, commitment=refund, target="90.000", weight=2, at=at(10))
    assert refund.versions.count() == 1


def test_a_commitment_change_cannot_predate_its_current_version(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(10))
    with pytest.raises(DomainError, match="before the current version 1"):
        commitment_update(tenant=world.tenant, commitment=refund, target=95, at=at(5))


def test_a_commitment_added_to_an_active_promise_counts_from_then(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    nps = commitment_create(
        tenant=world.tenant, promise=promise, measure=world.measures["nps"], target=30, at=at(20)
    )
    assert nps.touchpoint is None  # every touchpoint
    assert (nps.current_version.effective_from, nps.current_version.effective_to) == (at(20), None)


def test_ending_a_commitment_stops_it_counting_and_keeps_its_history(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(1))
    commitment_end(tenant=world.tenant, commitment=refund, at=at(50))
    assert refund.ended_at == at(50)
    [version] = refund.versions.all()
    assert version.effective_to == at(50)
    assert version in commitment_versions_effective_at(at=at(49))
    assert version not in commitment_versions_effective_at(at=at(50))
    with pytest.raises(DomainError, match="ended on"):
        commitment_update(tenant=world.tenant, commitment=refund, target=95)
    with pytest.raises(DomainError, match="already ended"):
        commitment_end(tenant=world.tenant, commitment=refund)


def test_a_draft_commitment_is_deleted_not_ended(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    with pytest.raises(DomainError, match="has never counted; delete it instead"):
        commitment_end(tenant=world.tenant, commitment=refund)
    commitment_delete(tenant=world.tenant, commitment=refund)
    assert not Commitment.objects.filter(pk=refund.pk).exists()


def test_an_active_promise_commitment_cannot_be_deleted(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    commitment = promise.commitments.get()
    with pytest.raises(DomainError, match="end the commitment instead"):
        commitment_delete(tenant=world.tenant, commitment=commitment)


def test_commitments_belong_to_customer_promises(world):
    brand = promise_create(
        tenant=world.tenant, kind="brand", title="Brand", statement="Easy.", owner=world.mkt
    )
    with pytest.raises(DomainError, match="Commitments belong to customer promises"):
        commitment_create(tenant=world.tenant, promise=brand, measure=world.measures["nps"], target=30)
