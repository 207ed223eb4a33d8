"""The tenant's rollup lock is a row (metrics_rolluplock): signal writes lock it FOR SHARE,
registering a threshold and rebuilding lock it FOR UPDATE. Probed from a second connection
with NOWAIT, so nothing here waits."""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta

import psycopg
import pytest
from django.db import connection, transaction

from metrics.rollups import rollups_rebuild, thresholds_register
from tenants.context import tenant_context
from tests.conftest import make_tenant
from tests.metrics.conftest import T, scoring_setup


def _probe(tenant_id: int, mode: str) -> bool:
    """Whether another session gets the lock row in ``mode`` at once."""
    settings = connection.settings_dict
    with closing(
        psycopg.connect(
            host=settings["HOST"],
            port=settings["PORT"] or 5432,
            user=settings["USER"],
            password=settings["PASSWORD"] or None,
            dbname=settings["NAME"],
        )
    ) as other:
        other.execute("SELECT set_config('app.tenant_id', %s, true)", [str(tenant_id)])
        try:
            found = other.execute(
                f"SELECT tenant_id FROM metrics_rolluplock WHERE tenant_id = %s FOR {mode} NOWAIT",
                [tenant_id],
            ).fetchall()
        except psycopg.errors.LockNotAvailable:
            return False
        finally:
            other.rollback()
    assert found == [(tenant_id,)], "the lock row exists"
    return True


@pytest.fixture
def world(transactional_db):
    tenant = make_tenant("acme", "Acme Retail")
    world = scoring_setup(tenant)
    with tenant_context(tenant):
        promise = world.promise()
        world.commitment(
            promise, "refund_processing", target="50", touchpoint=world.returns, threshold_seconds=60
        )
        world.events("refund_processing", [30], at=T - timedelta(days=1), touchpoint=world.returns)  # commits
        yield world


def test_writing_signals_locks_the_row_in_shared_mode(world):
    with transaction.atomic():
        world.events("refund_processing", [30, 90], at=T, touchpoint=world.returns)
        assert _probe(world.tenant.pk, "SHARE"), "concurrent batches do not wait for each other"
        assert not _probe(world.tenant.pk, "UPDATE"), "a registration waits for the batch"
    assert _probe(world.tenant.pk, "UPDATE")


@pytest.mark.parametrize("upkeep", [thresholds_register, rollups_rebuild], ids=["register", "rebuild"])
def test_registering_and_rebuilding_lock_the_row_exclusively(world, upkeep):
    with transaction.atomic():
        upkeep()
        assert not _probe(world.tenant.pk, "SHARE"), "a batch waits for the registration"
    assert _probe(world.tenant.pk, "SHARE")
