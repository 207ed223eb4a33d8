"""The current scores kept in Redis per tenant (:mod:`metrics.current_scores`): a poller's plain
``GET /api/v1/scores`` reads no table, and still answers only the key's own tenant, the newest
run, and only to a key that may read scores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from metrics.current_scores import SCORES_DOCUMENT
from metrics.models import ScoreRun
from metrics.services import RECOMPUTE_RETENTION, scores_daily, scores_run
from tenants.api_base import ApiKeyRateThrottle
from tenants.apikey_cache import tenant_document_store, tenant_documents_key
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.services import api_key_create, api_key_revoke, tenant_set_status
from tests.feedback.conftest import client_with
from tests.metrics.conftest import T, scoring_setup

PROBLEM = "application/problem+json"


def _redis():
    return cache._cache.get_client(write=True)


def _kept_run_id(tenant: Tenant) -> int | None:
    """The run id in the tenant's kept document (``None``: nothing kept)."""
    stored = _redis().hget(tenant_documents_key(tenant.pk), SCORES_DOCUMENT)
    if stored is None:
        return None
    head = stored.split(b"\n")[1]
    return int(head.split(b'"run": ')[1].split(b",")[0])


def _world(tenant: Tenant, slug: str, scores: list[int]):
    """A tenant with one promise, one commitment, some survey answers and a stored run."""
    world = scoring_setup(tenant)
    with tenant_context(tenant):
        promise = world.promise(slug, title=slug.title())
        world.commitment(promise, "csat", target="60", touchpoint=world.delivery)
        world.surveys("csat", scores, at=T - timedelta(days=1), touchpoint=world.delivery)
        run = scores_run(tenant=tenant, kind="recompute", at=T)
    return world, run


def _key(tenant: Tenant, scopes=("scores:read",)):
    return client_with(api_key_create(tenant=tenant, name="BI", scopes=list(scopes)).secret)


@pytest.fixture
def acme(tenant):
    _, run = _world(tenant, "hassle-free-returns", [5, 5, 5, 5, 1])
    return _key(tenant), run


@pytest.fixture
def globex(other_tenant):
    _, run = _world(other_tenant, "fast-delivery", [1, 1, 1, 1, 5])
    return _key(other_tenant), run


def test_a_warm_plain_get_reads_no_table_and_answers_the_newest_run(tenant, acme, django_assert_num_queries):
    client, run = acme
    first = client.get("/api/v1/scores")  # the key and the run from PostgreSQL, then kept
    assert _kept_run_id(tenant) == run.pk

    with django_assert_num_queries(0):
        response = client.get("/api/v1/scores")

    assert response.status_code == 200
    assert response.json() == run.result == first.json()
    assert [p["slug"] for p in response.json()["promises"]] == ["hassle-free-returns"]
    assert response["ETag"] == first["ETag"] == f'"run-{run.pk}"'
    assert response["Last-Modified"] == first["Last-Modified"]
    assert response["Cache-Control"] == "private, no-cache"
    with django_assert_num_queries(0):
        revalidated = client.get("/api/v1/scores", HTTP_IF_NONE_MATCH=response["ETag"])
    assert revalidated.status_code == 304
    assert revalidated.content == b""


def test_a_new_run_replaces_the_kept_answer_when_it_commits(
    tenant, acme, django_assert_num_queries, django_capture_on_commit_callbacks
):
    client, old = acme
    assert client.get("/api/v1/scores")["ETag"] == f'"run-{old.pk}"'

    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        new = scores_run(tenant=tenant, kind="recompute")
        assert _kept_run_id(tenant) is None  # dropped at once: nobody reads the old one now
    assert _kept_run_id(tenant) == new.pk  # stored when the run committed

    with django_assert_num_queries(0):
        response = client.get("/api/v1/scores", HTTP_IF_NONE_MATCH=f'"run-{old.pk}"')
    assert response.status_code == 200
    assert response["ETag"] == f'"run-{new.pk}"'
    assert response.json() == new.result


def test_a_run_as_of_a_past_instant_leaves_the_newest_kept(tenant, acme, django_capture_on_commit_callbacks):
    client, newest = acme
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        scores_run(tenant=tenant, kind="quarter_end", at=T - timedelta(days=40))
    assert _kept_run_id(tenant) == newest.pk
    assert client.get("/api/v1/scores")["ETag"] == f'"run-{newest.pk}"'


def test_an_older_run_read_before_a_newer_committed_never_replaces_it(
    tenant, acme, django_capture_on_commit_callbacks
):
    client, old = acme
    client.get("/api/v1/scores")
    stale = _redis().hget(tenant_documents_key(tenant.pk), SCORES_DOCUMENT)  # what a slow request read
    with django_capture_on_commit_callbacks(execute=True), tenant_context(tenant):
        new = scores_run(tenant=tenant, kind="recompute")
    rank, _, payload = stale.partition(b"\n")

    # The slow request fills the cache after the newer run was kept: it ranks lower, nothing changes.
    assert not tenant_document_store(tenant.pk, SCORES_DOCUMENT, rank=rank.decode(), payload=payload)
    assert _kept_run_id(tenant) == new.pk != old.pk
    assert client.get("/api/v1/scores").json() == new.result


