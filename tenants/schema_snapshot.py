"""A snapshot of the schema the migrations build from nothing, loaded into new databases.

Applying every migration to an empty database costs seconds of CPU: Django renders its model
states again after nearly every operation, and every tenant table refers to the tenant, so each
render takes in most of the models. ``make run`` on a new machine pays that before anyone can
sign in. So ``schema_snapshot.sql`` holds what ``pg_dump --schema-only`` writes for a database
migrated from nothing (tables, keys, indexes, row-level security and its policies, the audit
and rollup triggers and their functions), headed by the migrations it holds, each with a
fingerprint of its file. ``manage.py launch_prepare`` loads it into an empty database, records
those migrations as applied and applies the ones added since as usual.

It is only ever used for a database with no table at all, and only when every migration it
holds is still on disk unchanged: a migration edited or removed since makes it unusable, and
the migrations are applied one by one as always (just slower). Existing databases never see it.
``manage.py schema_snapshot`` writes it again (after adding migrations, to keep new databases
fast); ``tests/tenants/test_schema_snapshot.py`` proves that loading it and migrating on top
gives exactly the schema migrating from nothing gives.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

SNAPSHOT_PATH = Path(__file__).resolve().parent / "schema_snapshot.sql"
_HEADER = "-- cxgov schema snapshot"
_MIGRATION_LINE = "-- migration "
_DOLLAR_QUOTE = re.compile(r"\$[A-Za-z_]*\$")


@dataclass(frozen=True)
class Snapshot:
    migrations: dict[tuple[str, str], str]  # (app label, name) → fingerprint of its file
    sql: str


def migration_fingerprint(migration) -> str:
    """The first 16 hex digits of the SHA-256 of the migration's file."""
    source = Path(sys.modules[type(migration).__module__].__file__)
    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def snapshot_render(*, dump: str, migrations: list) -> str:
    """The snapshot file for ``dump`` (``pg_dump --schema-only --no-owner --no-privileges``
    of a database that has exactly ``migrations`` applied, in the order they were).

    Between statements, comments, blank lines and psql meta-commands are dropped (function
    bodies are kept as they are, to the byte); the dump's session settings become ``SET LOCAL``
    (the snapshot is loaded in one transaction and leaves the session as it was), and its empty
    ``search_path`` goes: every name it creates is schema-qualified.
    """
    lines = [
        f"{_HEADER}: `manage.py schema_snapshot` writes it (tenants/schema_snapshot.py says why); do not edit.",
        *(f"{_MIGRATION_LINE}{m.app_label} {m.name} {migration_fingerprint(m)}" for m in migrations),
    ]
    in_body = False  # inside a dollar-quoted function body
    for line in dump.splitlines():
        if not in_body:
            if not line.strip() or line.startswith(("--", "\\")) or "set_config('search_path'" in line:
                continue
            if line.startswith("SET "):
                line = "SET LOCAL " + line.removeprefix("SET ")
        lines.append(line)
        in_body ^= len(_DOLLAR_QUOTE.findall(line)) % 2 == 1
    return "\n".join(lines) + "\n"


def snapshot_read(path: Path = SNAPSHOT_PATH) -> Snapshot | None:
    if not path.exists():
        return None
    migrations: dict[tuple[str, str], str] = {}
    body = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(_MIGRATION_LINE):
            app_label, name, fingerprint = line.removeprefix(_MIGRATION_LINE).split()
            migrations[(app_label, name)] = fingerprint
        elif not line.startswith(_HEADER):
            body.append(line)
    return Snapshot(migrations, "\n".join(body))


def snapshot_mismatches(snapshot: Snapshot, loader: MigrationLoader) -> list[str]:
    """The migrations the snapshot holds that are no longer on disk as they were."""
    return [
        f"{app_label}.{name}"
        for (app_label, name), fingerprint in snapshot.migrations.items()
        if (migration := loader.disk_migrations.get((app_label, name))) is None
        or migration_fingerprint(migration) != fingerprint
    ]


def schema_snapshot_load(connection, path: Path = SNAPSHOT_PATH) -> int:
    """Load the snapshot into the empty database of ``connection`` and record its migrations
    as applied, in one transaction. Returns how many migrations it holds, or 0 when it was not
    used: the database has a table already, the server runs Citus (its tables are placed by
    ``citus_distribute`` after migrating), or the snapshot does not fit the migrations on disk.

    Must run as the table owner (:func:`tenants.rls.as_table_owner`).
    """
    snapshot = snapshot_read(path)
    if snapshot is None or not snapshot.migrations:
        return 0
    connection.ensure_connection()
    if getattr(connection, "citus_loaded", False) or connection.introspection.table_names():
        return 0
    if snapshot_mismatches(snapshot, MigrationLoader(connection, ignore_no_migrations=True)):
        return 0
    recorder = MigrationRecorder(connection)
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute(snapshot.sql)
        for app_label, name in snapshot.migrations:
            recorder.record_applied(app_label, name)
    return len(snapshot.migrations)
