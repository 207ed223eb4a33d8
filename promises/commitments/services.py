"""Writes for promises, their sign-offs and versions, measures and commitments (SLAs).

Every service takes the tenant first, runs inside that tenant's context and one transaction,
and raises :class:`tenants.errors.DomainError` (with the offending ``field``) when a rule is
broken. Objects passed in from another tenant are answered like missing ones ("unknown …",
code ``not_found``). Data changes reach the audit trail through the database trigger;
e-mails are sent only once the transaction has committed.

The lifecycle of a promise::

    draft ──submit──▶ in_review ──all departments approve──▶ active ──retire──▶ retired
      ▲                  │  └──admin override (reason recorded)──▶ active
      └─changes requested┘

- Draft: everything can be edited; the wording is version 1, rewritten in place, and the
  commitments' single versions are edited in place and count nowhere yet.
- In review: nothing can be edited (the departments sign off exactly what they see); a
  manager requests changes to send it back to draft.
- Active: the owner, contributors and parent are fixed (they were signed off); a wording
  change adds a promise version, a change of a commitment's numbers closes its open version
  and opens the next at the same instant. Weight and new commitments may still change.
- Retired: read-only; every open commitment version is closed at retirement.

Time: transitions and versioned changes take an optional ``at`` (default: now) saying when
they take effect — for imports, the demo and tests. It may not lie in the future, nor before
what it follows (a version cannot close before it opened), so recorded history is never
rewritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from promises.models import (
    BUILTIN_MEASURES,
    Commitment,
    CommitmentVersion,
    Measure,
    Promise,
    PromiseContributor,
    PromiseVersion,
    SignOff,
)
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import Department, Membership, MembershipDepartment, Tenant, Touchpoint
from tenants.rescoring import scoring_mark_dirty


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()  # "leave as it is", where None is itself a meaningful value

MAX_WINDOW_DAYS = 730
MEASURE_KEY_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,48}[a-z0-9])?$")
WORDING_FIELDS = ("title", "statement", "benefits", "quality_standards", "intended_feeling")

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


# --- Helpers ---------------------------------------------------------------------------------


def _moment(at: datetime | None) -> datetime:
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


def _not_before(at: datetime, earlier: datetime | None, what: str) -> None:
    if earlier is not None and at < earlier:
        raise DomainError(
            f"This change cannot take effect at {at:%Y-%m-%d %H:%M:%S}, before {what} "
            f"({earlier:%Y-%m-%d %H:%M:%S}): recorded history is never rewritten.",
            field="at",
        )


def _own(obj: Any, tenant: Tenant, *, what: str, field: str) -> None:
    """Refuse an object of another tenant exactly like a missing one."""
    if obj is None or obj.pk is None or obj.tenant_id != tenant.pk:
        raise DomainError(
            f"Unknown {what}: there is no such {what} in {tenant.name}.", field=field, code="not_found"
        )


def _clean(obj: Any, *, exclude: Iterable[str] = ()) -> None:
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


def _decimal(value: Any, *, field: str, label: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise DomainError(f"{label} must be a number; got {value!r}.", field=field) from None
    if not number.is_finite():
        raise DomainError(f"{label} must be a number; got {value!r}.", field=field)
    return number


def _weight(value: Any, *, what: str) -> Decimal:
    weight = _decimal(value, field="weight", label="Weight")
    if weight <= 0:
        raise DomainError(
            f"Weight must be greater than 0 (it is the {what}'s share in the score); got {fmt_number(weight)}.",
            field="weight",
        )
    if weight.normalize().as_tuple().exponent < -3 or weight >= 100000:
        raise DomainError("Weight takes at most 3 decimal places and must be below 100000.", field="weight")
    return weight


def _lock(promise: Promise, tenant: Tenant) -> Promise:
    """Lock the promise row for the transaction and refresh ``promise`` from it."""
    _own(promise, tenant, what="promise", field="promise")
    Promise.objects.select_for_update().filter(pk=promise.pk).first()
    promise.refresh_from_db()
    return promise


def _refuse(promise: Promise, doing: str, allowed: str) -> DomainError:
    """The error of an illegal transition: what state the promise is in, and what it allows."""
    status = Promise.Status(promise.status)
    return DomainError(
        f"Cannot {doing} \N{LEFT SINGLE QUOTATION MARK}{promise.title}\N{RIGHT SINGLE QUOTATION MARK}: "
        f"it is {STATUS_PHRASES[status]}; that is possible only for {allowed}. "
        f"While it is {STATUS_PHRASES[status]} you can {NEXT_STEPS[status]}.",
        field="status",
        code="invalid_transition",
    )


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
        return "An automated system"
    return actor.user.get_full_name() or actor.user.email


def _quoted(promise: Promise) -> str:
    return f"\N{LEFT DOUBLE QUOTATION MARK}{promise.title}\N{RIGHT DOUBLE QUOTATION MARK}"


def _actor(actor: Membership | None, tenant: Tenant) -> Membership | None:
    if actor is not None:
        _own(actor, tenant, what="member", field="actor")
    return actor


# --- Measures --------------------------------------------------------------------------------


@transaction.atomic
def measures_ensure_builtin(*, tenant: Tenant) -> list[Measure]:
    """Create the tenant's missing built-in measures (``nps``, ``csat``, ``ces``,
    ``story_sentiment``). Idempotent and safe to run concurrently; one query when all exist."""
    with tenant_context(tenant):
        existing = set(Measure.objects.filter(is_builtin=True).values_list("key", flat=True))
        missing = [m for key, m in BUILTIN_MEASURES.items() if key not in existing]
        if missing:
            Measure.objects.bulk_create(
                [Measure(key=m.key, name=m.name, kind=m.kind, unit="", is_builtin=True) for m in missing],
                ignore_conflicts=True,
            )
        return list(Measure.objects.filter(is_builtin=True))


@transaction.atomic
def measure_create(*, tenant: Tenant, key: str, name: str, unit: str) -> Measure:
    """Define a duration measure (e.g. ``refund_processing`` in days): its value is the share
    of service events handled within a commitment's threshold."""
    measures_ensure_builtin(tenant=tenant)
    key = (key or "").strip().lower()
    name = (name or "").strip()
    with tenant_context(tenant):
        if key in BUILTIN_MEASURES:
            raise DomainError(
                f"{key!r} is a built-in measure; choose another key for your duration measure.", field="key"
            )
        if not MEASURE_KEY_RE.fullmatch(key):
            raise DomainError(
                "A measure key is 1 to 50 lowercase letters, digits, '_' or '-', starting and ending "
                f"with a letter or digit (e.g. first_response); got {key!r}.",
                field="key",
            )
        if Measure.objects.filter(key=key).exists():
            raise DomainError(
                f"A measure with the key {key!r} already exists; choose another key.", field="key"
            )
        if not name:
            raise DomainError("Give the measure a name, e.g. 'Refund processing time'.", field="name")
        _check_unit(unit)
        measure = Measure(key=key, name=name, kind=Measure.Kind.DURATION, unit=unit)
        _clean(measure)
        measure.save()
        return measure


