"""The escalation workflow: settings, transitions, comments, and the clock that scans for overdue ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_fsm import can_proceed

from feedback.escalations.mail import department_managers, escalation_mail, member_address, tenant_admins
from feedback.escalations.models import (
    Escalation,
    EscalationEntry,
    EscalationSettings,
    EscalationSeverity,
    EscalationState,
)
from feedback.escalations.webhooks import TRANSITION_EVENTS, escalation_event_enqueue
from feedback.signals.models import STORY_TEXT_MAX
from tenants.calendars.selectors import clock_deadline, clock_reminder_at
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import ApiKey, Membership, Tenant
from tenants.permissions import can
from tenants.text import SYSTEM_ACTOR, shorten

# --- Escalations ------------------------------------------------------------------------------
#
#   proposed ──approve──▶ approved ──start──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
#       └──reject (reason)──▶ rejected            resolved ──reopen (reason)──▶ in_progress
#
# Every transition locks the row (SELECT … FOR UPDATE), checks the state and then who acts
# (tenants.permissions), writes a timeline entry and enqueues its e-mails in the outbox, all in
# one transaction: of two managers approving at once, the second finds it approved already.


_VERBS = {
    "approve": "approved",
    "reject": "rejected",
    "start": "moved to in progress",
    "resolve": "resolved",
    "reopen": "reopened",
    "close": "closed",
}
_TRANSITION_ACTIONS = {
    "approve": "escalation.decide",
    "reject": "escalation.decide",
    "start": "escalation.work",
    "resolve": "escalation.work",
    "reopen": "escalation.close",
    "close": "escalation.close",
}
AUTO_BREACH_KINDS = {
    "commitment_not_met": EscalationSeverity.HIGH,
    "hidden_breach": EscalationSeverity.MEDIUM,
}


class EscalationRefused(DomainError):
    """The actor may not do this to this escalation (mapped to 403); ``code`` says why."""

    def __init__(self, message: str, *, code: str = "forbidden"):
        super().__init__(message, code=code)


class EscalationStateConflict(DomainError):
    """The escalation is not in a state that allows the transition (mapped to 409)."""

    def __init__(self, message: str):
        super().__init__(message, code="invalid_transition")


Actorish = Membership | ApiKey | None


def escalation_settings_get(*, tenant: Tenant) -> EscalationSettings:
    """The tenant's escalation settings; the defaults (unsaved) when an admin never changed them."""
    with tenant_context(tenant):
        return EscalationSettings.objects.first() or EscalationSettings(tenant=tenant)


def escalation_settings_update(*, tenant: Tenant, actor: Membership, **values: Any) -> EscalationSettings:
    """Change the tenant's escalation settings (admins; the view checks the action)."""
    with tenant_context(tenant), transaction.atomic():
        current = EscalationSettings.objects.select_for_update().first() or EscalationSettings(tenant=tenant)
        for name, value in values.items():
            setattr(current, name, value)
        current.full_clean()
        current.save()
        return current


def actor_parts(actor: Actorish) -> tuple[str, Membership | None, str]:
    if isinstance(actor, Membership):
        return Escalation.ProposerKind.MEMBER, actor, actor.user.get_full_name() or actor.user.email
    if isinstance(actor, ApiKey):
        return Escalation.ProposerKind.API_KEY, None, f"API key {actor.name}"
    return Escalation.ProposerKind.SYSTEM, None, SYSTEM_ACTOR


def add_entry(escalation: Escalation, actor: Actorish, kind: str, **fields: Any) -> EscalationEntry:
    actor_kind, member, label = actor_parts(actor)
    return EscalationEntry.objects.create(
        escalation=escalation, kind=kind, actor_kind=actor_kind, actor=member, actor_label=label, **fields
    )


def _refusal(action: str, actor: Actorish, escalation: Escalation) -> str:
    if isinstance(actor, ApiKey):
        if action == "escalation.decide":
            return "Approval is for people: an API key can never approve or reject an escalation."
        return "This API key lacks the scope escalations:write."
    if actor is None:
        return "No one is acting."
    if action == "escalation.decide":
        if escalation.proposed_by_id == actor.pk:
            return (
                f"You proposed this escalation: another manager of {escalation.department.name} "
                "or an admin must decide on it."
            )
        return f"Only a manager of {escalation.department.name} or an admin can approve or reject this escalation."
    if action == "escalation.work":
        return f"Only the owner, a manager of {escalation.department.name} or an admin can work on this escalation."
    return (
        f"Only the proposer, the owner, a manager of {escalation.department.name} or an admin "
        "can close or reopen this escalation."
    )


