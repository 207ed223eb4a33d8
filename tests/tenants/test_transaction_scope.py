"""The tenant, actor and request id live for one transaction only (``SET LOCAL``).

A sharded database passes transaction-scoped settings on to the other nodes, not session
ones; so the settings must be made in the very transaction that reads the rows, also for a
statement in autocommit mode, and must be gone once it ends. "Raw" below is the psycopg
connection under Django's: it shows what the session carries between transactions, without
the backend setting anything first.
"""

import pytest
from django.db import connection, transaction

from tenants.context import Actor, actor_context, tenant_context
from tenants.models import AuditEvent, Department
from tests.conftest import make_tenant

SETTINGS = ("app.tenant_id", "app.actor", "app.request_id")


@pytest.fixture
def acme(transactional_db):
    return make_tenant("acme", "Acme Retail")


@pytest.fixture
def globex(transactional_db):
    return make_tenant("globex", "Globex Bank")


def _raw(sql: str):
    connection.ensure_connection()
    return connection.connection.execute(sql).fetchone()


def _between_transactions() -> tuple:
    assert connection.connection.info.transaction_status == 0, "expected no open transaction"
    return _raw("SELECT " + ", ".join(f"current_setting('{name}', true)" for name in SETTINGS))


def _setting() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.tenant_id', true)")
        return cursor.fetchone()[0]


def _department_tenants() -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM tenants_department")
        return {row[0] for row in cursor.fetchall()}


def test_autocommit_statement_in_a_context_sees_the_tenants_rows_and_leaves_nothing_set(acme, globex):
    assert connection.get_autocommit() and not connection.in_atomic_block
    with tenant_context(acme), actor_context(Actor(kind="system", label="test"), request_id="req-1"):
        assert _department_tenants() == {acme.id}
        assert Department.objects.count() == 1
    assert _between_transactions() in {("", "", ""), (None, None, None)}
    assert _raw("SELECT count(*) FROM tenants_department") == (0,)
    # The next statement without a context: no tenant, no rows.
    assert _setting() in ("", None)
    assert _department_tenants() == set()


def test_autocommit_write_records_the_actor_of_its_own_transaction(acme):
    with tenant_context(acme), actor_context(Actor(kind="system", label="scope-test"), request_id="req-42"):
        department = Department.objects.create(name="Returns")
        event = AuditEvent.objects.get(
            model="tenants.Department", object_id=str(department.pk), action="insert"
        )
    assert (event.actor_label, event.request_id) == ("scope-test", "req-42")
    assert _between_transactions() in {("", "", ""), (None, None, None)}


def test_setting_ends_with_the_transaction(acme):
    with transaction.atomic(), tenant_context(acme):
        assert _setting() == str(acme.id)
        assert _raw("SELECT current_setting('app.tenant_id', true)") == (str(acme.id),)
    assert _between_transactions()[0] in ("", None)
    with transaction.atomic():
        assert _setting() in ("", None)
        assert _department_tenants() == set()


def test_rolled_back_transaction_leaks_nothing(acme, globex):
    with pytest.raises(RuntimeError), transaction.atomic(), tenant_context(globex):
        assert _department_tenants() == {globex.id}
        raise RuntimeError("roll back")
    assert _between_transactions()[0] in ("", None)
    assert _department_tenants() == set()
    with tenant_context(acme):
        assert _department_tenants() == {acme.id}


def test_setting_made_inside_a_rolled_back_savepoint_is_made_again(acme, globex):
    with transaction.atomic(), tenant_context(acme):
        # The transaction's first statement, so the tenant is set inside the savepoint.
        with pytest.raises(RuntimeError), transaction.atomic():
            assert _department_tenants() == {acme.id}
            raise RuntimeError("roll back to the savepoint")
        assert _department_tenants() == {acme.id}
        with pytest.raises(RuntimeError), transaction.atomic(), tenant_context(globex):
            assert _department_tenants() == {globex.id}
            raise RuntimeError("roll back to the savepoint")
        assert _department_tenants() == {acme.id}
        with transaction.atomic(), tenant_context(globex):
            assert _department_tenants() == {globex.id}
        # A released savepoint keeps what was set in it; leaving the block sets acme again.
        assert _department_tenants() == {acme.id}
        with tenant_context(None):
            assert _department_tenants() == set()
    assert _between_transactions()[0] in ("", None)


def test_plain_postgresql_gets_no_sharding_setting(db):
    # Set only where Citus is loaded; elsewhere the setting does not even exist.
    assert _raw("SELECT current_setting('citus.propagate_set_commands', true)") == (None,)