def _check_unit(unit: str) -> None:
    if unit not in Measure.Unit.values:
        raise DomainError(
            f"Choose the unit its thresholds are shown in: {' or '.join(Measure.Unit.values)}; got {unit!r}.",
            field="unit",
        )


@transaction.atomic
def measure_update(
    *, tenant: Tenant, measure: Measure, name: str | None = None, unit: str | None = None
) -> Measure:
    """Rename a duration measure or change the unit its thresholds are shown in.

    The key never changes (partner systems send it); built-in measures cannot be changed.
    """
    _own(measure, tenant, what="measure", field="measure")
    with tenant_context(tenant):
        if measure.is_builtin:
            raise DomainError(f"{measure.name} is a built-in measure and cannot be changed.", field="measure")
        if name is not None:
            if not name.strip():
                raise DomainError("Give the measure a name.", field="name")
            measure.name = name.strip()
        if unit is not None:
            _check_unit(unit)
            measure.unit = unit
        _clean(measure)
        measure.save(update_fields=["name", "unit"])
        return measure


# --- Promises --------------------------------------------------------------------------------


def _wording(
    *, title: str, statement: str, benefits: str, quality_standards: str, intended_feeling: str
) -> dict[str, str]:
    wording = {
        "title": (title or "").strip(),
        "statement": (statement or "").strip(),
        "benefits": (benefits or "").strip(),
        "quality_standards": (quality_standards or "").strip(),
        "intended_feeling": (intended_feeling or "").strip(),
    }
    if not wording["title"]:
        raise DomainError("Give the promise a title, e.g. 'Hassle-free returns'.", field="title")
    if len(wording["title"]) > 200:
        raise DomainError("Keep the title to 200 characters.", field="title")
    if not wording["statement"]:
        raise DomainError(
            "Write the statement: what the customer can expect, in their words.", field="statement"
        )
    return wording


