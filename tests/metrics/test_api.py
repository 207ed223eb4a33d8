"""The scores API: ``GET /api/v1/scores`` and ``GET /api/v1/scores/history``; and the
perception-gap threshold on the settings page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.http import parse_http_date
from drf_spectacular.generators import SchemaGenerator

from metrics import engine
from metrics.models import ScoreSnapshot
from metrics.services import scores_at, scores_run
from promises.models import Commitment
from tenants.context import tenant_context
from tenants.forms import TenantSettingsForm
from tenants.services import api_key_create
from tests.feedback.conftest import client_with
from tests.metrics.conftest import T, scoring_setup

PROBLEM = "application/problem+json"


def q(at: datetime) -> str:
    """An instant as a query-string value (``+`` must be encoded)."""
    return quote(at.isoformat())


@pytest.fixture
def api(scoring):
    key = api_key_create(tenant=scoring.tenant, name="BI", scopes=["scores:read"])
    return client_with(key.secret)


# --- GET /api/v1/scores -------------------------------------------------------------------------


def test_worked_example_through_the_api(api, worked_example):
    response = api.get(f"/api/v1/scores?as_of={q(T)}")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"as_of", "tenant", "promises", "commitments", "departments", "touchpoints"}
    assert datetime.fromisoformat(body["as_of"]) == T
    assert body["tenant"] == {"score": 92.13, "delivery_rate": 0.0}
    (promise,) = body["promises"]
    assert {k: promise[k] for k in ("id", "slug", "status", "flags")} == {
        "id": worked_example.pk,
        "slug": "hassle-free-returns",
        "status": "not_met",
        "flags": [],
    }
    assert (
        promise["score"],
        promise["delivery_rate"],
        promise["operational_score"],
        promise["perceived_score"],
        promise["perception_gap"],
    ) == (92.13, 0.0, 94.44, 87.5, 6.94)
    refunds, csat = body["commitments"]
    expected = {
        "promise": "hassle-free-returns",
        "touchpoint": "returns",
        "status": "not_met",
        "met": False,
    }
    assert refunds | expected == refunds and csat | expected == csat
    assert (refunds["measure"], refunds["kind"], refunds["target"]) == (
        "refund_processing",
        "operational",
        90.0,
    )
    assert (refunds["actual"], refunds["n"], refunds["score"], refunds["gap"]) == (85.0, 20, 94.44, 5.0)
    assert (csat["measure"], csat["kind"], csat["target"]) == ("csat", "perceived", 80.0)
    assert (csat["actual"], csat["n"], csat["score"], csat["gap"]) == (70.0, 10, 87.5, 10.0)
    departments = {d["slug"]: d for d in body["departments"]}
    assert {k: departments["operations"][k] for k in ("score", "delivery_rate")} == {
        "score": 92.13,
        "delivery_rate": 0.0,
    }
    assert departments["customer-service"]["score"] is None  # owns no scored promise
    touchpoints = {t["slug"]: t["score"] for t in body["touchpoints"]}
    # (2 × 94.444… + 1 × 87.5) / 3 over the two commitments at returns.
    assert touchpoints == {"delivery": None, "returns": 92.13}


def test_a_past_as_of_equals_the_snapshot_taken_then(api, scoring, worked_example):
    run = scores_run(tenant=scoring.tenant, kind="recompute", at=T)
    assert api.get(f"/api/v1/scores?as_of={q(T)}").json() == run.result
    # The same instant written in another offset is the same answer (as_of in UTC).
    berlin = T.astimezone(timezone.get_fixed_timezone(120))
    assert api.get(f"/api/v1/scores?as_of={q(berlin)}").json() == run.result
    # Signals that arrive later do not change the past.
    scoring.surveys("csat", [1] * 10, at=T + timedelta(seconds=1), touchpoint=scoring.returns)
    assert api.get(f"/api/v1/scores?as_of={q(T)}").json() == run.result


def test_as_of_defaults_to_now(api, scoring, worked_example):
    before = timezone.now()
    body = api.get("/api/v1/scores").json()
    as_of = datetime.fromisoformat(body["as_of"])
    assert before <= as_of <= timezone.now()
    # Now is read from the rollups; the raw reference at the same instant agrees.
    assert body == scores_at(tenant=scoring.tenant, at=as_of)
    # The event at T + 1 s is inside the window now: 17 of 21 within θ.
    assert body["commitments"][0]["n"] == 21


def test_current_scores_are_the_latest_run_as_a_fresh_compute_at_its_instant(api, scoring, worked_example):
    scores_run(tenant=scoring.tenant, kind="daily", at=T)
    run = scores_run(tenant=scoring.tenant, kind="recompute")
    scoring.surveys("csat", [1] * 10, at=run.as_of + timedelta(seconds=1), touchpoint=scoring.returns)

    response = api.get("/api/v1/scores")

    assert response.status_code == 200
    body = response.json()
    assert datetime.fromisoformat(body["as_of"]) == run.as_of  # the run's instant, not now
    with tenant_context(scoring.tenant):
        assert body == engine.scores_compute(tenant=scoring.tenant, at=run.as_of, source="rollup")
        assert body == engine.scores_compute(tenant=scoring.tenant, at=run.as_of, source="raw")
    assert body["commitments"][0]["n"] == 21
    assert response["ETag"] == f'"run-{run.pk}"'
    assert parse_http_date(response["Last-Modified"]) == int(run.computed_at.timestamp())
    assert response["Cache-Control"] == "private, no-cache"
    assert "Authorization" in response["Vary"]


def test_pollers_get_304_until_the_next_run(api, scoring, worked_example):
    scores_run(tenant=scoring.tenant, kind="recompute")
    first = api.get("/api/v1/scores")

    by_etag = api.get("/api/v1/scores", HTTP_IF_NONE_MATCH=first["ETag"])
    by_date = api.get("/api/v1/scores", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    for response in (by_etag, by_date):
        assert response.status_code == 304
        assert response.content == b""
        assert response["ETag"] == first["ETag"]
    scoring.surveys("csat", [1] * 10, at=timezone.now(), touchpoint=scoring.returns)
    run = scores_run(tenant=scoring.tenant, kind="recompute")
    fresh = api.get("/api/v1/scores", HTTP_IF_NONE_MATCH=first["ETag"])
    assert fresh.status_code == 200
    assert fresh["ETag"] == f'"run-{run.pk}"' != first["ETag"]
    assert fresh.json() == run.result != first.json()


def test_a_run_stored_before_the_answer_gained_fields_is_computed_afresh(api, scoring, worked_example):
    run = scores_run(tenant=scoring.tenant, kind="recompute")
    old = {
        **run.result,
        "commitments": [
            {k: v for k, v in c.items() if k not in ("direction", "target_label")}
            for c in run.result["commitments"]
        ],
    }
    with tenant_context(scoring.tenant):
        type(run).objects.filter(pk=run.pk).update(result=old)

    response = api.get("/api/v1/scores")

    assert response.status_code == 200
    body = response.json()
    assert body["commitments"][0]["target_label"] == "at least 90 %"
    assert body["commitments"][0]["direction"] == "higher_is_better"
    assert "ETag" not in response  # computed, not the stored run


def test_current_scores_read_no_table_however_many_promises(api, scoring, django_assert_num_queries):
    for count, start in ((2, 0), (8, 2)):
        _promises_with_commitments(scoring, count, start)
        run = scores_run(tenant=scoring.tenant, kind="recompute")
        api.get("/api/v1/scores")  # the key's first use, and the run's: both read from PostgreSQL
        with django_assert_num_queries(0):  # the key, its counter and the run: one Redis round trip
            response = api.get("/api/v1/scores")
        body = response.json()
        assert body == run.result
        assert response["ETag"] == f'"run-{run.pk}"'
    assert len(body["promises"]) == 10


def test_a_past_instant_between_runs_is_computed_from_the_rollups(api, scoring, worked_example):
    scores_run(tenant=scoring.tenant, kind="daily", at=T)
    between = T - timedelta(hours=5, minutes=3)

    body = api.get(f"/api/v1/scores?as_of={q(between)}").json()

    with tenant_context(scoring.tenant):
        assert body == engine.scores_compute(tenant=scoring.tenant, at=between, source="raw")
    assert datetime.fromisoformat(body["as_of"]) == between


@pytest.mark.parametrize(
    ("as_of", "message"),
    [
        ("yesterday", "“yesterday” is not an ISO 8601 date and time; send e.g. 2026-03-31T22:00:00Z."),
        ("2026-01-01T00:00:00", "“2026-01-01T00:00:00” has no time zone; add Z or an offset"),
        # An unencoded "+" arrives as a space.
        ("2026-01-01T00:00:00 02:00", "write a “+” offset as %2B (or use Z)"),
        ("2026-13-01T00:00:00Z", "is not an ISO 8601 date and time"),
    ],
)
def test_a_bad_as_of_is_400_and_says_what_to_send(api, scoring, as_of, message):
    response = api.get("/api/v1/scores", {"as_of": as_of})
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    (error,) = response.json()["errors"]["as_of"]
    assert message in error


def test_an_as_of_in_the_future_is_400(api, scoring):
    future = timezone.now() + timedelta(hours=1)
    response = api.get(f"/api/v1/scores?as_of={q(future)}")
    assert response.status_code == 400
    (error,) = response.json()["errors"]["as_of"]
    assert "is in the future; scores exist up to now. Leave it out for the scores as of now." in error


def _promises_with_commitments(scoring, count: int, start: int = 0) -> None:
    for i in range(start, start + count):
        promise = scoring.promise(f"promise-{i}", title=f"Promise {i}", contributors=(scoring.cs,))
        scoring.commitment(
            promise, "refund_processing", target="90", touchpoint=scoring.returns, threshold_seconds=3600 + i
        )
        scoring.commitment(promise, "csat", target="80", touchpoint=scoring.delivery)
    scoring.events("refund_processing", [60] * 5, at=T, touchpoint=scoring.returns)
    scoring.surveys("csat", [5] * 5, at=T, touchpoint=scoring.delivery)


@pytest.mark.parametrize("as_of", [None, T], ids=["now", "past"])
def test_queries_per_request_do_not_grow_with_promises(api, scoring, as_of):
    url = "/api/v1/scores" + (f"?as_of={q(as_of)}" if as_of else "")

    def queries() -> int:
        api.get(url)  # registers new duration thresholds (a one-off backfill) before counting
        with CaptureQueriesContext(connection) as captured:
            response = api.get(url)
        assert response.status_code == 200
        return len(captured)

    _promises_with_commitments(scoring, 2)
    few = queries()
    _promises_with_commitments(scoring, 8, start=2)
    many = queries()
    assert len(api.get(url).json()["promises"]) == 10
    assert many == few


# --- GET /api/v1/scores/history ----------------------------------------------------------------


@pytest.fixture
def runs(scoring, worked_example):
    """Four runs: a quarter end 40 days before T, dailies 2 and 1 days before, a recompute at T."""
    return [
        scores_run(tenant=scoring.tenant, kind=kind, at=at)
        for kind, at in [
            ("quarter_end", T - timedelta(days=40)),
            ("daily", T - timedelta(days=2)),
            ("daily", T - timedelta(days=1)),
            ("recompute", T),
        ]
    ]


def _as_of(item: dict) -> datetime:
    return datetime.fromisoformat(item["as_of"].replace("Z", "+00:00"))


def test_history_of_a_promise_oldest_first(api, worked_example, runs):
    response = api.get("/api/v1/scores/history", {"scope": "promise", "id": worked_example.pk})
    assert response.status_code == 200, response.content
    items = response.json()["results"]
    assert [(_as_of(i), i["kind"]) for i in items] == [(r.as_of, r.kind) for r in runs]
    last = items[-1]
    assert (last["score"], last["delivery_rate"], last["n"]) == (92.13, 0.0, None)
    assert last["values"]["perception_gap"] == 6.94
    assert set(last) == {"as_of", "kind", "score", "delivery_rate", "n", "values"}


def test_history_filters_by_kind_and_period(api, worked_example, runs):
    url = "/api/v1/scores/history"
    params = {"scope": "promise", "id": worked_example.pk}
    quarter = api.get(url, {**params, "kind": "quarter_end"}).json()["results"]
    assert [_as_of(i) for i in quarter] == [T - timedelta(days=40)]
    period = {"from": (T - timedelta(days=2)).isoformat(), "to": (T - timedelta(days=1)).isoformat()}
    dailies = api.get(url, {**params, **period}).json()["results"]
    assert [_as_of(i) for i in dailies] == [T - timedelta(days=2), T - timedelta(days=1)]
    since = api.get(url, {**params, "from": T.isoformat()}).json()["results"]
    assert [i["kind"] for i in since] == ["recompute"]


def test_history_of_every_scope(api, scoring, worked_example, runs):
    url = "/api/v1/scores/history"
    tenant = api.get(url, {"scope": "tenant"}).json()["results"]
    assert [i["score"] for i in tenant][-1] == 92.13 and len(tenant) == 4
    commitment = Commitment.objects.filter(measure__key="csat").get()
    items = api.get(url, {"scope": "commitment", "id": commitment.pk}).json()["results"]
    assert (items[-1]["n"], items[-1]["score"], items[-1]["values"]["actual"]) == (10, 87.5, 70.0)
    department = api.get(url, {"scope": "department", "id": scoring.ops.pk}).json()["results"]
    assert department[-1]["score"] == 92.13
    touchpoint = api.get(url, {"scope": "touchpoint", "id": scoring.returns.pk}).json()["results"]
    assert touchpoint[-1]["score"] == 92.13


def test_history_pages_with_a_cursor(api, worked_example, runs):
    response = api.get(
        "/api/v1/scores/history", {"scope": "promise", "id": worked_example.pk, "page_size": 3}
    )
    page = response.json()
    assert len(page["results"]) == 3 and page["next"]
    rest = api.get(page["next"]).json()
    assert rest["next"] is None
    seen = [_as_of(i) for i in page["results"] + rest["results"]]
    assert seen == [r.as_of for r in runs]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({}, "scope", "Name the scope: one of tenant, promise, commitment, department, touchpoint."),
        ({"scope": "planet"}, "scope", "“planet” is not a scope; use one of tenant, promise,"),
        ({"scope": "promise"}, "id", "Give the id of the promise whose history you want."),
        ({"scope": "tenant", "id": 1}, "id", "The tenant scope has no id; leave id out."),
        ({"scope": "promise", "id": "abc"}, "id", "The id is a whole number, e.g. 42."),
        ({"scope": "tenant", "kind": "hourly"}, "kind", "“hourly” is not a snapshot kind; use one of"),
        ({"scope": "tenant", "from": "2026-01-01"}, "from", "has no time zone; add Z or an offset"),
        ({"scope": "tenant", "to": "soon"}, "to", "“soon” is not an ISO 8601 date and time"),
        (
            {"scope": "tenant", "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
            "to",
            "“to” is before “from”; swap them.",
        ),
    ],
)
def test_history_refuses_bad_parameters(api, scoring, params, field, message):
    response = api.get("/api/v1/scores/history", params)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    (error,) = response.json()["errors"][field]
    assert message in error


def test_history_of_an_unknown_id_is_404(api, scoring):
    for scope in ("promise", "commitment", "department", "touchpoint"):
        response = api.get("/api/v1/scores/history", {"scope": scope, "id": 987654321})
        assert response.status_code == 404, scope
        assert response["Content-Type"] == PROBLEM


def test_history_of_a_deleted_department_stays_readable(api, scoring, worked_example):
    scores_run(tenant=scoring.tenant, kind="recompute", at=T)
    # Snapshots name their scope by id only: as if the department had been deleted since.
    gone = 987654321
    ScoreSnapshot.objects.filter(scope="department", scope_id=scoring.ops.pk).update(scope_id=gone)
    response = api.get("/api/v1/scores/history", {"scope": "department", "id": gone})
    assert response.status_code == 200
    assert [i["score"] for i in response.json()["results"]] == [92.13]


# --- Scopes, credentials, tenants ----------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/scores", "/api/v1/scores/history?scope=tenant"])
def test_scores_need_the_scores_read_scope(scoring, url):
    writer = api_key_create(tenant=scoring.tenant, name="CRM", scopes=["feedback:write", "promises:read"])
    response = client_with(writer.secret).get(url)
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "it needs one of: scores:read" in response.json()["detail"]
    reader = api_key_create(tenant=scoring.tenant, name="BI", scopes=["scores:read"])
    assert client_with(reader.secret).get(url).status_code == 200


@pytest.mark.parametrize("url", ["/api/v1/scores", "/api/v1/scores/history?scope=tenant"])
def test_no_key_is_401(scoring, url):
    from rest_framework.test import APIClient

    response = APIClient().get(url)
    assert response.status_code == 401
    assert "Send an API key" in response.json()["detail"]


@pytest.mark.parametrize("role", ["admin", "manager", "employee", "viewer"])
def test_a_signed_in_member_is_not_an_api_credential(member_clients, scoring, role):
    """The partner API authenticates API keys only; members read scores on the dashboards."""
    response = member_clients[role].get("/api/v1/scores")
    assert response.status_code == 401


@pytest.fixture
def globex(other_tenant):
    """Tenant B with its own promise and a key that reads scores."""
    world = scoring_setup(other_tenant)
    with tenant_context(other_tenant):
        promise = world.promise("fast-delivery", title="Fast delivery")
        world.commitment(promise, "csat", target="60", touchpoint=world.delivery)
        world.surveys("csat", [5, 5, 5, 1, 1], at=T - timedelta(days=1), touchpoint=world.delivery)
        scores_run(tenant=other_tenant, kind="recompute", at=T)
    key = api_key_create(tenant=other_tenant, name="BI", scopes=["scores:read"])
    return client_with(key.secret), promise


def test_another_tenants_key_sees_only_its_own_scores(api, scoring, worked_example, runs, globex):
    client, b_promise = globex
    for url in ("/api/v1/scores", f"/api/v1/scores?as_of={q(T)}"):
        body = client.get(url).json()
        assert [p["slug"] for p in body["promises"]] == ["fast-delivery"]
        assert [c["promise"] for c in body["commitments"]] == ["fast-delivery"]
        assert body["tenant"] == {"score": 100.0, "delivery_rate": 100.0}
        assert worked_example.pk not in {p["id"] for p in body["promises"]}
    tenant_history = client.get("/api/v1/scores/history", {"scope": "tenant"}).json()["results"]
    assert [i["score"] for i in tenant_history] == [100.0]
    # And A's key does not see B's.
    a_body = api.get(f"/api/v1/scores?as_of={q(T)}").json()
    assert [p["slug"] for p in a_body["promises"]] == ["hassle-free-returns"]
    assert api.get("/api/v1/scores/history", {"scope": "promise", "id": b_promise.pk}).status_code == 404


def test_anothers_ids_are_not_found_in_the_history(scoring, worked_example, runs, globex):
    client, b_promise = globex
    a_commitment = Commitment.objects.first()
    for scope, scope_id in [
        ("promise", worked_example.pk),
        ("commitment", a_commitment.pk),
        ("department", scoring.ops.pk),
        ("touchpoint", scoring.returns.pk),
    ]:
        response = client.get("/api/v1/scores/history", {"scope": scope, "id": scope_id})
        assert response.status_code == 404, scope
    assert client.get("/api/v1/scores/history", {"scope": "promise", "id": b_promise.pk}).status_code == 200


def test_the_endpoints_are_in_the_schema(db):
    schema = SchemaGenerator().get_schema(request=None, public=True)
    scores = schema["paths"]["/api/v1/scores"]["get"]
    assert "scores:read" in scores["description"]
    assert "examples" in scores["responses"]["200"]["content"]["application/json"]
    history = schema["paths"]["/api/v1/scores/history"]["get"]
    assert {p["name"] for p in history["parameters"]} >= {"scope", "id", "from", "to", "kind", "cursor"}
    assert "examples" in history["responses"]["200"]["content"]["application/json"]


# --- The perception-gap threshold (settings page) --------------------------------------------------


@pytest.fixture
def admin(member_clients):
    from tests.conftest import TEST_PASSWORD

    client = member_clients["admin"]
    response = client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    assert response.status_code == 302
    return client


def _settings(tenant, **extra) -> dict:
    return {"name": tenant.name, "time_zone": tenant.time_zone, **extra}


def test_admin_changes_the_perception_gap_threshold(admin, api, scoring, worked_example):
    tenant = scoring.tenant
    assert 'name="perception_gap_threshold" value="20.00"' in admin.get("/admin/settings/").content.decode()
    response = admin.post("/admin/settings/", _settings(tenant, perception_gap_threshold="5"))
    assert response.status_code == 302, response.content.decode()[:2000]
    tenant.refresh_from_db()
    assert tenant.perception_gap_threshold == Decimal("5")
    # A gap of 6.94 is now a hidden breach.
    (promise,) = api.get(f"/api/v1/scores?as_of={q(T)}").json()["promises"]
    assert promise["flags"] == ["hidden_breach"]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "The perception-gap threshold is at least 1 point; enter 1 to 100 (e.g. 20)."),
        ("100.5", "The perception-gap threshold is at most 100 points; enter 1 to 100 (e.g. 20)."),
        ("lots", "Give the perception-gap threshold as a number of points, from 1 to 100 (e.g. 20)."),
    ],
)
def test_the_threshold_is_1_to_100(admin, scoring, value, message):
    tenant = scoring.tenant
    response = admin.post("/admin/settings/", _settings(tenant, perception_gap_threshold=value))
    assert response.status_code == 200
    assert message in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.perception_gap_threshold == Decimal("20")


def test_the_settings_form_shows_the_threshold_only_to_who_may_change_scoring(db):
    assert "perception_gap_threshold" in TenantSettingsForm().fields
    assert "perception_gap_threshold" not in TenantSettingsForm(scoring_settings=False).fields


def test_leaving_the_threshold_empty_keeps_it(admin, scoring):
    tenant = scoring.tenant
    response = admin.post("/admin/settings/", _settings(tenant, name="Acme Stores"))
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.name, tenant.perception_gap_threshold) == ("Acme Stores", Decimal("20"))


def test_the_snapshot_instants_are_utc(api, worked_example, runs):
    items = api.get("/api/v1/scores/history", {"scope": "tenant"}).json()["results"]
    assert all(_as_of(i).utcoffset() == timedelta(0) for i in items)
    assert _as_of(items[-1]) == T.astimezone(UTC)


def test_an_empty_as_of_is_400_naming_it(api, scoring):
    response = api.get("/api/v1/scores?as_of=")
    assert response.status_code == 400 and response["Content-Type"] == PROBLEM
    (error,) = response.json()["errors"]["as_of"]
    assert "empty" in error and "leave the parameter out" in error
