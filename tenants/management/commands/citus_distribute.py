"""``manage.py citus_distribute``: place every table on Citus as ``tenants.citus`` plans it.

Run on the coordinator, as the table owner, after ``migrate`` (and again after every
``migrate`` that creates tables: tables already placed are left as they are). On plain
PostgreSQL, without the ``citus`` extension, it refuses and changes nothing.

Each table is placed in a transaction of its own with two settings, local to it:
- ``citus.enable_unsafe_triggers = on``: Citus refuses to distribute a table with triggers
  otherwise. The audit and rollup triggers are row triggers whose every read and write carries
  the row's ``tenant_id``: on a shard they touch only the same tenant's colocated shards on the
  same node (docs/architecture.md);
- ``citus.enable_local_reference_table_foreign_keys = off``: making ``tenants_tenant`` a
  reference table would otherwise turn every local table referencing it (the tenant tables,
  before they are distributed) into a "Citus local table", which then cannot be distributed
  with Django's identity columns and row-level security.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import connections, transaction

from tenants.citus import DISTRIBUTED, LOCAL, REFERENCE, distribution_plan
from tenants.rls import as_table_owner

SETTINGS = (
    "SET LOCAL citus.enable_unsafe_triggers = on",
    "SET LOCAL citus.enable_local_reference_table_foreign_keys = off",
)
# pg_dist_partition: partmethod 'h' = hash-distributed; 'n' with repmodel 't' = reference
# table, 'n' with 's' = a Citus local table (what Citus makes of a local table that
# references a reference table, when the setting above is on).
PLACEMENT_SQL = """
    SELECT CASE WHEN partmethod = 'h' THEN 'distributed'
                WHEN repmodel = 't' THEN 'reference'
                ELSE 'citus local' END
    FROM pg_dist_partition WHERE logicalrelid = %s::regclass
"""


class Command(BaseCommand):
    help = (
        "Distribute every tenant table by tenant_id (colocated) and make the global tables they "
        "reference reference tables, on a Citus coordinator. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")
        parser.add_argument("--plan", action="store_true", help="print the plan and change nothing")

    def execute(self, *args, **options):
        if options.get("plan"):
            return super().execute(*args, **options)
        # Placing tables is DDL: the owner's, like migrate (tenants/management/commands/migrate.py).
        with as_table_owner(connections[options.get("database") or "default"]):
            return super().execute(*args, **options)

    def handle(self, *args, **options):
        plan = distribution_plan()
        if options["plan"]:
            for placement in plan:
                self.stdout.write(self._describe(placement))
            return
        connection = connections[options["database"]]
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'citus'")
            installed = cursor.fetchone()
        if installed is None:
            raise CommandError(
                f'Citus is not installed in database "{connection.settings_dict["NAME"]}": nothing was '
                "distributed. On plain PostgreSQL there is nothing to do; on a Citus coordinator, "
                "run CREATE EXTENSION citus (on every node, workers first) and add the workers "
                "(docs/scaling.md), then run this command again."
            )
        counts = {"placed": 0, "kept": 0}
        for placement in plan:
            if placement.kind == LOCAL:
                self.stdout.write(self._describe(placement))
                continue
            with transaction.atomic(using=options["database"]), connection.cursor() as cursor:
                for statement in SETTINGS:
                    cursor.execute(statement)
                cursor.execute(PLACEMENT_SQL, [placement.table])
                row = cursor.fetchone()
                current = row[0] if row else None
                if current == placement.kind:
                    counts["kept"] += 1
                    self.stdout.write(f"{placement.table}: already {current}")
                    continue
                if current is not None:
                    # A Citus local table (or a table placed otherwise by hand): back to a plain
                    # table first, keeping its rows.
                    cursor.execute("SELECT undistribute_table(%s)", [placement.table])
                if placement.kind == REFERENCE:
                    cursor.execute("SELECT create_reference_table(%s)", [placement.table])
                else:
                    colocate = (
                        "default" if placement.colocate_with == placement.table else placement.colocate_with
                    )
                    cursor.execute(
                        "SELECT create_distributed_table(%s, 'tenant_id', colocate_with => %s)",
                        [placement.table, colocate],
                    )
                counts["placed"] += 1
                self.stdout.write(self._describe(placement))
        self.stdout.write(
            self.style.SUCCESS(
                f"Citus {installed[0]}: {counts['placed']} tables placed, {counts['kept']} already in place."
            )
        )

    @staticmethod
    def _describe(placement) -> str:
        if placement.kind == DISTRIBUTED:
            return f"{placement.table}: distributed by tenant_id, colocated with {placement.colocate_with}"
        if placement.kind == REFERENCE:
            return f"{placement.table}: reference table ({placement.reason})"
        return f"{placement.table}: local ({placement.reason})"
