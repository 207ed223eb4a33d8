"""Writes for the promise itself: drafting, editing (wording versions) and retiring.

Submitting for review, signing off and activating are in ``promises.signoffs.services``;
measures and commitments in ``promises.commitments.services``; the rules all of them share
(time of effect, tenant ownership, numbers, refusals) in ``promises.rules``.

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
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Final

from django.db import transaction
from django.utils.text import slugify

from promises.commitments.services import commitments_stop_counting, measures_ensure_builtin
from promises.models import Promise, PromiseContributor, PromiseVersion
from promises.rules import (
    clean,
    lock_promise,
    moment,
    not_before,
    own,
    own_actor,
    quoted,
    refuse,
    rescore,
    weight_value,
)
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import Department, Membership, Tenant


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Final = _Unchanged()  # "leave as it is", where None is itself a meaningful value

WORDING_FIELDS = ("title", "statement", "benefits", "quality_standards", "intended_feeling")


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
    own(owner, tenant, what="department", field="owner")
    unique: dict[int, Department] = {}
    for department in contributors:
        own(department, tenant, what="department", field="contributors")
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
        own(parent, tenant, what="promise", field="parent")
        if parent.kind != Promise.Kind.BRAND:
            raise DomainError(
                f"{quoted(parent)} is a customer promise; a customer promise can only activate a "
                "brand promise. Choose a brand promise as the parent.",
                field="parent",
            )
        if promise is not None and parent.pk == promise.pk:
            raise DomainError("A promise cannot be its own parent.", field="parent")
        if parent.status == Promise.Status.RETIRED:
            raise DomainError(
                f"{quoted(parent)} is retired; choose a brand promise that is not retired.", field="parent"
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
            f"The slug {slug!r} is already used by {quoted(taken)}; choose another.", field="slug"
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
    now = moment(at)
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
            weight=weight_value(weight, what="promise"),
            parent=parent,
            created_by=own_actor(actor, tenant),
            created_at=now,
            version=1,
            **wording,
        )
        clean(promise)
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
    now = moment(at)
    with tenant_context(tenant):
        lock_promise(promise, tenant)
        if promise.status not in (Promise.Status.DRAFT, Promise.Status.ACTIVE):
            raise refuse(promise, "edit", "a draft or an active promise")
        own_actor(actor, tenant)
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
            promise.weight = weight_value(weight, what="promise")

        changes = {"title": title, "statement": statement, "benefits": benefits}
        changes |= {"quality_standards": quality_standards, "intended_feeling": intended_feeling}
        old = {f: getattr(promise, f) for f in WORDING_FIELDS}
        wording = _wording(**{f: old[f] if changes[f] is None else changes[f] for f in WORDING_FIELDS})
        if wording != old:
            for field, value in wording.items():
                setattr(promise, field, value)
            if promise.has_been_active:
                not_before(now, _current_version(promise).created_at, "the current wording")
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
        clean(promise)
        promise.save()
        return promise


def _current_version(promise: Promise) -> PromiseVersion:
    return PromiseVersion.objects.get(promise=promise, number=promise.version)


@transaction.atomic
def promise_retire(
    *, tenant: Tenant, promise: Promise, actor: Membership | None = None, at: datetime | None = None
) -> Promise:
    """Active → retired: its commitments stop counting (every open version closes at ``at``)."""
    now = moment(at)
    with tenant_context(tenant):
        lock_promise(promise, tenant)
        own_actor(actor, tenant)
        if promise.status != Promise.Status.ACTIVE:
            raise refuse(promise, "retire", "an active promise")
        not_before(now, promise.activated_at, "the activation")
        commitments_stop_counting(promise=promise, at=now)
        promise.status = Promise.Status.RETIRED
        promise.retired_at = now
        promise.save(update_fields=["status", "retired_at", "updated_at"])
        rescore(tenant.pk)
        return promise
