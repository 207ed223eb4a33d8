"""Marking a tenant for rescoring: one Redis key per tenant, however many changes arrived.

Whatever changes a score — new signals, a commitment activated, changed or ended — calls
:func:`scoring_mark_dirty` after commit; ``metrics.tasks.scores_dispatch`` (beat, every few
seconds) turns each marked tenant into one recompute. It lives here, at the bottom of the app
layers, so that every app can mark without importing the scoring app.
"""

from __future__ import annotations

import redis
from django.conf import settings
from django.utils import timezone

_redis: redis.Redis | None = None


def dirty_key(tenant_id: int) -> str:
    return f"{settings.CXGOV_REDIS_PREFIX}:dirty:{tenant_id}"


def scoring_mark_dirty(tenant_id: int) -> None:
    """Set ``<prefix>:dirty:<tenant_id>`` to the time of marking. Call after commit."""
    global _redis
    if _redis is None:
        _redis = redis.Redis.from_url(settings.REDIS_URL)
    _redis.set(dirty_key(tenant_id), timezone.now().isoformat())
