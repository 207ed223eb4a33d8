"""Reads of CSV imports."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from feedback.imports.models import SignalImport


def signal_imports_failed(*, since: datetime) -> QuerySet[SignalImport]:
    """Imports uploaded since ``since`` that failed as a whole, the newest first (without their
    file, which a list does not show)."""
    return (
        SignalImport.objects.filter(status=SignalImport.Status.FAILED, created_at__gte=since)
        .defer("content", "report")
        .order_by("-created_at", "-id")
    )


def signal_import_queryset() -> QuerySet[SignalImport]:
    """The tenant's imports with their counts and report of rejected rows (not their file)."""
    return SignalImport.objects.defer("content").order_by("-id")
