from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tenants.errors import DomainError
from tenants.models import ApiKey, Tenant
from tenants.services import api_key_create


class Command(BaseCommand):
    help = (
        "Issue an API key for a partner system of a tenant. Prints what was created, then the key "
        "alone on the last line: it is shown once and never stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, metavar="SLUG", help="The tenant's slug, e.g. acme.")
        parser.add_argument("--name", required=True, help="Which system uses the key, e.g. 'Survey tool'.")
        parser.add_argument(
            "--scopes",
            required=True,
            nargs="+",
            metavar="SCOPE",
            help=f"One or more of: {', '.join(ApiKey.Scope.values)}.",
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            metavar="N",
            help="The key stops working after N days (default: it does not expire).",
        )

    def handle(
        self, *args, tenant: str, name: str, scopes: list[str], expires_in_days: int | None, **options
    ):
        found = Tenant.objects.filter(slug=tenant).first()
        if found is None:
            raise CommandError(f"No tenant has the slug {tenant!r}; list them with: manage.py tenant_list")
        if expires_in_days is not None and expires_in_days < 1:
            raise CommandError(
                "--expires-in-days must be 1 or more; leave it out for a key that does not expire."
            )
        expires_at = timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None
        try:
            issued = api_key_create(tenant=found, name=name, scopes=scopes, expires_at=expires_at)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        key = issued.api_key
        expiry = f"expires {key.expires_at:%Y-%m-%d %H:%M} UTC" if key.expires_at else "does not expire"
        self.stdout.write(
            self.style.SUCCESS(
                f"Created API key {key.name!r} ({key.prefix}…) for {found.name} with scopes "
                f"{', '.join(key.scopes)}; it {expiry}. Store it now: it is shown only once."
            )
        )
        self.stdout.write(issued.secret)