def _transition(
    *,
    tenant: Tenant,
    escalation: Escalation,
    actor: Actorish,
    name: str,
    note: str = "",
    note_required: str = "",
    apply=None,
) -> Escalation:
    with tenant_context(tenant), transaction.atomic():
        locked = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("department", "proposed_by__user", "owner__user")
            .filter(pk=escalation.pk)
            .first()
        )
        if locked is None:
            raise EscalationRefused("No such escalation.", code="not_found")
        method = getattr(locked, name)
        if not can_proceed(method):
            allowed = [t.name for t in locked.get_available_state_transitions()]
            then = f"; from here it can be: {', '.join(_VERBS[a] for a in allowed)}" if allowed else ""
            raise EscalationStateConflict(
                f"This escalation is {locked.get_state_display().lower()}, so it cannot be {_VERBS[name]}{then}."
            )
        if actor is None or not can(actor, _TRANSITION_ACTIONS[name], locked):
            raise EscalationRefused(_refusal(_TRANSITION_ACTIONS[name], actor, locked))
        note = (note or "").strip()
        if note_required and not note:
            raise DomainError(note_required, field="note")
        before = locked.state
        method()
        now = timezone.now()
        if apply is not None:
            apply(locked, now)
        locked.full_clean()
        locked.save()
        add_entry(
            locked,
            actor,
            EscalationEntry.Kind.TRANSITION,
            from_state=before,
            to_state=locked.state,
            note=note,
        )
        if name in TRANSITION_EVENTS:
            escalation_event_enqueue(
                tenant=tenant,
                escalation=locked,
                event_type=TRANSITION_EVENTS[name],
                actor=actor_parts(actor)[2],
            )
        escalation.__dict__.update(locked.__dict__)
        return locked


def escalation_approve(
    *,
    tenant: Tenant,
    escalation: Escalation,
    actor: Membership,
    owner: Membership | None = None,
    note: str = "",
) -> Escalation:
    """Approve a proposed escalation and assign its owner in the responsible department
    (default: the approving manager; an admin approving must name one if not in it).
    Starts the resolution clock. E-mails the proposer and the owner (outbox)."""

    def apply(e: Escalation, now) -> None:
        chosen = owner or actor
        if (
            chosen.role != Membership.Role.ADMIN
            and not chosen.departments.filter(pk=e.department_id).exists()
        ):
            raise DomainError(
                f"The owner must be a member of {e.department.name}; choose someone in that department.",
                field="owner",
            )
        if not chosen.is_active:
            raise DomainError("The owner must be an active member.", field="owner")
        clocks = escalation_settings_get(tenant=tenant)
        e.owner, e.decided_at = chosen, now
        e.resolution_due_at = clock_deadline(
            tenant=tenant,
            department=e.department_id,
            start=now,
            duration=timedelta(hours=clocks.resolution_hours(e.severity)),
        )
        e.reminder_at = clock_reminder_at(
            tenant=tenant, department=e.department_id, start=now, due=e.resolution_due_at
        )
        e.overdue_level = 0  # a new clock starts

    with transaction.atomic():  # the approval and its e-mails commit together
        approved = _transition(
            tenant=tenant, escalation=escalation, actor=actor, name="approve", note=note, apply=apply
        )
        with tenant_context(tenant), transaction.atomic():
            entry = add_entry(
                approved,
                actor,
                EscalationEntry.Kind.ASSIGNED,
                note=f"Owner: {approved.owner.user.get_full_name() or approved.owner.user.email}",
            )
            escalation_mail(
                tenant,
                approved,
                key="approved",
                to=member_address(approved.proposed_by),
                subject=f"Your escalation was approved: {shorten(approved.title, 120)}",
                text=f"Approved by {actor_parts(actor)[2]}." + (f"\nNote: {note}" if note else ""),
            )
            escalation_mail(
                tenant,
                approved,
                key=f"assigned:{entry.pk}",
                to=member_address(approved.owner),
                subject=f"You own an escalation: {shorten(approved.title, 120)}",
                text="You were assigned this escalation; resolve it by "
                f"{timezone.localtime(approved.resolution_due_at):%Y-%m-%d %H:%M %Z}.",
            )
    return approved


