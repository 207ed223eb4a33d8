"""Readiness guard: every tenant table can be distributed by tenant_id on Citus.

Runs on plain PostgreSQL, reading the catalog, and names each table that Citus's
``create_distributed_table(<table>, 'tenant_id')`` would refuse, or that would not route one
tenant's queries to one shard. A tenant table is any table with a ``tenant_id`` column.

Which triggers Citus refuses (v13.2.2, ``EnsureRelationCanBeDistributed`` in
``commands/create_distributed_table.c`` and ``ErrorIfRelationHasUnsupportedTrigger`` in
``commands/trigger.c``):
- any trigger at all, unless ``citus.enable_unsafe_triggers`` is on. The audit trail's row
  triggers are kept, so distributing the tables needs that setting; with it on, a row trigger
  fires on the shard where the row lives;
- with the setting on, a trigger that depends on an extension;
- a trigger reading transition tables (``REFERENCING NEW/OLD TABLE``) is accepted when the
  table is distributed but fails on its first statement: the shard statement has no
  tuplestore of that name (``could not find named tuplestore "new_rows"``).
Statement-level triggers without transition tables are accepted; they fire once per shard
statement.
"""

from django.db import connection

from tenants.keys import tenant_references
from tests.factories import tenant_models

TENANT_TABLES = """
    tenant_tables AS (
        SELECT c.oid
        FROM pg_class c
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
        WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
    )
"""

# Every foreign key with its columns and the referenced columns, in order.
FOREIGN_KEYS = """
    foreign_keys AS (
        SELECT c.conrelid, c.confrelid, c.conname,
               ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.n)
                   AS columns,
               ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, n)
                     JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.n)
                   AS referenced_columns
        FROM pg_constraint c
        WHERE c.contype = 'f' AND c.connamespace = 'public'::regnamespace
    )
"""


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_every_tenant_model_is_a_tenant_table(db):
    tables = {row[0] for row in _rows(f"WITH {TENANT_TABLES} SELECT oid::regclass::text FROM tenant_tables")}
    assert tables == {m._meta.db_table for m in tenant_models()}


def test_primary_keys_lead_with_tenant(db):
    offenders = _rows(
        f"""
        WITH {TENANT_TABLES}
        SELECT c.conrelid::regclass::text, pg_get_constraintdef(c.oid)
        FROM pg_constraint c JOIN tenant_tables t ON t.oid = c.conrelid
        WHERE c.contype = 'p'
          AND (SELECT attname FROM pg_attribute WHERE attrelid = c.conrelid AND attnum = c.conkey[1])
              <> 'tenant_id'
        ORDER BY 1
        """
    )
    missing = _rows(
        f"""
        WITH {TENANT_TABLES}
        SELECT t.oid::regclass::text FROM tenant_tables t
        WHERE NOT EXISTS (SELECT FROM pg_constraint c WHERE c.conrelid = t.oid AND c.contype = 'p')
        """
    )
    assert offenders == [], "primary keys must be (tenant_id, id)"
    assert missing == [], "tenant tables without a primary key"


def test_unique_and_exclusion_indexes_lead_with_tenant(db):
    """Citus enforces uniqueness per shard only: every unique index must lead with tenant_id
    (an index whose first key is an expression counts as not leading with it)."""
    offenders = _rows(
        f"""
        WITH {TENANT_TABLES}
        SELECT x.indrelid::regclass::text, x.indexrelid::regclass::text
        FROM pg_index x
        JOIN tenant_tables t ON t.oid = x.indrelid
        LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = x.indkey[0]
        WHERE (x.indisunique OR x.indisprimary OR x.indisexclusion)
          AND a.attname IS DISTINCT FROM 'tenant_id'
        ORDER BY 1, 2
        """
    )
    assert offenders == []