def _check_structure(
    *,
    tenant: Tenant,
    kind: str,
    owner: Department,
    contributors: Sequence[Department],
    parent: Promise | None,
    promise: Promise | None = None,
) -> list[Department]:
    """Validate owner, contributors and parent; returns the contributors without duplicates."""
    if kind not in Promise.Kind.values:
        raise DomainError(
            f"{kind!r} is not a kind of promise; choose {' or '.join(Promise.Kind.values)}.", field="kind"
        )
    _own(owner, tenant, what="department", field="owner")
    unique: dict[int, Department] = {}
    for department in contributors:
        _own(department, tenant, what="department", field="contributors")
        if department.pk == owner.pk:
            raise DomainError(
                f"{owner.name} owns this promise, so it cannot also be a contributing department; "
                "remove it from the contributors.",
                field="contributors",
            )
        unique[department.pk] = department
    if parent is not None:
        if kind != Promise.Kind.CUSTOMER:
            raise DomainError(
                "A brand promise does not activate another promise: only customer promises have a "
                "parent. Leave the parent empty.",
                field="parent",
            )
        _own(parent, tenant, what="promise", field="parent")
        if parent.kind != Promise.Kind.BRAND:
            raise DomainError(
                f"{_quoted(parent)} is a customer promise; a customer promise can only activate a "
                "brand promise. Choose a brand promise as the parent.",
                field="parent",
            )
        if promise is not None and parent.pk == promise.pk:
            raise DomainError("A promise cannot be its own parent.", field="parent")
        if parent.status == Promise.Status.RETIRED:
            raise DomainError(
                f"{_quoted(parent)} is retired; choose a brand promise that is not retired.", field="parent"
            )
    return list(unique.values())


def _unique_promise_slug(title: str) -> str:
    base = slugify(title)[:100] or "promise"
    slug, n = base, 2
    while Promise.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _check_slug(slug: str, promise: Promise | None = None) -> str:
    slug = slug.strip()
    if not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", slug) or len(slug) > 120:
        raise DomainError(
            f"A slug is up to 120 lowercase letters, digits and single hyphens (e.g. hassle-free-returns); got {slug!r}.",
            field="slug",
        )
    taken = Promise.objects.filter(slug=slug).exclude(pk=getattr(promise, "pk", None)).first()
    if taken is not None:
        raise DomainError(
            f"The slug {slug!r} is already used by {_quoted(taken)}; choose another.", field="slug"
        )
    return slug


