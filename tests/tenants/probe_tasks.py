"""A task loaded only by the worker of ``tests/tenants/test_worker_role.py``: it reports, from
inside the worker process, whom the database sees and whether row-level security holds."""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError, connection, transaction

from tenants.taskbase import TenantTask


def _one(cursor, sql: str, params=()):
    cursor.execute(sql, params)
    return cursor.fetchone()


@shared_task(base=TenantTask, name="tests.tenants.probe_tasks.database_identity")
def database_identity(tenant_id: int, other_tenant_id: int) -> dict:
    """the roles, the RLS switches, and what plain SQL (no tenant filter) reaches."""
    with connection.cursor() as cursor:
        current_user, session_user, row_security, tenant_setting = _one(
            cursor,
            "SELECT current_user, session_user, current_setting('row_security'), "
            "current_setting('app.tenant_id', true)",
        )
        superuser, bypass_rls = _one(
            cursor, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        # No WHERE: only the policy stands between this query and the other tenant's rows.
        (visible_tenants,) = _one(
            cursor, "SELECT coalesce(array_agg(DISTINCT tenant_id), '{}') FROM tenants_department"
        )
        try:
            with transaction.atomic():
                cursor.execute(
                    "INSERT INTO tenants_department (tenant_id, name, slug, created_at) "
                    "VALUES (%s, 'Planted', 'planted', now())",
                    [other_tenant_id],
                )
            foreign_insert = "stored"
        except DatabaseError as error:
            foreign_insert = str(error).splitlines()[0]
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL row_security = off")
                cursor.execute("SELECT count(*) FROM tenants_department")
            row_security_off = "allowed"
        except DatabaseError as error:
            row_security_off = str(error).splitlines()[0]
    return {
        "current_user": current_user,
        "session_user": session_user,
        "superuser": superuser,
        "bypass_rls": bypass_rls,
        "row_security": row_security,
        "tenant_setting": tenant_setting,
        "visible_tenants": visible_tenants,
        "foreign_insert": foreign_insert,
        "row_security_off": row_security_off,
    }
