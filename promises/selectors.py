"""Reads for promises: the registry, a promise's page and history, lookups by slug.

Sign-off reads are in ``promises.signoffs.selectors``; measures and commitments in
``promises.commitments.selectors``. Like the other apps' selectors, each runs in the active tenant's context (the web
middleware, the API authentication or ``tenant_context``) and raises without one. List reads
load their related rows in a fixed number of queries, whatever the number of promises.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Prefetch, Q, QuerySet

from promises.commitments.models import Commitment, CommitmentVersion
from promises.models import Promise, PromiseContributor, PromiseVersion
from promises.signoffs.models import SignOff
from promises.signoffs.selectors import SignOffRound
from tenants.audit_entries import AuditEntry, audit_entries
from tenants.errors import DomainError
from tenants.models import AuditEvent, Department, Touchpoint


def _commitments_prefetch() -> Prefetch:
    return Prefetch(
        "commitments",
        queryset=Commitment.objects.select_related("measure", "touchpoint")
        .prefetch_related(Prefetch("versions", queryset=CommitmentVersion.objects.order_by("number")))
        .order_by("id"),
    )


def promise_queryset(
    *,
    status: str = "",
    kind: str = "",
    department: Department | None = None,
    touchpoint: Touchpoint | None = None,
) -> QuerySet[Promise]:
    """Promises with their owner, parent, contributors and commitments (with versions), filtered.

    ``department``: promises it owns or contributes to. ``touchpoint``: promises with a
    commitment (not ended) at that touchpoint. Unevaluated, for the API to paginate.
    """
    promises = Promise.objects.select_related("owner", "parent").prefetch_related(
        Prefetch("contributors", queryset=Department.objects.order_by("name")),
        _commitments_prefetch(),
    )
    if status:
        promises = promises.filter(status=status)
    if kind:
        promises = promises.filter(kind=kind)
    if department is not None:
        contributed = PromiseContributor.objects.filter(department=department).values("promise_id")
        promises = promises.filter(Q(owner=department) | Q(pk__in=contributed))
    if touchpoint is not None:
        at_touchpoint = Commitment.objects.filter(touchpoint=touchpoint, ended_at__isnull=True).values(
            "promise_id"
        )
        promises = promises.filter(pk__in=at_touchpoint)
    return promises.order_by("title", "id")


@dataclass
class PromiseGroup:
    """A brand promise and the customer promises that activate it (``brand`` None: those
    without a parent). ``brand_matches``: whether the brand promise itself passed the filters
    (a registry shows it as a heading either way)."""

    brand: Promise | None
    brand_matches: bool
    promises: list[Promise] = field(default_factory=list)


def promise_list(
    *,
    status: str = "",
    kind: str = "",
    department: Department | None = None,
    touchpoint: Touchpoint | None = None,
) -> list[PromiseGroup]:
    """The registry: groups of brand → customer promises, by title, with customer promises
    without a brand promise last. Brand promises are headed even with no matching child."""
    matching = list(promise_queryset(status=status, kind=kind, department=department, touchpoint=touchpoint))
    brands = {p.pk: p for p in matching if p.is_brand}
    missing_parents = {p.parent_id for p in matching if p.parent_id and p.parent_id not in brands}
    groups: dict[int | None, PromiseGroup] = {
        pk: PromiseGroup(brand=brand, brand_matches=True) for pk, brand in brands.items()
    }
    # A matching customer promise's brand promise is its heading, even when the brand itself
    # did not match (e.g. the brand is active and the filter asks for drafts).
    for parent in Promise.objects.filter(pk__in=missing_parents).select_related("owner"):
        groups[parent.pk] = PromiseGroup(brand=parent, brand_matches=False)
    orphans = PromiseGroup(brand=None, brand_matches=False)
    for promise in matching:
        if promise.is_brand:
            continue
        (groups[promise.parent_id] if promise.parent_id else orphans).promises.append(promise)
    ordered = sorted(groups.values(), key=lambda g: (g.brand.title.lower(), g.brand.pk))
    return ordered + ([orphans] if orphans.promises else [])


def promise_detail(*, promise_id: int | None = None, slug: str = "") -> Promise | None:
    """One promise, by id or slug, with everything its page shows; None if there is no such
    promise in the active tenant (another tenant's promise is missing, too)."""
    if promise_id is None and not slug:
        return None
    promises = Promise.objects.select_related("owner", "parent", "created_by__user").prefetch_related(
        Prefetch("contributors", queryset=Department.objects.order_by("name")),
        Prefetch("children", queryset=Promise.objects.order_by("title")),
        _commitments_prefetch(),
        Prefetch(
            "sign_offs",
            queryset=SignOff.objects.select_related("department", "decided_by__user").order_by(
                "-review_round", "department__name"
            ),
        ),
        Prefetch(
            "versions", queryset=PromiseVersion.objects.select_related("created_by__user").order_by("-number")
        ),
    )
    lookup = {"pk": promise_id} if promise_id is not None else {"slug": slug}
    return promises.filter(**lookup).first()


def promise_get_by_slug(*, slug: str, field: str = "promise") -> Promise:
    """The active tenant's promise ``slug``, or a DomainError naming ``field`` (for the API)."""
    promise = Promise.objects.filter(slug=slug).first()
    if promise is None:
        raise DomainError(
            f"Unknown promise {slug!r}: there is no promise with this slug.", field=field, code="not_found"
        )
    return promise


@dataclass
class PromiseHistory:
    """Everything that happened to a promise, for its history page."""

    versions: list[PromiseVersion]  # newest first
    rounds: list[SignOffRound]  # newest first
    commitments: list[Commitment]  # each with ``versions`` prefetched, oldest first
    audit_events: list[AuditEvent]  # the audit trail of the promise and its rows, newest first
    entries: list[AuditEntry]  # the same trail as sentences (tenants.audit_entries)


def promise_history(*, promise: Promise, audit_limit: int = 200) -> PromiseHistory:
    """Wording versions, sign-off rounds, commitment versions and the audit trail of ``promise``
    (its own row and those of its versions, contributors, sign-offs and commitments)."""
    versions = list(
        PromiseVersion.objects.filter(promise=promise).select_related("created_by__user").order_by("-number")
    )
    sign_offs = list(
        SignOff.objects.filter(promise=promise)
        .select_related("department", "decided_by__user")
        .order_by("-review_round", "department__name")
    )
    rounds: dict[int, SignOffRound] = {}
    for sign_off in sign_offs:
        rounds.setdefault(sign_off.review_round, SignOffRound(sign_off.review_round, [])).sign_offs.append(
            sign_off
        )
    commitments = list(
        Commitment.objects.filter(promise=promise)
        .select_related("measure", "touchpoint")
        .prefetch_related(
            Prefetch(
                "versions",
                queryset=CommitmentVersion.objects.select_related("created_by__user").order_by("number"),
            )
        )
        .order_by("id")
    )
    rows: dict[str, Iterable[int]] = {
        "promises.Promise": [promise.pk],
        "promises.PromiseVersion": [v.pk for v in versions],
        "promises.SignOff": [s.pk for s in sign_offs],
        "promises.Commitment": [c.pk for c in commitments],
        "promises.CommitmentVersion": [v.pk for c in commitments for v in c.versions.all()],
        "promises.PromiseContributor": PromiseContributor.objects.filter(promise=promise).values_list(
            "pk", flat=True
        ),
    }
    trail = Q()
    for label, ids in rows.items():
        trail |= Q(model=label, object_id__in=[str(pk) for pk in ids])
    audit_events = list(AuditEvent.objects.filter(trail).order_by("-occurred_at", "-id")[:audit_limit])
    return PromiseHistory(
        versions=versions,
        rounds=list(rounds.values()),
        commitments=commitments,
        audit_events=audit_events,
        entries=audit_entries(audit_events),
    )


# --- Lookups by slug (the API names related rows so) ---------------------------------------


def touchpoint_get_by_slug(*, slug: str, field: str = "touchpoint") -> Touchpoint:
    touchpoint = Touchpoint.objects.filter(slug=slug).first()
    if touchpoint is None:
        slugs = ", ".join(Touchpoint.objects.order_by("position", "id").values_list("slug", flat=True))
        raise DomainError(
            f"Unknown touchpoint {slug!r}; choose one of: {slugs or 'none defined yet'}.",
            field=field,
            code="not_found",
        )
    return touchpoint


def department_get_by_slug(*, slug: str, field: str = "department") -> Department:
    department = Department.objects.filter(slug=slug).first()
    if department is None:
        slugs = ", ".join(Department.objects.order_by("name").values_list("slug", flat=True))
        raise DomainError(
            f"Unknown department {slug!r}; choose one of: {slugs or 'none defined yet'}.",
            field=field,
            code="not_found",
        )
    return department
