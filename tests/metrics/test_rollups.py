"""Rollups kept by the database triggers: the rollup path equals the raw path at any instant,
a rebuild gives the rows the triggers keep, deleting signals takes them out again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import StoryPromise
from metrics.engine import scores_compute
from metrics.models import (
    DurationThreshold,
    ServiceEventMonthRollup,
    ServiceEventRollup,
    ServiceEventWithinMonthRollup,
    ServiceEventWithinRollup,
    StoryMonthRollup,
    StoryRollup,
    SurveyMonthRollup,
    SurveyRollup,
)
from metrics.rollups import rollups_rebuild, thresholds_register
from tests.metrics.conftest import T
from tests.sql_routing import assert_joins_carry_tenant

BASE = T.replace(hour=0, minute=0, second=0)  # a UTC midnight
DAY = 86400

# Instants near day boundaries are where the two paths could part: a day, then an offset
# that is often exactly 0 or one second either side of midnight.
offsets = st.builds(
    lambda day, near, anywhere: day * DAY + (near if near is not None else anywhere),
    st.integers(-80, 2),
    st.one_of(st.none(), st.sampled_from([0, 1, -1])),
    st.integers(0, DAY - 1),
)
SURVEY_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
surveys = st.lists(
    st.sampled_from(sorted(SURVEY_SCALES)).flatmap(
        lambda m: st.tuples(
            st.just(m),
            st.integers(*SURVEY_SCALES[m]),
            offsets,
            st.sampled_from([None, "returns", "delivery"]),
        )
    ),
    max_size=25,
)
events = st.lists(
    st.tuples(
        st.sampled_from([30, 59, 60, 61, 120, 3600]), offsets, st.sampled_from(["returns", "delivery"])
    ),
    max_size=20,
)
outcomes = st.lists(
    st.tuples(
        st.sampled_from(["first_contact_resolution", "signin_blocked"]),
        st.booleans(),
        offsets,
        st.sampled_from(["returns", "delivery"]),
    ),
    max_size=20,
)
values = st.lists(
    st.sampled_from([("review_stars", 1, 5), ("effort_felt", 0, 10)]).flatmap(
        lambda m: st.tuples(
            st.just(m[0]),
            # Thousandths: the exact decimals an average's values may have.
            st.integers(m[1] * 1000, m[2] * 1000).map(lambda x: f"{x / 1000:.3f}"),
            offsets,
            st.sampled_from(["returns", "delivery"]),
        )
    ),
    max_size=20,
)
stories = st.lists(
    st.tuples(
        st.sampled_from([-0.9, -0.0501, -0.05, 0.0, 0.6]), offsets, st.sampled_from(["returns", "delivery"])
    ),
    max_size=10,
)
# Up to 75 days: windows holding whole UTC months (read from the month rollups) and not.
windows = st.lists(st.integers(1, 75), min_size=12, max_size=12)
as_of = st.builds(
    lambda day, seconds: BASE + timedelta(days=day, seconds=seconds),
    st.integers(-3, 2),
    st.one_of(st.sampled_from([0, 1, -1, DAY // 2]), st.integers(0, DAY - 1)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    surveys=surveys,
    events=events,
    outcomes=outcomes,
    values=values,
    stories=stories,
    windows=windows,
    ats=st.lists(as_of, min_size=1, max_size=3),
)
def test_rollup_path_equals_raw_path(scoring, surveys, events, outcomes, values, stories, windows, ats):
    """Every kind of measure (survey, story, duration, rate, average), both directions."""
    with transaction.atomic():
        tp = {"returns": scoring.returns, "delivery": scoring.delivery, None: None}
        promise = scoring.promise()
        other = scoring.promise("other", title="Other")
        w = iter(windows)
        for measure, touchpoint in (("nps", None), ("csat", "returns"), ("ces", "delivery")):
            scoring.commitment(
                promise, measure, target="3", touchpoint=tp[touchpoint], window_days=next(w), min_sample=1
            )
        scoring.commitment(promise, "story_sentiment", target="50", window_days=next(w), min_sample=1)
        scoring.commitment(
            promise,
            "refund_processing",
            target="50",
            touchpoint=scoring.returns,
            threshold_seconds=60,
            window_days=next(w),
            min_sample=1,
        )
        scoring.commitment(
            promise,
            "slow_refunds",
            target="20",
            touchpoint=scoring.delivery,
            threshold_seconds=60,
            window_days=next(w),
            min_sample=1,
        )
        for measure, target, touchpoint in (
            ("first_contact_resolution", "70", scoring.returns),
            ("signin_blocked", "2", None),
            ("review_stars", "4.2", None),
            ("effort_felt", "3.5", scoring.delivery),
        ):
            scoring.commitment(
                promise, measure, target=target, touchpoint=touchpoint, window_days=next(w), min_sample=1
            )
        thresholds_register()  # these thresholds are counted by the triggers from the start
        for measure, score, offset, touchpoint in surveys:
            scoring.surveys(measure, [score], at=BASE + timedelta(seconds=offset), touchpoint=tp[touchpoint])
        for duration, offset, touchpoint in events:
            scoring.events(
                "refund_processing",
                [duration],
                at=BASE + timedelta(seconds=offset),
                touchpoint=tp[touchpoint],
            )
        for measure, outcome, offset, touchpoint in outcomes:
            scoring.outcomes(
                measure, [outcome], at=BASE + timedelta(seconds=offset), touchpoint=tp[touchpoint]
            )
        for measure, value, offset, touchpoint in values:
            scoring.values(measure, [value], at=BASE + timedelta(seconds=offset), touchpoint=tp[touchpoint])
        for sentiment, offset, touchpoint in stories:
            target = promise if offset % 2 else other
            scoring.stories(
                target, [sentiment], at=BASE + timedelta(seconds=offset), touchpoint=tp[touchpoint]
            )
        # Thresholds first used after the events exist: backfilled on the next rollup read.
        scoring.commitment(
            promise,
            "refund_processing",
            target="50",
            touchpoint=scoring.delivery,
            threshold_seconds=61,
            window_days=next(w),
            min_sample=1,
        )
        scoring.commitment(
            other,
            "refund_processing",
            target="50",
            threshold_seconds=3599,
            window_days=next(w),
            min_sample=1,
            touchpoint=scoring.returns,
        )
        for at in ats:
            rollup = scores_compute(tenant=scoring.tenant, at=at, source="rollup")
            raw = scores_compute(tenant=scoring.tenant, at=at, source="raw")
            assert rollup == raw
        transaction.set_rollback(True)


def _rows() -> dict[str, set[tuple]]:
    """Every rollup row with a non-zero counter (a trigger leaves a zero row behind a delete)."""
    return {
        "survey": set(
            SurveyRollup.objects.filter(n__gt=0).values_list(
                "measure_id",
                "touchpoint_id",
                "day",
                "n",
                "score_sum",
                "promoters",
                "passives",
                "detractors",
                "satisfied",
            )
        ),
        "event": set(
            ServiceEventRollup.objects.filter(n__gt=0).values_list(
                "measure_id", "touchpoint_id", "day", "n", "outcomes", "value_sum"
            )
        ),
        "within": set(
            ServiceEventWithinRollup.objects.filter(within__gt=0).values_list(
                "measure_id", "touchpoint_id", "day", "threshold_seconds", "within"
            )
        ),
        "story": set(
            StoryRollup.objects.filter(n__gt=0).values_list(
                "promise_id", "touchpoint_id", "day", "n", "non_negative"
            )
        ),
        "survey_month": set(
            SurveyMonthRollup.objects.filter(n__gt=0).values_list(
                "measure_id", "touchpoint_id", "day", "n", "score_sum", "promoters", "detractors", "satisfied"
            )
        ),
        "event_month": set(
            ServiceEventMonthRollup.objects.filter(n__gt=0).values_list(
                "measure_id", "touchpoint_id", "day", "n", "outcomes", "value_sum"
            )
        ),
        "within_month": set(
            ServiceEventWithinMonthRollup.objects.filter(within__gt=0).values_list(
                "measure_id", "touchpoint_id", "day", "threshold_seconds", "within"
            )
        ),
        "story_month": set(
            StoryMonthRollup.objects.filter(n__gt=0).values_list("promise_id", "touchpoint_id", "day", "n")
        ),
    }


def _assert_months_add_up(rows: dict[str, set[tuple]]) -> None:
    """Each month row holds the sum of its days' rows."""
    from collections import Counter

    def by_month(day_rows, key, value):
        totals = Counter()
        for r in day_rows:
            totals[(*key(r), r[2].replace(day=1))] += value(r)
        return {k: v for k, v in totals.items() if v}

    assert by_month(rows["survey"], lambda r: r[:2], lambda r: r[3]) == {
        (m, t, d): n for m, t, d, n, *_ in rows["survey_month"]
    }
    for i in (3, 4, 5):  # n, outcomes, value_sum
        assert by_month(rows["event"], lambda r: r[:2], lambda r, i=i: r[i]) == {
            (m, t, r[2]): r[i] for r in rows["event_month"] for m, t in [r[:2]] if r[i]
        }
    assert by_month(rows["within"], lambda r: (r[0], r[1], r[3]), lambda r: r[4]) == {
        (m, t, th, d): w for m, t, d, th, w in rows["within_month"]
    }
    assert by_month(rows["story"], lambda r: r[:2], lambda r: r[3]) == {
        (p, t, d): n for p, t, d, n in rows["story_month"]
    }


