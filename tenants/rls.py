"""Database-side protection of tenant tables: row-level security and the audit trigger.

Every migration that creates a :class:`tenants.models.TenantModel` table adds
``SecureTenantTable("<model>")`` after it. That enables and forces row-level security with
the tenant policy and attaches the audit trigger, which records every inserted, updated and
deleted row (bulk statements included) in ``tenants_auditevent`` with the actor and request
id of the session. The schema guard test fails for a tenant table without both. Signal tables
(append-only evidence) keep the trigger for UPDATE and DELETE only: their inserts are recorded
once per write by ``tenants.audit.ingest_event_record``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import migrations

POLICY_NAME = "tenant_isolation"
AUDIT_TRIGGER = "cxgov_audit"
AUDIT_TABLE = "tenants_auditevent"
# No sub-select: a sharded database (Citus) refuses sub-queries in policies on distributed
# tables. current_setting() is stable, so the planner still evaluates the right-hand side once
# per scan and can use it as an index condition.
TENANT_PREDICATE = "tenant_id = nullif(current_setting('app.tenant_id', true), '')::bigint"

# One function for every table. TG_ARGV[0] is the model label; the rest are columns whose
# values are never copied into the audit trail (secrets, hashes).
AUDIT_FUNCTION_SQL = f"""
CREATE OR REPLACE FUNCTION cxgov_audit_row() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_row jsonb := CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END;
    new_row jsonb := CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END;
    hidden text[] := coalesce(TG_ARGV[1:], ARRAY[]::text[]);
    actor jsonb := nullif(current_setting('app.actor', true), '')::jsonb;
    changes jsonb;
BEGIN
    SELECT coalesce(jsonb_object_agg(k, jsonb_build_array(old_row -> k, new_row -> k)), '{{}}'::jsonb)
      INTO changes
      FROM jsonb_object_keys(coalesce(new_row, old_row)) AS k
     WHERE (old_row -> k) IS DISTINCT FROM (new_row -> k) AND k <> ALL(hidden);
    IF TG_OP = 'UPDATE' AND changes = '{{}}'::jsonb THEN
        RETURN NULL;
    END IF;
    INSERT INTO {AUDIT_TABLE}
        (tenant_id, occurred_at, category, action, actor_kind, actor_id, actor_label,
         model, object_id, changes, request_id, detail)
    VALUES (
        coalesce(new_row ->> 'tenant_id', old_row ->> 'tenant_id')::bigint,
        clock_timestamp(), 'data', lower(TG_OP),
        coalesce(actor ->> 'kind', 'system'), (actor ->> 'id')::bigint, coalesce(actor ->> 'label', ''),
        TG_ARGV[0], coalesce(new_row ->> 'id', old_row ->> 'id'), changes,
        coalesce(current_setting('app.request_id', true), ''), '{{}}'::jsonb);
    RETURN NULL;
END $$;
"""

APPEND_ONLY_SQL = f"""
CREATE OR REPLACE FUNCTION cxgov_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % is not allowed on %', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;
DROP TRIGGER IF EXISTS cxgov_append_only ON {AUDIT_TABLE};
CREATE TRIGGER cxgov_append_only BEFORE UPDATE OR DELETE ON {AUDIT_TABLE}
    FOR EACH ROW EXECUTE FUNCTION cxgov_audit_append_only();