@transaction.atomic
def promise_create(
    *,
    tenant: Tenant,
    kind: str,
    title: str,
    statement: str,
    owner: Department,
    contributors: Sequence[Department] = (),
    benefits: str = "",
    quality_standards: str = "",
    intended_feeling: str = "",
    weight: Decimal | int | str = Decimal(1),
    parent: Promise | None = None,
    slug: str = "",
    actor: Membership | None = None,
    at: datetime | None = None,
) -> Promise:
    """Draft a promise (with its wording as version 1). ``slug`` defaults to one made from the
    title; ``actor`` is the member who writes it (None for an API key)."""
    measures_ensure_builtin(tenant=tenant)
    now = _moment(at)
    with tenant_context(tenant):
        wording = _wording(
            title=title,
            statement=statement,
            benefits=benefits,
            quality_standards=quality_standards,
            intended_feeling=intended_feeling,
        )
        contributors = _check_structure(
            tenant=tenant, kind=kind, owner=owner, contributors=contributors, parent=parent
        )
        promise = Promise(
            kind=kind,
            slug=_check_slug(slug) if slug else _unique_promise_slug(wording["title"]),
            owner=owner,
            weight=_weight(weight, what="promise"),
            parent=parent,
            created_by=_actor(actor, tenant),
            created_at=now,
            version=1,
            **wording,
        )
        _clean(promise)
        promise.save()
        PromiseContributor.objects.bulk_create(
            [PromiseContributor(promise=promise, department=d) for d in contributors]
        )
        PromiseVersion.objects.create(promise=promise, number=1, created_by=actor, created_at=now, **wording)
        return promise


@transaction.atomic
def promise_update(
    *,
    tenant: Tenant,
    promise: Promise,
    actor: Membership | None = None,
    title: str | None = None,
    statement: str | None = None,
    benefits: str | None = None,
    quality_standards: str | None = None,
    intended_feeling: str | None = None,
    note: str = "",
    weight: Decimal | int | str | None = None,
    owner: Department | None = None,
    contributors: Sequence[Department] | None = None,
    parent: Promise | None | _Unchanged = UNCHANGED,
    at: datetime | None = None,
) -> Promise:
    """Change a draft or active promise; arguments left as None (parent: UNCHANGED) stay.

    Wording of a draft is rewritten in place (version 1 until the first activation). Wording
    of an active promise becomes a new version (``note`` says why), earlier ones are kept.
    Owner, contributors and parent can change only while the promise is a draft.
    """
    now = _moment(at)
    with tenant_context(tenant):
        _lock(promise, tenant)
        if promise.status not in (Promise.Status.DRAFT, Promise.Status.ACTIVE):
            raise _refuse(promise, "edit", "a draft or an active promise")
        _actor(actor, tenant)
        given = {"owner": owner is not None, "contributors": contributors is not None}
        given["parent"] = parent is not UNCHANGED
        structural = any(given.values())
        if structural and promise.status != Promise.Status.DRAFT:
            raise DomainError(
                "The owner, contributing departments and parent of an active promise are fixed: those "
                "departments signed it off. Retire it and draft a new promise to change them.",
                field=next(name for name, is_given in given.items() if is_given),
            )
        if structural:
            new_owner = owner if owner is not None else promise.owner
            current = list(promise.contributors.all())
            wanted = _check_structure(
                tenant=tenant,
                kind=promise.kind,
                owner=new_owner,
                contributors=current if contributors is None else contributors,
                parent=promise.parent if parent is UNCHANGED else parent,
                promise=promise,
            )
            promise.owner = new_owner
            if parent is not UNCHANGED:
                promise.parent = parent
            wanted_ids = {d.pk for d in wanted}
            current_ids = {d.pk for d in current}
            PromiseContributor.objects.filter(
                promise=promise, department_id__in=current_ids - wanted_ids
            ).delete()
            PromiseContributor.objects.bulk_create(
                [
                    PromiseContributor(promise=promise, department_id=pk)
                    for pk in sorted(wanted_ids - current_ids)
                ]
            )
        if weight is not None:
            promise.weight = _weight(weight, what="promise")

        changes = {"title": title, "statement": statement, "benefits": benefits}
        changes |= {"quality_standards": quality_standards, "intended_feeling": intended_feeling}
        old = {f: getattr(promise, f) for f in WORDING_FIELDS}
        wording = _wording(**{f: old[f] if changes[f] is None else changes[f] for f in WORDING_FIELDS})
        if wording != old:
            for field, value in wording.items():
                setattr(promise, field, value)
            if promise.has_been_active:
                _not_before(now, _current_version(promise).created_at, "the current wording")
                promise.version += 1
                PromiseVersion.objects.create(
                    promise=promise,
                    number=promise.version,
                    created_by=actor,
                    created_at=now,
                    note=note,
                    **wording,
                )
            else:
                # Never promised to anyone yet: the draft's one version follows its edits.
                PromiseVersion.objects.filter(promise=promise, number=promise.version).update(
                    **wording, **({"note": note} if note else {})
                )
        _clean(promise)
        promise.save()
        return promise


