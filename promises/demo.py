"""Demo promises for the acme demo tenant, made through the real services.

A brand promise and three customer promises with their commitments (durations, surveys,
stories, and the rate and average measures ``first_contact_resolution``, ``signin_blocked`` —
lower is better — and ``review_stars``), signed off by the
demo managers over the past year (so scores have history to work with): three active — one
with a raised refund target and one with reworded statement, to show versions — and one
still in review. Needs the tenant's departments and touchpoints (``tenants.demo``) first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from promises.commitments.models import Measure
from promises.commitments.services import (
    commitment_create,
    commitment_update,
    measure_create,
    measures_ensure_builtin,
)
from promises.models import Promise
from promises.services import promise_create, promise_update
from promises.signoffs.services import notifications_suppressed, promise_sign_off, promise_submit
from tenants.context import Actor, actor_context, tenant_context
from tenants.demo import DEMO_PASSWORD, demo_email
from tenants.models import Department, Membership, Tenant, Touchpoint
from tenants.services import member_add

HOUR = 3600
DAY = 24 * HOUR

# Department → (e-mail local part, first name, last name) of a manager the demo adds, so that
# every department asked to sign off has one. Customer Service and Operations already have
# the demo tenant's manager (manager@acme.example).
DEMO_MANAGERS = {
    "Marketing": ("marketing.manager", "Mia", "Marketing"),
    "IT": ("it.manager", "Ivan", "Tech"),
}

DURATION_MEASURES = (
    ("first_response", "First response time", Measure.Unit.HOURS),
    ("refund_processing", "Refund processing time", Measure.Unit.DAYS),
)
# Rate and average measures: (key, name, what measure_create takes besides).
OTHER_MEASURES = (
    ("first_contact_resolution", "First-contact resolution", {"kind": Measure.Kind.RATE}),
    (
        "signin_blocked",
        "Sign-ins blocked by security",
        {"kind": Measure.Kind.RATE, "direction": Measure.Direction.LOWER_IS_BETTER},
    ),
    (
        "review_stars",
        "Review stars",
        {
            "kind": Measure.Kind.AVERAGE,
            "scale_min": 1,
            "scale_max": 5,
            "perspective": Measure.Perspective.PERCEIVED,
        },
    ),
)


def demo_manager_emails(tenant: Tenant) -> list[str]:
    return [f"{local}@{tenant.slug}.example" for local, _, _ in DEMO_MANAGERS.values()]


@contextmanager
def _acting_as(membership: Membership | None) -> Iterator[None]:
    """Record the demo person as the actor in the audit trail, as a web request would."""
    actor = Actor(kind="member", id=membership.pk, label=membership.user.email) if membership else None
    with actor_context(actor):
        yield


def seed_demo_promises(tenant: Tenant) -> list[Promise]:
    """Create acme's demo promises (idempotent: promises whose slug exists are left alone).

    The demo people have no real mailboxes, so the sign-off e-mails are not sent.
    """
    with notifications_suppressed():
        return _seed(tenant)


@transaction.atomic
def _seed(tenant: Tenant) -> list[Promise]:
    with tenant_context(tenant):
        return _seed_in_context(tenant)


def _seed_in_context(tenant: Tenant) -> list[Promise]:
    """The seeding itself; runs in the tenant's context (related rows load lazily below)."""
    measures_ensure_builtin(tenant=tenant)
    departments = {d.name: d for d in Department.objects.all()}
    touchpoints = {t.name: t for t in Touchpoint.objects.all()}
    missing = {"Marketing", "Customer Service", "Operations", "IT"} - set(departments)
    missing_tp = {"Website", "Returns", "Customer support"} - set(touchpoints)
    if missing or missing_tp:
        raise LookupError(
            f"{tenant.slug} lacks {', '.join(sorted(missing | missing_tp))}: seed the demo tenant "
            "(manage.py seed_demo) before its promises."
        )
    existing_measures = {m.key: m for m in Measure.objects.all()}
    existing_slugs = set(Promise.objects.values_list("slug", flat=True))

    managers = {
        name: member_add(
            tenant=tenant,
            email=f"{local}@{tenant.slug}.example",
            role=Membership.Role.MANAGER,
            password=DEMO_PASSWORD,
            first_name=first,
            last_name=last,
            departments=[departments[name]],
        )
        for name, (local, first, last) in DEMO_MANAGERS.items()
    }
    max_manager = Membership.objects.select_related("user").get(
        user__email=demo_email(tenant.slug, Membership.Role.MANAGER)
    )
    managers["Customer Service"] = managers["Operations"] = max_manager
    measures = dict(existing_measures)
    for key, name, unit in DURATION_MEASURES:
        if key not in measures:
            measures[key] = measure_create(tenant=tenant, key=key, name=name, unit=unit)
    for key, name, shape in OTHER_MEASURES:
        if key not in measures:
            measures[key] = measure_create(tenant=tenant, key=key, name=name, **shape)

    now = timezone.now()
    year_ago = now - timedelta(days=400)
    by_slug: dict[str, Promise] = {}

    def draft(slug: str, **fields) -> Promise | None:
        if slug in existing_slugs:
            return None
        owner = fields.pop("owner")
        with _acting_as(managers[owner]):
            promise = promise_create(
                tenant=tenant,
                slug=slug,
                owner=departments[owner],
                contributors=[departments[name] for name in fields.pop("contributors")],
                actor=managers[owner],
                at=fields.pop("at"),
                **fields,
            )
        by_slug[slug] = promise
        return promise

    def commit(promise: Promise, measure: str, touchpoint: str, target: str, **terms):
        with _acting_as(managers[promise.owner.name]):
            return commitment_create(
                tenant=tenant,
                promise=promise,
                measure=measures[measure],
                touchpoint=touchpoints[touchpoint],
                target=Decimal(target),
                actor=managers[promise.owner.name],
                at=promise.created_at,
                **terms,
            )

    def review(promise: Promise, *, at, approving: list[str]) -> None:
        with _acting_as(managers[promise.owner.name]):
            promise_submit(tenant=tenant, promise=promise, actor=managers[promise.owner.name], at=at)
        for offset, name in enumerate(approving, start=1):
            with _acting_as(managers[name]):
                promise_sign_off(
                    tenant=tenant,
                    promise=promise,
                    department=departments[name],
                    actor=managers[name],
                    approve=True,
                    comment="Agreed — we can deliver this.",
                    at=at + timedelta(hours=offset),
                )

    brand = draft(
        "shopping-without-the-hassle",
        kind=Promise.Kind.BRAND,
        title="Shopping without the hassle",
        statement="Buying from Acme is easy from the first click to the last return: no forms, no waiting, no runaround.",
        benefits="Customers save time and never have to chase us.",
        quality_standards="Every step of the journey can be done in one go, online or with one person.",
        intended_feeling="Relaxed and in control.",
        owner="Marketing",
        contributors=["Customer Service", "Operations"],
        at=year_ago,
    )
    if brand is not None:
        review(
            brand, at=year_ago + timedelta(days=1), approving=["Marketing", "Customer Service", "Operations"]
        )
    parent = Promise.objects.get(slug="shopping-without-the-hassle")

    returns = draft(
        "hassle-free-returns",
        kind=Promise.Kind.CUSTOMER,
        parent=parent,
        title="Hassle-free returns",
        statement="Send it back without a form; your money is back within 5 days.",
        benefits="No forms, a prepaid label, a quick refund.",
        quality_standards="90 % of refunds are processed within 5 days of the parcel arriving.",
        intended_feeling="Trust: returning something is no risk.",
        owner="Operations",
        contributors=["Customer Service"],
        at=year_ago + timedelta(days=2),
    )
    if returns is not None:
        refund = commit(returns, "refund_processing", "Returns", "85", threshold_seconds=5 * DAY, weight=2)
        commit(returns, "csat", "Returns", "80")
        commit(returns, "review_stars", "Returns", "4.2", min_sample=20)
        review(returns, at=year_ago + timedelta(days=3), approving=["Operations", "Customer Service"])
        # Raised after a good quarter: the history shows version 1 (85 %) and version 2 (90 %).
        with _acting_as(managers["Operations"]):
            commitment_update(
                tenant=tenant,
                commitment=refund,
                target=Decimal(90),
                actor=managers["Operations"],
                at=now - timedelta(days=120),
            )

    human = draft(
        "a-human-answers-within-4-hours",
        kind=Promise.Kind.CUSTOMER,
        parent=parent,
        title="A human answers within 4 hours",
        statement="Write to us any way you like: a person replies within one working day.",
        benefits="A real answer from someone who can help, not an auto-reply.",
        quality_standards="95 % of first responses within 4 hours; customers find support easy (CES ≥ 5.5).",
        intended_feeling="Heard and taken seriously.",
        owner="Customer Service",
        contributors=["IT"],
        at=year_ago + timedelta(days=2),
    )
    if human is not None:
        commit(human, "first_response", "Customer support", "95", threshold_seconds=4 * HOUR, weight=2)
        commit(human, "ces", "Customer support", "5.5")
        commit(human, "first_contact_resolution", "Customer support", "75", min_sample=20)
        review(human, at=year_ago + timedelta(days=3), approving=["Customer Service", "IT"])
        with _acting_as(managers["Customer Service"]):
            promise_update(
                tenant=tenant,
                promise=human,
                statement="Write to us any way you like: a person replies within 4 hours.",
                note="The statement now says what the commitment measures: 4 hours, not one working day.",
                actor=managers["Customer Service"],
                at=now - timedelta(days=200),
            )

    sign_in = draft(
        "secure-hassle-free-sign-in",
        kind=Promise.Kind.CUSTOMER,
        parent=parent,
        title="Secure, hassle-free sign-in",
        statement="Your account is safe, and you never get locked out of it for doing nothing wrong.",
        benefits="Security that protects you without getting in your way.",
        quality_standards="Login-help stories are mostly positive; website NPS at least 30.",
        intended_feeling="Safe and welcome.",
        owner="IT",
        contributors=["Customer Service", "Marketing"],
        at=now - timedelta(days=10),
    )
    if sign_in is not None:
        commit(sign_in, "story_sentiment", "Website", "80")
        commit(sign_in, "nps", "Website", "30")
        # Security that frustrates customers: at most 2 % of sign-ins blocked.
        commit(sign_in, "signin_blocked", "Website", "2", window_days=30, min_sample=50)
        # In review: IT has approved, Customer Service and Marketing have yet to decide.
        review(sign_in, at=now - timedelta(days=9), approving=["IT"])

    return list(Promise.objects.order_by("kind", "title"))
