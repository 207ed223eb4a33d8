"""Demo promises for the demo tenants, made through the real services.

Each demo tenant tells its own story (``DEMO_STORIES``, by the tenant's slug), signed off by
its managers over the past year so that scores have history to work with:

- **acme** (a retailer): a brand promise and three customer promises with their commitments
  (durations, surveys, stories, and the rate and average measures ``first_contact_resolution``,
  ``signin_blocked`` — lower is better — and ``review_stars``): three active — one with a
  raised refund target and one with a reworded statement, to show versions — and one still
  in review.
- **globex** (a bank): a brand promise and "Your card works wherever you are", "We answer
  within a minute" and "No surprises on fees" (NPS, CSAT, CES, card replacement and fee
  refund durations, the rate of calls answered within a minute and of card payments wrongly
  declined abroad — lower is better), one with a raised target; and "Fraud checks that
  don't lock you out" still in review.

Seeding is done once per tenant: a tenant that has any promise is left exactly as it is (an
admin may have edited, retired or signed off what the demo made). Needs the tenant's
departments and touchpoints (``tenants.demo``) first.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from promises.commitments.models import Measure, MeasureBenchmark
from promises.commitments.services import (
    benchmark_set,
    commitment_create,
    commitment_update,
    measure_create,
    measures_ensure_builtin,
)
from promises.models import Commitment, Promise
from promises.services import promise_create, promise_update
from promises.signoffs.services import notifications_suppressed, promise_sign_off, promise_submit
from tenants.context import Actor, actor_context, tenant_context
from tenants.demo import demo_email, demo_member_add
from tenants.models import Department, Membership, Tenant, Touchpoint

HOUR = 3600
DAY = 24 * HOUR


@dataclass(frozen=True)
class DemoStory:
    """One demo tenant's promises: what they need, who signs them off, and how they are made."""

    # Department → (e-mail local part, first name, last name) of a manager the demo adds, so
    # that every department asked to sign off has one. Departments not named here are signed
    # off by the demo tenant's own manager (manager@<slug>.example).
    managers: dict[str, tuple[str, str, str]]
    departments: frozenset[str]
    touchpoints: frozenset[str]
    # The tenant's own measures: (key, name, what measure_create takes besides).
    measures: tuple[tuple[str, str, dict[str, Any]], ...]
    draft: Callable[[_Seeder], None] = field(repr=False)
    # Benchmarks to compare the measures against: (measure key, label, value, source).
    benchmarks: tuple[tuple[str, str, str, str], ...] = ()


def demo_story(slug: str) -> DemoStory:
    """The story of the demo tenant ``slug``; LookupError names the stories there are."""
    try:
        return DEMO_STORIES[slug]
    except KeyError:
        raise LookupError(
            f"There is no demo story for {slug!r}; the demo stories are: {', '.join(sorted(DEMO_STORIES))}."
        ) from None


def demo_manager_emails(tenant: Tenant, *, story: str | None = None) -> list[str]:
    managers = demo_story(story or tenant.slug).managers
    return [f"{local}@{tenant.slug}.example" for local, _, _ in managers.values()]


def promise_summary(promises: list[Promise]) -> str:
    """``4 promises (3 active, 1 in review)``."""
    by_status: dict[str, int] = {}
    for promise in promises:
        status = promise.get_status_display().lower()
        by_status[status] = by_status.get(status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(by_status.items()))
    return f"{len(promises)} promises ({summary})"


@contextmanager
def _acting_as(membership: Membership | None) -> Iterator[None]:
    """Record the demo person as the actor in the audit trail, as a web request would."""
    actor = Actor(kind="member", id=membership.pk, label=membership.user.email) if membership else None
    with actor_context(actor):
        yield


def seed_demo_promises(tenant: Tenant, *, story: str | None = None) -> list[Promise]:
    """Create the demo promises of ``story`` (default: the tenant's slug) for ``tenant``.

    Once per tenant: when the tenant has any promise, nothing is created or changed. The demo
    people have no real mailboxes, so the sign-off e-mails are not sent. Returns the tenant's
    promises.
    """
    chosen = demo_story(story or tenant.slug)
    with notifications_suppressed():
        return _seed(tenant, chosen)


