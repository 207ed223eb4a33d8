"""Scoring the sentiment of survey comments stored before comments were scored.

New comments are scored where they are stored (ingest, CSV imports, the hosted survey's
reason page); :func:`survey_comment_sentiment_backfill` catches up the older ones. Runs in the
tenant's context, so row-level security applies and the audit trigger records each change
under the actor of the caller (``manage.py survey_comment_sentiment``).
"""

from __future__ import annotations

from django.db import transaction

from feedback.sentiment import sentiment_score
from feedback.signals.models import SurveyResponse
from tenants.context import tenant_context
from tenants.models import Tenant

BACKFILL_BATCH = 500


def survey_comment_sentiment_backfill(*, tenant: Tenant, batch: int = BACKFILL_BATCH) -> int:
    """Score every comment of ``tenant`` that has none yet; the number of answers scored.

    Idempotent (only comments without a score are read) and safe to stop: each batch of
    ``batch`` answers is its own transaction. Two queries a batch.
    """
    scored = 0
    with tenant_context(tenant):
        while True:
            with transaction.atomic():
                rows = list(
                    SurveyResponse.objects.filter(comment_sentiment__isnull=True)
                    .exclude(comment="")
                    .order_by("id")
                    .only("id", "comment")[:batch]
                )
                if not rows:
                    return scored
                for row in rows:
                    row.comment_sentiment = sentiment_score(row.comment)
                SurveyResponse.objects.bulk_update(rows, ["comment_sentiment"])
                scored += len(rows)