"""


def _quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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


# The events the audit trigger fires on: every change (configuration), or only changes to
# stored rows (append-only evidence — signals — whose writes are recorded once per request or
# import instead: tenants.audit.ingest_event_record).
AUDIT_EVERY_CHANGE = ("INSERT", "UPDATE", "DELETE")
AUDIT_UPDATE_DELETE = ("UPDATE", "DELETE")


def audit_trigger_sql(
    table: str, label: str, hidden: tuple[str, ...], events: tuple[str, ...] = AUDIT_EVERY_CHANGE
) -> list[str]:
    arguments = ", ".join(_quote_literal(a) for a in (label, *hidden))
    return [
        f'DROP TRIGGER IF EXISTS {AUDIT_TRIGGER} ON "{table}"',
        f'CREATE TRIGGER {AUDIT_TRIGGER} AFTER {" OR ".join(events)} ON "{table}" '
        f"FOR EACH ROW EXECUTE FUNCTION cxgov_audit_row({arguments})",
    ]


class SecureTenantTable(migrations.operations.base.Operation):
    """Row-level security with the tenant policy, and (unless ``audit=False``) the audit trigger.

    ``hidden`` names columns never copied into the audit trail, e.g. a secret's hash.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str, *, audit: bool = True, hidden: tuple[str, ...] | list[str] = ()):
        self.model_name = model_name
        self.audit = audit
        self.hidden = tuple(hidden)

    def state_forwards(self, app_label, state):
        pass

    def _model(self, app_label, state):
        return state.apps.get_model(app_label, self.model_name)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = self._model(app_label, to_state)
        statements = rls_enable_sql(model._meta.db_table)
        if self.audit:
            statements += audit_trigger_sql(model._meta.db_table, model._meta.label, self.hidden)
        for statement in statements:
            schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        table = self._model(app_label, from_state)._meta.db_table
        for statement in [f'DROP TRIGGER IF EXISTS {AUDIT_TRIGGER} ON "{table}"', *rls_disable_sql(table)]:
            schema_editor.execute(statement)

    def describe(self):
        return f"Secure tenant table {self.model_name} (row-level security{', audit' if self.audit else ''})"

    def deconstruct(self):
        kwargs = {}
        if not self.audit:
            kwargs["audit"] = False
        if self.hidden:
            kwargs["hidden"] = list(self.hidden)
        return type(self).__qualname__, [self.model_name], kwargs


class RecreateTenantPolicies(migrations.operations.base.Operation):
    """Re-create the tenant policy (with today's predicate) on every tenant table of the app.

    Driven by the model state: every model of the migration's app with a ``tenant_id`` column.
    Reversing leaves the policy as it is: the older predicates admitted exactly the same rows.
    """

    reversible = True
    reduces_to_sql = True

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        for model in to_state.apps.get_app_config(app_label).get_models():
            if any(field.column == "tenant_id" for field in model._meta.local_concrete_fields):
                for statement in rls_enable_sql(model._meta.db_table):
                    schema_editor.execute(statement)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        pass

    def describe(self):
        return "Re-create the tenant policy on every tenant table of the app"

    def deconstruct(self):
        return type(self).__qualname__, [], {}


def app_role_setup_sql(role: str) -> list[str]:
    """Create the application role (idempotent) and grant it data access, and nothing more.

    The application's sessions log in as the owner and ``SET ROLE`` to it, but the role must
    be able to log in itself: a sharded database (Citus) opens its connections to the other
    nodes as the current role. It is not superuser, cannot bypass row-level security and
    owns no object. A role made by an earlier version (NOLOGIN) is given LOGIN.
    """
    quoted = '"' + role.replace('"', '""') + '"'
    return [
        f"""DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = {_quote_literal(role)}) THEN
                CREATE ROLE {quoted} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
            ELSIF NOT (SELECT rolcanlogin FROM pg_roles WHERE rolname = {_quote_literal(role)}) THEN
                ALTER ROLE {quoted} LOGIN;
            END IF;
        END $$""",
        f"GRANT {quoted} TO CURRENT_USER",
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
    ]


@contextmanager
def as_table_owner(connection) -> Iterator[str | None]:
    """Run the block connected as the owner's login itself, not ``SET ROLE`` to the application
    role (settings ``OPTIONS["assume_role"]``): schema changes are the owner's, and on a new
    database the application role does not exist yet. Yields the application role's name (None
    when the settings name none); the connection is closed on entry and on exit, so that the
    next one is opened with the role again."""
    db_options = connection.settings_dict.setdefault("OPTIONS", {})
    role = db_options.pop("assume_role", None)
    connection.close()
    try:
        yield role
    finally:
        if role:
            db_options["assume_role"] = role
        connection.close()
