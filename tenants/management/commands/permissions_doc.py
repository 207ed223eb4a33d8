from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tenants.permissions import permissions_markdown

DOC = Path(settings.BASE_DIR) / "docs" / "permissions.md"


class Command(BaseCommand):
    help = "Write docs/permissions.md from the permission table (--check: fail if it is out of date)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Only compare; exit non-zero when it differs."
        )

    def handle(self, *args, check: bool, **options):
        text = permissions_markdown()
        if check:
            if not DOC.exists() or DOC.read_text() != text:
                raise CommandError("docs/permissions.md is out of date: run manage.py permissions_doc")
            self.stdout.write("docs/permissions.md is up to date.")
            return
        DOC.write_text(text)
        self.stdout.write(f"Wrote {DOC}")
