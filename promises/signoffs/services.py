"""Writes of the sign-off workflow: submitting a promise for review, each department's
decision, and an admin's activation over missing sign-offs — with the e-mails they send.

The rules every promise write follows (tenant, ``at``, refusals) are in ``promises.rules``.
E-mails are sent only once the transaction has committed, and not at all inside
:func:`notifications_suppressed` (seeding demo data, bulk imports).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.core.mail import send_mail
from django.db import transaction

from promises.commitments.selectors import commitments_open
from promises.commitments.services import commitments_start_counting
from promises.models import Promise
from promises.rules import lock_promise, moment, not_before, own, own_actor, quoted, refuse, rescore
from promises.signoffs.models import SignOff
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import Department, Membership, MembershipDepartment, Tenant
from tenants.text import SYSTEM_ACTOR
from tenants.webhooks.services import webhook_event_enqueue


def _is_department_manager(membership: Membership, department: Department) -> bool:
    """Asked of the database, not of a possibly stale ``membership`` object."""
    return MembershipDepartment.objects.filter(
        membership_id=membership.pk,
        membership__is_active=True,
        membership__role=Membership.Role.MANAGER,
        department_id=department.pk,
    ).exists()


def _is_admin(membership: Membership) -> bool:
    return Membership.objects.filter(pk=membership.pk, is_active=True, role=Membership.Role.ADMIN).exists()


def _manager_emails(department_ids: Iterable[int]) -> dict[int, list[str]]:
    """Active managers' addresses per department id."""
    emails: dict[int, list[str]] = {}
    rows = (
        MembershipDepartment.objects.filter(
            department_id__in=list(department_ids),
            membership__role=Membership.Role.MANAGER,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .order_by("membership__user__email")
        .values_list("department_id", "membership__user__email")
    )
    for department_id, email in rows:
        emails.setdefault(department_id, []).append(email)
    return emails


_notifications_suppressed: ContextVar[bool] = ContextVar("promises_notifications_suppressed", default=False)


@contextmanager
def notifications_suppressed() -> Iterator[None]:
    """No e-mails for changes made inside the block (seeding demo data, bulk imports)."""
    token = _notifications_suppressed.set(True)
    try:
        yield
    finally:
        _notifications_suppressed.reset(token)


def _notify(*, subject: str, message: str, recipients: Iterable[str]) -> None:
    """Send one e-mail once the transaction commits (nothing is sent for a rolled-back change)."""
    to = sorted(set(recipients))
    if not to or _notifications_suppressed.get():
        return
    transaction.on_commit(
        lambda: send_mail(subject=f"[cxgov] {subject}", message=message, from_email=None, recipient_list=to)
    )


def _who(actor: Membership | None) -> str:
    if actor is None:
        return SYSTEM_ACTOR
    return actor.user.get_full_name() or actor.user.email


@transaction.atomic
def promise_submit(
    *, tenant: Tenant, promise: Promise, actor: Membership | None = None, at: datetime | None = None
) -> Promise:
    """Draft → in review: asks the owning and every contributing department for a sign-off
    (one pending sign-off each, in a new review round) and e-mails their managers.

    A customer promise needs at least one commitment first (it must be measurable); a brand
    promise needs none (it is measured through the customer promises that activate it).
    Every department asked must have an active manager, or nobody could sign it off.
    """
    now = moment(at)
    with tenant_context(tenant):
        lock_promise(promise, tenant)
        own_actor(actor, tenant)
        if promise.status != Promise.Status.DRAFT:
            raise refuse(promise, "submit", "a draft promise")
        if promise.kind == Promise.Kind.CUSTOMER and not commitments_open(promise=promise).exists():
            raise DomainError(
                "Add at least one commitment before submitting: a customer promise must be measurable "
                "(e.g. a CSAT target at a touchpoint).",
                field="commitments",
            )
        departments = [promise.owner, *promise.contributors.order_by("name")]
        managers = _manager_emails(d.pk for d in departments)
        without = [d.name for d in departments if d.pk not in managers]
        if without:
            raise DomainError(
                f"{', '.join(without)} {'has' if len(without) == 1 else 'have'} no active manager to sign "
                "it off; give the department a manager, or remove it from the contributors.",
                field="contributors",
            )
        promise.status = Promise.Status.IN_REVIEW
        promise.review_round += 1
        promise.submitted_at = now
        promise.save(update_fields=["status", "review_round", "submitted_at", "updated_at"])
        SignOff.objects.bulk_create(
            [
                SignOff(promise=promise, review_round=promise.review_round, department=d, created_at=now)
                for d in departments
            ]
        )
        for department in departments:
            _notify(
                subject=f"Sign-off requested: {promise.title}",
                message=(
                    f"{_who(actor)} submitted the {promise.get_kind_display().lower()} {quoted(promise)} "
                    f"for review (round {promise.review_round}). {department.name} is asked to sign it off.\n\n"
                    f"Statement: {promise.statement}\n\n"
                    "Open “My sign-offs” in cxgov to approve it, or to request changes with a comment."
                ),
                recipients=managers[department.pk],
            )
        return promise


@transaction.atomic
def promise_sign_off(
    *,
    tenant: Tenant,
    promise: Promise,
    department: Department,
    actor: Membership,
    approve: bool,
    comment: str = "",
    at: datetime | None = None,
) -> Promise:
    """Record ``department``'s decision on the current review round.

    ``actor`` must be an active manager of ``department``. Requesting changes needs a comment;
    it sends the promise back to draft (the comment is kept on the sign-off), withdraws the
    round's other pending sign-offs and tells the owner's managers. The last approval
    activates the promise: its commitments start counting at that instant.
    """
    now = moment(at)
    comment = (comment or "").strip()
    with tenant_context(tenant):
        lock_promise(promise, tenant)
        own(department, tenant, what="department", field="department")
        own(actor, tenant, what="member", field="actor")
        if promise.status != Promise.Status.IN_REVIEW:
            raise refuse(promise, "sign off", "a promise in review")
        if not _is_department_manager(actor, department):
            raise DomainError(
                f"Only an active manager of {department.name} can sign off for {department.name}; "
                f"{actor.user.email} is not one. Ask a manager of {department.name}.",
                field="actor",
                code="forbidden",
            )
        sign_off = (
            SignOff.objects.select_for_update()
            .filter(promise=promise, review_round=promise.review_round, department=department)
            .first()
        )
        if sign_off is None:
            asked = SignOff.objects.filter(promise=promise, review_round=promise.review_round)
            names = ", ".join(asked.order_by("department__name").values_list("department__name", flat=True))
            raise DomainError(
                f"{department.name} is not asked to sign off {quoted(promise)}; the departments asked are {names}.",
                field="department",
            )
        if sign_off.status != SignOff.Status.PENDING:
            raise DomainError(
                f"{department.name} already decided on this round: {sign_off.get_status_display().lower()} "
                f"on {sign_off.decided_at:%Y-%m-%d}.",
                field="department",
            )
        not_before(now, promise.submitted_at, "the submission")
        if not approve and not comment:
            raise DomainError(
                "Say what needs to change: a comment is required when requesting changes.", field="comment"
            )
        sign_off.status = SignOff.Status.APPROVED if approve else SignOff.Status.CHANGES_REQUESTED
        sign_off.decided_by = actor
        sign_off.decided_at = now
        sign_off.comment = comment
        sign_off.save(update_fields=["status", "decided_by", "decided_at", "comment"])
        pending = SignOff.objects.filter(
            promise=promise, review_round=promise.review_round, status=SignOff.Status.PENDING
        )
        owner_managers = _manager_emails([promise.owner_id]).get(promise.owner_id, [])
        if not approve:
            pending.update(status=SignOff.Status.WITHDRAWN, decided_at=now)
            promise.status = Promise.Status.DRAFT
            promise.save(update_fields=["status", "updated_at"])
            _notify(
                subject=f"Changes requested: {promise.title}",
                message=(
                    f"{_who(actor)} requested changes to {quoted(promise)} for {department.name}:\n\n"
                    f"{comment}\n\n"
                    "The promise is back in draft. Edit it and submit it again for review."
                ),
                recipients=owner_managers,
            )
        elif not pending.exists():
            _activate(promise, now, tenant=tenant, actor=actor, how="signed_off")
            _notify(
                subject=f"Promise active: {promise.title}",
                message=(
                    f"Every department approved {quoted(promise)}; it is active from "
                    f"{now:%Y-%m-%d %H:%M} UTC and its commitments count from then on."
                ),
                recipients=owner_managers,
            )
        return promise


def _activate(promise: Promise, now: datetime, *, tenant: Tenant, actor: Membership, how: str) -> None:
    """Activate ``promise`` at ``now`` (``how``: ``signed_off`` by every department, or
    ``override`` by an admin) and queue ``promise.activated`` in the caller's transaction."""
    promise.status = Promise.Status.ACTIVE
    promise.activated_at = now
    promise.save(update_fields=["status", "activated_at", "updated_at"])
    commitments_start_counting(promise=promise, at=now)
    rescore(promise.tenant_id)
    owner = Department.objects.get(pk=promise.owner_id)
    webhook_event_enqueue(
        tenant=tenant,
        event_type="promise.activated",
        data={
            "promise": {
                "id": promise.pk,
                "kind": promise.kind,
                "slug": promise.slug,
                "title": promise.title,
                "version": promise.version,
                "owner": {"id": owner.pk, "name": owner.name},
                "parent_id": promise.parent_id,
                "activated_at": now.isoformat(),
            },
            "how": how,
            "actor": _who(actor),
        },
        path=f"/promises/{promise.pk}/",
        summary=(
            f"Promise active: “{promise.title}” — {owner.name}, "
            + (
                f"signed off by every department (last: {_who(actor)})."
                if how == "signed_off"
                else f"activated by {_who(actor)} (admin) without every sign-off."
            )
        ),
    )


@transaction.atomic
def promise_activate_override(
    *,
    tenant: Tenant,
    promise: Promise,
    actor: Membership,
    reason: str,
    at: datetime | None = None,
) -> Promise:
    """An admin activates a promise in review without every sign-off.

    ``reason`` is required; it is recorded on each sign-off still pending (status
    ``overridden``, decided by the admin) and in the audit trail, and sent to the owner's
    managers.
    """
    now = moment(at)
    reason = (reason or "").strip()
    with tenant_context(tenant):
        lock_promise(promise, tenant)
        own(actor, tenant, what="member", field="actor")
        if not _is_admin(actor):
            raise DomainError(
                "Only an admin can activate a promise over missing sign-offs.",
                field="actor",
                code="forbidden",
            )
        if promise.status != Promise.Status.IN_REVIEW:
            raise refuse(promise, "activate", "a promise in review")
        if not reason:
            raise DomainError(
                "Write why the promise is activated without every sign-off; the reason is recorded.",
                field="reason",
            )
        not_before(now, promise.submitted_at, "the submission")
        pending = SignOff.objects.filter(
            promise=promise, review_round=promise.review_round, status=SignOff.Status.PENDING
        )
        skipped = list(pending.order_by("department__name").values_list("department__name", flat=True))
        pending.update(status=SignOff.Status.OVERRIDDEN, decided_by=actor, decided_at=now, comment=reason)
        _activate(promise, now, tenant=tenant, actor=actor, how="override")
        _notify(
            subject=f"Promise active: {promise.title}",
            message=(
                f"{_who(actor)} (admin) activated {quoted(promise)} without the sign-off of "
                f"{', '.join(skipped)}.\n\nReason: {reason}\n\n"
                f"Its commitments count from {now:%Y-%m-%d %H:%M} UTC on."
            ),
            recipients=_manager_emails([promise.owner_id]).get(promise.owner_id, []),
        )
        return promise
