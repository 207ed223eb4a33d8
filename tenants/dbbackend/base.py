"""PostgreSQL backend that keeps ``app.tenant_id`` equal to the active tenant context.

Row-level security policies read the session setting ``app.tenant_id``. Before every
statement this backend compares the tenant of the current context with what it last put on
the physical connection and, when they differ, sets it. Whatever could have undone a
``set_config`` (a new or pooled connection, a rollback, a rollback to a savepoint) forgets the
remembered value, so the next statement sets it again. The setting is issued on the raw
connection and is not counted among the queries a test captures.
"""

from django.db.backends.postgresql import base as postgresql

from tenants.context import current_tenant_id

_UNKNOWN = object()
TENANT_SETTING = "app.tenant_id"
_TRANSACTION_CONTROL = ("SAVEPOINT", "ROLLBACK", "RELEASE")


class DatabaseWrapper(postgresql.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tenant_setting = _UNKNOWN
        self.execute_wrappers.append(self._apply_tenant_setting)

    def _apply_tenant_setting(self, execute, sql, params, many, context):
        if isinstance(sql, str) and sql.startswith(_TRANSACTION_CONTROL):
            # Savepoint statements read no table, and may run in an aborted transaction.
            return execute(sql, params, many, context)
        wanted = current_tenant_id()
        value = "" if wanted is None else str(wanted)
        if value != self._tenant_setting:
            with self.connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, %s, false)", [TENANT_SETTING, value])
            self._tenant_setting = value
        return execute(sql, params, many, context)

    def forget_tenant_setting(self):
        self._tenant_setting = _UNKNOWN

    def init_connection_state(self):
        self.forget_tenant_setting()
        super().init_connection_state()

    def _close(self):
        self.forget_tenant_setting()
        return super()._close()

    def _rollback(self):
        # A set_config made inside the rolled-back transaction is undone with it.
        try:
            return super()._rollback()
        finally:
            self.forget_tenant_setting()

    def _savepoint_rollback(self, sid):
        try:
            return super()._savepoint_rollback(sid)
        finally:
            self.forget_tenant_setting()
