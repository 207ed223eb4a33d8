"""Each benchmark runs once with a tiny load, so it keeps working (no timing is asserted)."""

from bench import ingest, scoring, tenant_overhead
from feedback.signals.models import SurveyResponse
from tenants.context import tenant_context
from tenants.models import Tenant


def test_tenant_overhead_benchmark_runs(transactional_db):
    result = tenant_overhead.run(queries=20, switch_every=5)
    assert set(result) == {
        "raw_reads_per_s",
        "plain_orm_reads_per_s",
        "orm_reads_per_s",
        "tenancy_ratio",
        "stack_ratio",
    }
    assert all(value > 0 for value in result.values())


def test_ingest_benchmark_runs(transactional_db):
    result = ingest.run(rows=40, batch=20, singles=5)
    assert set(result) == {
        "copy_rows_per_s",
        "insert_rows_per_s",
        "http_rows_per_s",
        "bulk_ratio",
        "insert_ratio",
        "bare_p50_ms",
        "bare_p95_ms",
        "http_p50_ms",
        "http_p95_ms",
        "p50_ratio",
        "p95_ratio",
    }
    assert all(value > 0 for value in result.values())
    with tenant_context(Tenant.objects.get(slug=ingest.TENANT_SLUG)):
        assert not SurveyResponse.objects.exists()  # the run cleans up after itself


def test_scoring_benchmark_runs_and_matches_hand_written_sql(transactional_db):
    # run() raises when the engine's counts or scores differ from the hand-written GROUP BY.
    result = scoring.run(
        responses=2000,
        events=500,
        repeats=1,
        independence_rows=300,
        others_factor=3,
        curve_rows=(200,),
        curve_commitments=(5, 40),
        ingest_batches=2,
        batch=50,
    )
    # every check ran (solo once more for each crowded turn after the first)
    assert result["commitments_checked"] == 20 * (5 + scoring.INDEPENDENCE_TURNS - 1) + 5 + 40
    assert set(result["ratios"]) >= set(scoring.GOALS)
    assert all(value > 0 for value in result["full"].values())
    assert [active for active, _ in result["commitments_curve"]] == [5, 40]


def test_digests_benchmark_runs(transactional_db):
    from bench import digests as digests_bench

    result = digests_bench.run(departments=2, members=6)
    assert result["emails"] == 6
    assert result["queries_per_department_min"] == result["queries_per_department_max"]
    assert result["connections"] == result["batches"] == 1
    assert result["render_s"] > 0 and result["e2e_s"] > 0
