"""Every write of action plans: plan an action, change it, remind its owner before and on its due date.

Rules (``docs/actions.md``):

- An action is about a promise, an escalation or a breach event (at least one); it takes the
  promise of the escalation or breach event when none is given, and the breach event's
  commitment when none is given. A commitment must be one of the action's promise.
- The owner is an active member who can work on actions (an employee, a manager or an admin).
- The department is one the owner belongs to; an admin who belongs to no department may own an
  action of any department.
- A new due date is today or later (in the tenant's time zone); an unchanged one may lie in the past.
- Managers plan and change actions of their own departments; admins any; the owner updates the
  status and notes of their own actions (``tenants.permissions``: ``action.plan``, ``action.update``).

Every write is recorded by the audit trigger of the table (``tenants.rls``).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, timedelta
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from feedback.escalations.models import Escalation
from metrics.actions.models import NOTES_MAX, OPEN_ACTION_STATUSES, TITLE_MAX, Action, ActionStatus
from metrics.models import BreachEvent
from promises.models import Commitment, Promise
from tenants.context import tenant_context
from tenants.delivery.services import Email, outbox_enqueue
from tenants.errors import DomainError
from tenants.models import ApiKey, Department, Membership, Tenant
from tenants.permissions import can
from tenants.sites import tenant_url
from tenants.text import shorten
from tenants.webhooks.services import webhook_event_enqueue

# Days before the due date when the owner is reminded the first time; the second reminder goes
# out on the due date itself.
REMIND_DAYS_BEFORE = 2
ACTION_MAIL_KIND = "action"
OWNER_ROLES = (Membership.Role.EMPLOYEE, Membership.Role.MANAGER, Membership.Role.ADMIN)
PLAN_FIELDS = frozenset({"title", "owner", "department", "due_on", "commitment", "status", "notes"})
PROGRESS_FIELDS = frozenset({"status", "notes"})

Actor = Membership | ApiKey


class ActionRefused(DomainError):
    """The actor may not do this to this action (the API answers 403)."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message, field=field, code="forbidden")


def tenant_today(tenant: Tenant) -> date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(tenant.time_zone))


def _check_title(title: str) -> str:
    title = (title or "").strip()
    if not title:
        raise DomainError("Give the action a title: one line saying what will be done.", field="title")
    if len(title) > TITLE_MAX:
        raise DomainError(f"The title is too long: use at most {TITLE_MAX} characters.", field="title")
    return title


def _check_notes(notes: str) -> str:
    notes = (notes or "").strip()
    if len(notes) > NOTES_MAX:
        raise DomainError(f"The notes are too long: use at most {NOTES_MAX} characters.", field="notes")
    return notes


def _check_due_on(tenant: Tenant, due_on: date | None) -> date:
    if due_on is None:
        raise DomainError("Give the action a due date (YYYY-MM-DD).", field="due_on")
    today = tenant_today(tenant)
    if due_on < today:
        raise DomainError(
            f"The due date {due_on:%Y-%m-%d} is in the past: choose today ({today:%Y-%m-%d}) or a later day.",
            field="due_on",
        )
    return due_on


def _check_owner_and_department(owner: Membership, department: Department) -> None:
    if owner is None:
        raise DomainError("Choose the owner: the member who will carry the action out.", field="owner")
    if not owner.is_active or not owner.user.is_active:
        raise DomainError(
            f"{owner.user.email} is no longer an active member: choose an active member as the owner.",
            field="owner",
        )
    if owner.role not in OWNER_ROLES:
        raise DomainError(
            f"{owner.user.email} is a viewer and cannot update actions: choose an employee, a manager "
            "or an admin as the owner.",
            field="owner",
        )
    if department is None:
        raise DomainError("Choose the department responsible for the action.", field="department")
    departments = set(owner.departments.values_list("pk", flat=True))
    if department.pk in departments:
        return
    if owner.role == Membership.Role.ADMIN and not departments:
        return
    raise DomainError(
        f"{owner.user.email} does not belong to {department.name}: choose one of the owner's departments "
        "or another owner.",
        field="department",
    )


def _check_commitment(commitment: Commitment | None, promise: Promise | None) -> None:
    if commitment is None:
        return
    if promise is None:
        raise DomainError(
            "A commitment belongs to a promise: this action is about no promise, so leave the commitment empty.",
            field="commitment",
        )
    if commitment.promise_id != promise.pk:
        raise DomainError(
            f"That commitment is not one of “{promise.title}”: choose one of the promise's commitments.",
            field="commitment",
        )


def _check_may_plan(actor: Actor, department: Department) -> None:
    # The permission conditions read the department of the action planned.
    if not can(actor, "action.plan", SimpleNamespace(department_id=department.pk, owner_id=None)):
        raise ActionRefused(
            f"Only an admin or a manager of {department.name} may plan or change its actions: choose one of "
            "your own departments.",
            field="department",
        )


