"""The tenant task base on a real Celery worker process (solo pool: one process, in order)."""

import pytest

from cxgov.celery import app
from tenants.context import tenant_context
from tenants.models import Tenant, TenantHeartbeat
from tenants.services import tenant_set_status
from tenants.tasks import heartbeat_dispatch, tenant_heartbeat
from tests.conftest import make_tenant


@pytest.fixture
def tenants(transactional_db):
    return make_tenant("acme", "Acme Retail"), make_tenant("globex", "Globex Bank")


def heartbeat_of(tenant: Tenant) -> TenantHeartbeat | None:
    with tenant_context(tenant):
        return TenantHeartbeat.objects.first()


def test_worker_runs_a_tenant_task_in_its_tenant(worker, tenants):
    acme, globex = tenants
    result = tenant_heartbeat.delay(acme.id)
    assert worker.outcome(result.id)["type"] == "task-succeeded"
    heartbeat = heartbeat_of(acme)
    assert heartbeat is not None and heartbeat.beats == 1 and heartbeat.tenant_id == acme.id
    assert heartbeat_of(globex) is None


def test_a_task_without_a_tenant_fails(worker, tenants):
    # Sent by name, as another process would, the client-side signature check is skipped.
    by_name = app.send_task("tenants.tasks.tenant_heartbeat", args=[])
    with_none = tenant_heartbeat.delay(None)
    for result in (by_name, with_none):
        outcome = worker.outcome(result.id)
        assert outcome["type"] == "task-failed"
        assert "TenantContextMissing" in outcome["exception"]
    for tenant in tenants:
        assert heartbeat_of(tenant) is None


def test_tasks_for_a_then_b_on_one_worker_do_not_leak(worker, tenants):
    acme, globex = tenants
    for tenant in (acme, globex, acme, globex, globex):
        assert worker.outcome(tenant_heartbeat.delay(tenant.id).id)["type"] == "task-succeeded"
    assert heartbeat_of(acme).beats == 2
    assert heartbeat_of(globex).beats == 3


def test_dispatcher_fans_out_one_task_per_active_tenant(worker, tenants):
    acme, globex = tenants
    suspended = make_tenant("initech", "Initech")
    tenant_set_status(tenant=suspended, status=Tenant.Status.SUSPENDED)

    dispatch = heartbeat_dispatch.delay()
    assert worker.outcome(dispatch.id)["type"] == "task-succeeded"
    fanned_out = set()
    for _ in range(2):
        received = worker.wait(
            lambda e: (
                e["type"] == "task-received"
                and e.get("name") == "tenants.tasks.tenant_heartbeat"
                and e["uuid"] not in fanned_out
            )
        )
        fanned_out.add(received["uuid"])
        outcome = worker.outcome(received["uuid"])
        assert outcome["type"] == "task-succeeded", outcome.get("exception")
    assert heartbeat_of(acme).beats == 1
    assert heartbeat_of(globex).beats == 1
    assert heartbeat_of(suspended) is None
