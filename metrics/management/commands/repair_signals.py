from django.core.management.base import BaseCommand, CommandError

from feedback.signals.repair import signals_repair
from metrics.rollups import rollups_rebuild
from tenants.context import Actor, actor_context, tenant_context
from tenants.models import Tenant
from tenants.rescoring import scoring_mark_dirty

# Who the audit trail names for every change this command makes.
REPAIR_ACTOR = Actor(kind="system", label="manage.py repair_signals")


class Command(BaseCommand):
    help = (
        "Find signals stored before the input rules existed (a time before 2000-01-01 or after the row "
        "was received, a duration over ten years, a survey score off its scale) and, with --fix, move "
        "bad times to when the row was received, or with --delete, delete every such row. Without "
        "either it only reports. Changes are audited; rollups are rebuilt and the tenant rescored."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--fix", action="store_true", help="Repair what can be repaired (times).")
        action.add_argument("--delete", action="store_true", help="Delete every violating row.")
        parser.add_argument("--tenant", help="Only this tenant (slug); default: every tenant.")

    def handle(self, *args, fix: bool, delete: bool, tenant: str | None, **options):
        tenants = Tenant.objects.order_by("slug")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"There is no tenant {tenant!r}; `manage.py tenant_list` shows them.")
        total = unfixed = 0
        for found in tenants:
            with actor_context(REPAIR_ACTOR, request_id="repair_signals"):
                report = signals_repair(tenant=found, fix=fix, delete=delete)
                if report.fixed:
                    # Fixed times moved between days: the rollups count by day.
                    with tenant_context(found):
                        rollups_rebuild()
            if report.changed:
                scoring_mark_dirty(found.pk)
            for v in report.violations:
                total += 1
                remedy = "--fix or --delete" if v.fixable else "--delete only"
                if delete:
                    remedy = "deleted"
                elif fix and v.fixable:
                    remedy = "fixed: occurred_at = created_at"
                elif fix:
                    unfixed += 1
                self.stdout.write(f"{found.slug}: {v.model} {v.id}: {v.rule} ({remedy})")
        if not total:
            self.stdout.write(self.style.SUCCESS("No signal breaks an input rule."))
        elif not (fix or delete):
            self.stdout.write(
                f"{total} signal(s) break an input rule; nothing changed (use --fix or --delete)."
            )
        elif unfixed:
            self.stdout.write(
                self.style.WARNING(
                    f"{unfixed} signal(s) cannot be fixed, only deleted: run again with --delete."
                )
            )
        else:
            self.stdout.write(self.style.SUCCESS(f"{total} signal(s) repaired."))
