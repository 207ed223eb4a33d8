"""Reads of escalations: what a member may see, filters, the inbox, one escalation with its timeline."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, Exists, F, OuterRef, Prefetch, Q, QuerySet, When
from django.utils import timezone

from feedback.escalations.models import Escalation, EscalationEntry, EscalationEvidence, EscalationState
from feedback.signals.models import SourceKind
from feedback.stories.models import Story
from tenants.models import Membership
from tenants.permissions import can

# --- Escalations ------------------------------------------------------------------------------


def escalation_queryset() -> QuerySet[Escalation]:
    """Escalations with what a list row shows (department, promise, touchpoint, owner, proposer)."""
    return Escalation.objects.select_related(
        "department", "promise", "touchpoint", "owner__user", "proposed_by__user", "proposed_by_key"
    )


def escalations_visible_to(membership: Membership) -> QuerySet[Escalation]:
    """Every escalation for managers and admins; for others, those they proposed, own, or that
    carry one of their stories as evidence."""
    escalations = escalation_queryset()
    if can(membership, "escalation.view_all"):
        return escalations
    mine = EscalationEvidence.objects.filter(
        escalation=OuterRef("pk"), story__source_kind=SourceKind.MEMBER, story__source_id=membership.pk
    )
    return escalations.filter(Q(proposed_by=membership) | Q(owner=membership) | Exists(mine))


def escalations_from_stories_of(membership: Membership) -> QuerySet[Escalation]:
    """Escalations raised from the member's own stories (their "My stories" page), newest first."""
    mine = EscalationEvidence.objects.filter(
        escalation=OuterRef("pk"), story__source_kind=SourceKind.MEMBER, story__source_id=membership.pk
    )
    return escalation_queryset().filter(Exists(mine)).order_by("-proposed_at", "-id")


def escalation_filter(
    escalations: QuerySet[Escalation],
    *,
    state: str = "",
    department: str = "",
    promise: str = "",
    severity: str = "",
    overdue: bool | None = None,
    now: datetime | None = None,
) -> QuerySet[Escalation]:
    """Filters shared by the list page, its CSV export and the API (department/promise by slug)."""
    if state:
        escalations = escalations.filter(state=state)
    if department:
        escalations = escalations.filter(department__slug=department)
    if promise:
        escalations = escalations.filter(promise__slug=promise)
    if severity:
        escalations = escalations.filter(severity=severity)
    if overdue is not None:
        late = overdue_condition(now or timezone.now())
        escalations = escalations.filter(late) if overdue else escalations.exclude(late)
    return escalations


def overdue_condition(now: datetime) -> Q:
    return Q(state=EscalationState.PROPOSED, decision_due_at__lt=now) | Q(
        state__in=[EscalationState.APPROVED, EscalationState.IN_PROGRESS], resolution_due_at__lt=now
    )


def _awaiting_decision_of(membership: Membership) -> QuerySet[Escalation]:
    awaiting = escalation_queryset().filter(state=EscalationState.PROPOSED).exclude(proposed_by=membership)
    if membership.role != Membership.Role.ADMIN:
        awaiting = awaiting.filter(department__in=membership.departments.all())
    return awaiting


def escalation_awaiting_count(membership: Membership) -> int:
    """How many escalations await ``membership``'s decision (the inbox's first list)."""
    return _awaiting_decision_of(membership).count()


def escalations_awaiting_decision(membership: Membership) -> QuerySet[Escalation]:
    """What awaits ``membership``'s decision, oldest first (never their own proposals). Admins
    decide for every department, managers for theirs."""
    return _awaiting_decision_of(membership).order_by("proposed_at", "id")


def escalations_owned_open(membership: Membership) -> QuerySet[Escalation]:
    """The escalations ``membership`` owns and has not resolved yet, the soonest due first."""
    return (
        escalation_queryset()
        .filter(owner=membership, state__in=[EscalationState.APPROVED, EscalationState.IN_PROGRESS])
        .order_by("resolution_due_at", "id")
    )


def escalations_overdue_for(membership: Membership, *, now: datetime) -> QuerySet[Escalation]:
    """Overdue escalations ``membership`` answers for: every department's for an admin, their
    departments' for a manager, none for anyone else. The longest overdue first."""
    escalations = escalation_queryset().filter(overdue_condition(now))
    if membership.role == Membership.Role.MANAGER:
        escalations = escalations.filter(department__in=membership.departments.all())
    elif membership.role != Membership.Role.ADMIN:
        return escalations.none()
    due = Case(
        When(state=EscalationState.PROPOSED, then=F("decision_due_at")), default=F("resolution_due_at")
    )
    return escalations.order_by(due.asc(), "id")


def escalation_inbox(membership: Membership) -> dict[str, list[Escalation]]:
    """A manager's inbox: awaiting my decision (oldest first; never my own proposals), and the
    ones I own that are not resolved yet. Admins decide for every department."""
    return {
        "awaiting": list(escalations_awaiting_decision(membership)),
        "owned": list(escalations_owned_open(membership)),
    }


def escalation_detail(escalation_id: int, membership: Membership | None) -> Escalation | None:
    """One escalation with its evidence and timeline, if ``membership`` may see it (None: an API key)."""
    escalations = escalation_queryset() if membership is None else escalations_visible_to(membership)
    stories = Story.objects.select_related("touchpoint").order_by("occurred_at", "id")
    return (
        escalations.filter(pk=escalation_id)
        .prefetch_related(
            "evidence",  # story ids only; the stories themselves come next
            Prefetch("stories", queryset=stories),
            Prefetch("entries", queryset=EscalationEntry.objects.select_related("actor__user")),
        )
        .first()
    )
