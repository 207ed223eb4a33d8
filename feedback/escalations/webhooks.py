"""The escalation events sent to webhook endpoints (``tenants.webhooks``): what a receiver
needs to act, and the escalation's page to act on it in cxgov."""

from __future__ import annotations

from datetime import datetime
from textwrap import shorten
from typing import Any

from django.utils import timezone

from feedback.escalations.models import Escalation
from tenants.models import Tenant
from tenants.webhooks.services import webhook_event_enqueue

# The transition (the FSM method's name) → the event it sends.
TRANSITION_EVENTS = {
    "approve": "escalation.approved",
    "reject": "escalation.rejected",
    "start": "escalation.started",
    "resolve": "escalation.resolved",
}


# The event → how its sentence starts (Slack and Teams endpoints show it).
HEADLINES = {
    "escalation.proposed": "Escalation proposed",
    "escalation.approved": "Escalation approved",
    "escalation.rejected": "Escalation rejected",
    "escalation.started": "Work started on an escalation",
    "escalation.resolved": "Escalation resolved",
    "escalation.overdue": "Escalation overdue",
}


def escalation_summary(
    escalation: Escalation, event_type: str, actor: str = "", overdue: dict[str, Any] | None = None
) -> str:
    """E.g. "Escalation approved: “Refund never came” — Customer Service, by Mia Manager"."""
    sentence = f"{HEADLINES[event_type]}: “{shorten(escalation.title, 150)}” — {escalation.department.name}"
    if overdue is not None:
        due = timezone.localtime(datetime.fromisoformat(overdue["due_at"]))
        told = "its managers were reminded" if overdue["level"] == 1 else "the admins were told"
        return f"{sentence}: the {overdue['clock']} was due {due:%Y-%m-%d %H:%M %Z}, and {told} (level {overdue['level']})."
    if event_type == "escalation.resolved" and escalation.resolution:
        return f"{sentence}, by {actor}: {shorten(escalation.resolution, 200)}"
    return f"{sentence}, by {actor}" if actor else sentence


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def escalation_event_enqueue(
    *,
    tenant: Tenant,
    escalation: Escalation,
    event_type: str,
    actor: str = "",
    overdue: dict[str, Any] | None = None,
) -> int:
    """Queue ``event_type`` for ``escalation`` in the caller's transaction (inside the tenant).

    ``actor`` names who acted (a person, an API key, the system); ``overdue`` says which clock
    is late and at which level (``escalation.overdue`` only)."""
    data: dict[str, Any] = {
        "escalation": {
            "id": escalation.pk,
            "title": escalation.title,
            "severity": escalation.severity,
            "state": escalation.state,
            "department": {"id": escalation.department_id, "name": escalation.department.name},
            "promise_id": escalation.promise_id,
            "touchpoint_id": escalation.touchpoint_id,
            "breach_event_id": escalation.breach_event_id,
            "owner_id": escalation.owner_id,
            "proposed_at": _iso(escalation.proposed_at),
            "decision_due_at": _iso(escalation.decision_due_at),
            "decided_at": _iso(escalation.decided_at),
            "resolution_due_at": _iso(escalation.resolution_due_at),
            "resolved_at": _iso(escalation.resolved_at),
            "resolution": escalation.resolution,
        }
    }
    if actor:
        data["actor"] = actor
    if overdue is not None:
        data["overdue"] = overdue
    return webhook_event_enqueue(
        tenant=tenant,
        event_type=event_type,
        data=data,
        path=f"/escalations/{escalation.pk}/",
        summary=escalation_summary(escalation, event_type, actor, overdue),
    )
