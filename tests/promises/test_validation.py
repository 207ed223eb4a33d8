"""Every validation message the issue asks for, word for word where it names one."""

from __future__ import annotations

from decimal import Decimal

import pytest

from promises.commitments.selectors import measure_get_by_key
from promises.commitments.services import commitment_create, commitment_update, measure_create, measure_update
from promises.models import Commitment, Measure, Promise
from promises.selectors import department_get_by_slug, touchpoint_get_by_slug
from promises.services import promise_create, promise_update
from tenants.errors import DomainError


def _commit(world, promise=None, *, measure="csat", **terms):
    terms.setdefault("target", 80)
    return commitment_create(
        tenant=world.tenant,
        promise=promise or world.customer_promise(commitments=False),
        measure=world.measures[measure],
        touchpoint=world.returns,
        **terms,
    )


def _refused(call, *, field: str) -> str:
    with pytest.raises(DomainError) as error:
        call()
    assert error.value.field == field
    return error.value.message


# --- Targets on the measure's scale -----------------------------------------------------------


@pytest.mark.parametrize(
    ("measure", "target", "message"),
    [
        ("nps", 150, "NPS target 150 is outside the scale −100…100; choose a target between −100 and 100."),
        ("nps", -101, "NPS target −101 is outside the scale −100…100; choose a target between −100 and 100."),
        ("ces", 9, "CES target 9 is outside the scale 1…7; choose a target between 1 and 7."),
        ("ces", "0.5", "CES target 0.5 is outside the scale 1…7; choose a target between 1 and 7."),
        ("csat", "100.5", "CSAT target 100.5 is outside the scale 0…100; choose a target between 0 and 100."),
        (
            "story_sentiment",
            -1,
            "Story sentiment target −1 is outside the scale 0…100; choose a target between 0 and 100.",
        ),
    ],
)
def test_a_target_outside_the_measures_scale_is_refused(world, measure, target, message):
    assert _refused(lambda: _commit(world, measure=measure, target=target), field="target") == message
    assert not Commitment.objects.exists()


def test_a_duration_target_is_a_share_from_0_to_100(world):
    message = _refused(
        lambda: _commit(world, measure="refund_processing", target=120, threshold_seconds=432000),
        field="target",
    )
    assert message.startswith("Refund processing time target 120 is outside the scale 0…100")


@pytest.mark.parametrize(("measure", "target"), [("nps", -100), ("nps", 100), ("ces", "5.5"), ("csat", 0)])
def test_targets_on_the_scale_edges_are_accepted(world, measure, target):
    assert _commit(world, measure=measure, target=target).current_version.target == Decimal(str(target))


def test_a_target_must_be_a_number(world):
    assert (
        _refused(lambda: _commit(world, target="lots"), field="target")
        == "The target must be a number; got 'lots'."
    )


def test_an_update_is_checked_against_the_scale_too(world):
    commitment = _commit(world, measure="ces", target="5.5")
    assert _refused(
        lambda: commitment_update(tenant=world.tenant, commitment=commitment, target=9), field="target"
    ).startswith("CES target 9 is outside the scale 1…7")


# --- Thresholds -------------------------------------------------------------------------------


@pytest.mark.parametrize("measure", ["nps", "csat", "ces", "story_sentiment"])
def test_a_threshold_on_a_survey_or_story_measure_is_refused(world, measure):
    target = 5 if measure == "ces" else 50
    message = _refused(
        lambda: _commit(world, measure=measure, target=target, threshold_seconds=3600),
        field="threshold_seconds",
    )
    assert "measure and takes no threshold; remove threshold_seconds" in message


def test_a_threshold_on_a_survey_measure_says_which(world):
    assert _refused(lambda: _commit(world, threshold_seconds=3600), field="threshold_seconds") == (
        "CSAT is a survey measure and takes no threshold; remove threshold_seconds "
        "(thresholds belong to duration measures such as first_response)."
    )


