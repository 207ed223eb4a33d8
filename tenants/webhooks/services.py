"""Signed outbound webhooks: endpoints, and events delivered to them at least once.

- :func:`webhook_event_enqueue` stores one delivery per active endpoint that asked for the
  event, in the caller's transaction (a rolled-back decision sends nothing), and asks for
  delivery after commit. Callers in any app describe the event (its type, data and the page
  it concerns); this module knows nothing of escalations or breaches.
- :func:`webhook_deliver` sends the tenant's due deliveries, one transaction each: the row is
  claimed (``FOR UPDATE SKIP LOCKED``: two workers never hold the same delivery), POSTed with
  the Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``)
  and marked. A worker killed mid-send leaves the row pending and it is sent again: receivers
  drop repeats by ``webhook-id``, which stays the same across attempts.
- A response other than 2xx, a timeout or a refused target is retried with exponential backoff
  and jitter until :data:`GIVE_UP_AFTER` has passed since the event, then marked ``failed``.
- Before every send the target's host is resolved, and an address that is private, loopback,
  link-local or otherwise not public is refused (a name may point elsewhere than when it was
  saved); ``CXGOV_WEBHOOKS_ALLOW_LOOPBACK`` lets loopback through for development and tests.
"""

from __future__ import annotations

import base64
import http.client
import ipaddress
import json
import random
import secrets
import socket
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import structlog
from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models.functions import Now
from django.utils import timezone
from standardwebhooks import Webhook

from tenants.context import require_tenant_id, tenant_context
from tenants.delivery.services import Email, outbox_enqueue
from tenants.errors import DomainError
from tenants.models import Membership, Tenant
from tenants.sites import tenant_url
from tenants.validation import text_problem, webhook_url_problem
from tenants.webhooks.messages import chat_message
from tenants.webhooks.models import EVENTS, PING, WebhookDelivery, WebhookEndpoint

logger = structlog.get_logger("cxgov.webhooks")

DELIVER_TASK = "tenants.webhooks.tasks.webhook_deliver_task"
PAYLOAD_VERSION = 1
GIVE_UP_AFTER = timedelta(hours=24)
PREVIOUS_SECRET_VALID_FOR = timedelta(hours=24)
DISABLE_AFTER_FAILING_FOR = timedelta(days=3)
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 5.0
RESPONSE_READ_LIMIT = 4096
RESPONSE_EXCERPT_LIMIT = 1024
BATCH_SIZE = 100
USER_AGENT = "cxgov-webhooks/1"


# --- endpoints --------------------------------------------------------------------------------


def _new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _allow_loopback() -> bool:
    return bool(getattr(settings, "CXGOV_WEBHOOKS_ALLOW_LOOPBACK", False))


def _checked(*, url: str, description: str, events: list[str], kind: str) -> tuple[str, str, list[str]]:
    url, description = url.strip(), description.strip()
    if kind not in WebhookEndpoint.Kind.values:
        raise DomainError(
            f"Choose the kind of endpoint: one of {', '.join(WebhookEndpoint.Kind.values)}.", field="kind"
        )
    if problem := webhook_url_problem(url, allow_loopback=_allow_loopback(), kind=kind):
        raise DomainError(problem, field="url")
    if problem := text_problem("The description", description):
        raise DomainError(problem, field="description")
    if len(description) > 200:
        raise DomainError("The description is longer than 200 characters: shorten it.", field="description")
    unknown = sorted(set(events) - set(EVENTS))
    if unknown or not events:
        raise DomainError(
            f"Choose at least one event from: {', '.join(EVENTS)}"
            + (f" (unknown: {', '.join(unknown)})." if unknown else "."),
            field="events",
        )
    return url, description, sorted(set(events))


@dataclass(frozen=True)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # shown once, on creation


@transaction.atomic
def webhook_endpoint_create(
    *,
    tenant: Tenant,
    url: str,
    events: list[str],
    description: str = "",
    kind: str = WebhookEndpoint.Kind.STANDARD,
) -> CreatedEndpoint:
    """Register an endpoint with a new signing secret (``whsec_`` + base64 of 32 random bytes).
    A ``slack`` or ``teams`` endpoint gets readable messages, unsigned (their incoming-webhook
    URL is the credential); it keeps a secret all the same, should it become a standard one."""
    url, description, events = _checked(url=url, description=description, events=events, kind=kind)
    with tenant_context(tenant):
        endpoint = WebhookEndpoint(
            url=url, description=description, events=events, kind=kind, secret=_new_secret()
        )
        endpoint.full_clean(exclude=["tenant"])
        endpoint.save()
    return CreatedEndpoint(endpoint=endpoint, secret=endpoint.secret)


