"""Row-level security for tenant tables, and the roles the application runs as.

Every migration that creates a :class:`tenants.models.TenantModel` table adds
``EnableTenantRLS("<model>")`` after it; the schema guard test fails for a tenant table
without it. The policy compares ``tenant_id`` with the session setting ``app.tenant_id`` that
the database backend keeps equal to the active tenant; an empty or missing setting matches no
row at all.
"""

from __future__ import annotations

from django.conf import settings
from django.db import migrations

POLICY_NAME = "tenant_isolation"
TENANT_PREDICATE = "tenant_id = (SELECT nullif(current_setting('app.tenant_id', true), '')::bigint)"


def rls_enable_sql(table: str) -> list[str]:
    return [
        f'ALTER TABLE "{table}" ENABLE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" FORCE ROW LEVEL SECURITY',
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'CREATE POLICY {POLICY_NAME} ON "{table}" USING ({TENANT_PREDICATE}) WITH CHECK ({TENANT_PREDICATE})',
    ]


def rls_disable_sql(table: str) -> list[str]:
    return [
        f'DROP POLICY IF EXISTS {POLICY_NAME} ON "{table}"',
        f'ALTER TABLE "{table}" NO FORCE ROW LEVEL SECURITY',
        f'ALTER TABLE "{table}" DISABLE ROW LEVEL SECURITY',
    ]


class EnableTenantRLS(migrations.operations.base.Operation):
    """Enable and force row-level security with the tenant policy on a model's table."""

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def state_forwards(self, app_label, state):
        pass

    def _table(self, app_label, state) -> str:
        return state.apps.get_model(app_label, self.model_name)._meta.db_table

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for statement in rls_enable_sql(self._table(app_label, to_state)):
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        for statement in rls_disable_sql(self._table(app_label, from_state)):
            schema_editor.execute(statement)

    def describe(self):
        return f"Enable tenant row-level security on {self.model_name}"

    def deconstruct(self):
        return type(self).__qualname__, [self.model_name], {}


def app_role_setup_sql(role: str) -> list[str]:
    """Create the application role (idempotent) and grant it data access, and nothing more.

    The role can log in only through ``SET ROLE`` from the owner's session (NOLOGIN), is not
    superuser, cannot bypass row-level security and owns no object.
    """
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') THEN
                CREATE ROLE {quoted} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            END IF;
        END $$""",
        f"GRANT {quoted} TO CURRENT_USER",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]


def app_role() -> str:
    return settings.CXGOV_DB_APP_ROLE
