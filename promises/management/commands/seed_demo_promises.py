from django.core.management.base import BaseCommand, CommandError

from promises.demo import demo_manager_emails, seed_demo_promises
from tenants.demo import DEMO_PASSWORD
from tenants.models import Tenant


class Command(BaseCommand):
    help = (
        "Add the demo promises, commitments and sign-offs to the demo tenant acme "
        "(after seed_demo; idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", default="acme", help="Slug of the demo tenant (default acme).")

    def handle(self, *args, tenant: str, **options):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"There is no tenant {tenant!r}; run `manage.py seed_demo` first.")
        try:
            promises = seed_demo_promises(found)
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
        by_status: dict[str, int] = {}
        for promise in promises:
            by_status[promise.get_status_display().lower()] = (
                by_status.get(promise.get_status_display().lower(), 0) + 1
            )
        summary = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
        self.stdout.write(f"{found.name}: {len(promises)} promises ({summary})")
        for email in demo_manager_emails(found):
            self.stdout.write(f"  manager   {email:<32} password: {DEMO_PASSWORD}")
