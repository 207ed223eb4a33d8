"""Model properties and the database's own guarantees (check and unique constraints)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from promises.commitments.services import measures_ensure_builtin
from promises.models import BUILTIN_MEASURES, Commitment, CommitmentVersion, Measure, Promise
from tenants.models import AuditEvent
from tests.promises.conftest import at


@pytest.mark.parametrize(
    ("key", "scale", "kind"),
    [
        ("nps", (-100, 100), "perceived"),
        ("csat", (0, 100), "perceived"),
        ("ces", (1, 7), "perceived"),
        ("story_sentiment", (0, 100), "perceived"),
        ("refund_processing", (0, 100), "operational"),
    ],
)
def test_measure_scale_and_commitment_kind(world, key, scale, kind):
    measure = world.measures[key]
    assert (measure.scale, measure.commitment_kind) == (scale, kind)


def test_built_ins_are_created_once(world):
    before = AuditEvent.objects.filter(model="promises.Measure").count()
    measures_ensure_builtin(tenant=world.tenant)
    measures_ensure_builtin(tenant=world.tenant)
    assert sorted(Measure.objects.filter(is_builtin=True).values_list("key", flat=True)) == sorted(
        BUILTIN_MEASURES
    )
    assert AuditEvent.objects.filter(model="promises.Measure").count() == before


def _violates(constraint: str, make) -> None:
    with pytest.raises(IntegrityError, match=constraint), transaction.atomic():
        make()


def test_an_average_declares_its_scale_and_only_an_average_has_one(world):
    _violates(
        "measure_scale_matches_kind",
        lambda: Measure.objects.create(key="stars", name="Stars", kind="average", scale_min=5, scale_max=1),
    )
    _violates(
        "measure_scale_matches_kind",
        lambda: Measure.objects.create(key="stars", name="Stars", kind="average", scale_min=1),
    )
    _violates(
        "measure_scale_matches_kind",
        lambda: Measure.objects.create(key="fcr", name="FCR", kind="rate", scale_min=0, scale_max=1),
    )
    _violates(
        "measure_direction_perspective_known",
        lambda: Measure.objects.create(key="fcr", name="FCR", kind="rate", direction="sideways"),
    )


def test_only_built_in_keys_may_be_survey_measures(world):
    _violates(
        "measure_builtin_or_tenant_kind",
        lambda: Measure.objects.create(key="mood", name="Mood", kind="survey", unit=""),
    )
    _violates(
        "measure_unit_matches_kind",
        lambda: Measure.objects.create(key="wait", name="Wait", kind="duration", unit=""),
    )


def test_commitment_versions_are_checked_by_the_database(world):
    promise = world.customer_promise()
    commitment = Commitment.objects.get(promise=promise)

    def version(**fields):
        values = {"commitment": commitment, "number": 9, "target": Decimal(80)} | fields
        return lambda: CommitmentVersion.objects.create(**values)

    _violates(
        "commitment_version_weight_positive", version(weight=0, effective_to=at(1), effective_from=at(0))
    )
    _violates(
        "commitment_version_window_range", version(window_days=731, effective_to=at(1), effective_from=at(0))
    )
    _violates(
        "commitment_version_min_sample", version(min_sample=0, effective_to=at(1), effective_from=at(0))
    )
    _violates(
        "commitment_version_threshold_positive",
        version(threshold_seconds=0, effective_to=at(1), effective_from=at(0)),
    )
    _violates("commitment_version_effective_order", version(effective_from=at(2), effective_to=at(1)))
    # One open version per commitment (the draft's version 1 is open).
    _violates("commitment_version_one_open", version())


def test_a_promise_weight_and_parent_are_checked_by_the_database(world):
    promise = world.customer_promise()
    _violates("promise_weight_positive", lambda: Promise.objects.filter(pk=promise.pk).update(weight=0))
    brand = Promise.objects.create(kind="brand", slug="b", title="B", statement="B", owner=world.mkt)
    _violates(
        "promise_parent_only_customer", lambda: Promise.objects.filter(pk=brand.pk).update(parent=brand)
    )


def test_a_sign_off_is_decided_at_a_time_or_pending(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    sign_off = promise.sign_offs.first()
    _violates(
        "sign_off_decided_at_iff_decided",
        lambda: type(sign_off).objects.filter(pk=sign_off.pk).update(decided_at=None),
    )


def test_is_effective_at_follows_scoring_md(world):
    version = CommitmentVersion(effective_from=at(1), effective_to=at(2))
    assert not version.is_effective_at(at(1) - timedelta(microseconds=1))
    assert version.is_effective_at(at(1))
    assert not version.is_effective_at(at(2))
    assert not CommitmentVersion(effective_from=None).is_effective_at(at(1))
    assert CommitmentVersion(effective_from=at(1)).is_effective_at(at(300))
