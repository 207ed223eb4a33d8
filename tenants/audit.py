"""Security events and ingest entries in the audit trail.

Data changes are recorded by the database trigger, row by row — except inserts of signals
(append-only evidence), which are recorded once per write by :func:`ingest_event_record`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog

from tenants.context import Actor, current_actor, current_request_id, current_tenant_id
from tenants.models import ApiKey, AuditEvent, Membership

logger = structlog.get_logger("cxgov.security")

SECURITY_ACTIONS = {
    "login.succeeded": "Signed in",
    "login.failed": "Sign-in failed",
    "login.throttled": "Sign-in blocked after too many attempts",
    "mfa.enrolled": "Two-factor authentication enrolled",
    "mfa.removed": "Two-factor authentication removed",
    "permission.denied": "Permission denied",
    "member.invited": "Member invited",
    "member.joined": "Invitation accepted",
    "member.role_changed": "Role changed",
    "member.deactivated": "Member deactivated",
    "member.reactivated": "Member reactivated",
    "api_key.created": "API key created",
    "api_key.revoked": "API key revoked",
    "api_key.used_after_revocation": "Revoked API key used",
    "api_key.used_after_expiry": "Expired API key used",
    "tenant.settings_changed": "Tenant settings changed",
}


# Data entries: the trigger's, row by row, and one per write of signals.
DATA_ACTIONS = {
    "insert": "Created",
    "update": "Changed",
    "delete": "Deleted",
    "ingest": "Signals received (one entry per request, import chunk or story)",
}
INGEST_ACTION = "ingest"


def actor_of(source: ApiKey | Membership | Actor) -> Actor:
    """The audit trail's actor for a write sent by ``source`` (the context's, when it is the same).

    An :class:`Actor` is taken as it is (a sender that is neither a member nor a key, e.g. the
    public page of a hosted survey)."""
    if isinstance(source, Actor):
        return source
    kind = "api_key" if isinstance(source, ApiKey) else "member"
    actor = current_actor()
    if actor is not None and actor.kind == kind and actor.id == source.pk:
        return actor
    if kind == "api_key":
        return Actor(kind=kind, id=source.pk, label=source.name)
    return Actor(kind=kind, id=source.pk, label=source.user.email)


def ingest_event_record(
    *, model: str, ids: Sequence[int], source: ApiKey | Membership | Actor, detail: dict[str, Any]
) -> None:
    """One audit entry for a write of append-only rows (signals), in the caller's transaction.

    Who (the API key or the member), which model, how many rows and the first and last id;
    ``detail`` adds what the caller knows (the kind, the channel, the Idempotency-Key, the
    import). The ids of one write are drawn together but need not be consecutive: other writes
    of the same moment draw from the same sequence. Nothing is recorded for an empty write.
    """
    if not ids:
        return
    actor = actor_of(source)
    first, last = min(ids), max(ids)
    AuditEvent.objects.create(
        category=AuditEvent.Category.DATA,
        action=INGEST_ACTION,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        model=model,
        object_id=str(first) if first == last else f"{first}–{last}",
        request_id=current_request_id(),
        detail={"count": len(ids), "first_id": first, "last_id": last, **detail},
    )


def security_event_record(
    *, action: str, detail: dict[str, Any] | None = None, actor: Actor | None = None
) -> None:
    """Append a security event to the active tenant's audit trail (and the log).

    Without an active tenant (e.g. on the platform domain) the event is only logged.
    """
    if action not in SECURITY_ACTIONS:
        raise LookupError(f"Unknown security action {action!r}: add it to tenants.audit.SECURITY_ACTIONS")
    actor = actor or current_actor() or Actor(kind="anonymous")
    logger.info(
        "security event", action=action, actor_kind=actor.kind, actor_id=actor.id, detail=detail or {}
    )
    if current_tenant_id() is None:
        return
    AuditEvent.objects.create(
        category=AuditEvent.Category.SECURITY,
        action=action,
        actor_kind=actor.kind,
        actor_id=actor.id,
        actor_label=actor.label,
        request_id=current_request_id(),
        detail=detail or {},
    )
