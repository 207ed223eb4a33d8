"""CSV imports: an admin's upload and how far its processing got."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from tenants.keys import TenantForeignKey
from tenants.models import ApiKey, Membership, TenantModel


class SignalImport(TenantModel):
    """An admin's CSV upload of stories, survey responses or service events, and how its processing went.

    The file is kept as text; a Celery task (``feedback.tasks.signal_import_run``) feeds its
    rows to ``signals_ingest`` in chunks and fills the counts and the report as it goes. A row
    whose ``external_id`` the uploader's imports stored before is compared with the stored
    signal: the same values count as unchanged, other values update it (``updated_count``).
    ``processed_rows`` commits with each chunk's rows, so a run stopped anywhere resumes at
    the first row not stored; ``heartbeat_at`` tells the sweep whether anyone is still at it.
    """

    audit_noun = "CSV import"
    audit_name = ("file_name",)

    class Kind(models.TextChoices):
        STORIES = "stories", "Stories"
        SURVEY_RESPONSES = "survey_responses", "Survey responses"
        SERVICE_EVENTS = "service_events", "Service events"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    file_name = models.CharField(max_length=255, blank=True, default="")
    content = models.TextField(help_text="The uploaded CSV, as text.")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(
        default=0, help_text="Rows stored before (same external_id) whose values this import corrected."
    )
    unchanged_count = models.PositiveIntegerField(
        default=0, help_text="Rows stored before with the same values: skipped."
    )
    rejected_count = models.PositiveIntegerField(default=0)
    report = models.JSONField(
        default=list, blank=True, help_text='Rejected rows: [{"line": 3, "errors": {"score": ["…"]}}].'
    )
    error = models.TextField(blank=True, default="", help_text="Why the whole import failed, if it did.")
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = TenantForeignKey(
        ApiKey,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The API key that uploaded the file (its rows are that key's signals); "
        "empty when a member did.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(
        default=timezone.now,
        help_text="When a run last committed a chunk (or the import was queued, or re-queued by the sweep).",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="signal_import_created_idx"),
            # The sweep's question: which unfinished imports have gone quiet?
            models.Index(
                fields=["tenant", "heartbeat_at"],
                condition=Q(status__in=["queued", "running"]),
                name="signal_import_unfinished_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} import {self.pk} ({self.status})"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.total_rows:
            return 0
        return min(100, round(100 * self.processed_rows / self.total_rows))


# Named at module level for the API schema (cxgov.settings SPECTACULAR_SETTINGS enum names).
SignalImportKind = SignalImport.Kind
SignalImportStatus = SignalImport.Status
