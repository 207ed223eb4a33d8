from django.core.management.base import BaseCommand, CommandError

from metrics.demo import DEMO_YEARS, seed_demo_signals
from tenants.demo import demo_tenants_named


class Command(BaseCommand):
    help = (
        "Add a year of demo signals to the demo tenants acme and globex and take their score runs "
        "(after seed_demo and seed_demo_promises; does nothing for a tenant that has signals)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant", help=f"Slug of one demo tenant ({', '.join(DEMO_YEARS)}); default: each one there is."
        )

    def handle(self, *args, tenant: str | None, **options):
        try:
            for found in demo_tenants_named(tenant, DEMO_YEARS):
                if written := seed_demo_signals(found):
                    self.stdout.write(f"{found.name}: {written} demo signals and their scores")
                else:
                    self.stdout.write(f"{found.name} already has signals; nothing seeded")
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
