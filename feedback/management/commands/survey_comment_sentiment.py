from django.core.management.base import BaseCommand, CommandError

from feedback.signals.sentiment import survey_comment_sentiment_backfill
from tenants.context import Actor, actor_context
from tenants.models import Tenant

# Who the audit trail names for every score this command stores.
BACKFILL_ACTOR = Actor(kind="system", label="manage.py survey_comment_sentiment")


class Command(BaseCommand):
    help = (
        "Score the sentiment of survey comments stored without one (comments stored before scores "
        "existed). Idempotent; audited; one tenant or every tenant."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only this tenant (slug); default: every tenant.")

    def handle(self, *args, tenant: str | None, **options):
        tenants = Tenant.objects.order_by("slug")
        if tenant:
            tenants = tenants.filter(slug=tenant)
            if not tenants.exists():
                raise CommandError(f"There is no tenant {tenant!r}; `manage.py tenant_list` shows them.")
        total = 0
        for found in tenants:
            with actor_context(BACKFILL_ACTOR, request_id="survey_comment_sentiment"):
                scored = survey_comment_sentiment_backfill(tenant=found)
            if scored:
                self.stdout.write(f"{found.slug}: {scored} comment{'s' if scored != 1 else ''} scored")
            total += scored
        self.stdout.write(f"{total} comment{'s' if total != 1 else ''} scored in all.")