def _current_version(promise: Promise) -> PromiseVersion:
    return PromiseVersion.objects.get(promise=promise, number=promise.version)


def _open_commitments(promise: Promise):
    return Commitment.objects.filter(promise=promise, ended_at__isnull=True)


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
    now = _moment(at)
    with tenant_context(tenant):
        _lock(promise, tenant)
        _actor(actor, tenant)
        if promise.status != Promise.Status.DRAFT:
            raise _refuse(promise, "submit", "a draft promise")
        if promise.kind == Promise.Kind.CUSTOMER and not _open_commitments(promise).exists():
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
                    f"{_who(actor)} submitted the {promise.get_kind_display().lower()} {_quoted(promise)} "
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
    now = _moment(at)
    comment = (comment or "").strip()
    with tenant_context(tenant):
        _lock(promise, tenant)
        _own(department, tenant, what="department", field="department")
        _own(actor, tenant, what="member", field="actor")
        if promise.status != Promise.Status.IN_REVIEW:
            raise _refuse(promise, "sign off", "a promise in review")
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
                f"{department.name} is not asked to sign off {_quoted(promise)}; the departments asked are {names}.",
                field="department",
            )
        if sign_off.status != SignOff.Status.PENDING:
            raise DomainError(
                f"{department.name} already decided on this round: {sign_off.get_status_display().lower()} "
                f"on {sign_off.decided_at:%Y-%m-%d}.",
                field="department",
            )
        _not_before(now, promise.submitted_at, "the submission")
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
                    f"{_who(actor)} requested changes to {_quoted(promise)} for {department.name}:\n\n"
                    f"{comment}\n\n"
                    "The promise is back in draft. Edit it and submit it again for review."
                ),
                recipients=owner_managers,
            )
        elif not pending.exists():
            _activate(promise, now)
            _notify(
                subject=f"Promise active: {promise.title}",
                message=(
                    f"Every department approved {_quoted(promise)}; it is active from "
                    f"{now:%Y-%m-%d %H:%M} UTC and its commitments count from then on."
                ),
                recipients=owner_managers,
            )
        return promise


def _activate(promise: Promise, now: datetime) -> None:
    promise.status = Promise.Status.ACTIVE
    promise.activated_at = now
    promise.save(update_fields=["status", "activated_at", "updated_at"])
    # The draft versions of its commitments start counting now.
    CommitmentVersion.objects.filter(
        commitment__promise=promise,
        commitment__ended_at__isnull=True,
        effective_from__isnull=True,
        effective_to__isnull=True,
    ).update(effective_from=now)
    _rescore(promise.tenant_id)


