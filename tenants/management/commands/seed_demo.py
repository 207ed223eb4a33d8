from django.core.management.base import BaseCommand

from tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, demo_email, seed_demo_tenant


class Command(BaseCommand):
    help = "Create the demo tenants acme and globex with departments, touchpoints and one login per role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://{slug}.localhost:8000", help="Printed sign-in address."
        )

    def handle(self, *args, base_url: str, **options):
        for demo in DEMO_TENANTS:
            seed_demo_tenant(demo)
            self.stdout.write(f"{demo.name}: {base_url.format(slug=demo.slug)}")
            for role in demo.people:
                self.stdout.write(f"  {role:<9} {demo_email(demo.slug, role):<24} password: {DEMO_PASSWORD}")