@transaction.atomic
def _seed(tenant: Tenant, story: DemoStory) -> list[Promise]:
    with tenant_context(tenant):
        if not Promise.objects.exists():
            story.draft(_Seeder.prepare(tenant, story))
        return list(Promise.objects.order_by("kind", "title"))


def seed_demo_benchmarks(tenant: Tenant, *, story: str | None = None) -> int:
    """Create the demo benchmarks of ``story`` (default: the tenant's slug) when the tenant has
    none at all; returns how many were created. A measure the tenant lacks is skipped; nothing
    an admin set is changed."""
    chosen = demo_story(story or tenant.slug)
    with tenant_context(tenant), transaction.atomic():
        if MeasureBenchmark.objects.exists():
            return 0
        measures = {m.key: m for m in Measure.objects.all()}
        created = 0
        for key, label, value, source in chosen.benchmarks:
            if key in measures:
                benchmark_set(tenant=tenant, measure=measures[key], label=label, value=value, source=source)
                created += 1
        return created


DEMO_SOURCE = "Illustrative figure for the demo"


@dataclass
class _Seeder:
    """What a story drafts with: the tenant's departments, touchpoints, measures and managers,
    and the steps of a promise's life (draft, commit, review) as those managers take them."""

    tenant: Tenant
    departments: dict[str, Department]
    touchpoints: dict[str, Touchpoint]
    measures: dict[str, Measure]
    managers: dict[str, Membership]
    now: datetime

    @classmethod
    def prepare(cls, tenant: Tenant, story: DemoStory) -> _Seeder:
        """Runs in the tenant's context (related rows load lazily while drafting)."""
        measures_ensure_builtin(tenant=tenant)
        departments = {d.name: d for d in Department.objects.all()}
        touchpoints = {t.name: t for t in Touchpoint.objects.all()}
        missing = (story.departments - set(departments)) | (story.touchpoints - set(touchpoints))
        if missing:
            raise LookupError(
                f"{tenant.slug} lacks {', '.join(sorted(missing))}: seed the demo tenant "
                "(manage.py seed_demo) before its promises."
            )
        managers = {
            name: demo_member_add(
                tenant=tenant,
                email=f"{local}@{tenant.slug}.example",
                role=Membership.Role.MANAGER,
                first_name=first,
                last_name=last,
                departments=[departments[name]],
            )
            for name, (local, first, last) in story.managers.items()
        }
        own_manager = Membership.objects.select_related("user").get(
            user__email=demo_email(tenant.slug, Membership.Role.MANAGER)
        )
        for name in story.departments - set(story.managers):
            managers[name] = own_manager
        measures = {m.key: m for m in Measure.objects.all()}
        for key, name, shape in story.measures:
            if key not in measures:
                measures[key] = measure_create(tenant=tenant, key=key, name=name, **shape)
        return cls(tenant, departments, touchpoints, measures, managers, timezone.now())

    def draft(self, slug: str, **fields: Any) -> Promise:
        owner = fields.pop("owner")
        with _acting_as(self.managers[owner]):
            return promise_create(
                tenant=self.tenant,
                slug=slug,
                owner=self.departments[owner],
                contributors=[self.departments[name] for name in fields.pop("contributors")],
                actor=self.managers[owner],
                at=fields.pop("at"),
                **fields,
            )

    def commit(
        self, promise: Promise, measure: str, touchpoint: str, target: str, **terms: Any
    ) -> Commitment:
        with _acting_as(self.managers[promise.owner.name]):
            return commitment_create(
                tenant=self.tenant,
                promise=promise,
                measure=self.measures[measure],
                touchpoint=self.touchpoints[touchpoint],
                target=Decimal(target),
                actor=self.managers[promise.owner.name],
                at=promise.created_at,
                **terms,
            )

    def review(self, promise: Promise, *, at: datetime, approving: list[str]) -> None:
        with _acting_as(self.managers[promise.owner.name]):
            promise_submit(
                tenant=self.tenant, promise=promise, actor=self.managers[promise.owner.name], at=at
            )
        for offset, name in enumerate(approving, start=1):
            with _acting_as(self.managers[name]):
                promise_sign_off(
                    tenant=self.tenant,
                    promise=promise,
                    department=self.departments[name],
                    actor=self.managers[name],
                    approve=True,
                    comment="Agreed — we can deliver this.",
                    at=at + timedelta(hours=offset),
                )

    def raise_target(self, commitment: Commitment, target: int, *, at: datetime) -> None:
        owner = commitment.promise.owner.name
        with _acting_as(self.managers[owner]):
            commitment_update(
                tenant=self.tenant,
                commitment=commitment,
                target=Decimal(target),
                actor=self.managers[owner],
                at=at,
            )


