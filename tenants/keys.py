"""Tenant-first keys in the database, so that every tenant table can be sharded by tenant.

A sharded database (Citus) keeps each tenant's rows on one node and can only enforce a primary
key, a unique constraint or a foreign key there when it includes the distribution column. So
in the database, every tenant table's primary key is ``(tenant_id, id)`` and every reference
between two tenant tables is ``(tenant_id, x_id) → (tenant_id, id)`` — which also makes a
reference to another tenant's row impossible, not just filtered away.

The ORM keeps its simple keys: ``id`` stays the model's primary key field, and a reference
from one tenant model to another is a :class:`TenantForeignKey`, an ordinary foreign key whose
database constraint is not Django's but the composite one. ``docs/architecture.md`` says why.

Every migration that creates a tenant table adds, after ``SecureTenantTable("<model>")``::

    tenants.keys.TenantPrimaryKey("<model>"),
    tenants.keys.TenantForeignKeys("<model>"),

The readiness guard (``tests/tenants/test_citus_readiness.py``) fails for a tenant table
without them.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models.lookups import Exact

from tenants.context import current_tenant_id

TENANT_COLUMN = "tenant_id"


class TenantForeignKey(models.ForeignKey):
    """A reference from a tenant row to another row of the same tenant.

    Django creates no constraint for it (``db_constraint=False``): the database gets the
    composite ``(tenant_id, <name>_id) → (tenant_id, id)`` from :class:`TenantForeignKeys`.
    ``on_delete`` works as for any foreign key — Django carries it out — and the composite
    constraint, deferred to the end of the transaction like Django's own, has no ON DELETE
    action: ``SET NULL`` there would also null ``tenant_id``.
    """

    def __init__(self, *args, **kwargs):
        if kwargs.pop("db_constraint", False):
            raise TypeError(
                "A TenantForeignKey's database constraint is the composite one; drop db_constraint."
            )
        super().__init__(*args, db_constraint=False, **kwargs)

    def deconstruct(self):
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("db_constraint", None)
        return name, path, args, kwargs

    def get_extra_restriction(self, alias, related_alias):
        """``<referenced>.tenant_id = <referencing>.tenant_id``, added to the ON clause of every
        join the ORM makes across this reference, in either direction.

        A sharded database (Citus) routes a join to one shard only when it is on the column the
        tables are distributed by; ``x_id = id`` alone would have it repartition (or refuse).
        Django calls this for forward joins with ``alias`` the referenced model's table and
        ``related_alias`` this model's, and for reverse joins (``ForeignObjectRel``) with the
        two swapped back to the same meaning.

        ``alias`` is ``None`` when ``exclude()`` across a relation builds a subquery that starts
        at this model's table, correlated with the outer query by ``x_id`` alone: the subquery
        then filters on the active tenant, as the default manager does (with none active,
        nothing is added and row-level security still applies).
        """
        if related_alias is None:
            return None
        referencing = self.model._meta.get_field("tenant")
        if alias is None:
            active = current_tenant_id()
            return None if active is None else Exact(referencing.get_col(related_alias), active)
        referenced = self.related_model._meta.get_field("tenant")
        return Exact(referenced.get_col(alias), referencing.get_col(related_alias))

    def get_extra_descriptor_filter(self, instance):
        # ``row.reference`` reads the referenced row by id through the base manager, which has
        # no tenant filter; the tenant routes that read to the row's shard too.
        return {TENANT_COLUMN: instance.tenant_id}


def is_tenant_model(model) -> bool:
    """A table with a ``tenant_id`` column is a tenant table, whatever the model inherits."""
    return any(field.column == TENANT_COLUMN for field in model._meta.local_concrete_fields)


def tenant_references(model) -> list[models.ForeignKey]:
    """The model's foreign keys to tenant tables (``tenant`` itself points at a global table)."""
    return [
        field
        for field in model._meta.local_concrete_fields
        if field.many_to_one and field.column != TENANT_COLUMN and is_tenant_model(field.related_model)
    ]


def composite_foreign_key_name(schema_editor, model, field) -> str:
    return schema_editor._create_index_name(
        model._meta.db_table, [TENANT_COLUMN, field.column], suffix="_tenant_fk"
    )


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class _TenantTableOperation(migrations.operations.base.Operation):
    reversible = True
    reduces_to_sql = True

    def __init__(self, model_name: str):
        self.model_name = model_name

    def state_forwards(self, app_label, state):
        pass

    def _model(self, app_label, state):
        model = state.apps.get_model(app_label, self.model_name)
        if not is_tenant_model(model):
            raise ValueError(f"{model._meta.label} has no {TENANT_COLUMN} column: it is not a tenant table.")
        return model

    def deconstruct(self):
        return type(self).__qualname__, [self.model_name], {}


