from django.core.management.base import BaseCommand

from tenants.demo import DEMO_TENANTS, demo_logins, seed_demo_tenant


class Command(BaseCommand):
    help = (
        "Create the demo tenants acme and globex with departments, touchpoints and one login per role "
        "(once: a demo tenant that exists is left as it is)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--base-url", default="http://{slug}.localhost:8000", help="Printed sign-in address."
        )

    def handle(self, *args, base_url: str, **options):
        for demo in DEMO_TENANTS:
            seed_demo_tenant(demo)
            for line in demo_logins(demo, base_url=base_url):
                self.stdout.write(line)
