"""Tenant-defined measures of every kind: duration, rate and average, their direction,
perspective and scale; what may change while a commitment counts on them; the API, the admin
page and another tenant's measures."""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from promises.commitments.services import commitment_create, measure_create, measure_update
from promises.models import Commitment, CommitmentVersion, Measure
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import AuditEvent
from tenants.services import api_key_create
from tests.factories import tenant_state
from tests.promises.conftest import at

PROBLEM = "application/problem+json"


def api(tenant, scopes: list[str]) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {api_key_create(tenant=tenant, name='k', scopes=scopes).secret}"
    )
    return client


def problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    return response.json()


# --- The services -----------------------------------------------------------------------------


def test_a_rate_an_average_and_a_lower_is_better_measure(world):
    fcr = measure_create(tenant=world.tenant, key="first_contact_resolution", name="FCR", kind="rate")
    blocked = measure_create(
        tenant=world.tenant, key="signin_blocked", name="Blocked", kind="rate", direction="lower_is_better"
    )
    stars = measure_create(
        tenant=world.tenant, key="review_stars", name="Stars", kind="average", scale_min="1", scale_max="5"
    )
    rows = {
        m.key: m
        for m in Measure.objects.filter(
            key__in=["first_contact_resolution", "signin_blocked", "review_stars"]
        )
    }
    assert (rows["first_contact_resolution"].kind, rows["first_contact_resolution"].scale) == (
        "rate",
        (Decimal(0), Decimal(100)),
    )
    assert fcr.commitment_kind == "operational" and fcr.direction == "higher_is_better" and fcr.unit == ""
    assert rows["signin_blocked"].direction == "lower_is_better" and blocked.is_lower_better
    assert rows["review_stars"].scale == (Decimal(1), Decimal(5))
    assert stars.commitment_kind == "perceived"  # an average's default perspective
    assert measure_create(
        tenant=world.tenant, key="csat_ops", name="x", kind="average", scale_min=0, scale_max=10,
        perspective="operational",
    ).commitment_kind == "operational"  # fmt: skip


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"kind": "ratio"}, "kind", "kind must be one of: duration, rate, average"),
        ({"kind": "duration"}, "unit", "needs the unit"),
        ({"kind": "rate", "unit": "days"}, "unit", "unit belongs to duration measures"),
        ({"kind": "average", "scale_max": 5}, "scale_min", "declares its scale"),
        ({"kind": "average", "scale_min": 1}, "scale_max", "declares its scale"),
        ({"kind": "average", "scale_min": 5, "scale_max": 1}, "scale_max", "must be below scale_max"),
        ({"kind": "average", "scale_min": 1, "scale_max": 1}, "scale_max", "must be below scale_max"),
        ({"kind": "average", "scale_min": "1.0005", "scale_max": 5}, "scale_min", "more than 3 decimal"),
        ({"kind": "average", "scale_min": 0, "scale_max": "1e9"}, "scale_max", "strictly between"),
        ({"kind": "rate", "scale_min": 0, "scale_max": 1}, "scale_min", "belongs to average measures"),
        ({"kind": "rate", "direction": "down"}, "direction", "direction must be one of"),
        ({"kind": "rate", "perspective": "felt"}, "perspective", "perspective must be one of"),
        ({"kind": "duration", "unit": "days", "perspective": "perceived"}, "perspective", "operational"),
    ],
)
def test_a_missing_or_contradictory_field_is_named(world, fields, field, words):
    before = tenant_state(world.tenant)
    with pytest.raises(DomainError) as error:
        measure_create(tenant=world.tenant, key="m1", name="M", **fields)
    assert error.value.field == field and words in error.value.message
    assert tenant_state(world.tenant) == before


def _active_commitment(world, measure, target, **terms):
    promise = world.customer_promise(commitments=False)
    commitment = commitment_create(
        tenant=world.tenant, promise=promise, measure=measure, touchpoint=world.returns, target=target,
        at=at(0), **terms,
    )  # fmt: skip
    world.approve_all(promise, when=at(1))
    return commitment


def test_a_measure_in_use_by_an_active_commitment_keeps_its_kind_direction_and_scale(world):
    stars = measure_create(
        tenant=world.tenant, key="review_stars", name="Stars", kind="average", scale_min=1, scale_max=5
    )
    _active_commitment(world, stars, Decimal("4.2"))
    for change, field in (
        ({"kind": "rate"}, "kind"),
        ({"direction": "lower_is_better"}, "direction"),
        ({"scale_min": 0}, "scale_min"),
        ({"scale_max": 10}, "scale_min"),
    ):
        with pytest.raises(DomainError) as error:
            measure_update(tenant=world.tenant, measure=stars, **change)
        assert error.value.field == field
        assert "in use by a commitment of the active promise" in error.value.message
    stars.refresh_from_db()
    assert (stars.kind, stars.direction, stars.scale) == ("average", "higher_is_better", (1, 5))
    # A name and the perspective may change.
    measure_update(tenant=world.tenant, measure=stars, name="Review stars", perspective="operational")
    stars.refresh_from_db()
    assert (stars.name, stars.perspective) == ("Review stars", "operational")


