"""``migrate`` as the table owner, then hand the connection back to the application role.

The application connects as the owner's login and immediately ``SET ROLE``s to the
application role (settings ``OPTIONS["assume_role"]``). Schema changes must be made by the
owner, so this command drops the role for its own run, applies the migrations, re-grants the
application role its data access on every table, and restores the setting.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import connections

from tenants.rls import app_role_setup_sql


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " Runs as the table owner and grants the application role its data access."

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        db_options = connection.settings_dict.setdefault("OPTIONS", {})
        role = db_options.pop("assume_role", None)
        connection.close()
        try:
            super().handle(*args, **options)
            with connection.cursor() as cursor:
                for statement in app_role_setup_sql(role or settings.CXGOV_DB_APP_ROLE):
                    cursor.execute(statement)
        finally:
            if role:
                db_options["assume_role"] = role
            connection.close()