def escalation_reject(
    *, tenant: Tenant, escalation: Escalation, actor: Membership, reason: str
) -> Escalation:
    """Reject a proposed escalation with a reason (required). E-mails the proposer."""

    def apply(e: Escalation, now) -> None:
        e.decided_at = now

    with transaction.atomic():
        rejected = _transition(
            tenant=tenant,
            escalation=escalation,
            actor=actor,
            name="reject",
            note=reason,
            note_required="Say why it is rejected: the proposer reads the reason.",
            apply=apply,
        )
        with tenant_context(tenant):
            escalation_mail(
                tenant,
                rejected,
                key="rejected",
                to=member_address(rejected.proposed_by),
                subject=f"Your escalation was rejected: {shorten(rejected.title, 120)}",
                text=f"Rejected by {actor_parts(actor)[2]}.\nReason: {reason.strip()}",
            )
    return rejected


def escalation_start(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey, note: str = ""
) -> Escalation:
    """Move an approved escalation to in progress (the owner, a department manager, an admin)."""
    return _transition(tenant=tenant, escalation=escalation, actor=actor, name="start", note=note)


def escalation_resolve(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey, resolution: str
) -> Escalation:
    """Resolve with a resolution note (required); it closes by itself after the tenant's
    ``auto_close_days`` unless reopened."""

    def apply(e: Escalation, now) -> None:
        e.resolved_at, e.resolution = now, resolution.strip()

    return _transition(
        tenant=tenant,
        escalation=escalation,
        actor=actor,
        name="resolve",
        note=resolution,
        note_required="Describe the resolution: what was done about it.",
        apply=apply,
    )


def escalation_reopen(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey, reason: str
) -> Escalation:
    """Reopen a resolved escalation (back to in progress) with a reason (required)."""

    def apply(e: Escalation, now) -> None:
        e.resolved_at = None

    return _transition(
        tenant=tenant,
        escalation=escalation,
        actor=actor,
        name="reopen",
        note=reason,
        note_required="Say why it is reopened.",
        apply=apply,
    )


def escalation_close(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey | None, note: str = ""
) -> Escalation:
    """Close a resolved escalation (the proposer, the owner, a department manager, an admin)."""

    def apply(e: Escalation, now) -> None:
        e.closed_at = now

    return _transition(
        tenant=tenant, escalation=escalation, actor=actor, name="close", note=note, apply=apply
    )


def escalation_comment(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey, text: str
) -> EscalationEntry:
    """Add a comment to the timeline (the caller checked that ``actor`` may see the escalation)."""
    text = (text or "").strip()
    if not text:
        raise DomainError("Write the comment first.", field="text")
    if len(text) > STORY_TEXT_MAX:
        raise DomainError(f"Keep the comment to at most {STORY_TEXT_MAX} characters.", field="text")
    with tenant_context(tenant), transaction.atomic():
        if not can(actor, "escalation.comment"):
            raise EscalationRefused("You may not comment on escalations.")
        return add_entry(escalation, actor, EscalationEntry.Kind.COMMENT, note=text)


def _system_close(escalation: Escalation) -> None:
    escalation.close()
    escalation.closed_at = timezone.now()
    escalation.save()
    add_entry(
        escalation,
        None,
        EscalationEntry.Kind.TRANSITION,
        from_state=EscalationState.RESOLVED,
        to_state=EscalationState.CLOSED,
        note="Closed automatically: resolved and not reopened.",
    )


def escalation_reminders_send(*, tenant: Tenant) -> int:
    """Send the reminders whose time has come (the clock's task runs it beside
    :func:`escalations_overdue_scan`); returns how many went out.

    A reminder goes out once the tenant's share of a clock has passed
    (``Tenant.clock_reminder_percent``, counted like the clock): to the department's managers
    for a decision, to the owner for a resolution. Each is sent once: the row is locked and its
    ``reminder_at`` emptied in the same transaction (and the e-mail's key names the clock and
    its due time). A clock that is already overdue or no longer runs gets none: the overdue
    notice, or the decision, replaces it."""
    with tenant_context(tenant), transaction.atomic():
        return _reminders_send(tenant, timezone.now())


