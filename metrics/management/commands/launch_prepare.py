"""What ``make run`` does before web, worker and beat can start (``cxgov/launcher.py`` runs it):
bring the schema up to date and seed the demo tenants, saying what it does as it goes.

Migrating is skipped altogether when no migration is missing: one read of the migration
history, compared with the migrations on disk (``migrate`` would also render every model
state to look for model changes, which takes seconds). Seeding creates what is missing and
changes nothing that exists (``metrics.demo.demo_tenants_seed``).

Output, for the launcher: one JSON object per line on stdout.

- ``{"progress": "<sentence>"}``: a step, as it happens (``migrations 12/48 (…)`` while migrating);
- ``{"schema_ready": true}``: the schema is up to date, so web, worker and beat may start
  while the demo is being seeded;
- ``{"logins": ["<line>", …]}``: where to sign in, and as whom.
"""

from __future__ import annotations

import json
import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from metrics.demo import demo_tenants_seed
from tenants.demo import DEMO_TENANTS, demo_logins
from tenants.management.commands.migrate import Command as MigrateCommand
from tenants.management.commands.migrate import app_role_grant
from tenants.rls import as_table_owner
from tenants.schema_snapshot import schema_snapshot_load

PROGRESS_EVERY = 1.0  # seconds between two "migrations n/N" lines (the last one always shows)


class Command(BaseCommand):
    help = (
        "Migrate when a migration is missing and seed the demo tenants, printing progress as JSON "
        "lines (what `make run` does before it starts web, worker and beat)."
    )
    # The system checks import every page and endpoint (seconds), none of which this runs;
    # the test suite runs them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://{slug}.localhost:8000", help="Printed sign-in address."
        )
        parser.add_argument("--no-demo", action="store_true", help="Bring the schema up to date only.")

    def handle(self, *args, base_url: str, no_demo: bool, **options):
        self._output = threading.Lock()
        self._migrate()
        self._emit(schema_ready=True)
        if no_demo:
            return
        demo_tenants_seed(report=lambda text: self._emit(progress=text))
        self._emit(logins=[line for demo in DEMO_TENANTS for line in demo_logins(demo, base_url=base_url)])

    def _emit(self, **message) -> None:
        with self._output:  # the demo tenants report from threads of their own
            self.stdout.write(json.dumps(message))
            self.stdout.flush()

    def _migrate(self) -> None:
        connection = connections[DEFAULT_DB_ALIAS]
        with as_table_owner(connection) as role:
            loaded = schema_snapshot_load(connection)
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if not plan and not loaded:
                # What the last migrate ended with; cheap, and whole even if that run was cut short.
                app_role_grant(connection, role)
                applied = len(executor.loader.applied_migrations)
                self._emit(progress=f"All {applied} migrations are applied already: nothing to migrate.")
                return
        total = loaded + len(plan)
        if loaded:
            self._emit(progress=f"migrations {loaded}/{total}: created from the schema snapshot.")
        if plan:
            self._emit(progress=f"Applying {len(plan)} migrations ...")
        # Also after the snapshot alone: migrate grants the application role its access and
        # creates what Django keeps about the models (content types).
        migrate = ProgressMigrate(self._emit, done=loaded, total=total)
        call_command(migrate, interactive=False, verbosity=0)


class ProgressMigrate(MigrateCommand):
    """``migrate`` (as the table owner) that reports ``migrations n/N`` as it applies them."""

    def __init__(self, emit, *, done: int, total: int):
        super().__init__()
        self._emit, self._done, self._total = emit, done, total
        self._last_report = time.monotonic()

    def migration_progress_callback(self, action, migration=None, fake=False):
        if action != "apply_success":
            return
        self._done += 1
        now = time.monotonic()
        if self._done >= self._total or now - self._last_report >= PROGRESS_EVERY:
            self._last_report = now
            self._emit(
                progress=f"migrations {self._done}/{self._total} ({migration.app_label}.{migration.name})"
            )
