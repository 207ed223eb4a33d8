"""The schema snapshot (``tenants/schema_snapshot.py``) that ``make run`` loads into a new database.

Loading it into an empty database, then migrating whatever came after, must give exactly the
schema that migrating from nothing gives — tables, keys, indexes, row-level security and its
policies, the audit and rollup triggers and their functions — and an existing database must
never see it: a partly migrated one is migrated on, one migration at a time, to the same schema.

The database migrating from nothing built is the test database itself; the others are made
here, on the same server, by ``manage.py launch_prepare --no-demo`` in a process of its own
(what ``make run`` runs), and dropped afterwards.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from psycopg import sql

from tenants.management.commands.schema_snapshot import pg_dump_schema
from tenants.schema_snapshot import snapshot_mismatches, snapshot_read

REPO_DIR = Path(__file__).resolve().parents[2]

# PostgreSQL prints an IN list it parsed from Django's DDL as a cast of the whole array, and the
# same list re-read from a dump as a cast of each element: one meaning, two spellings.
_ELEMENT_CASTS = re.compile(r"ANY \(ARRAY\[((?:\('[^']*'::character varying\)::text(?:, )?)+)\]\)")
_ELEMENT = re.compile(r"\('([^']*)'::character varying\)::text")


def canonical(dump: str) -> list[str]:
    """The dump's statements, without comments, blank lines and psql meta-commands, each IN list
    spelled one way."""

    def whole_array(match: re.Match) -> str:
        items = ", ".join(f"'{item}'::character varying" for item in _ELEMENT.findall(match[1]))
        return f"ANY ((ARRAY[{items}])::text[])"

    return [
        _ELEMENT_CASTS.sub(whole_array, line)
        for line in dump.splitlines()
        if line.strip() and not line.startswith(("--", "\\"))
    ]


def _connect(database: str, **options) -> psycopg.Connection:
    """The owner's own connection (no application role) to ``database`` on the test server."""
    settings = connection.settings_dict
    return psycopg.connect(
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        user=settings["USER"] or None,
        password=settings["PASSWORD"] or None,
        dbname=database,
        **options,
    )


def _admin() -> psycopg.Connection:
    """The server's maintenance database, for CREATE and DROP DATABASE."""
    return _connect("postgres", autocommit=True)


@pytest.fixture
def scratch_database(db) -> Iterator[str]:
    """An empty database on the test server, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_scratch"
    with _admin() as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def manage(database: str, *args: str) -> list[str]:
    """``manage.py <args>`` against ``database`` in a process of its own; its stdout lines."""
    url = urlsplit(os.environ["DATABASE_URL"])
    env = dict(os.environ, DATABASE_URL=urlunsplit(url._replace(path=f"/{database}")))
    env["DJANGO_SETTINGS_MODULE"] = "cxgov.settings.test"
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def schema(database: str) -> list[str]:
    return canonical(pg_dump_schema(connection.settings_dict, database))


def applied_migrations(database: str) -> set[tuple[str, str]]:
    with _connect(database) as other:
        return set(other.execute("SELECT app, name FROM django_migrations").fetchall())


def test_the_snapshot_holds_only_migrations_that_are_on_disk_unchanged():
    snapshot = snapshot_read()
    assert snapshot is not None and snapshot.migrations
    mismatches = snapshot_mismatches(snapshot, MigrationLoader(None, ignore_no_migrations=True))
    assert mismatches == [], f"{mismatches} changed since the snapshot: run `manage.py schema_snapshot`."


def test_a_new_database_gets_from_the_snapshot_the_schema_the_migrations_build(scratch_database):
    steps = manage(scratch_database, "launch_prepare", "--no-demo")
    held = len(snapshot_read().migrations)
    assert any(
        f'"migrations {held}/' in step and "created from the schema snapshot" in step for step in steps
    ), steps

    migrated = connection.settings_dict["NAME"]
    assert schema(scratch_database) == schema(migrated)
    assert applied_migrations(scratch_database) == applied_migrations(migrated)
    # Row-level security and the audit trigger came with it (the comparison above says so
    # line by line; this says it in words).
    restored = "\n".join(schema(scratch_database))
    assert "ALTER TABLE ONLY public.tenants_department FORCE ROW LEVEL SECURITY;" in restored
    assert "CREATE POLICY tenant_isolation ON public.tenants_department" in restored
    assert (
        "CREATE TRIGGER cxgov_audit AFTER INSERT OR DELETE OR UPDATE ON public.tenants_department" in restored
    )

    # Started again, it finds nothing to do.
    again = manage(scratch_database, "launch_prepare", "--no-demo")
    assert any("nothing to migrate" in step for step in again), again


def test_a_partly_migrated_database_is_migrated_on_one_migration_at_a_time(scratch_database):
    manage(scratch_database, "migrate", "metrics", "0006_rollup_day_indexes", "--verbosity", "0")

    steps = manage(scratch_database, "launch_prepare", "--no-demo")
    assert not any("snapshot" in step for step in steps), steps
    assert any(step.startswith('{"progress": "Applying ') for step in steps), steps
    counted = [re.search(r"migrations (\d+)/(\d+) \(", step) for step in steps]
    counted = [match for match in counted if match]
    assert counted and counted[-1][1] == counted[-1][2], steps

    migrated = connection.settings_dict["NAME"]
    assert schema(scratch_database) == schema(migrated)
    assert applied_migrations(scratch_database) == applied_migrations(migrated)