def _reminders_send(tenant: Tenant, now) -> int:
    sent = 0
    due_now = (
        Escalation.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("department", "owner__user")
        .filter(reminder_at__lte=now)
        .order_by("id")
    )
    for escalation in due_now:
        due = escalation.due_at
        running = escalation.state in (
            EscalationState.PROPOSED,
            EscalationState.APPROVED,
            EscalationState.IN_PROGRESS,
        )
        if running and due is not None and due > now and escalation.overdue_level == 0:
            proposed = escalation.state == EscalationState.PROPOSED
            clock = "decision" if proposed else "resolution"
            to = (
                department_managers(escalation.department_id)
                if proposed
                else member_address(escalation.owner)
            )
            escalation_mail(
                tenant,
                escalation,
                key=f"reminder:{clock}:{due.isoformat()}",
                to=to,
                subject=f"Reminder: escalation {clock} due {timezone.localtime(due):%Y-%m-%d %H:%M %Z}: "
                f"{shorten(escalation.title, 100)}",
                text=f"The {clock} of this escalation is due {timezone.localtime(due):%Y-%m-%d %H:%M %Z}.",
            )
            sent += 1
        escalation.reminder_at = None
        escalation.save(update_fields=["reminder_at", "updated_at"])
    return sent


def escalations_overdue_scan(*, tenant: Tenant) -> dict[str, int]:
    """The clock (beat fans it out per tenant): escalate overdue ones up, close old resolved ones.

    Due times count business hours when the tenant says so (:mod:`tenants.calendars`), and so
    does the wait before level 2; the reminders before a due time are
    :func:`escalation_reminders_send`.

    Level 1 (the due time passed) reminds the department's managers; level 2 (the tenant's
    ``admin_after_hours`` later) tells the tenant admins. Each level happens once per clock
    (decision, then resolution) and is recorded on the escalation and its timeline; a second
    scan finds nothing to do. Rows another scan holds are skipped, not waited for.
    """
    counts = {"level_1": 0, "level_2": 0, "closed": 0}
    with tenant_context(tenant), transaction.atomic():
        now = timezone.now()
        clocks = escalation_settings_get(tenant=tenant)
        late = (
            Escalation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("department")
            .filter(overdue_level__lt=2)
            .filter(
                Q(state=EscalationState.PROPOSED, decision_due_at__lt=now)
                | Q(
                    state__in=[EscalationState.APPROVED, EscalationState.IN_PROGRESS],
                    resolution_due_at__lt=now,
                )
            )
            .order_by("id")
        )
        admins = None
        managers: dict[int, list[tuple[str, str]]] = {}  # per department, read once per scan
        calendars: dict = {}  # likewise
        for escalation in late:
            due = escalation.due_at
            admins_due = clock_deadline(
                tenant=tenant,
                department=escalation.department_id,
                start=due,
                duration=timedelta(hours=clocks.admin_after_hours),
                memo=calendars,
            )
            level = 2 if now >= admins_due else 1
            clock = "decision" if escalation.state == EscalationState.PROPOSED else "resolution"
            for reached in range(escalation.overdue_level + 1, level + 1):
                if reached == 1:
                    if escalation.department_id not in managers:
                        managers[escalation.department_id] = department_managers(escalation.department_id)
                    to = managers[escalation.department_id]
                    who = f"the managers of {escalation.department.name}"
                else:
                    admins = tenant_admins() if admins is None else admins
                    to, who = admins, "the tenant admins"
                escalation_mail(
                    tenant,
                    escalation,
                    key=f"overdue:{clock}:{reached}",
                    to=to,
                    subject=f"Overdue escalation (level {reached}): {shorten(escalation.title, 120)}",
                    text=f"The {clock} was due {timezone.localtime(due):%Y-%m-%d %H:%M %Z} and is overdue.",
                )
                add_entry(
                    escalation,
                    None,
                    EscalationEntry.Kind.OVERDUE,
                    level=reached,
                    note=f"The {clock} is overdue (due {due:%Y-%m-%d %H:%M} UTC): {who} were told.",
                )
                escalation_event_enqueue(
                    tenant=tenant,
                    escalation=escalation,
                    event_type="escalation.overdue",
                    overdue={"clock": clock, "level": reached, "due_at": due.isoformat()},
                )
                counts[f"level_{reached}"] += 1
            escalation.overdue_level, escalation.reminder_at = level, None
            escalation.save(update_fields=["overdue_level", "reminder_at", "updated_at"])
        stale = Escalation.objects.select_for_update(skip_locked=True).filter(
            state=EscalationState.RESOLVED, resolved_at__lte=now - timedelta(days=clocks.auto_close_days)
        )
        for escalation in stale.order_by("id"):
            _system_close(escalation)
            counts["closed"] += 1
    return counts
