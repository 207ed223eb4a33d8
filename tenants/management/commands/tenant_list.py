from django.core.management.base import BaseCommand

from tenants.models import Tenant


class Command(BaseCommand):
    help = "List tenants with their status."

    def handle(self, *args, **options):
        tenants = Tenant.objects.order_by("slug")
        if not tenants:
            self.stdout.write(
                "No tenants yet. Create one with: manage.py tenant_create SLUG --name ... --admin-email ..."
            )
        for tenant in tenants:
            self.stdout.write(f"{tenant.slug:<24} {tenant.status:<10} {tenant.name}")
