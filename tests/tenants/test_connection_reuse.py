"""The database session setting follows the tenant on a reused connection, after failures too."""

import pytest
from django.db import connection, transaction

from tenants.context import tenant_context
from tenants.models import Department
from tests.conftest import make_tenant, signed_in


@pytest.fixture
def sites(transactional_db, settings):
    settings.ROOT_URLCONF = "tests.tenants.reuse_urls"
    acme, globex = make_tenant("acme", "Acme Retail"), make_tenant("globex", "Globex Bank")
    clients = {}
    for tenant in (acme, globex):
        client = signed_in(tenant.slug, f"employee@{tenant.slug}.test")
        client.raise_request_exception = False
        clients[tenant.slug] = client
    return {"acme": acme, "globex": globex}, clients


@pytest.mark.parametrize(
    "sequence",
    [
        ("acme", "fail:acme", "globex"),  # A, A failing mid-transaction, then B
        ("acme", "fail:globex", "globex"),  # the failing request is the first to set B's tenant
        ("globex", "fail:acme", "acme", "globex"),
    ],
)
def test_each_request_sees_only_its_tenant_on_one_connection(sites, sequence):
    tenants, clients = sites
    pids = set()
    for step in sequence:
        if step.startswith("fail:"):
            slug = step.removeprefix("fail:")
            assert clients[slug].get("/test/fail").status_code == 500
            continue
        response = clients[step].get("/test/seen")
        assert response.status_code == 200
        body = response.json()
        assert body["raw"] == [tenants[step].id]
        assert body["orm"] == [tenants[step].id]
        pids.add(body["pid"])
    assert len(pids) == 1, "the requests were meant to share one database connection"
    for tenant in tenants.values():
        with tenant_context(tenant):
            assert not Department.objects.filter(name="Half-written").exists()


def test_no_tenant_after_a_tenant_request_sees_nothing(sites):
    tenants, clients = sites
    assert clients["acme"].get("/test/seen").json()["raw"] == [tenants["acme"].id]
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tenants_department")
        assert cursor.fetchone()[0] == 0


def _setting() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        return cursor.fetchone()[0]


def test_setting_made_in_a_rolled_back_transaction_is_made_again(sites):
    (tenants, _) = sites
    acme, globex = tenants["acme"], tenants["globex"]
    with tenant_context(acme):
        assert _setting() == str(acme.id)
    with pytest.raises(RuntimeError), transaction.atomic(), tenant_context(globex):
        assert _setting() == str(globex.id)
        raise RuntimeError("roll back")
    # PostgreSQL has undone the set_config together with the transaction.
    with tenant_context(globex):
        assert _setting() == str(globex.id)
        assert set(Department.objects.unscoped().values_list("tenant_id", flat=True)) == {globex.id}


def test_setting_made_after_a_savepoint_is_made_again_after_rolling_back_to_it(sites):
    (tenants, _) = sites
    acme, globex = tenants["acme"], tenants["globex"]
    with transaction.atomic(), tenant_context(acme):
        assert _setting() == str(acme.id)
        with pytest.raises(RuntimeError), transaction.atomic(), tenant_context(globex):
            assert _setting() == str(globex.id)
            raise RuntimeError("roll back to the savepoint")
        with tenant_context(globex):
            assert _setting() == str(globex.id)
        assert _setting() == str(acme.id)