@transaction.atomic
def webhook_endpoint_update(
    *,
    tenant: Tenant,
    endpoint: WebhookEndpoint,
    url: str,
    events: list[str],
    description: str,
    active: bool,
    kind: str | None = None,
) -> WebhookEndpoint:
    """Change ``endpoint``; ``kind`` None keeps its kind."""
    kind = endpoint.kind if kind is None else kind
    url, description, events = _checked(url=url, description=description, events=events, kind=kind)
    with tenant_context(tenant):
        endpoint.url, endpoint.description, endpoint.events, endpoint.kind = url, description, events, kind
        if active and not endpoint.active:
            endpoint.disabled_reason, endpoint.failing_since = "", None
        elif not active and endpoint.active:
            endpoint.disabled_reason = "Turned off by an admin."
        endpoint.active = active
        endpoint.save(
            update_fields=[
                "url",
                "description",
                "events",
                "kind",
                "active",
                "disabled_reason",
                "failing_since",
            ]
        )
    return endpoint


@transaction.atomic
def webhook_endpoint_rotate_secret(*, tenant: Tenant, endpoint: WebhookEndpoint) -> CreatedEndpoint:
    """Give ``endpoint`` a new secret (returned, to be shown once). For
    :data:`PREVIOUS_SECRET_VALID_FOR` every delivery is signed with both, so the receiver
    can switch to the new one without dropping events."""
    with tenant_context(tenant):
        locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        locked.previous_secret = locked.secret
        locked.previous_secret_expires_at = timezone.now() + PREVIOUS_SECRET_VALID_FOR
        locked.secret = _new_secret()
        locked.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return CreatedEndpoint(endpoint=locked, secret=locked.secret)


def signing_secrets(endpoint: WebhookEndpoint) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the one it replaced
    while that is still valid."""
    secrets_now = [endpoint.secret]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret and expires is not None and expires > timezone.now():
        secrets_now.append(endpoint.previous_secret)
    return secrets_now


@transaction.atomic
def webhook_endpoint_delete(*, tenant: Tenant, endpoint: WebhookEndpoint) -> None:
    with tenant_context(tenant):
        endpoint.delete()


# --- events -----------------------------------------------------------------------------------


def webhook_payload(
    *, tenant: Tenant, event_type: str, data: dict[str, Any], path: str, summary: str = ""
) -> dict[str, Any]:
    """The versioned body every receiver gets: what happened (in data, and in one sentence), to
    which tenant, and where to look."""
    return {
        "type": event_type,
        "timestamp": timezone.now().isoformat(),
        "version": PAYLOAD_VERSION,
        "tenant": tenant.slug,
        "url": tenant_url(tenant, path),
        "summary": summary or f"{EVENTS.get(event_type, 'An event from cxgov')}.",
        "data": data,
    }


def _new_webhook_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def webhook_event_enqueue(
    *, tenant: Tenant, event_type: str, data: dict[str, Any], path: str, summary: str = ""
) -> int:
    """Store ``event_type`` for every active endpoint that asked for it, in the caller's
    transaction; delivery is asked for after commit. Returns how many deliveries were stored.

    ``summary`` says what happened in one sentence a person reads (Slack and Teams endpoints
    show it), e.g. "Escalation approved: “Refund never came” — Customer Service, by Mia Manager"."""
    if event_type not in EVENTS:
        raise ValueError(f"Unknown webhook event {event_type!r}.")
    with tenant_context(tenant):
        endpoints = [
            e
            for e in WebhookEndpoint.objects.filter(active=True).only("id", "events")
            if event_type in e.events
        ]
        if not endpoints:
            return 0
        payload = webhook_payload(tenant=tenant, event_type=event_type, data=data, path=path, summary=summary)
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    endpoint=e, event_type=event_type, payload=payload, webhook_id=_new_webhook_id()
                )
                for e in endpoints
            ]
        )
    transaction.on_commit(lambda: _deliver_soon(tenant.pk))
    return len(endpoints)


@transaction.atomic
def webhook_ping(*, tenant: Tenant, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue the test event ``ping`` for ``endpoint`` (whatever events it asked for)."""
    with tenant_context(tenant):
        payload = webhook_payload(
            tenant=tenant,
            event_type=PING,
            data={"message": "A test event sent from cxgov.", "endpoint": endpoint.pk},
            path=f"/admin/webhooks/{endpoint.pk}/",
            summary="A test event from cxgov: this endpoint receives its events.",
        )
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, event_type=PING, payload=payload, webhook_id=_new_webhook_id()
        )
    transaction.on_commit(lambda: _deliver_soon(tenant.pk))
    return delivery