def test_a_measure_no_commitment_counts_on_may_change_kind(world):
    fcr = measure_create(tenant=world.tenant, key="fcr", name="FCR", kind="rate")
    measure_update(tenant=world.tenant, measure=fcr, kind="average", scale_min=1, scale_max=5)
    fcr.refresh_from_db()
    assert (fcr.kind, fcr.scale, fcr.perspective) == ("average", (1, 5), "perceived")
    measure_update(tenant=world.tenant, measure=fcr, kind="duration", unit="hours")
    fcr.refresh_from_db()
    assert (fcr.kind, fcr.unit, fcr.scale_min, fcr.perspective) == ("duration", "hours", None, "operational")


def test_a_draft_commitment_whose_target_would_leave_the_scale_blocks_the_change(world):
    stars = measure_create(
        tenant=world.tenant, key="stars", name="Stars", kind="average", scale_min=1, scale_max=5
    )
    promise = world.customer_promise(commitments=False)
    commitment_create(tenant=world.tenant, promise=promise, measure=stars, target=Decimal("4.5"), at=at(0))
    with pytest.raises(DomainError) as error:
        measure_update(tenant=world.tenant, measure=stars, scale_min=0, scale_max=4)
    assert error.value.field == "scale_min" and "draft" in error.value.message
    measure_update(tenant=world.tenant, measure=stars, scale_min=0, scale_max=10)  # 4.5 still fits
    stars.refresh_from_db()
    assert stars.scale == (0, 10)


def test_commitments_on_rate_and_average_measures_take_targets_on_their_scale_and_no_threshold(world):
    fcr = measure_create(tenant=world.tenant, key="fcr", name="FCR", kind="rate")
    stars = measure_create(
        tenant=world.tenant, key="stars", name="Stars", kind="average", scale_min=1, scale_max=5
    )
    promise = world.customer_promise(commitments=False)
    for measure, target, threshold, field, words in (
        (fcr, 101, None, "target", "outside the scale 0…100"),
        (stars, Decimal("0.5"), None, "target", "outside the scale 1…5"),
        (stars, 6, None, "target", "between 1 and 5"),
        (fcr, 80, 3600, "threshold_seconds", "rate measure and takes no threshold"),
        (stars, 4, 60, "threshold_seconds", "average measure and takes no threshold"),
    ):
        with pytest.raises(DomainError) as error:
            commitment_create(
                tenant=world.tenant,
                promise=promise,
                measure=measure,
                target=target,
                threshold_seconds=threshold,
            )
        assert error.value.field == field and words in error.value.message
    made = commitment_create(tenant=world.tenant, promise=promise, measure=stars, target=Decimal("4.25"))
    [version] = CommitmentVersion.objects.filter(commitment=made)
    assert (version.target, version.threshold_seconds) == (Decimal("4.25"), None)
    assert Commitment.objects.filter(promise=promise).count() == 1


# --- The API ----------------------------------------------------------------------------------


def test_post_measures_creates_each_kind_and_names_the_wrong_field(world):
    writer = api(world.tenant, ["promises:write"])
    body = writer.post(
        "/api/v1/measures",
        {"key": "signin_blocked", "name": "Blocked sign-ins", "kind": "rate", "direction": "lower_is_better"},
        format="json",
    )
    assert body.status_code == 201, body.content
    assert body.json() == {
        "key": "signin_blocked", "name": "Blocked sign-ins", "kind": "rate", "unit": "", "is_builtin": False,
        "direction": "lower_is_better", "perspective": "operational", "scale": ["0", "100"], "fact": "outcome",
    }  # fmt: skip
    stars = writer.post(
        "/api/v1/measures",
        {"key": "review_stars", "name": "Stars", "kind": "average", "scale_min": "1", "scale_max": "5"},
        format="json",
    ).json()
    assert (stars["scale"], stars["perspective"], stars["fact"]) == (["1.000", "5.000"], "perceived", "value")
    duration = writer.post(
        "/api/v1/measures", {"key": "wait", "name": "Wait", "unit": "hours"}, format="json"
    )
    assert duration.json()["kind"] == "duration" and duration.json()["fact"] == "duration_seconds"
    before = tenant_state(world.tenant)
    for payload, field in (
        ({"key": "x1", "name": "X", "kind": "average", "scale_min": "1"}, "scale_max"),
        ({"key": "x2", "name": "X", "kind": "rate", "unit": "days"}, "unit"),
        ({"key": "x3", "name": "X", "kind": "average", "scale_min": "5", "scale_max": "1"}, "scale_max"),
        ({"key": "x4", "name": "X", "kind": "sum"}, "kind"),
        ({"key": "x5", "name": "X", "kind": "rate", "direction": "sideways"}, "direction"),
    ):
        assert field in problem(writer.post("/api/v1/measures", payload, format="json"), 400)["errors"]
    assert tenant_state(world.tenant) == before