def _rescore(tenant_id: int) -> None:
    """Scores change when what counts changes: mark the tenant for a recompute after commit."""
    transaction.on_commit(lambda: scoring_mark_dirty(tenant_id))


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
    now = _moment(at)
    reason = (reason or "").strip()
    with tenant_context(tenant):
        _lock(promise, tenant)
        _own(actor, tenant, what="member", field="actor")
        if not _is_admin(actor):
            raise DomainError(
                "Only an admin can activate a promise over missing sign-offs.",
                field="actor",
                code="forbidden",
            )
        if promise.status != Promise.Status.IN_REVIEW:
            raise _refuse(promise, "activate", "a promise in review")
        if not reason:
            raise DomainError(
                "Write why the promise is activated without every sign-off; the reason is recorded.",
                field="reason",
            )
        _not_before(now, promise.submitted_at, "the submission")
        pending = SignOff.objects.filter(
            promise=promise, review_round=promise.review_round, status=SignOff.Status.PENDING
        )
        skipped = list(pending.order_by("department__name").values_list("department__name", flat=True))
        pending.update(status=SignOff.Status.OVERRIDDEN, decided_by=actor, decided_at=now, comment=reason)
        _activate(promise, now)
        _notify(
            subject=f"Promise active: {promise.title}",
            message=(
                f"{_who(actor)} (admin) activated {_quoted(promise)} without the sign-off of "
                f"{', '.join(skipped)}.\n\nReason: {reason}\n\n"
                f"Its commitments count from {now:%Y-%m-%d %H:%M} UTC on."
            ),
            recipients=_manager_emails([promise.owner_id]).get(promise.owner_id, []),
        )
        return promise


@transaction.atomic
def promise_retire(
    *, tenant: Tenant, promise: Promise, actor: Membership | None = None, at: datetime | None = None
) -> Promise:
    """Active → retired: its commitments stop counting (every open version closes at ``at``)."""
    now = _moment(at)
    with tenant_context(tenant):
        _lock(promise, tenant)
        _actor(actor, tenant)
        if promise.status != Promise.Status.ACTIVE:
            raise _refuse(promise, "retire", "an active promise")
        _not_before(now, promise.activated_at, "the activation")
        open_versions = CommitmentVersion.objects.filter(
            commitment__promise=promise, effective_to__isnull=True
        )
        latest = max((v for v in open_versions.values_list("effective_from", flat=True) if v), default=None)
        _not_before(now, latest, "the newest commitment version")
        open_versions.update(effective_to=now)
        _open_commitments(promise).update(ended_at=now)
        promise.status = Promise.Status.RETIRED
        promise.retired_at = now
        promise.save(update_fields=["status", "retired_at", "updated_at"])
        _rescore(tenant.pk)
        return promise


# --- Commitments -----------------------------------------------------------------------------

TERM_FIELDS = ("target", "threshold_seconds", "window_days", "min_sample", "weight")


def _terms(
    *,
    measure: Measure,
    target: Any,
    threshold_seconds: Any,
    window_days: Any,
    min_sample: Any,
    weight: Any,
) -> dict[str, Any]:
    """Validate a commitment's numbers against its measure; returns them normalised."""
    lo, hi = measure.scale
    target = _decimal(target, field="target", label="The target")
    if not lo <= target <= hi:
        raise DomainError(
            f"{measure.name} target {fmt_number(target)} is outside the scale "
            f"{fmt_number(lo)}\N{HORIZONTAL ELLIPSIS}{fmt_number(hi)}; choose a target between "
            f"{fmt_number(lo)} and {fmt_number(hi)}.",
            field="target",
        )
    if target.normalize().as_tuple().exponent < -3:
        raise DomainError("The target takes at most 3 decimal places.", field="target")
    if measure.is_duration:
        if threshold_seconds in (None, ""):
            raise DomainError(
                f"{measure.name} is a duration measure: set threshold_seconds, the time within which a "
                "case counts as on time (e.g. 432000 for 5 days); the target is the share of cases "
                "within it, in %.",
                field="threshold_seconds",
            )
        if isinstance(threshold_seconds, bool) or not isinstance(threshold_seconds, int):
            raise DomainError(
                f"threshold_seconds must be a whole number of seconds; got {threshold_seconds!r}.",
                field="threshold_seconds",
            )
        if not 0 < threshold_seconds <= 2**31 - 1:
            raise DomainError(
                f"threshold_seconds must be a positive number of seconds; got {threshold_seconds}.",
                field="threshold_seconds",
            )
    elif threshold_seconds not in (None, ""):
        raise DomainError(
            f"{measure.name} is a {measure.get_kind_display().lower()} measure and takes no threshold; "
            "remove threshold_seconds (thresholds belong to duration measures such as first_response).",
            field="threshold_seconds",
        )
    else:
        threshold_seconds = None
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int)
        or not 1 <= window_days <= MAX_WINDOW_DAYS
    ):
        raise DomainError(
            f"window_days must be a whole number of days from 1 to {MAX_WINDOW_DAYS}; got {window_days!r}.",
            field="window_days",
        )
    if isinstance(min_sample, bool) or not isinstance(min_sample, int) or min_sample < 1:
        raise DomainError(
            f"min_sample must be a whole number of at least 1; got {min_sample!r}.", field="min_sample"
        )
    return {
        "target": target,
        "threshold_seconds": threshold_seconds,
        "window_days": window_days,
        "min_sample": min_sample,
        "weight": _weight(weight, what="commitment"),
    }


