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

The same round trip can also read a **tenant document**: something a tenant's API requests
answer with and that changes only when a service says so (the current scores), kept in one
Redis hash per tenant (:func:`tenant_document_store`). The tenant is the one of the cached key
record, read on the server in the same script: never one the request names. Any change of the
tenant drops its documents with its keys; their owner drops or replaces them when they change.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache as once

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from tenants.context import tenant_context
from tenants.models import ApiKey, Tenant

API_KEY_CACHE_SECONDS = 60
# A document's owner replaces it when it changes; the expiry only bounds a rare race (a request
# that read a document before it was deleted and stored it after) and an idle tenant's memory.
TENANT_DOCUMENT_SECONDS = 300


def api_key_cache_key(secret_hash: str) -> str:
    return f"cxgov:api-key:{secret_hash}"


@dataclass
class RateCounter:
    """A rate-limit window counter to increment in the same round trip as the key's lookup:
    ``key`` (the cache's full key) and ``ttl`` in; ``count`` (after the increment) out."""

    key: str
    ttl: int
    count: int | None = None


@dataclass
class TenantDocument:
    """A tenant document to read in the same round trip as the key's lookup: ``name`` in;
    ``payload`` out, the document of the *cached key record's* tenant (``None``: no record, or
    no such document)."""

    name: str
    payload: bytes | None = None


_client = None


def _redis():
    """One Redis client for the process (the cache's connection pool): building a client per
    call, as the cache's own methods do, costs more than the round trip it makes."""
    global _client  # noqa: PLW0603 - a per-process handle, created on first use
    if _client is None:
        _client = cache._cache.get_client(write=True)
    return _client


# A key record is stored as ``<tenant id>:<pickled (tenant, key)>``, so that the script can name
# the record's tenant's documents without unpickling it. KEYS[1]: the record; KEYS[2] (optional):
# the rate counter. ARGV: the counter's expiry, the prefix of the tenants' document hashes, the
# document's name ('' for none). The documents' key is derived here, from the stored record
# alone (one Redis server: the script names a key it was not given, which Redis Cluster refuses).
_LOOKUP = """
local record = redis.call('GET', KEYS[1])
local count = false
if KEYS[2] then
  count = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[1], 'NX')
end
local document = false
if record and ARGV[3] ~= '' then
  local tenant = string.match(record, '^(%d+):')
  if tenant then document = redis.call('HGET', ARGV[2] .. tenant, ARGV[3]) end
end
return {record, count, document}
"""

# Store a document unless the stored one is newer: each starts with its rank (a fixed-width
# text, ordered as the documents are) and a newline. KEYS[1]: the tenant's hash; ARGV: name,
# rank, document, expiry.
_STORE = """
local stored = redis.call('HGET', KEYS[1], ARGV[1])
if stored then
  local rank = string.match(stored, '^([^\\n]*)\\n')
  if rank and rank > ARGV[2] then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '\\n' .. ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


@once
def _script(source: str):
    return _redis().register_script(source)


def _documents_prefix() -> str:
    return cache.make_and_validate_key("cxgov:tenant-documents:")


def tenant_documents_key(tenant_id: int) -> str:
    """The Redis hash of one tenant's documents."""
    return f"{_documents_prefix()}{int(tenant_id)}"


def api_key_cached(
    secret_hash: str, counter: RateCounter | None = None, document: TenantDocument | None = None
) -> tuple[Tenant, ApiKey] | None:
    """The cached tenant and key, in one round trip (one script) with: ``counter``, the key's
    window counter incremented (``INCR`` and ``EXPIRE … NX``), ``counter.count`` set;
    ``document``, the record's tenant's document of that name read into ``document.payload``."""
    keys = [cache.make_and_validate_key(api_key_cache_key(secret_hash))]
    if counter is not None:
        keys.append(counter.key)
    ttl = counter.ttl if counter is not None else 0
    name = document.name if document is not None else ""
    raw, count, payload = _script(_LOOKUP)(keys=keys, args=[ttl, _documents_prefix(), name])
    if counter is not None:
        counter.count = count
    record = _record_loads(raw)
    if document is not None:
        document.payload = payload if record is not None and _record_tenant_id(raw) == record[0].pk else None
    return record


def _record_tenant_id(raw: bytes) -> int | None:
    head, sep, _ = raw.partition(b":")
    return int(head) if sep and head.isdigit() else None


def _record_loads(raw: bytes | None) -> tuple[Tenant, ApiKey] | None:
    """The stored tenant and key; ``None`` for a record in another format (an older release's:
    the database answers, and stores it anew)."""
    if raw is None or _record_tenant_id(raw) is None:
        return None
    return cache._cache._serializer.loads(raw.partition(b":")[2])


def api_key_cache_store(secret_hash: str, tenant: Tenant, api_key: ApiKey) -> None:
    raw = f"{tenant.pk}:".encode() + cache._cache._serializer.dumps((tenant, api_key))
    _redis().set(cache.make_and_validate_key(api_key_cache_key(secret_hash)), raw, ex=API_KEY_CACHE_SECONDS)


def tenant_document_store(tenant_id: int, name: str, *, rank: str, payload: bytes) -> bool:
    """Keep ``payload`` as the tenant's document ``name`` unless the one kept ranks higher
    (``rank``: fixed-width text, greater is newer; a request filling the cache from what it
    read never replaces what a newer write stored). Whether it was stored."""
    if "\n" in rank:
        raise ValueError("A document's rank is one line.")
    stored = _script(_STORE)(
        keys=[tenant_documents_key(tenant_id)], args=[name, rank, payload, TENANT_DOCUMENT_SECONDS]
    )
    return bool(stored)


def tenant_document_payload(stored: bytes | None) -> bytes | None:
    """A document as stored (its rank line first) without the rank."""
    return None if stored is None else stored.partition(b"\n")[2]


def tenant_documents_forget(tenant_id: int, *names: str) -> None:
    """Drop the tenant's documents ``names`` (all of them without names), now and again after
    commit, like :func:`api_key_cache_forget`."""
    key = tenant_documents_key(tenant_id)

    def forget() -> None:
        if names:
            _redis().hdel(key, *names)
        else:
            _redis().delete(key)

    forget()
    transaction.on_commit(forget)


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
    """Drop every cached key and document of ``tenant``: its status or settings changed."""
    with tenant_context(tenant):
        api_key_cache_forget(*ApiKey.objects.values_list("secret_hash", flat=True))
    tenant_documents_forget(tenant.pk)


@receiver(post_save, sender=Tenant)
def _forget_tenant_keys(sender, instance: Tenant, created: bool, **kwargs) -> None:
    if not created:  # a new tenant has no keys
        api_key_cache_forget_tenant(instance)