# --- acme: a retailer ---------------------------------------------------------------------


def _acme(seed: _Seeder) -> None:
    now = seed.now
    year_ago = now - timedelta(days=400)

    brand = seed.draft(
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
    seed.review(
        brand, at=year_ago + timedelta(days=1), approving=["Marketing", "Customer Service", "Operations"]
    )

    returns = seed.draft(
        "hassle-free-returns",
        kind=Promise.Kind.CUSTOMER,
        parent=brand,
        title="Hassle-free returns",
        statement="Send it back without a form; your money is back within 5 days.",
        benefits="No forms, a prepaid label, a quick refund.",
        quality_standards="90 % of refunds are processed within 5 days of the parcel arriving.",
        intended_feeling="Trust: returning something is no risk.",
        owner="Operations",
        contributors=["Customer Service"],
        at=year_ago + timedelta(days=2),
    )
    refund = seed.commit(returns, "refund_processing", "Returns", "85", threshold_seconds=5 * DAY, weight=2)
    seed.commit(returns, "csat", "Returns", "80")
    seed.commit(returns, "review_stars", "Returns", "4.2", min_sample=20)
    seed.review(returns, at=year_ago + timedelta(days=3), approving=["Operations", "Customer Service"])
    # Raised after a good quarter: the history shows version 1 (85 %) and version 2 (90 %).
    seed.raise_target(refund, 90, at=now - timedelta(days=120))

    human = seed.draft(
        "a-human-answers-within-4-hours",
        kind=Promise.Kind.CUSTOMER,
        parent=brand,
        title="A human answers within 4 hours",
        statement="Write to us any way you like: a person replies within one working day.",
        benefits="A real answer from someone who can help, not an auto-reply.",
        quality_standards="95 % of first responses within 4 hours; customers find support easy (CES ≥ 5.5).",
        intended_feeling="Heard and taken seriously.",
        owner="Customer Service",
        contributors=["IT"],
        at=year_ago + timedelta(days=2),
    )
    seed.commit(human, "first_response", "Customer support", "95", threshold_seconds=4 * HOUR, weight=2)
    seed.commit(human, "ces", "Customer support", "5.5")
    seed.commit(human, "first_contact_resolution", "Customer support", "75", min_sample=20)
    seed.review(human, at=year_ago + timedelta(days=3), approving=["Customer Service", "IT"])
    with _acting_as(seed.managers["Customer Service"]):
        promise_update(
            tenant=seed.tenant,
            promise=human,
            statement="Write to us any way you like: a person replies within 4 hours.",
            note="The statement now says what the commitment measures: 4 hours, not one working day.",
            actor=seed.managers["Customer Service"],
            at=now - timedelta(days=200),
        )

    sign_in = seed.draft(
        "secure-hassle-free-sign-in",
        kind=Promise.Kind.CUSTOMER,
        parent=brand,
        title="Secure, hassle-free sign-in",
        statement="Your account is safe, and you never get locked out of it for doing nothing wrong.",
        benefits="Security that protects you without getting in your way.",
        quality_standards="Login-help stories are mostly positive; website NPS at least 30.",
        intended_feeling="Safe and welcome.",
        owner="IT",
        contributors=["Customer Service", "Marketing"],
        at=now - timedelta(days=10),
    )
    seed.commit(sign_in, "story_sentiment", "Website", "80")
    seed.commit(sign_in, "nps", "Website", "30")
    # Security that frustrates customers: at most 2 % of sign-ins blocked.
    seed.commit(sign_in, "signin_blocked", "Website", "2", window_days=30, min_sample=50)
    # In review: IT has approved, Customer Service and Marketing have yet to decide.
    seed.review(sign_in, at=now - timedelta(days=9), approving=["IT"])


# --- globex: a bank -----------------------------------------------------------------------


def _globex(seed: _Seeder) -> None:
    now = seed.now
    year_ago = now - timedelta(days=400)

    brand = seed.draft(
        "banking-that-keeps-its-word",
        kind=Promise.Kind.BRAND,
        title="Banking that keeps its word",
        statement="Your money works wherever you are, a person answers when you call, and the price is the price.",
        benefits="Customers can rely on their bank without checking up on it.",
        quality_standards="Every promise we make has a number we report on, good or bad.",
        intended_feeling="Safe and respected.",
        owner="Brand",
        contributors=["Retail Banking", "Security", "Contact Center"],
        at=year_ago,
    )
    seed.review(
        brand,
        at=year_ago + timedelta(days=1),
        approving=["Brand", "Retail Banking", "Security", "Contact Center"],
    )

    card = seed.draft(
        "your-card-works-wherever-you-are",
        kind=Promise.Kind.CUSTOMER,
        parent=brand,
        title="Your card works wherever you are",
        statement="Pay at home and abroad without a false alarm; a lost card is replaced within 2 days.",
        benefits="No embarrassment at the till, no holiday spent without money.",
        quality_standards="At most 1 % of card payments abroad wrongly declined; 95 % of cards replaced within 2 days.",
        intended_feeling="Free to travel.",
        owner="Security",
        contributors=["Digital Channels"],
        at=year_ago + timedelta(days=2),
    )
    seed.commit(card, "card_declined_abroad", "Card payments", "1", window_days=30, min_sample=50, weight=2)
    seed.commit(card, "card_replacement", "Card payments", "95", threshold_seconds=2 * DAY)
    seed.commit(card, "csat", "Card payments", "80")
    seed.review(card, at=year_ago + timedelta(days=3), approving=["Security", "Digital Channels"])

    answer = seed.draft(
        "we-answer-within-a-minute",
        kind=Promise.Kind.CUSTOMER,
        parent=brand,
        title="We answer within a minute",
        statement="Call us about anything: a person picks up within a minute, day or night.",
        benefits="Help at once when something is wrong with your money.",
        quality_standards="90 % of calls answered by a person within a minute; customers find it easy (CES ≥ 5.5).",
        intended_feeling="Looked after.",
        owner="Contact Center",
        contributors=["Digital Channels"],
        at=year_ago + timedelta(days=2),
    )
    answered = seed.commit(
        answer, "call_answered_in_a_minute", "Phone support", "85", window_days=30, weight=2
    )
    seed.commit(answer, "ces", "Phone support", "5.5")
    seed.review(answer, at=year_ago + timedelta(days=3), approving=["Contact Center", "Digital Channels"])
    # Raised once the new call routing was in: version 1 (85 %), version 2 (90 %).
    seed.raise_target(answered, 90, at=now - timedelta(days=180))

    fees = seed.draft(
        "no-surprises-on-fees",
        kind=Promise.Kind.CUSTOMER,
        parent=brand,
        title="No surprises on fees",
        statement="You see every fee before you pay it, and a fee charged by mistake is back within 3 days.",
        benefits="The price is the price: no small print, no chasing refunds.",
        quality_standards="90 % of wrong fees refunded within 3 days; online-banking NPS at least 20.",
        intended_feeling="Treated fairly.",
        owner="Retail Banking",
        contributors=["Brand", "Digital Channels"],
        at=year_ago + timedelta(days=5),
    )
    seed.commit(fees, "fee_refund", "Online banking", "90", threshold_seconds=3 * DAY)
    seed.commit(fees, "nps", "Online banking", "20")
    seed.commit(fees, "csat", "Account opening", "80")
    seed.review(
        fees, at=year_ago + timedelta(days=6), approving=["Retail Banking", "Brand", "Digital Channels"]
    )

    fraud = seed.draft(
        "fraud-checks-that-dont-lock-you-out",
        kind=Promise.Kind.CUSTOMER,
        parent=brand,
        title="Fraud checks that don't lock you out",
        statement="We stop fraud, not you: a check on your account takes one tap in the app, never a branch visit.",
        benefits="Protection that does not cost you your afternoon.",
        quality_standards="Stories about fraud checks are mostly positive.",
        intended_feeling="Protected, not suspected.",
        owner="Security",
        contributors=["Contact Center"],
        at=now - timedelta(days=12),
    )
    seed.commit(fraud, "story_sentiment", "Fraud check", "70")
    # In review: submitted, and nobody has decided yet.
    seed.review(fraud, at=now - timedelta(days=11), approving=[])


DEMO_STORIES: dict[str, DemoStory] = {
    "acme": DemoStory(
        managers={
            "Marketing": ("marketing.manager", "Mia", "Marketing"),
            "IT": ("it.manager", "Ivan", "Tech"),
        },
        departments=frozenset({"Marketing", "Customer Service", "Operations", "IT"}),
        touchpoints=frozenset({"Website", "Returns", "Customer support"}),
        measures=(
            ("first_response", "First response time", {"unit": Measure.Unit.HOURS}),
            ("refund_processing", "Refund processing time", {"unit": Measure.Unit.DAYS}),
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
        ),
        draft=_acme,
        benchmarks=(
            ("nps", "Retail average", "32", DEMO_SOURCE),
            ("nps", "Best in class", "61", DEMO_SOURCE),
            ("csat", "Retail average", "78", DEMO_SOURCE),
            ("ces", "Retail average", "5.2", DEMO_SOURCE),
            ("story_sentiment", "Last year", "58", ""),
            ("first_response", "Retail average", "80", DEMO_SOURCE),
            ("refund_processing", "Retail average", "85", DEMO_SOURCE),
            ("first_contact_resolution", "Retail average", "70", DEMO_SOURCE),
            ("signin_blocked", "Retail average", "3", DEMO_SOURCE),
            ("review_stars", "Retail average", "4.1", DEMO_SOURCE),
        ),
    ),
    "globex": DemoStory(
        managers={
            "Brand": ("brand.manager", "Bea", "Brandt"),
            "Retail Banking": ("retail.manager", "Rafael", "Banks"),
            "Digital Channels": ("digital.manager", "Dana", "Digital"),
        },
        departments=frozenset({"Brand", "Retail Banking", "Security", "Digital Channels", "Contact Center"}),
        touchpoints=frozenset(
            {"Account opening", "Online banking", "Card payments", "Fraud check", "Phone support"}
        ),
        measures=(
            ("card_replacement", "Card replacement time", {"unit": Measure.Unit.DAYS}),
            ("fee_refund", "Wrong fee refund time", {"unit": Measure.Unit.DAYS}),
            ("call_answered_in_a_minute", "Calls answered within a minute", {"kind": Measure.Kind.RATE}),
            (
                "card_declined_abroad",
                "Card payments abroad wrongly declined",
                {"kind": Measure.Kind.RATE, "direction": Measure.Direction.LOWER_IS_BETTER},
            ),
        ),
        draft=_globex,
        benchmarks=(
            ("nps", "Banking average", "25", DEMO_SOURCE),
            ("nps", "Best in class", "55", DEMO_SOURCE),
            ("csat", "Banking average", "75", DEMO_SOURCE),
            ("ces", "Banking average", "4.8", DEMO_SOURCE),
            ("card_replacement", "Banking average", "85", DEMO_SOURCE),
            ("fee_refund", "Banking average", "80", DEMO_SOURCE),
            ("call_answered_in_a_minute", "Banking average", "75", DEMO_SOURCE),
            ("card_declined_abroad", "Banking average", "3", DEMO_SOURCE),
        ),
    ),
}
