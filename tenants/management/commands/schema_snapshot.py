"""``manage.py schema_snapshot``: write ``tenants/schema_snapshot.sql`` again.

Migrates a scratch database on the configured server from nothing, dumps its schema with
``pg_dump`` (the server's own, or the one that comes with the embedded PostgreSQL) and drops
it again. See :mod:`tenants.schema_snapshot` for what the snapshot is for.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import warnings
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from psycopg import sql

from tenants.rls import as_table_owner
from tenants.schema_snapshot import SNAPSHOT_PATH, snapshot_render


def pg_dump_candidates() -> list[str]:
    """pg_dump must be at least as new as the server: the one on PATH, then the embedded one's."""
    found = [path for path in (shutil.which("pg_dump"),) if path]
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; it does not matter here.
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver
    return [*found, str(Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_dump")]


def pg_dump_schema(settings_dict: dict, name: str) -> str:
    """``pg_dump --schema-only --no-owner --no-privileges`` of database ``name`` on the server
    of ``settings_dict``."""
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = settings_dict["PASSWORD"]
    args = ["--schema-only", "--no-owner", "--no-privileges", "--dbname", name]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args += [option, str(settings_dict[key])]
    failures = []
    for pg_dump in pg_dump_candidates():
        done = subprocess.run([pg_dump, *args], env=env, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode == 0:
            return done.stdout
        failures.append(f"{pg_dump}: {done.stderr.strip()}")
    raise CommandError("No pg_dump could dump the schema:\n" + "\n".join(failures or ["none found"]))


class Command(BaseCommand):
    help = "Write tenants/schema_snapshot.sql again: the schema of a database migrated from nothing."

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, default=SNAPSHOT_PATH, help="Where to write it.")

    def handle(self, *args, output: Path, **options):
        connection = connections[DEFAULT_DB_ALIAS]
        settings_dict = connection.settings_dict
        scratch = f"{settings_dict['NAME']}_snapshot_{os.getpid()}"
        with as_table_owner(connection):
            self._database("CREATE DATABASE {}", scratch)
            original = settings_dict["NAME"]
            try:
                settings_dict["NAME"] = scratch
                connection.close()
                call_command("migrate", interactive=False, verbosity=0)
                with as_table_owner(connection):
                    disk = MigrationLoader(connection).disk_migrations
                    in_order = MigrationRecorder(connection).migration_qs.order_by("id")
                    applied = [disk[key] for key in in_order.values_list("app", "name")]
                dump = pg_dump_schema(settings_dict, scratch)
            finally:
                settings_dict["NAME"] = original
                connection.close()
                self._database("DROP DATABASE IF EXISTS {}", scratch)
        output.write_text(snapshot_render(dump=dump, migrations=applied), encoding="utf-8")
        self.stdout.write(f"Wrote {output}: the schema of {len(applied)} migrations.")

    @staticmethod
    def _database(statement: str, name: str) -> None:
        """CREATE/DROP DATABASE, which cannot run in a transaction: from the server's maintenance
        database."""
        connection = connections[DEFAULT_DB_ALIAS]
        with connection._nodb_cursor() as cursor:
            cursor.execute(sql.SQL(statement).format(sql.Identifier(name)).as_string(cursor.connection))