def _editable_commitments(promise: Promise, doing: str) -> None:
    if promise.status not in (Promise.Status.DRAFT, Promise.Status.ACTIVE):
        raise _refuse(promise, doing, "a draft or an active promise")


@transaction.atomic
def commitment_create(
    *,
    tenant: Tenant,
    promise: Promise,
    measure: Measure,
    target: Decimal | int | str,
    touchpoint: Touchpoint | None = None,
    threshold_seconds: int | None = None,
    window_days: int = 90,
    min_sample: int = 5,
    weight: Decimal | int | str = Decimal(1),
    actor: Membership | None = None,
    at: datetime | None = None,
) -> Commitment:
    """Add a commitment to a customer promise (draft or active).

    On a draft its version counts nowhere until activation; on an active promise it counts
    from ``at`` (default now). No touchpoint means signals from every touchpoint count.
    """
    measures_ensure_builtin(tenant=tenant)
    now = _moment(at)
    with tenant_context(tenant):
        _lock(promise, tenant)
        _own(measure, tenant, what="measure", field="measure")
        if touchpoint is not None:
            _own(touchpoint, tenant, what="touchpoint", field="touchpoint")
        _actor(actor, tenant)
        _editable_commitments(promise, "add a commitment to")
        if promise.kind != Promise.Kind.CUSTOMER:
            raise DomainError(
                "Commitments belong to customer promises; a brand promise is measured through the "
                "customer promises that activate it.",
                field="promise",
            )
        terms = _terms(
            measure=measure,
            target=target,
            threshold_seconds=threshold_seconds,
            window_days=window_days,
            min_sample=min_sample,
            weight=weight,
        )
        active = promise.status == Promise.Status.ACTIVE
        if active:
            _not_before(now, promise.activated_at, "the activation")
        commitment = Commitment.objects.create(
            promise=promise, measure=measure, touchpoint=touchpoint, created_by=actor, created_at=now
        )
        CommitmentVersion.objects.create(
            commitment=commitment,
            number=1,
            effective_from=now if active else None,
            created_by=actor,
            created_at=now,
            **terms,
        )
        if active:
            _rescore(tenant.pk)
        return commitment