class TenantPrimaryKey(_TenantTableOperation):
    """Make the table's primary key ``(tenant_id, id)`` (Django's ``id`` stays the ORM's key).

    The primary key ``(id)`` is what every single-column reference to the table points at, so
    those constraints are dropped first; the referencing tables' own migrations declare their
    composite replacements (:class:`TenantForeignKeys`). Reversed, the key is ``(id)`` again and
    every composite reference to the table becomes Django's single-column constraint again.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = self._model(app_label, to_state)
        table = model._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname,
                       EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.conrelid
                                  AND a.attname = %s AND NOT a.attisdropped)
                FROM pg_constraint c
                WHERE c.contype = 'f' AND c.confrelid = %s::regclass AND cardinality(c.conkey) = 1
                """,
                [TENANT_COLUMN, table],
            )
            references = cursor.fetchall()
        for referencing, constraint, from_tenant_table in references:
            if not from_tenant_table:
                raise ValueError(
                    f"{referencing} (not a tenant table) references the tenant table {table} by {constraint}: "
                    "a global table cannot point at one tenant's row once tenant tables are sharded."
                )
            schema_editor.execute(f"ALTER TABLE {referencing} DROP CONSTRAINT {_quote(constraint)}")
        self._replace_primary_key(schema_editor, model, [TENANT_COLUMN, model._meta.pk.column])

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # Read from the catalog, not from a model state: when several apps are reversed at
        # once, the state handed to this app's migration need not hold the referencing models.
        model = self._model(app_label, to_state)
        table = model._meta.db_table
        with schema_editor.connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT c.conrelid::regclass::text, c.conname, a.attname
                FROM pg_constraint c
                JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[2]
                WHERE c.contype = 'f' AND c.confrelid = %s::regclass AND cardinality(c.conkey) = 2
                """,
                [table],
            )
            references = cursor.fetchall()
        for referencing, constraint, _column in references:
            schema_editor.execute(f"ALTER TABLE {referencing} DROP CONSTRAINT {_quote(constraint)}")
        self._replace_primary_key(schema_editor, model, [model._meta.pk.column])
        for referencing, _constraint, column in references:
            # Django's own name for the constraint, as the original migrations created it.
            name = schema_editor._create_index_name(
                referencing.strip('"'), [column], suffix=f"_fk_{table}_{model._meta.pk.column}"
            )
            schema_editor.execute(
                f"ALTER TABLE {referencing} ADD CONSTRAINT {_quote(name)} FOREIGN KEY ({_quote(column)}) "
                f"REFERENCES {_quote(table)} ({_quote(model._meta.pk.column)}) DEFERRABLE INITIALLY DEFERRED"
            )

    @staticmethod
    def _replace_primary_key(schema_editor, model, columns: list[str]) -> None:
        table = model._meta.db_table
        for name in schema_editor._constraint_names(model, primary_key=True):
            schema_editor.execute(f"ALTER TABLE {_quote(table)} DROP CONSTRAINT {_quote(name)}")
        schema_editor.execute(
            f"ALTER TABLE {_quote(table)} ADD CONSTRAINT {_quote(table + '_pkey')} "
            f"PRIMARY KEY ({', '.join(_quote(c) for c in columns)})"
        )

    def describe(self):
        return f"Primary key (tenant_id, id) on tenant table {self.model_name}"


class TenantForeignKeys(_TenantTableOperation):
    """The composite constraint ``(tenant_id, x_id) → (tenant_id, id)`` for each of the model's
    references to tenant tables, deferred to the end of the transaction like Django's own.

    The referenced tables must already have their ``(tenant_id, id)`` primary key. A reference
    that still has Django's single-column constraint is refused: declare it a
    :class:`TenantForeignKey`.
    """

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = self._model(app_label, to_state)
        existing = set(schema_editor._constraint_names(model, foreign_key=True))
        for field in tenant_references(model):
            if composite_foreign_key_name(schema_editor, model, field) in existing:
                continue
            if field.db_constraint:
                raise ValueError(
                    f"{model._meta.label}.{field.name} references the tenant table "
                    f"{field.related_model._meta.db_table} with a constraint on {field.column} alone; "
                    "declare it with tenants.keys.TenantForeignKey."
                )
            target = field.related_model._meta
            schema_editor.execute(
                f"ALTER TABLE {_quote(model._meta.db_table)} "
                f"ADD CONSTRAINT {_quote(composite_foreign_key_name(schema_editor, model, field))} "
                f"FOREIGN KEY ({_quote(TENANT_COLUMN)}, {_quote(field.column)}) "
                f"REFERENCES {_quote(target.db_table)} ({_quote(TENANT_COLUMN)}, {_quote(target.pk.column)}) "
                "DEFERRABLE INITIALLY DEFERRED"
            )

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        # The constraints stay while the referenced tables' keys are (tenant_id, id): reversing
        # those keys (TenantPrimaryKey) turns every composite reference into Django's own.
        pass

    def describe(self):
        return f"Composite (tenant_id, x_id) foreign keys of tenant table {self.model_name}"
