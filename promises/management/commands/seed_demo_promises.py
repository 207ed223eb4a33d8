from django.core.management.base import BaseCommand, CommandError

from promises.demo import DEMO_STORIES, demo_manager_emails, promise_summary, seed_demo_promises
from tenants.demo import DEMO_PASSWORD, demo_tenants_named


class Command(BaseCommand):
    help = (
        "Add the demo promises, commitments and sign-offs to the demo tenants acme and globex "
        "(after seed_demo; once: a tenant that has promises is left as it is)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--tenant",
            help=f"Slug of one demo tenant ({', '.join(DEMO_STORIES)}); default: each one there is.",
        )

    def handle(self, *args, tenant: str | None, **options):
        try:
            for found in demo_tenants_named(tenant, DEMO_STORIES):
                promises = seed_demo_promises(found)
                self.stdout.write(f"{found.name}: {promise_summary(promises)}")
                for email in demo_manager_emails(found):
                    self.stdout.write(f"  manager   {email:<32} password: {DEMO_PASSWORD}")
        except LookupError as exc:
            raise CommandError(str(exc)) from exc