def _world(scoring):
    promise = scoring.promise()
    scoring.commitment(
        promise, "refund_processing", target="50", touchpoint=scoring.returns, threshold_seconds=60
    )
    thresholds_register()
    scoring.surveys("nps", [10, 9, 8, 7, 6, 0], at=T - timedelta(days=1), touchpoint=scoring.returns)
    scoring.surveys("csat", [5, 4, 3], at=T - timedelta(days=2))
    scoring.surveys("ces", [7, 2], at=T, touchpoint=scoring.delivery)
    scoring.events("refund_processing", [59, 60, 61], at=T - timedelta(days=1), touchpoint=scoring.returns)
    scoring.events("refund_processing", [10, 6000], at=T - timedelta(days=3), touchpoint=scoring.delivery)
    scoring.stories(promise, [-0.05, -0.5, 0.7], at=T - timedelta(days=1), touchpoint=scoring.returns)
    scoring.outcomes(
        "first_contact_resolution", [True, True, False], at=T - timedelta(days=1), touchpoint=scoring.returns
    )
    scoring.outcomes("signin_blocked", [False, True], at=T - timedelta(days=40), touchpoint=scoring.delivery)
    scoring.values(
        "review_stars", ["4.5", "1", "3.125"], at=T - timedelta(days=2), touchpoint=scoring.returns
    )
    return promise


