from django.core.management.base import BaseCommand, CommandError

from metrics.rollups import rollups_rebuild
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.rescoring import scoring_mark_dirty


class Command(BaseCommand):
    help = (
        "Recompute a tenant's signal rollups from its raw signals (after a restore or a manual data fix), "
        "then mark it for rescoring. Safe while ingest runs: it takes the tenant's rollup lock."
    )

    def add_arguments(self, parser):
        parser.add_argument("tenant", nargs="+", help="Slug(s) of the tenant(s) to rebuild.")

    def handle(self, *args, tenant: list[str], **options):
        for slug in tenant:
            found = Tenant.objects.filter(slug=slug).first()
            if found is None:
                raise CommandError(f"There is no tenant {slug!r}; `manage.py tenant_list` shows them.")
            with tenant_context(found):
                rollups_rebuild()
            scoring_mark_dirty(found.pk)
            self.stdout.write(f"{found.name}: rollups rebuilt from the raw signals; rescoring queued")
