"""``migrate`` as the table owner, then hand the connection back to the application role.

The application connects as the owner's login and immediately ``SET ROLE``s to the
application role (settings ``OPTIONS["assume_role"]``). Schema changes must be made by the
owner, so this command drops the role for its own run, applies the migrations, re-grants the
application role its data access on every table, and restores the setting.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from tenants.rls import app_role_setup_sql, as_table_owner


def app_role_grant(connection, role: str | None) -> None:
    """Create the application role if missing and grant it data access on every table."""
    with connection.cursor() as cursor:
        for statement in app_role_setup_sql(role or settings.CXGOV_DB_APP_ROLE):
            cursor.execute(statement)


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the table owner and grants the application role its data access."

    def execute(self, *args, **options):
        # The system checks run before handle() and may query the database (constraints such
        # as nulls_distinct ask for the server version): as the owner too, since on a new
        # database the application role does not exist yet.
        with as_table_owner(connections[options.get("database") or "default"]) as role:
            self._role = role
            return super().execute(*args, **options)

    def handle(self, *args, **options):
        super().handle(*args, **options)
        app_role_grant(connections[options["database"]], self._role)
