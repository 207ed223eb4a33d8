"""Writing stories from the web form (one at a time; partner batches go through :mod:`feedback.ingest.services`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction

from feedback.escalations.proposals import escalations_auto_from_stories
from feedback.sentiment import sentiment_score
from feedback.signals.models import source_of
from feedback.stories.models import Story, StoryPromise
from promises.models import Promise
from tenants.audit import ingest_event_record
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import ApiKey, Department, Membership, Tenant, Touchpoint
from tenants.rescoring import scoring_mark_dirty
from tenants.validation import (
    instant_problem,
)

# --- Stories from the web form ----------------------------------------------------------------


def story_create(
    *,
    tenant: Tenant,
    text: str,
    occurred_at: datetime,
    touchpoint: Touchpoint,
    source: Membership | ApiKey,
    channel: str = Story.Channel.WEB_FORM,
    promises: Sequence[Promise] = (),
    department: Department | None = None,
    segment: str = "",
    severity: str = Story.Severity.MEDIUM,
    external_id: str | None = None,
) -> Story:
    """Log one story; its sentiment is computed here (runs in ``tenant``'s context).

    A story with the ``external_id`` of one the same source already logged is not created
    again: the stored story is returned unchanged.
    """
    if problem := instant_problem("occurred_at", occurred_at):
        raise DomainError(problem, field="occurred_at")
    with tenant_context(tenant), transaction.atomic():
        source_kind, source_id = source_of(source)
        if external_id is not None:
            existing = Story.objects.filter(
                source_kind=source_kind, source_id=source_id, external_id=external_id
            ).first()
            if existing is not None:
                return existing
        story = Story(
            tenant=tenant,
            text=text.strip(),
            occurred_at=occurred_at,
            touchpoint=touchpoint,
            department=department,
            segment=segment.strip(),
            severity=severity,
            channel=channel,
            source_kind=source_kind,
            source_id=source_id,
            external_id=external_id,
            sentiment=sentiment_score(text),
        )
        story.full_clean()
        story.save()
        StoryPromise.objects.bulk_create(  # in promise order: see _insert_rows
            StoryPromise(tenant=tenant, story=story, promise=p)
            for _, p in sorted({p.pk: p for p in promises}.items())
        )
        escalations_auto_from_stories(tenant=tenant, story_ids=[story.pk])
        # Signals are audited once per write, not by the row trigger (docs/architecture.md).
        ingest_event_record(
            model=Story._meta.label,
            ids=[story.pk],
            source=source,
            detail={"kind": "stories", "channel": channel},
        )
        transaction.on_commit(lambda: scoring_mark_dirty(tenant.pk))
        return story
