"""Reads of the outbox for the people who look after a tenant."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet

from tenants.delivery.models import OutboxMessage


def outbox_failing(*, since: datetime) -> QuerySet[OutboxMessage]:
    """E-mails queued since ``since`` that failed for good or wait to retry after a failure,
    the newest first."""
    return OutboxMessage.objects.filter(
        Q(status=OutboxMessage.Status.FAILED) | Q(status=OutboxMessage.Status.PENDING, attempts__gt=0),
        created_at__gte=since,
    ).order_by("-created_at", "-id")