def _status_change(action: Action, status: str) -> None:
    if status not in ActionStatus.values:
        raise DomainError(
            f"{status!r} is not a status; use one of: {', '.join(ActionStatus.values)}.", field="status"
        )
    if status == action.status:
        return
    action.status = status
    action.done_at = timezone.now() if status == ActionStatus.DONE else None


def _actor_label(actor: Actor) -> str:
    if isinstance(actor, ApiKey):
        return f"API key {actor.name}"
    return actor.user.get_full_name() or actor.user.email


def _event(tenant: Tenant, action: Action, event_type: str, actor: Actor) -> int:
    """Queue ``action.created`` or ``action.done`` for the webhook endpoints that asked for it,
    in the caller's transaction."""
    owner = action.owner.user.email
    headline = "Action planned" if event_type == "action.created" else "Action done"
    data = {
        "action": {
            "id": action.pk,
            "title": action.title,
            "status": action.status,
            "owner": owner,
            "department": {"id": action.department_id, "name": action.department.name},
            "due_on": action.due_on.isoformat(),
            "promise_id": action.promise_id,
            "escalation_id": action.escalation_id,
            "breach_event_id": action.breach_event_id,
            "commitment_id": action.commitment_id,
            "done_at": action.done_at.isoformat() if action.done_at else None,
        },
        "actor": _actor_label(actor),
    }
    return webhook_event_enqueue(
        tenant=tenant,
        event_type=event_type,
        data=data,
        path=f"/actions/{action.pk}/",
        summary=f"{headline}: “{shorten(action.title, 150)}” — {action.department.name}, owner {owner}, "
        f"due {action.due_on:%Y-%m-%d}, by {_actor_label(actor)}",
    )


def _save(action: Action) -> Action:
    try:
        action.full_clean()
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        raise DomainError(f"{field}: {' '.join(messages)}", field=field) from error
    action.save()
    return action


def action_create(
    *,
    tenant: Tenant,
    actor: Actor,
    title: str,
    owner: Membership,
    department: Department,
    due_on: date | None,
    promise: Promise | None = None,
    escalation: Escalation | None = None,
    breach_event: BreachEvent | None = None,
    commitment: Commitment | None = None,
    notes: str = "",
) -> Action:
    """Plan an action about a promise, an escalation or a breach event (at least one; see the
    module's rules). Atomic; runs in ``tenant``'s context; queues ``action.created``."""
    with tenant_context(tenant):
        return _action_create(
            tenant=tenant,
            actor=actor,
            title=title,
            owner=owner,
            department=department,
            due_on=due_on,
            promise=promise,
            escalation=escalation,
            breach_event=breach_event,
            commitment=commitment,
            notes=notes,
        )


def action_update(*, tenant: Tenant, actor: Actor, action: Action, **changes: Any) -> Action:
    """Change ``action``: any of :data:`PLAN_FIELDS` for a planner (``action.plan``), the status
    and notes for its owner (``action.update``). Marking it done stamps ``done_at``; moving it
    back from done clears it (``action.done`` is queued when it becomes done). Takes the action's
    row lock; runs in ``tenant``'s context."""
    with tenant_context(tenant):
        return _action_update(tenant=tenant, actor=actor, action=action, **changes)


@transaction.atomic
def _action_create(
    *,
    tenant: Tenant,
    actor: Actor,
    title: str,
    owner: Membership,
    department: Department,
    due_on: date | None,
    promise: Promise | None = None,
    escalation: Escalation | None = None,
    breach_event: BreachEvent | None = None,
    commitment: Commitment | None = None,
    notes: str = "",
) -> Action:
    if promise is None and escalation is None and breach_event is None:
        raise DomainError(
            "Say what the action is about: a promise, an escalation or a breach event.", field="promise"
        )
    if promise is None:
        promise_id = (escalation.promise_id if escalation else None) or (
            breach_event.promise_id if breach_event else None
        )
        promise = Promise.objects.filter(pk=promise_id).first() if promise_id else None
    if commitment is None and breach_event is not None and breach_event.commitment_id:
        commitment = Commitment.objects.filter(pk=breach_event.commitment_id).first()
    title = _check_title(title)
    _check_owner_and_department(owner, department)
    _check_may_plan(actor, department)
    _check_commitment(commitment, promise)
    action = _save(
        Action(
            title=title,
            owner=owner,
            department=department,
            due_on=_check_due_on(tenant, due_on),
            promise=promise,
            escalation=escalation,
            breach_event=breach_event,
            commitment=commitment,
            notes=_check_notes(notes),
            created_by=actor if isinstance(actor, Membership) else None,
        )
    )
    _event(tenant, action, "action.created", actor)
    return action


