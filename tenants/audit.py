"""Security events in the audit trail (data changes are recorded by the database trigger)."""

from __future__ import annotations

from typing import Any

import structlog

from tenants.context import Actor, current_actor, current_request_id, current_tenant_id
from tenants.models import AuditEvent

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
