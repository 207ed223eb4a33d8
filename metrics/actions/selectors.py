"""Reads of action plans: the filtered list, a promise's actions with "did it work?", an owner's
open actions, a department's for its digest."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Q, QuerySet

from metrics import engine
from metrics.actions.models import OPEN_ACTION_STATUSES, Action, ActionStatus
from tenants.models import Membership, Tenant


def overdue_condition(today: date) -> Q:
    """Open and due before ``today`` (the tenant's day)."""
    return Q(status__in=OPEN_ACTION_STATUSES, due_on__lt=today)


def action_queryset() -> QuerySet[Action]:
    return Action.objects.select_related("owner__user", "department", "promise").order_by("due_on", "id")


def actions_filtered(
    *,
    today: date,
    status: str = "",
    department: str = "",
    owner: int | None = None,
    overdue: bool | None = None,
    promise: int | None = None,
    escalation: int | None = None,
    breach_event: int | None = None,
) -> QuerySet[Action]:
    """Actions matching the filters (empty ones do not filter), soonest due first."""
    actions = action_queryset()
    if status:
        actions = actions.filter(status=status)
    if department:
        actions = actions.filter(department__slug=department)
    if owner:
        actions = actions.filter(owner_id=owner)
    if promise:
        actions = actions.filter(promise_id=promise)
    if escalation:
        actions = actions.filter(escalation_id=escalation)
    if breach_event:
        actions = actions.filter(breach_event_id=breach_event)
    if overdue is True:
        actions = actions.filter(overdue_condition(today))
    elif overdue is False:
        actions = actions.exclude(overdue_condition(today))
    return actions


def is_overdue(action: Action, today: date) -> bool:
    return action.status in OPEN_ACTION_STATUSES and action.due_on < today


# --- Did it work? -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """The commitment's score over one window: ``(since, until]``."""

    since: datetime
    until: datetime
    actual: float | None
    score: float | None
    n: int
    counted: bool


@dataclass(frozen=True)
class Outcome:
    """Before and after an action was done, for its commitment (None sides: not known yet)."""

    window_days: int
    before: Side | None = None
    after: Side | None = None
    come_back_on: date | None = None  # the day the window after it is complete
    unavailable: str = ""

    @property
    def change(self) -> float | None:
        if self.before is None or self.after is None or self.before.score is None or self.after.score is None:
            return None
        return round(self.after.score - self.before.score, 2)

    @property
    def change_size(self) -> float | None:
        return None if self.change is None else abs(self.change)


def _rounded(x: Decimal | None) -> float | None:
    # As the engine rounds a score it stores (2 decimals, half up), so the numbers agree.
    return None if x is None else float(x.quantize(engine.CENT, rounding=ROUND_HALF_UP))


def _side(terms: engine.Terms, at: datetime, thresholds_missing: bool) -> Side:
    counts = engine.signal_counts([terms], at, thresholds_missing=thresholds_missing)
    scored = engine.commitment_score(terms, counts.get(terms.commitment_id, {}))
    return Side(
        since=terms.since,
        until=at,
        actual=_rounded(scored.actual) if scored.counted else None,
        score=_rounded(scored.score),
        n=scored.n,
        counted=scored.counted,
    )


def _terms_of(commitment_id: int, at: datetime) -> tuple[engine.Terms | None, bool]:
    now = engine.at_t(at)
    found = next((t for t in now.terms if t.commitment_id == commitment_id), None)
    return found, now.thresholds_missing


def action_outcome(*, action: Action, now: datetime, zone: zoneinfo.ZoneInfo) -> Outcome | None:
    """The commitment's score over its window before ``done_at`` and the same length after it,
    computed by the scoring engine as of ``done_at`` and as of ``done_at + window`` (so the
    numbers are the scores the runs at those instants show). None unless the action is done
    and tied to a commitment; only ``come_back_on`` until the window after it has passed."""
    if action.status != ActionStatus.DONE or action.commitment_id is None or action.done_at is None:
        return None
    before_terms, missing = _terms_of(action.commitment_id, action.done_at)
    if before_terms is None:
        return Outcome(0, unavailable="The commitment did not count when the action was done.")
    window = before_terms.window_days
    after_at = action.done_at + timedelta(days=window)
    if now < after_at:
        return Outcome(window, come_back_on=after_at.astimezone(zone).date())
    after_terms, missing_after = _terms_of(action.commitment_id, after_at)
    if after_terms is None:
        return Outcome(window, unavailable="The commitment no longer counts: there is nothing to compare.")
    return Outcome(
        window,
        before=_side(before_terms, action.done_at, missing),
        after=_side(after_terms, after_at, missing_after),
    )


# --- Pages --------------------------------------------------------------------------------------


def action_row(action: Action, *, today: date) -> dict[str, Any]:
    """What a list shows of an action: plain data (rendering takes no query)."""
    return {
        "id": action.pk,
        "title": action.title,
        "status": action.status,
        "status_label": action.get_status_display(),
        "owner": action.owner.user.get_full_name() or action.owner.user.email,
        "owner_id": action.owner_id,
        "department": action.department.name,
        "department_id": action.department_id,
        "due_on": action.due_on,
        "done_at": action.done_at,
        "overdue": is_overdue(action, today),
        "promise_id": action.promise_id,
        "escalation_id": action.escalation_id,
        "breach_event_id": action.breach_event_id,
        "commitment_id": action.commitment_id,
        "notes": action.notes,
    }


# How many done actions with a commitment a promise page computes "did it work?" for (newest first).
OUTCOMES_SHOWN = 5


def promise_actions(*, tenant: Tenant, promise_id: int, now: datetime) -> list[dict[str, Any]]:
    """The actions about a promise ("what we are doing about it"): open ones first by due date,
    then done and dropped ones, newest first; the newest done ones tied to a commitment carry
    their before/after ``outcome``."""
    zone = zoneinfo.ZoneInfo(tenant.time_zone)
    today = now.astimezone(zone).date()
    actions = list(action_queryset().filter(promise_id=promise_id).select_related("commitment__measure"))
    open_ = [a for a in actions if a.status in OPEN_ACTION_STATUSES]
    closed = sorted(
        (a for a in actions if a.status not in OPEN_ACTION_STATUSES),
        key=lambda a: (a.done_at or a.updated_at, a.pk),
        reverse=True,
    )
    rows, outcomes = [], 0
    for action in open_ + closed:
        row = action_row(action, today=today)
        row["commitment"] = action.commitment.measure.name if action.commitment_id else ""
        if action.status == ActionStatus.DONE and action.commitment_id and outcomes < OUTCOMES_SHOWN:
            row["outcome"] = action_outcome(action=action, now=now, zone=zone)
            outcomes += 1
        rows.append(row)
    return rows


def owner_actions(*, membership: Membership, today: date) -> QuerySet[Action]:
    """A member's open actions, soonest due first (the home page)."""
    return action_queryset().filter(owner_id=membership.pk, status__in=OPEN_ACTION_STATUSES)


def department_actions(*, department_id: int, today: date, done_since: datetime) -> dict[str, list[dict]]:
    """A department's digest: its open actions (overdue ones first) and those done since ``done_since``."""
    rows = [
        action_row(a, today=today)
        for a in action_queryset().filter(
            Q(status__in=OPEN_ACTION_STATUSES) | Q(status=ActionStatus.DONE, done_at__gte=done_since),
            department_id=department_id,
        )
    ]
    return {
        "overdue": [r for r in rows if r["overdue"]],
        "open": [r for r in rows if r["status"] in OPEN_ACTION_STATUSES and not r["overdue"]],
        "done": [r for r in rows if r["status"] == ActionStatus.DONE],
    }