def test_rebuild_gives_the_rows_the_triggers_keep(scoring):
    _world(scoring)
    triggered = _rows()
    assert triggered["within"] == {
        (scoring.measures["refund_processing"].pk, scoring.returns.pk, (T - timedelta(days=1)).date(), 60, 2),
        (
            scoring.measures["refund_processing"].pk,
            scoring.delivery.pk,
            (T - timedelta(days=3)).date(),
            60,
            1,
        ),
    }
    assert sum(r[3] for r in triggered["survey"]) == 11
    day = (T - timedelta(days=2)).date()
    assert (
        scoring.measures["review_stars"].pk,
        scoring.returns.pk,
        day,
        3,
        0,
        Decimal("8.625"),
    ) in triggered["event"]
    assert sum(r[4] for r in triggered["event"]) == 3  # true outcomes
    _assert_months_add_up(triggered)
    rollups_rebuild()
    assert _rows() == triggered
    assert DurationThreshold.objects.count() == 1


def test_deleting_signals_takes_them_out_of_the_rollups(scoring):
    promise = _world(scoring)
    before = scores_compute(tenant=scoring.tenant, at=T, source="rollup")
    SurveyResponse.objects.filter(score__gte=9).delete()
    ServiceEvent.objects.filter(duration_seconds=59).delete()
    ServiceEvent.objects.filter(outcome=True, measure__key="first_contact_resolution")[:1].get().delete()
    ServiceEvent.objects.filter(value=Decimal("4.5")).delete()
    StoryPromise.objects.filter(story__sentiment__lt=0).delete()
    after_delete = _rows()
    nps = {r for r in after_delete["survey"] if r[0] == scoring.measures["nps"].pk}
    assert [(r[3], r[5], r[6], r[7]) for r in nps] == [(4, 0, 2, 2)]  # n, promoters, passives, detractors
    refunds, fcr, stars = (
        scoring.measures[k].pk for k in ("refund_processing", "first_contact_resolution", "review_stars")
    )
    assert sum(r[3] for r in after_delete["event"] if r[0] == refunds) == 4
    assert [(r[3], r[4]) for r in after_delete["event"] if r[0] == fcr] == [(2, 1)]  # n, true outcomes
    assert [(r[3], r[5]) for r in after_delete["event"] if r[0] == stars] == [(2, Decimal("4.125"))]
    assert {r[4] for r in after_delete["within"]} == {1}
    assert [(r[3], r[4]) for r in after_delete["story"]] == [(1, 1)]
    rollups_rebuild()
    assert _rows() == after_delete
    after = scores_compute(tenant=scoring.tenant, at=T, source="rollup")
    assert after == scores_compute(tenant=scoring.tenant, at=T, source="raw")
    assert after != before
    assert promise.pk == after["promises"][0]["id"]


