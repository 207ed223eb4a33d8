"""On a Citus cluster (tests/citus_cluster.py; ``make test-citus``), as the application role:
every table placed, tenant isolation, ingest with rollups and a recompute — the last also with
local execution off on the coordinator, so that every query crosses a connection to a worker."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from feedback.services import signals_ingest
from metrics.engine import scores_compute
from metrics.models import ScoreRun, SurveyRollup
from metrics.rollups import rollups_rebuild, thresholds_register
from metrics.services import scores_run
from tenants.citus import DISTRIBUTED, LOCAL, REFERENCE, distribution_plan
from tenants.context import tenant_context
from tenants.models import AuditEvent, Department
from tenants.services import api_key_create, department_create
from tests.factories import tenant_models

# The core of the isolation tests and the rollup tests, run here on the cluster as they are.
from tests.metrics.conftest import scoring, scoring_setup  # noqa: F401
from tests.metrics.test_rollups import (  # noqa: F401
    _rows,
    test_a_threshold_registered_after_the_events_is_backfilled,
    test_deleting_signals_takes_them_out_of_the_rollups,
    test_rebuild_gives_the_rows_the_triggers_keep,
)
from tests.tenants.test_isolation import (  # noqa: F401
    rows,
    test_orm_sees_only_the_active_tenant,
    test_raw_sql_sees_only_the_setting_tenant,
    test_raw_sql_without_setting_sees_nothing,
    test_runs_as_the_application_role,
)

pytestmark = pytest.mark.citus


def test_every_table_is_distributed_or_a_reference_table(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name::text, citus_table_type, distribution_column, colocation_id FROM citus_tables"
        )
        placed = {name: (kind, column, group) for name, kind, column, group in cursor.fetchall()}
    plan = distribution_plan()
    tenant_tables = {m._meta.db_table for m in tenant_models()}
    assert {p.table for p in plan if p.kind == DISTRIBUTED} == tenant_tables
    assert {t for t, (kind, _, _) in placed.items() if kind == "distributed"} == tenant_tables
    assert {column for t, (_, column, _) in placed.items() if t in tenant_tables} == {"tenant_id"}
    assert len({group for t, (_, _, group) in placed.items() if t in tenant_tables}) == 1, (
        "one colocation group"
    )
    assert (
        {t for t, (kind, _, _) in placed.items() if kind == "reference"}
        == {p.table for p in plan if p.kind == REFERENCE}
        >= {"tenants_tenant", "tenants_user"}
    )
    assert not {p.table for p in plan if p.kind == LOCAL} & set(placed)


def _node_of(table: str, tenant_id: int) -> tuple:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT n.nodename, n.nodeport FROM pg_dist_placement p JOIN pg_dist_node n ON n.groupid = p.groupid
             WHERE p.shardid = get_shard_id_for_distribution_column(%s, %s)
            """,
            [table, tenant_id],
        )
        return tuple(cursor.fetchall())


def test_the_audit_trigger_writes_into_the_tenants_colocated_shard(execution, tenant, other_tenant):
    department = department_create(tenant=tenant, name="Billing")
    with tenant_context(tenant):
        Department.objects.filter(pk=department.pk).update(name="Billing and refunds")
        trail = AuditEvent.objects.filter(model="tenants.Department", object_id=str(department.pk))
        assert sorted(trail.values_list("action", flat=True)) == ["insert", "update"]
        assert trail.get(action="update").changes["name"] == ["Billing", "Billing and refunds"]
    with tenant_context(other_tenant):
        assert not AuditEvent.objects.filter(
            model="tenants.Department", object_id=str(department.pk)
        ).exists()
    # The row and its audit entries live on the same node: the trigger wrote there, locally.
    assert _node_of("tenants_department", tenant.pk) == _node_of("tenants_auditevent", tenant.pk)
    assert len(_node_of("tenants_department", tenant.pk)) == 1


@pytest.fixture(params=["local execution", "no local execution on the coordinator"])
def execution(request, db):
    """Without local execution the coordinator runs no shard query itself (not even on its
    copy of the reference tables): every query crosses a connection to a worker.

    Session-level, so not passed on to the workers: there the triggers' writes to the
    colocated shards must run locally, in the transaction that fired them (Citus refuses a
    trigger's query that would open a connection: "cannot execute a distributed query from a
    query on a shard").
    """
    if request.param != "local execution":
        # Inside the test's transaction: its rollback undoes the setting.
        with connection.cursor() as cursor:
            cursor.execute("SET citus.enable_local_execution = off")
    return request.param


def test_ingest_keeps_the_rollups_and_a_recompute_reads_them(execution, tenant, other_tenant):
    world = scoring_setup(tenant)
    now = datetime.now(UTC).replace(microsecond=0)
    with tenant_context(tenant):
        promise = world.promise(activated_at=now - timedelta(days=400))
        world.commitment(
            promise,
            "refund_processing",
            target="50",
            touchpoint=world.returns,
            threshold_seconds=3600,
            min_sample=1,
            effective_from=now - timedelta(days=400),
        )
        world.commitment(promise, "csat", target="80", min_sample=1, effective_from=now - timedelta(days=400))
        assert thresholds_register() == 1  # from now on the triggers count events within 3600 s
    key = api_key_create(tenant=tenant, name="partner", scopes=["feedback:write"]).api_key

    def when(i: int) -> str:
        return (now - timedelta(hours=7 * i + 1)).isoformat()

    batches = {
        "survey_responses": [
            {
                "measure": "csat",
                "score": i % 5 + 1,
                "occurred_at": when(i),
                "touchpoint": ["returns", "delivery"][i % 2],
            }
            for i in range(40)
        ],
        "service_events": [
            {
                "measure": "refund_processing",
                "duration_seconds": 600 * i,
                "occurred_at": when(i),
                "touchpoint": "returns",
            }
            for i in range(30)
        ],
    }
    for kind, items in batches.items():
        results = signals_ingest(tenant=tenant, kind=kind, items=items, source=key)
        assert [r.status for r in results] == ["created"] * len(items), [r.errors for r in results]
    with tenant_context(tenant):
        # Stories with their promise links written directly: ingesting stories also proposes
        # escalations, through ORM joins that do not carry the tenant yet (outer joins Citus
        # cannot route).
        world.stories(promise, [0.5, -0.5] * 5, at=now - timedelta(hours=3), touchpoint=world.returns)

    with tenant_context(tenant):
        kept = _rows()
        assert sum(r[3] for r in kept["survey"]) == 40
        assert sum(r[3] for r in kept["event"]) == 30
        assert sum(r[4] for r in kept["within"]) == 7  # 0, 600, …, 3600 seconds
        assert sum(r[3] for r in kept["story"]) == 10
        rollups_rebuild()
        assert _rows() == kept
    with tenant_context(tenant):
        run = scores_run(tenant=tenant, kind="recompute", at=now)
        assert run is not None
        assert ScoreRun.objects.filter(pk=run.pk).exists()
        rollup = scores_compute(tenant=tenant, at=now, source="rollup")
        assert rollup == scores_compute(tenant=tenant, at=now, source="raw")
    with tenant_context(other_tenant):
        assert not SurveyRollup.objects.exists()