def test_foreign_keys_between_tenant_tables_are_composite(db):
    offenders = _rows(
        f"""
        WITH {TENANT_TABLES}, {FOREIGN_KEYS}
        SELECT f.conrelid::regclass::text, f.conname, f.columns, f.confrelid::regclass::text, f.referenced_columns
        FROM foreign_keys f
        WHERE f.conrelid IN (SELECT oid FROM tenant_tables) AND f.confrelid IN (SELECT oid FROM tenant_tables)
          AND NOT (cardinality(f.columns) = 2 AND f.columns[1] = 'tenant_id'
                   AND f.referenced_columns = ARRAY['tenant_id', 'id']::name[])
        ORDER BY 1, 2
        """
    )
    assert offenders == [], "references between tenant tables must be (tenant_id, x_id) → (tenant_id, id)"


def test_every_reference_between_tenant_models_has_its_composite_key(db):
    """A TenantForeignKey has no constraint of Django's: the migration must add the composite one."""
    present = {
        (table, columns[1], target)
        for table, columns, target, referenced in _rows(
            f"""
            WITH {FOREIGN_KEYS}
            SELECT conrelid::regclass::text, columns, confrelid::regclass::text, referenced_columns
            FROM foreign_keys
            """
        )
        if len(columns) == 2 and columns[0] == "tenant_id" and referenced == ["tenant_id", "id"]
    }
    missing = [
        f"{model._meta.db_table}.{field.column} → {field.related_model._meta.db_table}"
        for model in tenant_models()
        for field in tenant_references(model)
        if (model._meta.db_table, field.column, field.related_model._meta.db_table) not in present
    ]
    assert missing == [], "add tenants.keys.TenantForeignKeys(<model>) to the migration"


def test_global_tables_do_not_reference_tenant_tables(db):
    """A global (reference) table is copied to every node; it cannot point at one tenant's row."""
    offenders = _rows(
        f"""
        WITH {TENANT_TABLES}, {FOREIGN_KEYS}
        SELECT f.conrelid::regclass::text, f.conname
        FROM foreign_keys f
        WHERE f.conrelid NOT IN (SELECT oid FROM tenant_tables) AND f.confrelid IN (SELECT oid FROM tenant_tables)
        """
    )
    assert offenders == []


def test_tenant_policies_have_no_sub_query(db):
    """Citus: "Subqueries are not supported in policies on distributed tables"."""
    policies = _rows(
        f"""
        WITH {TENANT_TABLES}
        SELECT p.polrelid::regclass::text, p.polname,
               coalesce(p.polqual::text, '') || coalesce(p.polwithcheck::text, '') LIKE '%%{{SUBLINK%%'
        FROM pg_policy p JOIN tenant_tables t ON t.oid = p.polrelid
        ORDER BY 1, 2
        """
    )
    assert policies, "the tenant tables have their policies"
    assert [(table, name) for table, name, has_sub_query in policies if has_sub_query] == []


def _transition_table_triggers() -> set[tuple[str, str]]:
    rows = _rows(
        f"""
        WITH {TENANT_TABLES}
        SELECT g.tgrelid::regclass::text, g.tgname
        FROM pg_trigger g JOIN tenant_tables t ON t.oid = g.tgrelid
        WHERE NOT g.tgisinternal AND (g.tgnewtable IS NOT NULL OR g.tgoldtable IS NOT NULL)
        """
    )
    return set(rows)


def test_no_trigger_on_a_tenant_table_reads_transition_tables(db):
    """The rollups are kept by row triggers (metrics/migrations/0008_row_rollup_triggers.py)."""
    assert sorted(_transition_table_triggers()) == []


def test_no_trigger_on_a_tenant_table_depends_on_an_extension(db):
    offenders = _rows(
        f"""
        WITH {TENANT_TABLES}
        SELECT g.tgrelid::regclass::text, g.tgname
        FROM pg_trigger g
        JOIN tenant_tables t ON t.oid = g.tgrelid
        JOIN pg_depend d ON d.classid = 'pg_trigger'::regclass AND d.objid = g.oid AND d.deptype = 'x'
        """
    )
    assert offenders == []
