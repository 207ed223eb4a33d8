"""Batch ingest (feedback.ingest.services.signals_ingest): per-item validation, duplicates, one write."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.ingest.services import signals_ingest
from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story, StoryPromise
from tenants.context import tenant_context
from tenants.rescoring import dirty_key
from tenants.services import api_key_create
from tests.feedback.conftest import signal_setup

NOW = "2026-01-05T10:00:00Z"


def story(**overrides):
    return {
        "text": "Lovely quick delivery",
        "occurred_at": NOW,
        "touchpoint": "delivery",
        "promises": ["fast-refunds"],
        "department": "customer-service",
        "segment": "retail",
        "severity": "low",
        **overrides,
    }


def response(**overrides):
    return {"measure": "csat", "score": 4, "occurred_at": NOW, "touchpoint": "delivery", **overrides}


def event(**overrides):
    return {
        "measure": "refund_processing",
        "duration_seconds": 3600,
        "occurred_at": NOW,
        "touchpoint": "delivery",
        **overrides,
    }


def ingest(tenant, key, kind, items):
    return [r.as_dict() for r in signals_ingest(tenant=tenant, kind=kind, items=items, source=key.api_key)]


def count(tenant, model) -> int:
    with tenant_context(tenant):
        return model.objects.count()


def test_stories_are_created_with_their_fields_and_sentiment(signals, api_key):
    results = ingest(
        signals,
        api_key,
        "stories",
        [story(external_id="s-1"), story(text="Terrible, the refund took weeks", promises=[])],
    )
    assert [r["status"] for r in results] == ["created", "created"]
    with tenant_context(signals):
        good, bad = Story.objects.order_by("id")
        assert good.pk == results[0]["id"]
        assert good.touchpoint.slug == "delivery"
        assert good.department.slug == "customer-service"
        assert (good.segment, good.severity, good.channel) == ("retail", "low", "api")
        assert (good.source_kind, good.source_id, good.external_id) == ("api_key", api_key.api_key.pk, "s-1")
        assert good.occurred_at.isoformat() == "2026-01-05T10:00:00+00:00"
        assert good.sentiment > 0 > bad.sentiment
        assert list(good.promises.values_list("slug", flat=True)) == ["fast-refunds"]
        assert bad.external_id is None and not bad.promises.exists()


def test_survey_responses_and_service_events_are_created(signals, api_key):
    results = ingest(
        signals,
        api_key,
        "survey_responses",
        [
            response(segment={"plan": "pro"}, respondent_ref="r-1", comment="ok"),
            response(measure="nps", score=0, touchpoint=None),
        ],
    )
    assert [r["status"] for r in results] == ["created", "created"]
    with tenant_context(signals):
        first, second = SurveyResponse.objects.order_by("id")
        assert (first.measure.key, first.score, first.segment, first.respondent_ref) == (
            "csat",
            4,
            {"plan": "pro"},
            "r-1",
        )
        assert (second.measure.key, second.score, second.touchpoint) == ("nps", 0, None)
    results = ingest(signals, api_key, "service_events", [event(duration_seconds=0)])
    assert results[0]["status"] == "created"
    with tenant_context(signals):
        assert ServiceEvent.objects.get().duration_seconds == 0


@pytest.mark.parametrize(
    ("kind", "item", "field", "message"),
    [
        (
            "stories",
            story(touchpoint="moon"),
            "touchpoint",
            "Unknown touchpoint 'moon'; choose one of: delivery.",
        ),
        ("stories", story(promises=["nope"]), "promises", "Unknown promise 'nope'"),
        (
            "stories",
            story(department="nope"),
            "department",
            "Unknown department 'nope'; choose one of: customer-service.",
        ),
        ("stories", story(text="   "), "text", "text cannot be empty."),
        ("stories", story(text="x" * 5001), "text", "keep it to at most 5000"),
        (
            "stories",
            story(severity="urgent"),
            "severity",
            "severity 'urgent' is not one of: low, medium, high.",
        ),
        ("stories", {k: v for k, v in story().items() if k != "text"}, "text", "text is required."),
        ("stories", story(colour="red"), "colour", "Unknown field 'colour'"),
        ("survey_responses", response(score=6), "score", "csat score 6 is outside 1…5."),
        ("survey_responses", response(measure="nps", score=11), "score", "nps score 11 is outside 0…10."),
        ("survey_responses", response(measure="ces", score=0), "score", "ces score 0 is outside 1…7."),
        ("survey_responses", response(score="4"), "score", "score must be a whole number"),
        ("survey_responses", response(score=4.5), "score", "score must be a whole number"),
        (
            "survey_responses",
            response(measure="likes"),
            "measure",
            "Unknown survey measure 'likes'; choose one of: ",
        ),
        ("survey_responses", response(measure="refund_processing"), "measure", "Unknown survey measure"),
        ("survey_responses", response(segment=[1]), "segment", "segment must be an object"),
        ("survey_responses", response(segment={"a": {"b": 1}}), "segment", "no nesting"),
        ("service_events", event(duration_seconds=-1), "duration_seconds", "a duration cannot be negative"),
        ("service_events", event(measure="nps"), "measure", "choose one of: refund_processing."),
        ("service_events", event(touchpoint=None), "touchpoint", "touchpoint is required"),
        ("service_events", event(occurred_at=None), "occurred_at", "occurred_at is required"),
        ("service_events", event(occurred_at="yesterday"), "occurred_at", "is not a date and time"),
        (
            "service_events",
            event(occurred_at="2026-13-45T10:00:00Z"),
            "occurred_at",
            "is not a date and time",
        ),
        ("service_events", event(occurred_at="2026-01-05T10:00:00"), "occurred_at", "has no time zone"),
        ("service_events", event(external_id=""), "external_id", "non-empty string"),
    ],
)
def test_each_validation_error_names_its_field(signals, api_key, kind, item, field, message):
    model = {"stories": Story, "survey_responses": SurveyResponse, "service_events": ServiceEvent}[kind]
    [result] = ingest(signals, api_key, kind, [item])
    assert result["status"] == "rejected" and result["id"] is None
    assert any(message in m for m in result["errors"][field]), result["errors"]
    assert count(signals, model) == 0


def test_occurred_at_more_than_the_clock_skew_ahead_is_rejected(signals, api_key):
    soon = (timezone.now() + timedelta(minutes=3)).isoformat()
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    results = ingest(signals, api_key, "service_events", [event(occurred_at=soon), event(occurred_at=later)])
    assert [r["status"] for r in results] == ["created", "rejected"]
    assert "is in the future (more than 5 minutes ahead" in results[1]["errors"]["occurred_at"][0]


def test_a_mixed_batch_creates_the_good_items_and_writes_nothing_for_the_bad_one(signals, api_key):
    results = ingest(
        signals,
        api_key,
        "stories",
        [
            story(external_id="a"),
            story(external_id="b", promises=["fast-refunds", "nope"]),
            story(external_id="c"),
        ],
    )
    assert [r["status"] for r in results] == ["created", "rejected", "created"]
    assert results[1]["errors"] == {
        "promises": ["Unknown promise 'nope': there is no promise with this slug."]
    }
    with tenant_context(signals):
        assert sorted(Story.objects.values_list("external_id", flat=True)) == ["a", "c"]
        assert StoryPromise.objects.count() == 2


def test_the_same_external_id_again_is_a_duplicate_and_changes_nothing(signals, api_key):
    [first] = ingest(signals, api_key, "survey_responses", [response(external_id="r-1")])
    results = ingest(
        signals,
        api_key,
        "survey_responses",
        [response(external_id="r-1", score=1), response(external_id="r-2"), response(external_id="r-2")],
    )
    assert [r["status"] for r in results] == ["duplicate", "created", "duplicate"]
    assert results[0]["id"] == first["id"]
    assert results[2]["id"] == results[1]["id"]
    with tenant_context(signals):
        assert SurveyResponse.objects.count() == 2
        assert SurveyResponse.objects.get(pk=first["id"]).score == 4


def test_external_ids_are_per_source(signals, api_key):
    other = api_key_create(tenant=signals, name="Survey tool", scopes=["feedback:write"])
    ingest(signals, api_key, "service_events", [event(external_id="e-1")])
    [result] = ingest(signals, other, "service_events", [event(external_id="e-1")])
    assert result["status"] == "created"


def test_slugs_of_another_tenant_are_unknown(signals, api_key, other_tenant):
    signal_setup(other_tenant)
    from tenants.services import touchpoint_create

    touchpoint_create(tenant=other_tenant, name="Branch visit")
    [result] = ingest(signals, api_key, "stories", [story(touchpoint="branch-visit")])
    assert result["status"] == "rejected"
    assert result["errors"]["touchpoint"] == ["Unknown touchpoint 'branch-visit'; choose one of: delivery."]
    assert count(other_tenant, Story) == 0


@pytest.mark.parametrize("kind", ["stories", "survey_responses"])
def test_queries_do_not_grow_with_the_batch(signals, api_key, kind):
    make = story if kind == "stories" else response

    def queries(n: int, offset: int) -> int:
        items = [make(external_id=f"x-{offset + i}") for i in range(n)]
        with CaptureQueriesContext(connection) as captured:
            results = ingest(signals, api_key, kind, items)
        assert {r["status"] for r in results} == {"created"}
        return len(captured)

    queries(1, 0)  # warm up: built-in measures exist
    small, large = queries(50, 1000), queries(500, 2000)
    assert small == large
    assert large <= 15


class _RolledBack(Exception):
    pass


def test_ingest_marks_the_tenant_dirty_for_scoring(transactional_db, signals, api_key):
    """The tenant is marked for rescoring only once the signals are committed: not while the
    transaction is open (a worker would score without them), not after a rollback (nothing to
    score), not for a batch that stored nothing. Real transactions, no captured callbacks."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = dirty_key(signals.pk)
    client.delete(key)
    try:
        # Rolled back: neither the event nor the mark survives.
        with pytest.raises(_RolledBack), transaction.atomic():
            [created] = ingest(signals, api_key, "service_events", [event()])
            assert created["status"] == "created"
            raise _RolledBack
        assert count(signals, ServiceEvent) == 0
        assert not client.exists(key)

        # Nothing stored (every item rejected): no mark.
        [rejected] = ingest(signals, api_key, "service_events", [event(duration_seconds=-5)])
        assert rejected["status"] == "rejected"
        assert not client.exists(key)

        # Stored: no mark before the commit, the mark right after it.
        with transaction.atomic():
            ingest(signals, api_key, "service_events", [event()])
            assert not client.exists(key)
        assert count(signals, ServiceEvent) == 1
        assert client.exists(key)
    finally:
        client.delete(key)
