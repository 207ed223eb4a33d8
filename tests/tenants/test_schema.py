"""Schema guard: the database itself enforces tenancy, for every tenant table there is."""

import pytest
from django.db import connection

from tenants.rls import (
    AUDIT_EVERY_CHANGE,
    AUDIT_TABLE,
    AUDIT_TRIGGER,
    AUDIT_UPDATE_DELETE,
    POLICY_NAME,
    app_role_setup_sql,
)
from tests.factories import tenant_models


def _tenant_tables() -> set[str]:
    """Every table with a tenant_id column — whether or not its model remembered the base."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = 'public' AND column_name = 'tenant_id'"
        )
        return {row[0] for row in cursor.fetchall()}


def test_tenant_tables_are_exactly_the_tenant_models(db):
    assert _tenant_tables() == {m._meta.db_table for m in tenant_models()}


@pytest.mark.parametrize("table", sorted({m._meta.db_table for m in tenant_models()}))
def test_row_level_security_is_enabled_forced_and_has_the_policy(table, db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = %s::regclass", [table]
        )
        assert cursor.fetchone() == (True, True)
        cursor.execute(
            "SELECT cmd, qual, with_check FROM pg_policies WHERE schemaname = 'public' AND tablename = %s "
            "AND policyname = %s",
            [table, POLICY_NAME],
        )
        policies = cursor.fetchall()
    assert len(policies) == 1
    command, using, with_check = policies[0]
    assert command == "ALL"
    for predicate in (using, with_check):
        assert "tenant_id" in predicate and "app.tenant_id" in predicate and "nullif" in predicate.lower()


def test_every_unique_index_on_a_tenant_table_leads_with_tenant(db):
    """Primary keys aside, uniqueness is always per tenant (also what sharding by tenant needs)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x
            JOIN pg_class t ON t.oid = x.indrelid
            JOIN pg_class i ON i.oid = x.indexrelid
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
            WHERE x.indisunique AND NOT x.indisprimary AND t.relname = ANY(%s) AND a.attname <> 'tenant_id'
            """,
            [sorted(_tenant_tables())],
        )
        offenders = cursor.fetchall()
    assert offenders == []


def test_runtime_role_is_unprivileged_and_owns_nothing(db, settings):
    role = settings.CXGOV_DB_APP_ROLE
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = %s",
            [role],
        )
        # LOGIN: a sharded database connects to its other nodes as the current role.
        assert cursor.fetchone() == (False, False, False, False, True)
        cursor.execute(
            """
            SELECT 'relation ' || relname FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = %s)
            UNION ALL
            SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = (SELECT oid FROM pg_roles WHERE rolname = %s)
            UNION ALL
            SELECT 'function ' || proname FROM pg_proc WHERE proowner = (SELECT oid FROM pg_roles WHERE rolname = %s)
            UNION ALL
            SELECT 'database ' || datname FROM pg_database WHERE datdba = (SELECT oid FROM pg_roles WHERE rolname = %s)
            """,
            [role] * 4,
        )
        assert cursor.fetchall() == []


AUDITED = {m._meta.db_table for m in tenant_models() if not getattr(m, "audit_exempt", "")} - {AUDIT_TABLE}


# The events each audited table's trigger fires on: every change, except on the append-only
# signal tables, whose inserts are recorded once per write (tenants.audit.ingest_event_record).
AUDIT_EVENTS = {
    m._meta.db_table: getattr(m, "audit_trigger_events", AUDIT_EVERY_CHANGE)
    for m in tenant_models()
    if m._meta.db_table in AUDITED
}


@pytest.mark.parametrize("table", sorted(AUDITED))
def test_every_tenant_table_has_the_audit_trigger(table, db):
    with connection.cursor() as cursor:
        cursor.execute(
            # tgtype bits: 1 row-level, 2 before, 4 insert, 8 delete, 16 update.
            "SELECT tgenabled, tgtype & 1 = 1, tgtype & 2 = 2, "
            "array_remove(ARRAY[CASE WHEN tgtype & 4 = 4 THEN 'INSERT' END, "
            "CASE WHEN tgtype & 16 = 16 THEN 'UPDATE' END, CASE WHEN tgtype & 8 = 8 THEN 'DELETE' END], NULL) "
            "FROM pg_trigger WHERE tgrelid = %s::regclass AND tgname = %s AND NOT tgisinternal",
            [table, AUDIT_TRIGGER],
        )
        [(enabled, per_row, before, events)] = cursor.fetchall()
    assert (enabled, per_row, before) == ("O", True, False)
    assert tuple(events) == AUDIT_EVENTS[table]


def test_only_the_signal_tables_skip_the_audit_of_inserts(db):
    skipping = sorted(table for table, events in AUDIT_EVENTS.items() if "INSERT" not in events)
    assert skipping == ["feedback_serviceevent", "feedback_story", "feedback_surveyresponse"]
    assert all(AUDIT_EVENTS[table] == AUDIT_UPDATE_DELETE for table in skipping)


def test_the_audit_table_refuses_update_and_delete(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal", [AUDIT_TABLE]
        )
        assert [row[0] for row in cursor.fetchall()] == ["cxgov_append_only"]


@pytest.mark.parametrize("existing", ["", "NOLOGIN"], ids=["new role", "role of an earlier version"])
def test_role_setup_leaves_a_role_that_can_log_in_and_nothing_more(db, existing):
    role = "cxgov_app_setup_probe"
    with connection.cursor() as cursor:
        # As the owner, inside the test's transaction: the role and the grants roll back with it.
        cursor.execute("RESET ROLE")
        if existing:
            cursor.execute(f"CREATE ROLE {role} {existing}")
        for statement in app_role_setup_sql(role):
            cursor.execute(statement)
        cursor.execute(
            "SELECT rolcanlogin, rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = %s",
            [role],
        )
        assert cursor.fetchone() == (True, False, False, False, False)
        cursor.execute(
            "SELECT has_table_privilege(%s, 'tenants_department', 'SELECT, INSERT, UPDATE, DELETE')", [role]
        )
        assert cursor.fetchone() == (True,)
        cursor.execute("SELECT has_table_privilege(%s, 'tenants_department', 'TRUNCATE')", [role])
        assert cursor.fetchone() == (False,)
