import secrets

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenants.errors import DomainError
from tenants.models import Membership, User
from tenants.services import member_add, tenant_create


class Command(BaseCommand):
    help = "Create a tenant and its first admin. Prints the admin's one-time password."

    def add_arguments(self, parser):
        parser.add_argument(
            "slug", help="Subdomain of the tenant: lowercase letters, digits and hyphens, e.g. acme."
        )
        parser.add_argument("--name", required=True, help="Display name, e.g. 'Acme Retail'.")
        parser.add_argument(
            "--admin-email", required=True, help="E-mail address of the tenant's first admin."
        )
        parser.add_argument(
            "--time-zone", default="UTC", help="IANA time zone, e.g. Europe/Berlin (default UTC)."
        )

    def handle(self, *args, slug: str, name: str, admin_email: str, time_zone: str, **options):
        password = secrets.token_urlsafe(12)
        existing_user = User.objects.filter(email__iexact=admin_email).exists()
        try:
            with transaction.atomic():
                tenant = tenant_create(slug=slug, name=name, time_zone=time_zone)
                member_add(tenant=tenant, email=admin_email, role=Membership.Role.ADMIN, password=password)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            messages = [f"{field}: {' '.join(errors)}" for field, errors in exc.message_dict.items()]
            raise CommandError("; ".join(messages)) from exc
        self.stdout.write(self.style.SUCCESS(f"Created tenant {tenant.slug} ({tenant.name})."))
        if existing_user:
            self.stdout.write(f"Admin {admin_email.lower()} already has a login and keeps their password.")
        else:
            self.stdout.write(
                f"Admin {admin_email.lower()} — password (change it after signing in): {password}"
            )
