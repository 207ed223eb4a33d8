"""PostgreSQL backend that keeps the session settings equal to the active context.

Row-level security policies read ``app.tenant_id``; the audit trigger reads ``app.actor``
and ``app.request_id``. Before every statement this backend compares the current context
with what it last put on the physical connection and, when they differ, sets all three. Whatever could have undone a
``set_config`` (a new or pooled connection, a rollback, a rollback to a savepoint) forgets the
remembered value, so the next statement sets it again. The setting is issued on the raw
connection and is not counted among the queries a test captures.

It also reads dates and timestamps that Python cannot represent (rows stored before the
input rules existed) as the nearest representable value instead of failing the whole read.
"""

from datetime import UTC, date, datetime
from functools import lru_cache

import structlog
from django.db.backends.postgresql import base as postgresql
from psycopg import DataError
from psycopg.adapt import AdaptersMap
from psycopg.pq import Format
from psycopg.types.datetime import DateLoader

from tenants.context import session_settings

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


_UNKNOWN = object()
_SET_SESSION = (
    "SELECT set_config('app.tenant_id', %s, false), set_config('app.actor', %s, false), "
    "set_config('app.request_id', %s, false)"
)
_TRANSACTION_CONTROL = ("SAVEPOINT", "ROLLBACK", "RELEASE")


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._session_settings = _UNKNOWN
        self.execute_wrappers.append(self._apply_session_settings)

    def _apply_session_settings(self, execute, sql, params, many, context):
        if isinstance(sql, str) and sql.startswith(_TRANSACTION_CONTROL):
            # Savepoint statements read no table, and may run in an aborted transaction.
            return execute(sql, params, many, context)
        self.apply_session_settings()
        return execute(sql, params, many, context)

    def get_connection_params(self):
        params = super().get_connection_params()
        params["context"] = _lenient_adapters(params["context"])
        return params

    def apply_session_settings(self):
        """Bring the session settings up to date with the context: for statements that bypass
        Django's cursor (on ``self.connection`` directly). The connection must be open."""
        wanted = session_settings()
        if wanted != self._session_settings:
            with self.connection.cursor() as cursor:
                cursor.execute(_SET_SESSION, wanted)
            self._session_settings = wanted

    def forget_session_settings(self):
        self._session_settings = _UNKNOWN

    def init_connection_state(self):
        self.forget_session_settings()
        super().init_connection_state()

    def _close(self):
        self.forget_session_settings()
        return super()._close()

    def _rollback(self):
        # A set_config made inside the rolled-back transaction is undone with it.
        try:
            return super()._rollback()
        finally:
            self.forget_session_settings()

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self.forget_session_settings()