@transaction.atomic
def webhook_redeliver(*, tenant: Tenant, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send ``delivery`` again as a new delivery with the same payload (and a new ``webhook-id``:
    a receiver that dropped the first as a repeat takes this one)."""
    with tenant_context(tenant):
        again = WebhookDelivery.objects.create(
            endpoint=delivery.endpoint,
            event_type=delivery.event_type,
            payload=delivery.payload,
            webhook_id=_new_webhook_id(),
        )
    transaction.on_commit(lambda: _deliver_soon(tenant.pk))
    return again


def _deliver_soon(tenant_id: int) -> None:
    # Sent by name: the task module imports this one, so importing it back would make a circle.
    current_app.send_task(DELIVER_TASK, args=[tenant_id])


# --- sending ----------------------------------------------------------------------------------


class TargetRefused(Exception):
    """The target cannot be sent to; the message says why, for the delivery log."""


def _resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to (a seam for tests)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def _target_address(host: str, port: int) -> str:
    """The address to connect to: every address ``host`` resolves to must be public (or
    loopback, when allowed), so a name cannot point the request into the private network."""
    try:
        addresses = _resolve(host, port)
    except OSError as error:
        raise TargetRefused(f"The host {host} could not be resolved ({error}).") from error
    if not addresses:
        raise TargetRefused(f"The host {host} resolves to no address.")
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if ip.is_loopback and _allow_loopback():
            continue
        if not ip.is_global or ip.is_multicast:
            raise TargetRefused(
                f"The host {host} resolves to {ip}, a private, loopback or link-local address: "
                "webhooks are only sent to public addresses."
            )
    return addresses[0]


@dataclass(frozen=True)
class _Outcome:
    ok: bool
    status_code: int | None
    duration_ms: int
    excerpt: str
    error: str


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """Connects to the address checked, while TLS verifies the certificate for the URL's host."""

    def __init__(self, host: str, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(self.sock, server_hostname=self.host)


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, address: str, **kwargs):
        super().__init__(host, **kwargs)
        self._address = address

    def connect(self):
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


def _post(endpoint_url: str, secrets_now: list[str], webhook_id: str, body: str, kind: str) -> _Outcome:
    """POST ``body``; signed (Standard Webhooks headers) unless ``secrets_now`` is empty."""
    started = time.monotonic()

    def elapsed() -> int:
        return int((time.monotonic() - started) * 1000)

    parts = urlsplit(endpoint_url)
    if problem := webhook_url_problem(endpoint_url, allow_loopback=_allow_loopback(), kind=kind):
        return _Outcome(False, None, 0, "", f"The URL is no longer allowed. {problem}"[:500])
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        address = _target_address(parts.hostname, port)
    except TargetRefused as refused:
        return _Outcome(False, None, elapsed(), "", str(refused))
    now = timezone.now()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if secrets_now:
        headers |= {
            "webhook-id": webhook_id,
            "webhook-timestamp": str(int(now.timestamp())),
            # Space-separated signatures, one per valid secret (Standard Webhooks): a receiver
            # holding either secret accepts the request.
            "webhook-signature": " ".join(
                Webhook(secret).sign(webhook_id, now, body) for secret in secrets_now
            ),
        }
    connection_class = _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    connection = connection_class(parts.hostname, address, port=port, timeout=CONNECT_TIMEOUT)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.connect()
        connection.sock.settimeout(READ_TIMEOUT)
        connection.request("POST", path, body=body.encode(), headers=headers)
        response = connection.getresponse()
        raw = response.read(RESPONSE_READ_LIMIT)
    except (OSError, http.client.HTTPException) as error:
        return _Outcome(False, None, elapsed(), "", f"{type(error).__name__}: {error}"[:500])
    finally:
        connection.close()
    excerpt = raw.decode("utf-8", errors="replace")[:RESPONSE_EXCERPT_LIMIT]
    ok = 200 <= response.status < 300
    return _Outcome(
        ok, response.status, elapsed(), excerpt, "" if ok else f"The endpoint answered {response.status}."
    )


def _backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min … at most 6 hours, each with up to 20 % jitter so retries of many
    deliveries do not arrive together."""
    base = min(30 * 2 ** (attempts - 1), 6 * 3600)
    return timedelta(seconds=base * (1 + random.uniform(0, 0.2)))


def webhook_deliver(*, limit: int = BATCH_SIZE) -> dict[str, int]:
    """Send up to ``limit`` of the active tenant's due deliveries, one transaction each.

    Returns ``{"sent": …, "failed": …}`` (``failed`` counts unsuccessful attempts, retried
    later or given up)."""
    require_tenant_id()
    sent = failed = 0
    for _ in range(limit):
        with transaction.atomic():
            delivery = (
                WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("endpoint")
                .filter(status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=Now())
                .order_by("id")
                .first()
            )
            if delivery is None:
                break
            if _attempt(delivery):
                sent += 1
            else:
                failed += 1
    return {"sent": sent, "failed": failed}


def _attempt(delivery: WebhookDelivery) -> bool:
    endpoint = delivery.endpoint
    delivery.attempts += 1
    if not endpoint.active:
        outcome = _Outcome(False, None, 0, "", "The endpoint is turned off.")
    else:
        if endpoint.kind == WebhookEndpoint.Kind.STANDARD:
            body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False)
            secrets_now = signing_secrets(endpoint)
        else:
            # Slack and Teams take a message, not a signed event: their URL is the credential.
            body = json.dumps(chat_message(endpoint.kind, delivery.payload), ensure_ascii=False)
            secrets_now = []
        outcome = _post(endpoint.url, secrets_now, delivery.webhook_id, body, endpoint.kind)
    delivery.last_status_code = outcome.status_code
    delivery.duration_ms = outcome.duration_ms
    delivery.response_excerpt = outcome.excerpt
    delivery.last_error = outcome.error
    now = timezone.now()
    if outcome.ok:
        delivery.status, delivery.sent_at = WebhookDelivery.Status.SENT, now
    elif not endpoint.active or now - delivery.created_at >= GIVE_UP_AFTER:
        delivery.status = WebhookDelivery.Status.FAILED
    else:
        delivery.next_attempt_at = now + _backoff(delivery.attempts)
    if endpoint.active:
        _endpoint_health(endpoint, ok=outcome.ok, now=now)
    logger.info(
        "webhook attempt",
        delivery=delivery.pk,
        endpoint=endpoint.pk,
        status_code=outcome.status_code,
        ok=outcome.ok,
        error=outcome.error,
    )
    delivery.save(
        update_fields=[
            "attempts",
            "last_status_code",
            "duration_ms",
            "response_excerpt",
            "last_error",
            "status",
            "sent_at",
            "next_attempt_at",
        ]
    )
    return outcome.ok


def _endpoint_health(endpoint: WebhookEndpoint, *, ok: bool, now) -> None:
    """Track since when ``endpoint`` has been failing; after :data:`DISABLE_AFTER_FAILING_FOR`
    turn it off and tell the tenant's admins (once: the e-mail's key names the episode)."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint.pk)
    if ok:
        endpoints.filter(failing_since__isnull=False).update(failing_since=None)
        return
    if endpoint.failing_since is None:
        endpoints.filter(failing_since__isnull=True).update(failing_since=now)
        return
    if now - endpoint.failing_since < DISABLE_AFTER_FAILING_FOR:
        return
    since = timezone.localtime(endpoint.failing_since)
    reason = f"Turned off by cxgov: every delivery failed from {since:%Y-%m-%d %H:%M %Z} for 3 days."
    if not endpoints.filter(active=True).update(active=False, disabled_reason=reason):
        return  # another worker turned it off first
    endpoint.active, endpoint.disabled_reason = False, reason
    tenant = Tenant.objects.get(pk=require_tenant_id())
    link = tenant_url(tenant, f"/admin/webhooks/{endpoint.pk}/")
    admins = Membership.objects.filter(
        role=Membership.Role.ADMIN, is_active=True, user__is_active=True
    ).values_list("pk", "user__email")
    outbox_enqueue(
        kind="webhook",
        emails=[
            Email(
                dedupe_key=f"webhook:{endpoint.pk}:disabled:{endpoint.failing_since.isoformat()}:{member_id}",
                to=email,
                subject=f"Webhook endpoint turned off: {endpoint.url}",
                text=(
                    f"cxgov could not deliver events to {endpoint.url} for 3 days "
                    f"(since {since:%Y-%m-%d %H:%M %Z}), so it has turned the endpoint off.\n\n"
                    "The delivery log shows the answers it got. Once the receiving system works "
                    f"again, turn the endpoint on and send a test event:\n{link}\n"
                ),
            )
            for member_id, email in admins
        ],
    )
    logger.warning("webhook endpoint turned off", endpoint=endpoint.pk, failing_since=since.isoformat())