def test_a_duration_measure_requires_a_threshold(world):
    assert _refused(
        lambda: _commit(world, measure="refund_processing", target=90), field="threshold_seconds"
    ) == (
        "Refund processing time is a duration measure: set threshold_seconds, the time within which a case "
        "counts as on time (e.g. 432000 for 5 days); the target is the share of cases within it, in %."
    )


@pytest.mark.parametrize("threshold", [0, -5, "3600", 1.5])
def test_a_threshold_is_a_positive_whole_number_of_seconds(world, threshold):
    message = _refused(
        lambda: _commit(world, measure="first_response", target=95, threshold_seconds=threshold),
        field="threshold_seconds",
    )
    assert "threshold_seconds must be a" in message


# --- Weights, windows, samples ----------------------------------------------------------------


@pytest.mark.parametrize("weight", [0, -1, "0.000"])
def test_a_commitment_weight_must_be_positive(world, weight):
    message = _refused(lambda: _commit(world, weight=weight), field="weight")
    assert message.startswith(
        "Weight must be greater than 0 (it is the commitment's share in the score); got "
    )


@pytest.mark.parametrize("weight", [0, "-2"])
def test_a_promise_weight_must_be_positive(world, weight):
    with pytest.raises(
        DomainError, match=r"Weight must be greater than 0 \(it is the promise's share"
    ) as error:
        promise_create(
            tenant=world.tenant,
            kind="brand",
            title="Brand",
            statement="Easy.",
            owner=world.mkt,
            weight=weight,
        )
    assert error.value.field == "weight"


def test_a_promise_weight_update_must_be_positive(world):
    promise = world.customer_promise()
    assert _refused(
        lambda: promise_update(tenant=world.tenant, promise=promise, weight=0), field="weight"
    ).startswith("Weight must be greater than 0")


@pytest.mark.parametrize("window_days", [0, 731, -3])
def test_the_window_is_1_to_730_days(world, window_days):
    assert _refused(lambda: _commit(world, window_days=window_days), field="window_days") == (
        f"window_days must be a whole number of days from 1 to 730; got {window_days}."
    )


def test_the_minimum_sample_is_at_least_1(world):
    assert _refused(lambda: _commit(world, min_sample=0), field="min_sample") == (
        "min_sample must be a whole number of at least 1; got 0."
    )


def test_defaults_are_a_90_day_window_and_a_sample_of_5(world):
    version = _commit(world).current_version
    assert (version.window_days, version.min_sample, version.weight, version.threshold_seconds) == (
        90,
        5,
        1,
        None,
    )


# --- Unknown touchpoints, measures, departments (the API's lookups by key/slug) ---------------


def test_an_unknown_touchpoint(world):
    with pytest.raises(DomainError) as error:
        touchpoint_get_by_slug(slug="moon-base")
    assert error.value.message == "Unknown touchpoint 'moon-base'; choose one of: delivery, returns."
    assert (error.value.field, error.value.code) == ("touchpoint", "not_found")
    assert touchpoint_get_by_slug(slug="returns") == world.returns


def test_an_unknown_measure(world):
    with pytest.raises(DomainError) as error:
        measure_get_by_key(key="happiness", field="measure")
    assert error.value.message == (
        "Unknown measure 'happiness'; choose one of: ces, csat, nps, story_sentiment, first_response, refund_processing."
    )
    assert (error.value.field, error.value.code) == ("measure", "not_found")
    assert measure_get_by_key(key="nps") == world.measures["nps"]


def test_an_unknown_department(world):
    with pytest.raises(
        DomainError, match="Unknown department 'legal'; choose one of: customer-service, marketing"
    ):
        department_get_by_slug(slug="legal")


# --- Departments and parents ------------------------------------------------------------------


def test_the_owner_cannot_also_contribute(world):
    assert _refused(
        lambda: world.customer_promise(contributors=[world.cs, world.ops]), field="contributors"
    ) == (
        "Operations owns this promise, so it cannot also be a contributing department; remove it from the contributors."
    )


