"""PostgreSQL backend that keeps the session settings equal to the active context.

Row-level security policies read ``app.tenant_id``; the audit trigger reads ``app.actor``
and ``app.request_id``. Before every statement this backend compares the current context
with what it last put on the physical connection and, when they differ, sets all three. Whatever could have undone a
``set_config`` (a new or pooled connection, a rollback, a rollback to a savepoint) forgets the
remembered value, so the next statement sets it again. The setting is issued on the raw
connection and is not counted among the queries a test captures.
"""

from django.db.backends.postgresql import base as postgresql

from tenants.context import session_settings
from tenants.keys import is_tenant_model

_UNKNOWN = object()
_SET_SESSION = (
    "SELECT set_config('app.tenant_id', %s, false), set_config('app.actor', %s, false), "
    "set_config('app.request_id', %s, false)"
)
_TRANSACTION_CONTROL = ("SAVEPOINT", "ROLLBACK", "RELEASE")


class DatabaseFeatures(postgresql.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model) -> bool:
        # A tenant table's primary key in the database is (tenant_id, id), not the ORM's id
        # alone, so PostgreSQL does not take id as determining the other columns: an aggregate
        # query must group by every selected column, not by id only.
        return not is_tenant_model(model) and super().allows_group_by_selected_pks_on_model(model)


class DatabaseWrapper(postgresql.DatabaseWrapper):
    features_class = DatabaseFeatures

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
