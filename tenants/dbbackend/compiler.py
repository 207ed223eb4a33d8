"""Django's PostgreSQL compilers, with every UPDATE and DELETE of tenant rows filtered on the
active tenant.

A sharded database (Citus) sends a statement to one shard only when it filters on the column
the table is distributed by (``tenant_id``); ``DELETE … WHERE id IN (…)`` would go to every
shard. Row-level security already limits every statement to the active tenant's rows, so the
added ``tenant_id = <active tenant>`` changes no result; it tells the database where the rows
are. This is the one place every UPDATE and DELETE the ORM issues passes through — querysets
of any manager, saving a row, and the cascades and ``SET_NULL`` updates Django carries out on
delete (by primary key, outside any queryset). With no tenant active nothing is added.
"""

from django.db.backends.postgresql.compiler import (
    SQLAggregateCompiler,
    SQLCompiler,
    SQLInsertCompiler,
)
from django.db.backends.postgresql.compiler import (
    SQLDeleteCompiler as BaseSQLDeleteCompiler,
)
from django.db.backends.postgresql.compiler import (
    SQLUpdateCompiler as BaseSQLUpdateCompiler,
)
from django.db.models.lookups import Exact
from django.db.models.sql.where import AND

from tenants.context import current_tenant_id
from tenants.keys import is_tenant_model

__all__ = [
    "SQLAggregateCompiler",
    "SQLCompiler",
    "SQLDeleteCompiler",
    "SQLInsertCompiler",
    "SQLUpdateCompiler",
]


class ActiveTenantRestriction(Exact):
    """``tenant_id = <active tenant>`` on the table an UPDATE or DELETE changes."""


def restrict_to_active_tenant(query) -> None:
    tenant_id = current_tenant_id()
    if tenant_id is None or not is_tenant_model(query.model):
        return
    if any(isinstance(child, ActiveTenantRestriction) for child in query.where.children):
        return
    column = query.model._meta.get_field("tenant").get_col(query.get_initial_alias())
    query.where.add(ActiveTenantRestriction(column, tenant_id), AND)


class SQLDeleteCompiler(BaseSQLDeleteCompiler):
    def _as_sql(self, query):
        # ``query`` is the one whose WHERE becomes the statement's: the compiler's own, or the
        # ``pk IN (subquery)`` it builds when the delete joins other tables.
        restrict_to_active_tenant(query)
        return super()._as_sql(query)


class SQLUpdateCompiler(BaseSQLUpdateCompiler):
    def pre_sql_setup(self):
        # After Django's own: an update across joins has just been turned into
        # ``pk IN (subquery)``, and that outer WHERE is the statement's.
        super().pre_sql_setup()
        restrict_to_active_tenant(self.query)