def test_the_owner_cannot_also_contribute_after_an_update(world):
    promise = world.customer_promise()
    assert "Customer Service owns this promise" in _refused(
        lambda: promise_update(tenant=world.tenant, promise=promise, owner=world.cs), field="contributors"
    )


def test_the_parent_must_be_a_brand_promise(world):
    other = world.customer_promise(title="A human answers within 4 hours")
    assert _refused(lambda: world.customer_promise(parent=other), field="parent") == (
        "“A human answers within 4 hours” is a customer promise; a customer promise can only activate a brand "
        "promise. Choose a brand promise as the parent."
    )


def test_a_brand_promise_has_no_parent(world):
    brand = promise_create(
        tenant=world.tenant, kind="brand", title="Brand", statement="Easy.", owner=world.mkt
    )
    message = _refused(
        lambda: promise_create(
            tenant=world.tenant, kind="brand", title="Sub-brand", statement="x", owner=world.mkt, parent=brand
        ),
        field="parent",
    )
    assert message.startswith("A brand promise does not activate another promise")


def test_a_retired_brand_promise_cannot_be_a_parent(world):
    brand = promise_create(
        tenant=world.tenant, kind="brand", title="Old brand", statement="x", owner=world.mkt
    )
    Promise.objects.filter(pk=brand.pk).update(status="retired")
    brand.refresh_from_db()
    assert "is retired" in _refused(lambda: world.customer_promise(parent=brand), field="parent")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": " "}, "title", "Give the promise a title, e.g. 'Hassle-free returns'."),
        (
            {"statement": ""},
            "statement",
            "Write the statement: what the customer can expect, in their words.",
        ),
        ({"kind": "vague"}, "kind", "'vague' is not a kind of promise; choose brand or customer."),
        ({"slug": "Not A Slug"}, "slug", None),
    ],
)
def test_a_promise_needs_a_kind_title_and_statement(world, fields, field, message):
    arguments = {"kind": "customer", "title": "T", "statement": "S", "owner": world.ops} | fields
    got = _refused(lambda: promise_create(tenant=world.tenant, **arguments), field=field)
    if message:
        assert got == message


# --- Measures ---------------------------------------------------------------------------------


def test_a_duration_measure_is_created_with_its_unit(world):
    measure = measure_create(tenant=world.tenant, key="delivery_time", name="Delivery time", unit="days")
    assert (measure.kind, measure.unit, measure.is_builtin, measure.scale) == (
        "duration",
        "days",
        False,
        (0, 100),
    )
    assert measure.commitment_kind == "operational"


@pytest.mark.parametrize(
    ("key", "unit", "field", "message"),
    [
        ("nps", "days", "key", "'nps' is a built-in measure; choose another key for your measure."),
        (
            "refund_processing",
            "days",
            "key",
            "A measure with the key 'refund_processing' already exists; choose another key.",
        ),
        ("Bad key!", "days", "key", None),
        (
            "pickup_time",
            "minutes",
            "unit",
            "A duration measure needs the unit its thresholds are shown in: hours or days; got 'minutes'.",
        ),
    ],
)
def test_measure_rules(world, key, unit, field, message):
    got = _refused(
        lambda: measure_create(tenant=world.tenant, key=key, name="Pick-up", unit=unit), field=field
    )
    if message:
        assert got == message


def test_built_in_measures_cannot_be_changed(world):
    assert (
        _refused(
            lambda: measure_update(tenant=world.tenant, measure=world.measures["nps"], name="Net promoters"),
            field="measure",
        )
        == "NPS is a built-in measure and cannot be changed."
    )
    renamed = measure_update(
        tenant=world.tenant, measure=world.measures["first_response"], name="Reply time", unit="days"
    )
    assert (renamed.name, renamed.unit, renamed.key) == ("Reply time", "days", "first_response")
    assert Measure.objects.get(key="first_response").name == "Reply time"