@transaction.atomic
def _action_update(*, tenant: Tenant, actor: Actor, action: Action, **changes: Any) -> Action:
    unknown = set(changes) - PLAN_FIELDS
    if unknown:
        raise DomainError(f"{sorted(unknown)[0]} cannot be changed.", field=sorted(unknown)[0])
    action = Action.objects.select_for_update(of=("self",)).select_related("department").get(pk=action.pk)
    planner = can(actor, "action.plan", action)
    if not planner:
        if not can(actor, "action.update", action):
            raise ActionRefused(
                "Only the action's owner, a manager of its department or an admin may change it."
            )
        beyond = sorted(
            name for name in set(changes) - PROGRESS_FIELDS if changes[name] != getattr(action, name)
        )
        if beyond:
            raise ActionRefused(
                f"As the action's owner you may change its status and notes, not its {beyond[0].replace('_', ' ')}: "
                f"ask a manager of {action.department.name}.",
                field=beyond[0],
            )
    if "title" in changes:
        action.title = _check_title(changes["title"])
    if "notes" in changes:
        action.notes = _check_notes(changes["notes"])
    if "due_on" in changes and changes["due_on"] != action.due_on:
        action.due_on = _check_due_on(tenant, changes["due_on"])
    owner = changes.get("owner", action.owner)
    department = changes.get("department", action.department)
    if planner and ("owner" in changes or "department" in changes):
        _check_owner_and_department(owner, department)
        _check_may_plan(actor, department)
        action.owner, action.department = owner, department
    if "commitment" in changes:
        promise = Promise.objects.filter(pk=action.promise_id).first() if action.promise_id else None
        _check_commitment(changes["commitment"], promise)
        action.commitment = changes["commitment"]
    was_done = action.status == ActionStatus.DONE
    if "status" in changes:
        _status_change(action, changes["status"])
    _save(action)
    if action.status == ActionStatus.DONE and not was_done:
        _event(tenant, action, "action.done", actor)
    return action


# --- Reminders ---------------------------------------------------------------------------------


def _reminder(tenant: Tenant, action: Action, *, kind: str, today: date) -> int:
    days = (action.due_on - today).days
    if days > 0:
        when = f"is due in {days} day{'s' if days != 1 else ''}, on {action.due_on:%Y-%m-%d}"
    elif days == 0:
        when = "is due today"
    else:
        when = f"was due on {action.due_on:%Y-%m-%d}"
    link = tenant_url(tenant, f"/actions/{action.pk}/")
    text = (
        f"Your action {when}.\n\nAction: {action.title}\nDepartment: {action.department.name}\n"
        f"Status: {action.get_status_display()}\n\nUpdate its status or notes: {link}\n"
    )
    return outbox_enqueue(
        kind=ACTION_MAIL_KIND,
        emails=[
            Email(
                # One key per action, reminder and due date: a scan run twice enqueues nothing new.
                dedupe_key=f"action:{action.pk}:{kind}:{action.due_on:%Y-%m-%d}",
                to=action.owner.user.email,
                subject=f"[cxgov] Action {when}: {shorten(action.title, 100)}",
                text=text,
            )
        ],
    )


def actions_remind(*, tenant: Tenant) -> dict[str, int]:
    """Queue the reminders due now (beat fans it out per tenant): :data:`REMIND_DAYS_BEFORE` days
    before an open action's due date, and on the due date (only that one when the action is
    already due). Each reminder is queued once per action and due date: the mark on the action
    and its outbox message are written in one transaction (a worker killed mid-scan leaves
    neither), and the outbox refuses a second message of the same key. Rows another scan
    holds are skipped, not waited for."""
    counts = {"before": 0, "due": 0}
    with tenant_context(tenant), transaction.atomic():
        today = tenant_today(tenant)
        due_soon = (
            Action.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("owner__user", "department")
            .filter(status__in=OPEN_ACTION_STATUSES, due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE))
            .filter(
                Q(reminded_before__isnull=True)
                | ~Q(reminded_before=F("due_on"))
                | Q(due_on__lte=today) & (Q(reminded_due__isnull=True) | ~Q(reminded_due=F("due_on")))
            )
            .order_by("id")
        )
        for action in due_soon:
            if not (action.owner.is_active and action.owner.user.is_active):
                continue
            if action.due_on <= today:
                counts["due"] += _reminder(tenant, action, kind="due", today=today)
                action.reminded_due = action.due_on
            else:
                counts["before"] += _reminder(tenant, action, kind="before", today=today)
            action.reminded_before = action.due_on
            action.save(update_fields=["reminded_before", "reminded_due"])
    return counts