# --- Isolation ------------------------------------------------------------------------------------


def test_tenant_a_key_never_gets_tenant_b_kept_scores(
    tenant, other_tenant, acme, globex, django_assert_num_queries
):
    a_client, a_run = acme
    b_client, b_run = globex
    for client in (a_client, b_client):
        client.get("/api/v1/scores")  # both tenants' answers kept
    assert (_kept_run_id(tenant), _kept_run_id(other_tenant)) == (a_run.pk, b_run.pk)

    for client, run, slug in ((a_client, a_run, "hassle-free-returns"), (b_client, b_run, "fast-delivery")):
        with django_assert_num_queries(0):
            response = client.get("/api/v1/scores")
        assert response["ETag"] == f'"run-{run.pk}"'
        assert [p["slug"] for p in response.json()["promises"]] == [slug]
        assert response.json() == run.result


def test_a_tenant_without_a_run_never_gets_anothers_kept_scores(tenant, other_tenant, globex):
    b_client, b_run = globex
    b_client.get("/api/v1/scores")
    assert _kept_run_id(other_tenant) == b_run.pk
    a_client = _key(tenant)
    a_client.get("/api/v1/scores")  # the key now cached

    response = a_client.get("/api/v1/scores")  # acme has no run: computed, for acme

    assert response.status_code == 200
    assert "ETag" not in response
    assert response.json()["promises"] == []


def test_a_document_naming_another_tenant_is_not_served(tenant, other_tenant, acme, globex):
    """Even a document that somehow landed in A's hash is served only if it names A."""
    a_client, a_run = acme
    b_client, b_run = globex
    a_client.get("/api/v1/scores")
    b_client.get("/api/v1/scores")
    b_document = _redis().hget(tenant_documents_key(other_tenant.pk), SCORES_DOCUMENT)
    _redis().hset(tenant_documents_key(tenant.pk), SCORES_DOCUMENT, b_document)

    response = a_client.get("/api/v1/scores")

    assert response["ETag"] == f'"run-{a_run.pk}"'
    assert response.json() == a_run.result


# --- What the view still enforces on the kept answer -----------------------------------------------


def test_a_revoked_key_is_refused_though_the_answer_is_kept(tenant, acme):
    key = api_key_create(tenant=tenant, name="Poller", scopes=["scores:read"])
    client = client_with(key.secret)
    assert client.get("/api/v1/scores").status_code == 200
    assert client.get("/api/v1/scores").status_code == 200  # served from Redis
    api_key_revoke(tenant=tenant, api_key=key.api_key)

    response = client.get("/api/v1/scores")

    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]
    assert acme[0].get("/api/v1/scores").status_code == 200  # the tenant's other key still reads


def test_a_key_without_the_scores_scope_is_refused_though_the_answer_is_kept(tenant, acme):
    acme[0].get("/api/v1/scores")
    writer = _key(tenant, scopes=("feedback:write", "promises:read"))
    writer.get("/api/v1/tenant")  # its key record cached too

    for _ in range(2):
        response = writer.get("/api/v1/scores")
        assert response.status_code == 403
        assert response["Content-Type"] == PROBLEM
        assert "scores:read" in response.json()["detail"]


def test_a_suspended_tenant_is_refused_and_its_kept_answer_dropped(tenant, acme):
    client, run = acme
    client.get("/api/v1/scores")
    assert _kept_run_id(tenant) == run.pk

    tenant_set_status(tenant=tenant, status=Tenant.Status.SUSPENDED)

    assert _kept_run_id(tenant) is None
    response = client.get("/api/v1/scores")
    assert response.status_code == 401
    assert "suspended" in response.json()["detail"]
    tenant_set_status(tenant=tenant, status=Tenant.Status.ACTIVE)
    assert client.get("/api/v1/scores").json() == run.result


def test_the_rate_limit_counts_requests_served_from_redis(acme, monkeypatch):
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "3/min"})
    client, _ = acme
    for _ in range(3):
        assert client.get("/api/v1/scores").status_code == 200

    throttled = client.get("/api/v1/scores")

    assert throttled.status_code == 429
    assert throttled["Content-Type"] == PROBLEM


def test_deleted_runs_drop_the_kept_answer(tenant, acme):
    client, run = acme
    client.get("/api/v1/scores")
    now = timezone.now()
    with tenant_context(tenant):
        ScoreRun.objects.filter(pk=run.pk).update(as_of=now - RECOMPUTE_RETENTION - timedelta(days=1))
        scores_daily(tenant=tenant, now=now)  # prunes the old recompute run

    assert _kept_run_id(tenant) is None
    response = client.get("/api/v1/scores")
    assert response["ETag"] != f'"run-{run.pk}"'