@transaction.atomic
def commitment_update(
    *,
    tenant: Tenant,
    commitment: Commitment,
    target: Decimal | int | str | None = None,
    threshold_seconds: int | None = None,
    window_days: int | None = None,
    min_sample: int | None = None,
    weight: Decimal | int | str | None = None,
    actor: Membership | None = None,
    at: datetime | None = None,
) -> Commitment:
    """Change a commitment's numbers; arguments left as None stay.

    Draft promise: the version is edited in place. Active promise: the open version closes at
    ``at`` (``effective_to``) and the next opens at the same instant (``effective_from``), so
    scores of any earlier instant still use the old numbers. No change, no new version.
    """
    now = _moment(at)
    _own(commitment, tenant, what="commitment", field="commitment")
    with tenant_context(tenant):
        promise = _lock(commitment.promise, tenant)
        _actor(actor, tenant)
        _editable_commitments(promise, "change a commitment of")
        if commitment.ended_at is not None:
            raise DomainError(
                f"This commitment ended on {commitment.ended_at:%Y-%m-%d}; add a new commitment instead.",
                field="commitment",
            )
        current = CommitmentVersion.objects.select_for_update().get(
            commitment=commitment, effective_to__isnull=True
        )
        given = {
            "target": target,
            "threshold_seconds": threshold_seconds,
            "window_days": window_days,
            "min_sample": min_sample,
            "weight": weight,
        }
        merged = {f: getattr(current, f) if given[f] is None else given[f] for f in TERM_FIELDS}
        terms = _terms(measure=commitment.measure, **merged)
        if all(terms[f] == getattr(current, f) for f in TERM_FIELDS):
            return _fresh(commitment)
        if current.effective_from is None:
            # The promise has never been active: this version has never counted anywhere.
            for field, value in terms.items():
                setattr(current, field, value)
            current.save(update_fields=list(TERM_FIELDS))
        else:
            _not_before(now, current.effective_from, f"the current version {current.number}")
            current.effective_to = now
            current.save(update_fields=["effective_to"])
            CommitmentVersion.objects.create(
                commitment=commitment,
                number=current.number + 1,
                effective_from=now,
                created_by=actor,
                created_at=now,
                **terms,
            )
            _rescore(tenant.pk)
        return _fresh(commitment)


def _fresh(commitment: Commitment) -> Commitment:
    # Forget prefetched versions: current_version must see the change.
    getattr(commitment, "_prefetched_objects_cache", {}).pop("versions", None)
    return commitment


@transaction.atomic
def commitment_end(
    *, tenant: Tenant, commitment: Commitment, actor: Membership | None = None, at: datetime | None = None
) -> Commitment:
    """Stop a commitment of an active promise counting from ``at`` on (its versions are kept).

    A commitment of a draft has never counted: delete it with :func:`commitment_delete`.
    """
    now = _moment(at)
    _own(commitment, tenant, what="commitment", field="commitment")
    with tenant_context(tenant):
        promise = _lock(commitment.promise, tenant)
        _actor(actor, tenant)
        if promise.status == Promise.Status.DRAFT:
            raise DomainError(
                "This commitment belongs to a draft and has never counted; delete it instead of ending it.",
                field="commitment",
            )
        if promise.status != Promise.Status.ACTIVE:
            raise _refuse(promise, "end a commitment of", "an active promise")
        if commitment.ended_at is not None:
            raise DomainError(
                f"This commitment already ended on {commitment.ended_at:%Y-%m-%d}.", field="commitment"
            )
        current = CommitmentVersion.objects.select_for_update().get(
            commitment=commitment, effective_to__isnull=True
        )
        _not_before(now, current.effective_from, f"the current version {current.number}")
        current.effective_to = now
        current.save(update_fields=["effective_to"])
        commitment.ended_at = now
        commitment.save(update_fields=["ended_at"])
        _rescore(tenant.pk)
        return _fresh(commitment)


@transaction.atomic
def commitment_delete(*, tenant: Tenant, commitment: Commitment) -> None:
    """Remove a commitment of a draft promise (it has never counted, so nothing is lost)."""
    _own(commitment, tenant, what="commitment", field="commitment")
    with tenant_context(tenant):
        promise = _lock(commitment.promise, tenant)
        if promise.status != Promise.Status.DRAFT:
            raise DomainError(
                f"Only a draft's commitments can be deleted; {_quoted(promise)} is "
                f"{promise.get_status_display().lower()}"
                + (
                    ": end the commitment instead, its history is kept."
                    if promise.status == "active"
                    else "."
                ),
                field="commitment",
            )
        commitment.delete()
