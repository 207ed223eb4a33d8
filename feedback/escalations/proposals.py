"""Proposing escalations: by a person, from a story, from a breach, and automatically from stories."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone

from feedback.escalations.mail import department_managers, escalation_mail
from feedback.escalations.models import (
    OPEN_ESCALATION_STATES,
    Escalation,
    EscalationEntry,
    EscalationEvidence,
    EscalationSettings,
    EscalationSeverity,
    EscalationState,
)
from feedback.escalations.services import (
    AUTO_BREACH_KINDS,
    Actorish,
    EscalationRefused,
    actor_parts,
    add_entry,
    escalation_settings_get,
)
from feedback.escalations.webhooks import escalation_event_enqueue
from feedback.locks import row_lock
from feedback.stories.models import Story, StoryPromise
from promises.models import Promise
from tenants.calendars.selectors import clock_deadline, clock_reminder_at
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import ApiKey, Department, Membership, Tenant, Touchpoint
from tenants.permissions import can
from tenants.text import shorten


def _open_duplicate(promise: Promise | None, touchpoint: Touchpoint | None) -> Escalation | None:
    if promise is None or touchpoint is None:
        return None
    return (
        Escalation.objects.select_for_update()
        .filter(promise=promise, touchpoint=touchpoint, state__in=OPEN_ESCALATION_STATES)
        .order_by("proposed_at", "id")
        .first()
    )


def _attach_stories(escalation: Escalation, stories: Sequence[Story], actor: Actorish) -> int:
    known = set(escalation.evidence.values_list("story_id", flat=True))
    new = [s for s in {s.pk: s for s in stories}.values() if s.pk not in known]
    if not new:
        return 0
    EscalationEvidence.objects.bulk_create(EscalationEvidence(escalation=escalation, story=s) for s in new)
    actor_kind, member, label = actor_parts(actor)
    EscalationEntry.objects.bulk_create(
        EscalationEntry(
            escalation=escalation,
            kind=EscalationEntry.Kind.EVIDENCE,
            actor_kind=actor_kind,
            actor=member,
            actor_label=label,
            note=f"Story {story.pk}: {shorten(story.text, 200)}",
        )
        for story in new
    )
    return len(new)


@dataclass(frozen=True)
class Proposal:
    escalation: Escalation
    merged: bool  # True: the stories joined an open escalation of the same promise and touchpoint


def escalation_propose(
    *,
    tenant: Tenant,
    actor: Actorish,
    title: str,
    severity: str,
    department: Department,
    description: str = "",
    promise: Promise | None = None,
    touchpoint: Touchpoint | None = None,
    stories: Sequence[Story] = (),
    breach_event_id: int | None = None,
    breach: dict[str, Any] | None = None,
    clocks: EscalationSettings | None = None,
) -> Proposal:
    """Propose an escalation, or merge into an open one of the same promise and touchpoint.

    ``actor`` None is the system (automatic proposals). A breach event already escalated is not
    proposed twice (the existing escalation is returned, ``merged``). The department's managers
    are e-mailed (outbox) about a new proposal.
    """
    with tenant_context(tenant), transaction.atomic():
        if isinstance(actor, Membership | ApiKey) and not can(actor, "escalation.propose"):
            raise EscalationRefused("You may not propose escalations; ask a colleague who logs stories.")
        for obj, what in ((department, "department"), (promise, "promise"), (touchpoint, "touchpoint")):
            if obj is not None and obj.tenant_id != tenant.pk:
                raise DomainError(f"Unknown {what}.", field=what)
        if severity not in EscalationSeverity.values:
            raise DomainError(
                f"severity {severity!r} is not one of: {', '.join(EscalationSeverity.values)}.",
                field="severity",
            )
        if breach_event_id is not None:
            existing = Escalation.objects.filter(breach_event_id=breach_event_id).first()
            if existing is not None:
                return Proposal(existing, merged=True)
        # Proposals for one promise queue on its row, so two at once cannot both open one.
        if promise is not None and touchpoint is not None:
            row_lock(promise)
        duplicate = _open_duplicate(promise, touchpoint)
        if duplicate is not None:
            _attach_stories(duplicate, stories, actor)
            if breach_event_id is not None and duplicate.breach_event_id is None:
                duplicate.breach_event_id, duplicate.breach = breach_event_id, breach or {}
                duplicate.save(update_fields=["breach_event_id", "breach", "updated_at"])
                add_entry(
                    duplicate, actor, EscalationEntry.Kind.EVIDENCE, note=(breach or {}).get("title", "")
                )
            return Proposal(duplicate, merged=True)
        now = timezone.now()
        clocks = clocks or escalation_settings_get(tenant=tenant)
        proposer_kind, member, _ = actor_parts(actor)
        escalation = Escalation(
            tenant=tenant,
            title=title.strip()[:300],
            description=description.strip(),
            severity=severity,
            department=department,
            promise=promise,
            touchpoint=touchpoint,
            breach_event_id=breach_event_id,
            breach=breach or {},
            proposer_kind=proposer_kind,
            proposed_by=member,
            proposed_by_key=actor if isinstance(actor, ApiKey) else None,
            proposed_at=now,
            decision_due_at=clock_deadline(
                tenant=tenant,
                department=department,
                start=now,
                duration=timedelta(hours=clocks.decision_hours(severity)),
            ),
        )
        escalation.reminder_at = clock_reminder_at(
            tenant=tenant, department=department, start=now, due=escalation.decision_due_at
        )
        escalation.full_clean()
        escalation.save()
        add_entry(escalation, actor, EscalationEntry.Kind.TRANSITION, to_state=EscalationState.PROPOSED)
        _attach_stories(escalation, stories, actor)
        escalation_event_enqueue(
            tenant=tenant,
            escalation=escalation,
            event_type="escalation.proposed",
            actor=actor_parts(actor)[2],
        )
        managers = [m for m in department_managers(department.pk) if member is None or m[0] != str(member.pk)]
        escalation_mail(
            tenant,
            escalation,
            key="proposed",
            to=managers,
            subject=f"Escalation awaiting your decision: {shorten(escalation.title, 120)}",
            text=f"A {escalation.get_severity_display().lower()} escalation for {department.name} awaits a "
            f"decision by {timezone.localtime(escalation.decision_due_at):%Y-%m-%d %H:%M %Z}.",
        )
        return Proposal(escalation, merged=False)


def escalation_propose_from_story(
    *,
    tenant: Tenant,
    story: Story,
    actor: Actorish,
    severity: str | None = None,
    title: str = "",
    description: str = "",
    department: Department | None = None,
) -> Proposal:
    """"Escalate this story": the story is the evidence; its first promise and its touchpoint
    name the escalation; the department defaults to the story's, else the promise's owner."""  # fmt: skip
    with tenant_context(tenant):
        promise = _story_promise(story, active_only=False)
        department = department or story.department or (promise.owner if promise else None)
        if department is None:
            raise DomainError(
                "Choose the department responsible: this story names none and touches no promise.",
                field="department",
            )
        return escalation_propose(
            tenant=tenant,
            actor=actor,
            title=title or f"Customer story at {story.touchpoint.name}: {shorten(story.text, 120)}",
            description=description or story.text,
            severity=severity or _story_severity(story),
            department=department,
            promise=promise,
            touchpoint=story.touchpoint,
            stories=[story],
        )


def _story_promise(story: Story, *, active_only: bool) -> Promise | None:
    promises = (
        Promise.objects.filter(story_links__story=story).select_related("owner").order_by("title", "id")
    )
    if active_only:
        promises = promises.filter(status=Promise.Status.ACTIVE)
    return promises.first()


def _story_severity(story: Story) -> str:
    return EscalationSeverity.HIGH if story.severity == Story.Severity.HIGH else EscalationSeverity.MEDIUM


def escalations_auto_from_stories(*, tenant: Tenant, story_ids: Sequence[int]) -> list[Proposal]:
    """The automatic rule for new stories (in the caller's transaction): severity high or
    sentiment at or below the tenant's threshold, touching an active promise → proposed by the
    system, or merged into the open escalation of the same promise and touchpoint."""
    if not story_ids:
        return []
    with tenant_context(tenant):
        rules = escalation_settings_get(tenant=tenant)
        if not rules.auto_from_stories:
            return []
        candidates = (
            Story.objects.filter(pk__in=list(story_ids))
            .filter(Q(severity=Story.Severity.HIGH) | Q(sentiment__lte=rules.story_sentiment_threshold))
            .filter(promise_links__promise__status=Promise.Status.ACTIVE)
            .select_related("touchpoint", "department")
            .prefetch_related(
                Prefetch(
                    "promise_links",
                    queryset=StoryPromise.objects.filter(promise__status=Promise.Status.ACTIVE)
                    .select_related("promise__owner")
                    .order_by("promise__title", "promise__id"),
                    to_attr="active_links",
                )
            )
            .distinct()
            .order_by("id")
        )
        proposals = []
        for story in candidates:
            promise = story.active_links[0].promise  # the first by title, like _story_promise
            proposals.append(
                escalation_propose(
                    tenant=tenant,
                    actor=None,
                    title=f"“{promise.title}” at {story.touchpoint.name}: {shorten(story.text, 120)}",
                    description=story.text,
                    severity=_story_severity(story),
                    department=promise.owner,
                    promise=promise,
                    touchpoint=story.touchpoint,
                    stories=[story],
                    clocks=rules,
                )
            )
        return proposals


def escalation_propose_from_breach(
    *,
    tenant: Tenant,
    breach_event_id: int,
    kind: str,
    title: str,
    department_id: int | None,
    promise_id: int | None = None,
    touchpoint_id: int | None = None,
    previous_value: float | None = None,
    current_value: float | None = None,
    details: dict[str, Any] | None = None,
) -> Proposal | None:
    """The automatic rule for a new breach event of the scoring engine (called by
    ``metrics.services.breaches_detect``): a commitment no longer met or a hidden breach with a
    responsible department is proposed by the system, once per breach event."""
    severity = AUTO_BREACH_KINDS.get(kind)
    if severity is None or department_id is None:
        return None
    with tenant_context(tenant):
        rules = escalation_settings_get(tenant=tenant)
        if not rules.auto_from_breaches:
            return None
        department = Department.objects.filter(pk=department_id).first()
        if department is None:
            return None
        promise = Promise.objects.filter(pk=promise_id).first() if promise_id else None
        touchpoint = Touchpoint.objects.filter(pk=touchpoint_id).first() if touchpoint_id else None
        snapshot = {
            "id": breach_event_id,
            "kind": kind,
            "title": title,
            "previous_value": previous_value,
            "current_value": current_value,
            "details": details or {},
        }
        return escalation_propose(
            tenant=tenant,
            actor=None,
            title=title,
            description=title,
            severity=severity,
            department=department,
            promise=promise,
            touchpoint=touchpoint,
            breach_event_id=breach_event_id,
            breach=snapshot,
            clocks=rules,
        )
