"""PostgreSQL backend that carries the active context into every transaction.

Row-level security policies read ``app.tenant_id``; the audit trigger reads ``app.actor``
and ``app.request_id``. They are set with ``SET LOCAL``, for one transaction only: a sharded
database (Citus) passes a ``SET LOCAL`` on to the connections it opens to the other nodes
(``citus.propagate_set_commands = 'local'``, set on connecting where Citus is installed), but
not a session-level setting nor ``set_config()`` — there the rows would silently not match.

Before every statement this backend compares the context with what the current transaction
carries and sets what differs (one round trip, pipelined with the ``BEGIN`` that opens the
transaction). A statement in autocommit mode inside a context runs in a transaction of its
own: ``BEGIN``, the settings, the statement, ``COMMIT``. Outside every context nothing is
set, so a statement sees no tenant's rows. Whatever ends or undoes a transaction (commit,
rollback, rollback to a savepoint, a new connection) forgets what it carried. The settings
are issued on the raw connection and are not counted among the queries a test captures.

It also reads dates and timestamps that Python cannot represent (rows stored before the
input rules existed) as the nearest representable value instead of failing the whole read.
"""

from datetime import UTC, date, datetime
from functools import lru_cache

import structlog
from django.db.backends.postgresql import base as postgresql
from psycopg import DataError
from psycopg import sql as pg_sql
from psycopg.adapt import AdaptersMap
from psycopg.pq import Format, TransactionStatus
from psycopg.types.datetime import DateLoader

from tenants.context import session_settings
from tenants.keys import is_tenant_model

logger = structlog.get_logger("cxgov.db")

# What a stored timestamp or date outside Python's range (a date BC, year 10000, ±infinity)
# reads as: one day inside the range, so that converting it to any time zone still works.
# Such rows predate the input rules (tenants.validation); ``manage.py repair_signals``
# finds and repairs them. Until then every page that lists one still renders.
READ_FLOOR = datetime(1, 1, 2, tzinfo=UTC)
READ_CEILING = datetime(9999, 12, 30, tzinfo=UTC)


def _out_of_range(data) -> str:
    raw = bytes(data)
    logger.warning(
        "stored value outside Python's date range; read as the nearest representable one",
        value=raw.decode("ascii", "replace")[:40],
        fix="manage.py repair_signals",
    )
    return "low" if raw.startswith(b"-") or raw.endswith(b"BC") else "high"


class LenientDateLoader(DateLoader):
    def load(self, data) -> date:
        try:
            value = super().load(data)
        except DataError:
            return (READ_FLOOR if _out_of_range(data) == "low" else READ_CEILING).date()
        return min(max(value, READ_FLOOR.date()), READ_CEILING.date())


def _lenient_timestamptz(base: type) -> type:
    """Django's time-zone loader, reading an out-of-range timestamp as the nearest safe one."""

    class LenientTimestamptzLoader(base):
        def load(self, data) -> datetime:
            try:
                value = super().load(data)
            except DataError:
                bound = READ_FLOOR if _out_of_range(data) == "low" else READ_CEILING
                return bound.replace(tzinfo=self.timezone)
            if value.year in (1, 9999):  # cheap pre-check; the bounds compare as instants
                value = min(max(value, READ_FLOOR), READ_CEILING)
            return value

    return LenientTimestamptzLoader


@lru_cache
def _lenient_adapters(template: AdaptersMap) -> AdaptersMap:
    adapters = AdaptersMap(template)
    timestamptz = template.get_loader(postgresql.TIMESTAMPTZ_OID, Format.TEXT)
    adapters.register_loader("timestamptz", _lenient_timestamptz(timestamptz))
    adapters.register_loader("date", LenientDateLoader)
    return adapters


SETTING_NAMES = ("app.tenant_id", "app.actor", "app.request_id")
_NOTHING_SET = ("", "", "")  # what a transaction carries before it sets anything
_UNKNOWN = object()
_TRANSACTION_CONTROL = ("SAVEPOINT", "ROLLBACK", "RELEASE")
# Only where Citus is loaded (the setting exists): plain PostgreSQL gets no placeholder setting.
_CITUS_PROPAGATE_SET_LOCAL = (
    "SELECT set_config('citus.propagate_set_commands', 'local', false) "
    "WHERE current_setting('citus.propagate_set_commands', true) IS NOT NULL"
)


# Cursors whose statement can share a pipeline with its transaction's BEGIN and COMMIT (Django's
# client-side cursors; not a named, server-side one).
_PIPELINE_CURSORS = (postgresql.Cursor, postgresql.ServerBindingCursor)


def _pipelinable(sql, context) -> bool:
    """Whether the statement can go in a pipeline: one statement (a pipeline sends each with
    the extended protocol, which takes one) on a client-side cursor."""
    return (
        isinstance(sql, str)
        and ";" not in sql
        and type(getattr(context.get("cursor"), "cursor", None)) in _PIPELINE_CURSORS
    )


