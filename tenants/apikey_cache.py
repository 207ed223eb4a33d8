"""API keys that authenticated recently, cached by the hash of the presented key.

Every API request resolves its key; without this, that is a read of the tenant and of the key
(each with its transaction's tenant settings) before the request has done anything. A key that
passed every check is kept in the cache (Redis, shared by every web process) for
:data:`API_KEY_CACHE_SECONDS` under the SHA-256 of the key, the value the database already
keeps (``ApiKey.secret_hash``). Any save or delete of the key, and any change of its tenant (a
revocation, a new expiry or scope, a suspension, new settings), drops the entry at once and
again when the transaction commits (the services that update a tenant without saving it call
:func:`api_key_cache_forget_tenant`), so the next request reads the database and is refused there. The expiry itself is
checked on every request, cached or not.

Only accepted keys are cached: a refusal always goes to the database (and to the audit trail).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.context import tenant_context
from tenants.models import ApiKey, Tenant

API_KEY_CACHE_SECONDS = 60


def api_key_cache_key(secret_hash: str) -> str:
    return f"cxgov:api-key:{secret_hash}"


@dataclass
class RateCounter:
    """A rate-limit window counter to increment in the same round trip as the key's lookup:
    ``key`` (the cache's full key) and ``ttl`` in; ``count`` (after the increment) out."""

    key: str
    ttl: int
    count: int | None = None


_client = None


def _redis():
    """One Redis client for the process (the cache's connection pool): building a client per
    call, as the cache's own methods do, costs more than the round trip it makes."""
    global _client  # noqa: PLW0603 - a per-process handle, created on first use
    if _client is None:
        _client = cache._cache.get_client(write=True)
    return _client


def api_key_cached(secret_hash: str, counter: RateCounter | None = None) -> tuple[Tenant, ApiKey] | None:
    """The cached tenant and key; with ``counter``, its window counter is incremented (``INCR``
    and ``EXPIRE … NX``) in the same round trip and ``counter.count`` set."""
    key = cache.make_and_validate_key(api_key_cache_key(secret_hash))
    pipe = _redis().pipeline(transaction=counter is not None)
    pipe.get(key)
    if counter is not None:
        pipe.incr(counter.key)
        pipe.expire(counter.key, counter.ttl, nx=True)
    raw, *counted = pipe.execute()
    if counter is not None:
        counter.count = counted[0]
    return None if raw is None else cache._cache._serializer.loads(raw)


def api_key_cache_store(secret_hash: str, tenant: Tenant, api_key: ApiKey) -> None:
    cache.set(api_key_cache_key(secret_hash), (tenant, api_key), API_KEY_CACHE_SECONDS)


def api_key_cache_forget(*secret_hashes: str) -> None:
    """Drop the entries now, and again after commit: a request that read the old row before
    the change committed may have cached it in between."""
    keys = [api_key_cache_key(h) for h in secret_hashes if h]
    if not keys:
        return
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))


@receiver(post_save, sender=ApiKey)
@receiver(post_delete, sender=ApiKey)
def _forget_key(sender, instance: ApiKey, **kwargs) -> None:
    api_key_cache_forget(instance.secret_hash)


def api_key_cache_forget_tenant(tenant: Tenant) -> None:
    """Drop every cached key of ``tenant``: its status or settings changed."""
    with tenant_context(tenant):
        api_key_cache_forget(*ApiKey.objects.values_list("secret_hash", flat=True))


@receiver(post_save, sender=Tenant)
def _forget_tenant_keys(sender, instance: Tenant, created: bool, **kwargs) -> None:
    if not created:  # a new tenant has no keys
        api_key_cache_forget_tenant(instance)
