"""Limits on what anonymous visitors can send to a survey's public page.

- A rate limit per survey and source address: at most ``CXGOV_SURVEY_ANSWERS`` answers in
  ``CXGOV_SURVEY_WINDOW_SECONDS``, counted in Redis (shared by every web process), one counter
  per window (``INCR`` and ``EXPIRE … NX`` in one round trip, as the API keys' rate limit does).
  A counter names the tenant and the survey, so one survey's visitors never use up another's.
- A honeypot field (:data:`HONEYPOT_FIELD`): hidden from people, filled in by form-filling
  robots. An answer that fills it is thanked like any other and stored nowhere.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from surveys.models import Survey

HONEYPOT_FIELD = "website"


def source_address(request: HttpRequest) -> str:
    """The visitor's address as the web server saw it (a proxy in front sets ``REMOTE_ADDR``)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _counter_key(survey: Survey, address: str) -> str:
    # The address is hashed: the cache holds no visitor's address in clear.
    digest = hashlib.sha256(address.encode()).hexdigest()[:32]
    return cache.make_and_validate_key(f"cxgov:survey-rate:{survey.tenant_id}:{survey.pk}:{digest}")


def answer_allowed(survey: Survey, address: str) -> bool:
    """Count one answer from ``address`` to ``survey``; False once the window's limit is passed."""
    limit = settings.CXGOV_SURVEY_ANSWERS
    window = settings.CXGOV_SURVEY_WINDOW_SECONDS
    key = _counter_key(survey, address)
    pipe = cache._cache.get_client(write=True).pipeline(transaction=True)
    pipe.incr(key)
    pipe.expire(key, window, nx=True)
    count, _ = pipe.execute()
    return count <= limit