class DatabaseFeatures(postgresql.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model) -> bool:
        # A tenant table's primary key in the database is (tenant_id, id), not the ORM's id
        # alone, so PostgreSQL does not take id as determining the other columns: an aggregate
        # query must group by every selected column, not by id only.
        return not is_tenant_model(model) and super().allows_group_by_selected_pks_on_model(model)


class DatabaseOperations(postgresql.DatabaseOperations):
    compiler_module = "tenants.dbbackend.compiler"


class DatabaseWrapper(postgresql.DatabaseWrapper):
    features_class = DatabaseFeatures
    ops_class = DatabaseOperations

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._transaction_settings = _UNKNOWN
        self.citus_loaded = False  # whether the server has Citus loaded, learnt on connecting
        self.execute_wrappers.append(self._carry_settings)

    def _carry_settings(self, execute, sql, params, many, context):
        if isinstance(sql, str) and sql.startswith(_TRANSACTION_CONTROL):
            # Savepoint statements read no table, and may run in an aborted transaction.
            return execute(sql, params, many, context)
        raw = self.connection
        wanted = session_settings()
        if raw.info.transaction_status == TransactionStatus.IDLE:
            # No transaction is open: what the last one carried ended with it.
            self._transaction_settings = _NOTHING_SET
            if raw.autocommit:
                if wanted == _NOTHING_SET:
                    return execute(sql, params, many, context)
                return self._execute_in_own_transaction(wanted, execute, sql, params, many, context)
        if self._transaction_settings != wanted and not many and _pipelinable(sql, context):
            # The settings go with the statement: one round trip, not two.
            with self.wrap_database_errors, raw.pipeline():
                self._set_local(wanted)
                return execute(sql, params, many, context)
        self._set_local(wanted)
        return execute(sql, params, many, context)

    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = _lenient_adapters(params["context"])
        return params

    def _execute_in_own_transaction(self, wanted, execute, sql, params, many, context):
        """Autocommit, but the settings must reach the statement: a transaction around it alone.

        ``BEGIN``, the settings, the statement and ``COMMIT`` go in one pipeline: one round trip
        to the server instead of three (a client-side cursor's single statement; a server-side
        cursor or ``executemany`` takes the three). The statement's rows are read once the
        pipeline has synced; an error in it aborts the rest, and the transaction is rolled back.
        """
        raw = self.connection
        pipelined = not many and _pipelinable(sql, context)
        try:
            if pipelined:
                with self.wrap_database_errors, raw.pipeline():
                    self._set_local(wanted, begin=True)
                    result = execute(sql, params, many, context)
                    raw.execute("COMMIT")
                return result
            self._set_local(wanted, begin=True)
            result = execute(sql, params, many, context)
            with self.wrap_database_errors:
                raw.execute("COMMIT")
            return result
        finally:
            if raw.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
                raw.execute("ROLLBACK")
            self._transaction_settings = _NOTHING_SET

    def _set_local(self, wanted, *, begin: bool = False) -> None:
        known = self._transaction_settings
        if not begin and known == wanted:
            return  # the common case, on every statement of a transaction: nothing to build or send
        statements = ["BEGIN"] if begin else []
        statements += [
            statement
            for statement, value, before in zip(
                self.transaction_settings_sql(wanted),
                wanted,
                _NOTHING_SET if known is _UNKNOWN else known,
                strict=True,
            )
            if known is _UNKNOWN or value != before
        ]
        if statements:
            with self.wrap_database_errors, self.connection.pipeline():
                for statement in statements:
                    self.connection.execute(statement)
        self._transaction_settings = wanted

    def transaction_settings_sql(self, values: tuple[str, str, str] | None = None) -> list[str]:
        """``SET LOCAL`` statements for the context (or ``values``): for code that runs its own
        transactions on ``self.connection``, after each ``BEGIN``. The connection must be open."""
        values = session_settings() if values is None else values
        return [
            f"SET LOCAL {name} = {pg_sql.Literal(value).as_string(self.connection)}"
            for name, value in zip(SETTING_NAMES, values, strict=True)
        ]

    def forget_transaction_settings(self):
        self._transaction_settings = _UNKNOWN

    def _configure_connection(self, connection):
        super()._configure_connection(connection)
        self.citus_loaded = connection.execute(_CITUS_PROPAGATE_SET_LOCAL).fetchone() is not None
        return True  # outside autocommit, the setting must be committed too

    def init_connection_state(self):
        self.forget_transaction_settings()
        super().init_connection_state()

    def _close(self):
        self.forget_transaction_settings()
        return super()._close()

    def _commit(self):
        try:
            return super()._commit()
        finally:
            self.forget_transaction_settings()

    def _rollback(self):
        # A SET LOCAL made inside the rolled-back transaction is undone with it.
        try:
            return super()._rollback()
        finally:
            self.forget_transaction_settings()

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self.forget_transaction_settings()