def test_a_threshold_registered_after_the_events_is_backfilled(scoring):
    promise = _world(scoring)
    scoring.commitment(
        promise,
        "refund_processing",
        target="50",
        touchpoint=scoring.returns,
        threshold_seconds=61,
        min_sample=1,
    )
    assert not ServiceEventWithinRollup.objects.filter(threshold_seconds=61).exists()
    result = scores_compute(tenant=scoring.tenant, at=T, source="rollup")
    assert set(
        ServiceEventWithinRollup.objects.filter(threshold_seconds=61, touchpoint=scoring.returns).values_list(
            "within", flat=True
        )
    ) == {3}
    assert [c["actual"] for c in result["commitments"]] == [
        c["actual"] for c in scores_compute(tenant=scoring.tenant, at=T, source="raw")["commitments"]
    ]
    assert thresholds_register() == 0  # nothing new the second time
    scoring.events("refund_processing", [61], at=T - timedelta(days=1), touchpoint=scoring.returns)
    assert set(
        ServiceEventWithinRollup.objects.filter(threshold_seconds=61, touchpoint=scoring.returns).values_list(
            "within", flat=True
        )
    ) == {4}
    assert ServiceEventWithinMonthRollup.objects.filter(threshold_seconds=61).exists()
    _assert_months_add_up(_rows())


def test_rollup_upkeep_and_scoring_join_tenant_tables_on_the_tenant(scoring):
    """Hand-written statements too: every join between tenant tables is on tenant_id (a sharded
    database routes them to the tenant's shard), and the threshold backfill reads only the
    tenant's new thresholds."""
    promise = _world(scoring)
    scoring.commitment(
        promise, "refund_processing", target="50", touchpoint=scoring.returns, threshold_seconds=61
    )
    with CaptureQueriesContext(connection) as queries:
        assert thresholds_register() == 1
        rollups_rebuild()
        scores_compute(tenant=scoring.tenant, at=T, source="rollup")
        scores_compute(tenant=scoring.tenant, at=T, source="raw")
    assert assert_joins_carry_tenant(queries) >= 6
    backfill = [q["sql"] for q in queries if "FROM metrics_durationthreshold WHERE" in q["sql"]]
    assert backfill and all(f"tenant_id = {scoring.tenant.pk}" in sql for sql in backfill)
    assert set(
        ServiceEventWithinRollup.objects.filter(threshold_seconds=61, touchpoint=scoring.returns).values_list(
            "within", flat=True
        )
    ) == {3}