def test_patch_a_measure_in_use_refuses_a_change_of_kind(world):
    fcr = measure_create(tenant=world.tenant, key="fcr", name="FCR", kind="rate")
    _active_commitment(world, fcr, 75)
    writer = api(world.tenant, ["promises:write"])
    before = tenant_state(world.tenant)
    body = problem(
        writer.patch(
            "/api/v1/measures/fcr", {"kind": "average", "scale_min": "1", "scale_max": "5"}, format="json"
        ),
        400,
    )
    assert "in use by a commitment of the active promise" in str(body["errors"]["kind"])
    assert tenant_state(world.tenant) == before
    renamed = writer.patch("/api/v1/measures/fcr", {"name": "First-contact resolution"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "First-contact resolution"
    reader = api(world.tenant, ["promises:read"])
    assert reader.get("/api/v1/measures/fcr").json()["kind"] == "rate"
    problem(reader.patch("/api/v1/measures/fcr", {"name": "Mine"}, format="json"), 403)
    [audit] = AuditEvent.objects.filter(model="promises.Measure", object_id=str(fcr.pk), action="update")
    assert audit.actor_kind == "api_key" and audit.changes["name"][1] == "First-contact resolution"


def test_another_tenants_measure_is_not_found_and_its_key_is_free(world, other_tenant):
    measure_create(
        tenant=other_tenant, key="review_stars", name="Theirs", kind="average", scale_min=0, scale_max=10
    )
    writer = api(world.tenant, ["promises:write"])
    problem(writer.get("/api/v1/measures/review_stars"), 404)
    problem(writer.patch("/api/v1/measures/review_stars", {"name": "Mine now"}, format="json"), 404)
    assert "review_stars" not in [m["key"] for m in writer.get("/api/v1/measures").json()]
    mine = writer.post(
        "/api/v1/measures", {"key": "review_stars", "name": "Mine", "kind": "rate"}, format="json"
    )
    assert mine.status_code == 201
    with tenant_context(other_tenant):
        theirs = Measure.objects.get(key="review_stars")
    assert (theirs.name, theirs.kind, theirs.scale) == ("Theirs", "average", (0, 10))
    with pytest.raises(DomainError):
        measure_update(tenant=world.tenant, measure=theirs, name="Mine")


# --- The admin page ---------------------------------------------------------------------------


def test_the_admin_page_adds_an_average_and_shows_a_clear_error(world, member_clients):
    client = member_clients["admin"]
    host = {}
    response = client.post(
        "/promises/measures/",
        {"key": "review_stars", "name": "Review stars", "kind": "average", "direction": "higher_is_better",
         "scale_min": "1", "scale_max": "5"},
        **host,
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Measure.objects.get(key="review_stars").scale == (1, 5)
    response = client.post(
        "/promises/measures/",
        {
            "key": "stars2",
            "name": "Stars",
            "kind": "average",
            "direction": "higher_is_better",
            "scale_min": "1",
        },
        **host,
    )
    assert response.status_code == 200 and "declares its scale: set scale_max" in response.content.decode()
    assert not Measure.objects.filter(key="stars2").exists()
    page = client.get("/promises/measures/", **host).content.decode()
    assert (
        "review_stars" in page and "Lower is better" not in page.split("<tbody>")[1].split("review_stars")[0]
    )
    edit = client.post(
        "/promises/measures/review_stars/edit/",
        {
            "name": "Stars",
            "kind": "average",
            "direction": "lower_is_better",
            "scale_min": "1",
            "scale_max": "5",
        },
        **host,
    )
    assert edit.status_code == 302
    assert Measure.objects.get(key="review_stars").direction == "lower_is_better"


def test_the_measure_edit_page_is_for_admins_and_own_measures_only(world, member_clients, other_tenant):
    measure_create(tenant=other_tenant, key="theirs", name="Theirs", kind="rate")
    measure_create(tenant=world.tenant, key="mine", name="Mine", kind="rate")
    admin = member_clients["admin"]
    assert admin.get("/promises/measures/mine/edit/").status_code == 200
    assert admin.get("/promises/measures/theirs/edit/").status_code == 404
    assert (
        admin.post(
            "/promises/measures/theirs/edit/",
            {"name": "Taken", "kind": "rate", "direction": "higher_is_better"},
        ).status_code
        == 404
    )
    assert admin.get("/promises/measures/csat/edit/").status_code == 404  # built-ins do not change
    for role in ("manager", "employee", "viewer"):
        assert member_clients[role].get("/promises/measures/mine/edit/").status_code == 403
    with tenant_context(other_tenant):
        assert Measure.objects.get(key="theirs").name == "Theirs"
