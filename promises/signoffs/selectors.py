"""Reads of the sign-off workflow: a promise's current round and what a manager may decide.

Like every selector, each runs in the active tenant's context and raises without one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import F

from promises.models import Promise
from promises.signoffs.models import SignOff
from tenants.models import Membership, MembershipDepartment


def current_sign_offs(promise: Promise) -> list[SignOff]:
    """The sign-offs of the promise's latest review round (from the prefetch when loaded)."""
    return [s for s in promise.sign_offs.all() if s.review_round == promise.review_round]


@dataclass
class SignOffRound:
    number: int
    sign_offs: list[SignOff]


def sign_offs_pending_for(*, membership: Membership) -> list[SignOff]:
    """The sign-offs ``membership`` can decide now: pending, in the current round of a promise
    in review, for a department they manage. Empty for anyone but an active manager."""
    if not membership.is_active or membership.role != Membership.Role.MANAGER:
        return []
    managed = MembershipDepartment.objects.filter(membership=membership).values("department_id")
    pending = (
        SignOff.objects.filter(
            status=SignOff.Status.PENDING,
            department_id__in=managed,
            promise__status=Promise.Status.IN_REVIEW,
            review_round=F("promise__review_round"),
        )
        .select_related("promise", "promise__owner", "department")
        .order_by("promise__submitted_at", "promise__title", "department__name")
    )
    return list(pending)
