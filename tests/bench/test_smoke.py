"""Each benchmark runs once with a tiny load, so it keeps working (no timing is asserted)."""

import json
import os
import shutil
import subprocess
import sys

import psycopg
import pytest

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


def test_http_benchmark_runs(transactional_db):
    from bench import http as http_bench

    if http_bench.wrk_path() is None and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], capture_output=True, check=False)
    if http_bench.wrk_path() is None:
        pytest.skip(http_bench.WRK_MISSING)
    result = http_bench.run(duration=1, small=200, large=1000, connections=2)
    # Every scenario ran (the list ``--only`` chooses from).
    assert set(result["results"]) == set(http_bench.SCENARIOS)
    assert len(http_bench.SCENARIOS) == 12
    assert result["results"]["healthz"]["requests"] > 0
    # Every answer was a success: the production settings, the key and each request are right.
    assert all(x["status_errors"] == 0 for x in result["results"].values()), result["results"]
    assert set(result["ratios"]) >= set(http_bench.GOALS)
    with tenant_context(Tenant.objects.get(slug=f"{scoring.SLUG_PREFIX}http-ingest")):
        assert SurveyResponse.objects.exists()  # run() POSTs once before the load and checks it was stored


def test_sentiment_benchmark_runs():
    from bench import sentiment as sentiment_bench

    result = sentiment_bench.run(repeats=1)
    assert set(result["accuracy"]) == {"old", "new", "new+lang"}
    for part in ("all", "dev", "holdout", "en", "de", "fr", "es"):
        assert result["accuracy"]["new"][part]["n"] > 0
    assert result["timing"]["new"]["calls"] == result["timing"]["old"]["calls"] == result["rows"]
    assert all(value > 0 for value in result["ratios"].values())


def test_digests_benchmark_runs(transactional_db):
    from bench import digests as digests_bench

    result = digests_bench.run(departments=2, members=6)
    assert result["emails"] == 6
    assert result["queries_per_department_min"] == result["queries_per_department_max"]
    assert result["connections"] == result["batches"] == 1
    assert result["render_s"] > 0 and result["e2e_s"] > 0


@pytest.mark.citus
def test_citus_benchmark_runs_on_both_servers_and_drops_its_databases():
    """In a Citus run (CXGOV_CITUS_URL, make test-citus); skipped with the reason otherwise. In a
    process of its own: it points Django's connection at databases it creates on both servers."""
    name = f"cxgov_bench_citus_smoke_{os.getpid()}"
    done = subprocess.run(
        [sys.executable, "-m", "bench.citus", "--signals", "300", "--batch", "100", "--repeats", "1"]
        + ["--tenants", "1,3", "--rows-per-tenant", "2", "--database", name, "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "cxgov.settings.dev", "DEBUG": "false"},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert set(result["ingest"]) == {"plain", "cluster"} and all(v > 0 for v in result["ingest"].values())
    assert [count for count, _ in result["tenants"]] == [1, 3]
    assert result["commitments_compared"] == 40  # 20 active commitments, equal on both servers, twice
    assert set(result["ratios"]) >= {"recompute_cluster_flat", "read_cluster_flat"}
    for url in (os.environ["DATABASE_URL"], os.environ["CXGOV_CITUS_URL"]):
        with psycopg.connect(url, dbname="postgres") as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None
