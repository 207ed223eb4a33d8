"""Reads of follow-ups: who sees which, the inbox with its filters, the open counts and the
digest's section."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet

from surveys.models import FollowUp
from tenants.models import Department, Membership

DIGEST_FOLLOWUPS_SHOWN = 10


def followups_visible(*, membership: Membership) -> QuerySet[FollowUp]:
    """The follow-ups ``membership`` may see: an admin all; a manager those of their
    departments and those they own; an employee those they own. Rows come with their survey,
    department, touchpoint and owner (one query a page)."""
    followups = FollowUp.objects.select_related("survey", "department", "touchpoint", "owner__user")
    if membership.role == Membership.Role.ADMIN:
        return followups
    if membership.role == Membership.Role.MANAGER:
        return followups.filter(Q(department__in=membership.departments.values("pk")) | Q(owner=membership))
    return followups.filter(owner=membership)


def followup_departments(*, membership: Membership) -> QuerySet[Department]:
    """The departments whose follow-ups ``membership`` manages (the inbox's filter)."""
    departments = Department.objects.order_by("name")
    if membership.role != Membership.Role.ADMIN:
        departments = departments.filter(pk__in=membership.departments.values("pk"))
    return departments


def followup_filter(
    followups: QuerySet[FollowUp], *, status: str = "", department: Department | None = None
) -> QuerySet[FollowUp]:
    if status:
        followups = followups.filter(status=status)
    if department is not None:
        followups = followups.filter(department=department)
    # Open ones: the soonest due first; closed ones: the latest closed first.
    if status == FollowUp.Status.CLOSED:
        return followups.order_by("-closed_at", "-id")
    return followups.order_by("status", "due_at", "id")


def followup_get(*, pk: int, membership: Membership) -> FollowUp | None:
    """One follow-up ``membership`` may see, or None (another tenant's is None too)."""
    return followups_visible(membership=membership).filter(pk=pk).first()


def member_by_email(*, email: str) -> Membership | None:
    """The active tenant's member with this e-mail (any case), or None."""
    return Membership.objects.select_related("user").filter(user__email__iexact=email).first()


def followup_open_count(*, membership: Membership) -> int:
    """How many follow-ups ``membership`` sees are open. One query."""
    return followups_visible(membership=membership).filter(status=FollowUp.Status.OPEN).count()


def followups_for_digest(*, department_id: int, as_of: datetime, base: str) -> dict[str, Any]:
    """The department's follow-ups open at ``as_of`` (soonest due first), for its digest. One query
    (two when more are open than it shows)."""
    open_ = FollowUp.objects.filter(
        department_id=department_id, created_at__lt=as_of, status=FollowUp.Status.OPEN
    )
    rows = [
        {
            "id": f["id"],
            "score": f["score"],
            "measure": f["measure_key"].upper(),
            "touchpoint": f["touchpoint__name"],
            "reason": f["reason"],
            "due_at": f["due_at"],
            "overdue": f["due_at"] < as_of,
            "url": f"{base}/followups/{f['id']}/",
        }
        for f in open_.order_by("due_at", "id").values(
            "id", "score", "measure_key", "touchpoint__name", "reason", "due_at"
        )[:DIGEST_FOLLOWUPS_SHOWN]
    ]
    count = len(rows) if len(rows) < DIGEST_FOLLOWUPS_SHOWN else open_.count()
    return {"open": rows, "open_count": count}
