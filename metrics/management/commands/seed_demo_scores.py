from django.core.management.base import BaseCommand, CommandError

from metrics.demo import seed_demo_signals
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Add a year of demo signals to the demo tenant acme and take its score runs "
        "(after seed_demo and seed_demo_promises; does nothing when the tenant has signals)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="acme", help="Slug of the demo tenant (default acme).")

    def handle(self, *args, tenant: str, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"There is no tenant {tenant!r}; run `manage.py seed_demo` first.")
        try:
            written = seed_demo_signals(found)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        if written:
            self.stdout.write(f"{found.name}: {written} demo signals and their scores")
        else:
            self.stdout.write(f"{found.name} already has signals; nothing seeded")
