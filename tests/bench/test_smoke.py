"""Each benchmark runs once with a tiny load, so it keeps working (no timing is asserted)."""

from bench import tenant_overhead


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
