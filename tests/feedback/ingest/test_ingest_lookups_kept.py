"""The tenant's touchpoints and measures kept for ingest (:mod:`feedback.ingest.lookups_cache`):
read with the API key, dropped when they change, never another tenant's."""

from __future__ import annotations

import pickle

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.ingest.lookups_cache import (
    INGEST_LOOKUPS_DOCUMENT,
    ingest_lookups_forget,
    ingest_lookups_keep,
    ingest_lookups_rank,
)
from feedback.signals.models import SurveyResponse
from promises.models import Measure
from tenants.apikey_cache import tenant_document_payload, tenant_documents_key
from tenants.context import tenant_context
from tenants.models import Touchpoint
from tenants.services import api_key_create, touchpoint_create, touchpoint_delete
from tests.feedback.conftest import client_with, signal_setup

NOW = "2026-01-05T10:00:00Z"


def _item(**overrides):
    return {"measure": "nps", "score": 9, "occurred_at": NOW, "touchpoint": "delivery", **overrides}


def _kept(tenant):
    stored = cache._cache.get_client(write=True).hget(
        tenant_documents_key(tenant.pk), INGEST_LOOKUPS_DOCUMENT
    )
    payload = tenant_document_payload(stored)
    return pickle.loads(payload) if payload else None  # noqa: S301 - the test's own Redis


def _post(client, item, capture):
    with capture(execute=True):  # the request's commit: what it read is kept
        return client.post("/api/v1/survey-responses", item, format="json")


def _reads_lookups(captured) -> bool:
    return any('"tenants_touchpoint"' in q["sql"] or '"promises_measure"' in q["sql"] for q in captured)


def test_a_kept_read_serves_the_next_requests_without_a_query(
    api, signals, django_capture_on_commit_callbacks
):
    assert _post(api, _item(), django_capture_on_commit_callbacks).json()["created"] == 1
    tenant_id, touchpoints, measures = _kept(signals)
    assert tenant_id == signals.pk and "delivery" in touchpoints and "nps" in measures
    with CaptureQueriesContext(connection) as captured:
        body = api.post("/api/v1/survey-responses", _item(external_id="x"), format="json").json()
    assert body["created"] == 1 and not _reads_lookups(captured.captured_queries)
    with tenant_context(signals):
        stored = SurveyResponse.objects.get(pk=body["results"][0]["id"])
        assert (stored.touchpoint.slug, stored.measure.key) == ("delivery", "nps")


def test_a_new_touchpoint_is_accepted_at_once(api, signals, django_capture_on_commit_callbacks):
    _post(api, _item(), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint_create(tenant=signals, name="Checkout")
    assert _kept(signals) is None  # dropped when the touchpoint was saved
    body = api.post("/api/v1/survey-responses", _item(touchpoint="checkout"), format="json").json()
    assert body["created"] == 1


def test_an_unknown_slug_reads_the_tables_even_when_something_is_kept(
    api, signals, django_capture_on_commit_callbacks
):
    _post(api, _item(), django_capture_on_commit_callbacks)
    with tenant_context(signals):  # bypassing every service (and the receivers): bulk_create
        Touchpoint.objects.bulk_create([Touchpoint(name="Returns", slug="returns", position=999)])
    assert _kept(signals) is not None
    with CaptureQueriesContext(connection) as captured:
        body = api.post("/api/v1/survey-responses", _item(touchpoint="returns"), format="json").json()
    assert body["created"] == 1 and _reads_lookups(captured.captured_queries)


def test_a_deleted_touchpoint_is_refused_with_the_tables_answer(
    api, signals, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        spare = touchpoint_create(tenant=signals, name="Spare")
    _post(api, _item(), django_capture_on_commit_callbacks)
    assert "spare" in _kept(signals)[1]  # every touchpoint is kept, not only those named
    with django_capture_on_commit_callbacks(execute=True):
        touchpoint_delete(tenant=signals, touchpoint=spare)
    body = api.post("/api/v1/survey-responses", _item(touchpoint="spare"), format="json").json()
    assert body["rejected"] == 1
    assert body["results"][0]["errors"]["touchpoint"][0].startswith(
        "Unknown touchpoint 'spare'; choose one of:"
    )


def test_a_changed_measure_drops_the_kept_read(api, signals, django_capture_on_commit_callbacks):
    _post(api, _item(), django_capture_on_commit_callbacks)
    with tenant_context(signals), django_capture_on_commit_callbacks(execute=True):
        measure = Measure.objects.get(key="refund_processing")
        measure.name = "Refunds"
        measure.save()
    assert _kept(signals) is None


def test_a_read_older_than_a_change_is_not_kept(signals, django_capture_on_commit_callbacks):
    rank = ingest_lookups_rank()  # a request began reading here…
    with django_capture_on_commit_callbacks(execute=True):
        ingest_lookups_forget(signals.pk)  # …a change committed…
    with django_capture_on_commit_callbacks(execute=True):  # …then the request stores its read
        ingest_lookups_keep(tenant_id=signals.pk, rank=rank, touchpoints={}, measures={})
    assert _kept(signals) is None


def test_another_tenants_kept_read_is_never_used(tenant, other_tenant, django_capture_on_commit_callbacks):
    signal_setup(tenant)
    signal_setup(other_tenant)
    a = client_with(api_key_create(tenant=tenant, name="A", scopes=["feedback:write"]).secret)
    b = client_with(api_key_create(tenant=other_tenant, name="B", scopes=["feedback:write"]).secret)
    _post(a, _item(), django_capture_on_commit_callbacks)
    _post(b, _item(), django_capture_on_commit_callbacks)
    redis = cache._cache.get_client(write=True)
    b_document = redis.hget(tenant_documents_key(other_tenant.pk), INGEST_LOOKUPS_DOCUMENT)
    redis.hset(tenant_documents_key(tenant.pk), INGEST_LOOKUPS_DOCUMENT, b_document)  # B's read under A

    with CaptureQueriesContext(connection) as captured:
        body = a.post("/api/v1/survey-responses", _item(external_id="a-1"), format="json").json()

    assert body["created"] == 1 and _reads_lookups(captured.captured_queries)
    with tenant_context(tenant):
        stored = SurveyResponse.objects.get(pk=body["results"][0]["id"])
        assert stored.touchpoint.tenant_id == stored.measure.tenant_id == tenant.pk