def test_bulk_ingest_adds_rollups_once_per_statement_as_the_triggers_would(scoring):
    """A batch through ``signals_ingest`` is counted by ``metrics_rollups_add`` (the row triggers
    skip it): the same rows as a rebuild from the raw signals, on top of counters the triggers
    kept, duplicates and rejected items not counted, a new threshold backfilled as before."""
    from feedback.ingest.services import signals_ingest
    from tenants.services import api_key_create

    _world(scoring)  # counters written by the row triggers
    key = api_key_create(tenant=scoring.tenant, name="CRM", scopes=["feedback:write"]).api_key
    day = T - timedelta(days=1)

    def at(hours: int) -> str:
        return (day + timedelta(hours=hours)).isoformat()

    surveys = [
        {"measure": m, "score": s, "touchpoint": tp, "occurred_at": at(h), "external_id": f"bulk-{i}"}
        for i, (m, s, tp, h) in enumerate(
            [
                ("nps", 10, "returns", 0),
                ("nps", 3, "returns", 1),
                ("nps", 8, None, 30),
                ("csat", 5, "delivery", -50),
            ]
            * 5
        )
    ]
    surveys[3]["external_id"] = "bulk-0"  # a duplicate within the batch: counted once
    surveys.append({"measure": "nps", "score": 11, "touchpoint": "returns", "external_id": "bad"})
    events = (
        [
            {"measure": "refund_processing", "duration_seconds": d, "touchpoint": tp, "occurred_at": at(h)}
            for d, tp, h in [
                (59, "returns", 0),
                (60, "returns", 2),
                (61, "returns", 3),
                (5, "delivery", -800),
            ]
        ]
        + [
            {
                "measure": "first_contact_resolution",
                "outcome": o,
                "touchpoint": "returns",
                "occurred_at": at(1),
            }
            for o in (True, False, True)
        ]
        + [
            {"measure": "review_stars", "value": v, "touchpoint": "returns", "occurred_at": at(-30)}
            for v in ("4.5", "2.25")
        ]
    )
    before = _rows()
    with CaptureQueriesContext(connection) as queries:
        results = signals_ingest(tenant=scoring.tenant, kind="survey_responses", items=surveys, source=key)
    # One grouped rollup call for the statement (the row triggers skipped its rows).
    assert sum("metrics_rollups_add" in q["sql"] for q in queries) == 1
    assert [r.status for r in results].count("created") == 19, [r.as_dict() for r in results]
    assert results[-1].status == "rejected"
    results = signals_ingest(tenant=scoring.tenant, kind="service_events", items=events, source=key)
    assert {r.status for r in results} == {"created"}
    # Sent again: nothing new, nothing counted twice.
    assert {
        r.status
        for r in signals_ingest(tenant=scoring.tenant, kind="survey_responses", items=surveys[:4], source=key)
    } == {"duplicate"}
    ingested = _rows()
    assert ingested != before
    _assert_months_add_up(ingested)
    rollups_rebuild()
    assert _rows() == ingested
    # While the setting holds the tenant's id the row triggers skip its inserts (and only then).
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL cxgov.rollups_by_statement = {scoring.tenant.pk}")
        scoring.surveys("nps", [9], at=T, touchpoint=scoring.returns)
        assert _rows() == ingested
        transaction.set_rollback(True)
    # The setting lasts for the statement only: a row written afterwards is counted by its trigger.
    scoring.surveys("nps", [9], at=T, touchpoint=scoring.returns)
    with_trigger = _rows()
    rollups_rebuild()
    assert _rows() == with_trigger
