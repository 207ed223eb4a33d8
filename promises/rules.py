"""What every write in promises shares: when a change takes effect, whose rows it may touch,
how numbers are read, and how a refused transition is worded.

The services of the promise itself (``promises.services``), of sign-offs
(``promises.signoffs.services``) and of commitments (``promises.commitments.services``) build on
these; nothing here imports any of them, so the subjects never import each other in a circle.

Every service takes the tenant first, runs inside that tenant's context and one transaction,
and raises :class:`tenants.errors.DomainError` (with the offending ``field``) when a rule is
broken. Objects passed in from another tenant are answered like missing ones ("unknown …",
code ``not_found``). Data changes reach the audit trail through the database trigger.

Time: transitions and versioned changes take an optional ``at`` (default: now) saying when
they take effect — for imports, the demo and tests. It may not lie in the future, nor before
what it follows (a version cannot close before it opened), so recorded history is never
rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from promises.models import Promise
from tenants.errors import DomainError
from tenants.models import Membership, Tenant
from tenants.rescoring import scoring_mark_dirty

STATUS_PHRASES = {
    Promise.Status.DRAFT: "a draft",
    Promise.Status.IN_REVIEW: "in review",
    Promise.Status.ACTIVE: "active",
    Promise.Status.RETIRED: "retired",
}

# What can be done from each status: the second half of every refused transition's message.
NEXT_STEPS = {
    Promise.Status.DRAFT: "edit it or submit it for review",
    Promise.Status.IN_REVIEW: (
        "approve it or request changes (a manager of each department asked), "
        "or have an admin activate it with a written reason"
    ),
    Promise.Status.ACTIVE: "change its wording, weight and commitments, or retire it",
    Promise.Status.RETIRED: "only read it: a retired promise is kept for the record",
}


def moment(at: datetime | None) -> datetime:
    """When a change takes effect: ``at`` (aware, not in the future) or now."""
    now = timezone.now()
    if at is None:
        return now
    if timezone.is_naive(at):
        raise DomainError("Give the time with its time zone (an aware datetime).", field="at")
    if at > now:
        raise DomainError(
            "A change cannot take effect in the future; make it when it should start.", field="at"
        )
    return at


def not_before(at: datetime, earlier: datetime | None, what: str) -> None:
    if earlier is not None and at < earlier:
        raise DomainError(
            f"This change cannot take effect at {at:%Y-%m-%d %H:%M:%S}, before {what} "
            f"({earlier:%Y-%m-%d %H:%M:%S}): recorded history is never rewritten.",
            field="at",
        )


def own(obj: Any, tenant: Tenant, *, what: str, field: str) -> None:
    """Refuse an object of another tenant exactly like a missing one."""
    if obj is None or obj.pk is None or obj.tenant_id != tenant.pk:
        raise DomainError(
            f"Unknown {what}: there is no such {what} in {tenant.name}.", field=field, code="not_found"
        )


def own_actor(actor: Membership | None, tenant: Tenant) -> Membership | None:
    if actor is not None:
        own(actor, tenant, what="member", field="actor")
    return actor


def clean(obj: Any, *, exclude: Iterable[str] = ()) -> None:
    """``full_clean`` with Django's errors turned into the one application error type."""
    try:
        obj.full_clean(exclude=["tenant", *exclude], validate_constraints=False)
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise DomainError(
            f"{field.replace('_', ' ').capitalize()}: {' '.join(messages)}",
            field=None if field == "__all__" else field,
        ) from None


def fmt_number(value: Decimal | int) -> str:
    """``150`` → "150", ``Decimal("5.50")`` → "5.5", ``-100`` → "−100" (a real minus sign)."""
    value = Decimal(value)
    text = f"{value.quantize(Decimal(1))}" if value == value.to_integral_value() else f"{value.normalize():f}"
    return text.replace("-", "\N{MINUS SIGN}")


def decimal_value(value: Any, *, field: str, label: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"{label} must be a number; got {value!r}.", field=field) from None
    if not number.is_finite():
        raise DomainError(f"{label} must be a number; got {value!r}.", field=field)
    return number


def weight_value(value: Any, *, what: str) -> Decimal:
    weight = decimal_value(value, field="weight", label="Weight")
    if weight <= 0:
        raise DomainError(
            f"Weight must be greater than 0 (it is the {what}'s share in the score); got {fmt_number(weight)}.",
            field="weight",
        )
    if weight.normalize().as_tuple().exponent < -3 or weight >= 100000:
        raise DomainError("Weight takes at most 3 decimal places and must be below 100000.", field="weight")
    return weight


def lock_promise(promise: Promise, tenant: Tenant) -> Promise:
    """Lock the promise row for the transaction and refresh ``promise`` from it."""
    own(promise, tenant, what="promise", field="promise")
    Promise.objects.select_for_update().filter(pk=promise.pk).first()
    promise.refresh_from_db()
    return promise


def refuse(promise: Promise, doing: str, allowed: str) -> DomainError:
    """The error of an illegal transition: what state the promise is in, and what it allows."""
    status = Promise.Status(promise.status)
    return DomainError(
        f"Cannot {doing} \N{LEFT SINGLE QUOTATION MARK}{promise.title}\N{RIGHT SINGLE QUOTATION MARK}: "
        f"it is {STATUS_PHRASES[status]}; that is possible only for {allowed}. "
        f"While it is {STATUS_PHRASES[status]} you can {NEXT_STEPS[status]}.",
        field="status",
        code="invalid_transition",
    )


def quoted(promise: Promise) -> str:
    return f"\N{LEFT DOUBLE QUOTATION MARK}{promise.title}\N{RIGHT DOUBLE QUOTATION MARK}"


def rescore(tenant_id: int) -> None:
    """Scores change when what counts changes: mark the tenant for a recompute after commit."""
    transaction.on_commit(lambda: scoring_mark_dirty(tenant_id))
