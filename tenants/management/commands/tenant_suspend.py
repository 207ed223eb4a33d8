from django.core.management.base import BaseCommand, CommandError

from tenants.models import Tenant
from tenants.services import tenant_set_status


class Command(BaseCommand):
    help = "Suspend a tenant (nobody can sign in, nothing is deleted); --reactivate lifts the suspension."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--reactivate", action="store_true", help="Make a suspended tenant active again.")

    def handle(self, *args, slug: str, reactivate: bool, **options):
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant has the slug {slug!r}; list them with: manage.py tenant_list")
        status = Tenant.Status.ACTIVE if reactivate else Tenant.Status.SUSPENDED
        if tenant.status == status:
            self.stdout.write(f"Tenant {slug} is already {status}; nothing changed.")
            return
        tenant_set_status(tenant=tenant, status=status)
        self.stdout.write(self.style.SUCCESS(f"Tenant {slug} is now {status}."))
