"""A year of demo signals for each demo tenant, so the score dashboards have a story to tell.

Seeds survey responses, service events and customer stories at the touchpoints of the
tenant's demo promises (``promises.demo``), in bulk, then takes the score runs the dashboards
read: one every two weeks over the last half year (so breach events, and the escalations
they propose, appear as they would have), the quarter-end and daily snapshots
(``scores_daily``) and a recompute as of now.

**acme** (a retailer):

- *Hassle-free returns*: refunds stay fast (about 95 % within 5 days, met all year), but
  customers grow unhappy with returns from five months ago (CSAT falls from 86 % to about
  40 % satisfied) and their stories turn negative — operations say the promise is kept,
  customers say it is not: a **hidden breach**.
- *A human answers within 4 hours*: first responses improve quarter by quarter (from 84 %
  to over 99 % within 4 hours), while customer effort gets worse over the last two months, so
  the CES commitment is **no longer met**.
  Review stars of returns (an average on 1–5, perceived) fall with it, from about 4.5 to 3.3,
  below their target of 4.2.
- *A human answers within 4 hours* also tracks first-contact resolution (a rate), improving
  from 70 % to 80 % against a target of 75 %.
- *Secure, hassle-free sign-in* (in review, not scored yet): lockout stories at the website,
  and the share of sign-ins security blocks (a rate, lower is better: at most 2 %) rising from
  about 1.5 % to 4 % over the last four months.
- NPS answers at the website, purchase and delivery fill the rest of the journey map.

**globex** (a bank):

- *Your card works wherever you are*: card payments abroad wrongly declined (a rate, lower
  is better: at most 1 %) jump to about 4 % over the summer, when a new fraud rule misfired,
  then settle back to about 0.3 %; card-payment CSAT dips and recovers with them (a hidden
  breach while it lasts: lost cards are still replaced within 2 days), and the summer's
  stories are angry ones.
- *We answer within a minute*: calls answered by a person within a minute climb from 90 % to
  about 96 % (the target was raised from 85 % to 90 % half a year ago), then slip to about
  72 % over the last two months while customer effort worsens: both commitments are **no
  longer met**, and the system proposes an escalation to the contact center.
- *No surprises on fees*: wrong fees are refunded within 3 days, online-banking NPS rises
  from about 30 to about 45 (target 20), account-opening CSAT stays high: a promise kept.
- *Fraud checks that don't lock you out* (in review, not scored yet): mixed stories at the
  fraud check.
- NPS answers at the branch fill the rest of the journey map.

Deterministic (a fixed random seed) and once per tenant: nothing is written when the tenant
has any signal already.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import connections, transaction
from django.utils import timezone

from feedback.sentiment import sentiment_score
from feedback.signals.models import ServiceEvent, SourceKind, SurveyResponse
from feedback.stories.models import Story, StoryPromise
from metrics.models import ScoreRun
from metrics.services import scores_daily, scores_run
from promises.demo import promise_summary, seed_demo_benchmarks, seed_demo_promises
from promises.models import Measure, Promise
from tenants.context import tenant_context
from tenants.demo import DEMO_TENANTS, DemoTenant, demo_email, seed_demo_tenant
from tenants.models import Membership, Tenant, Touchpoint

DAYS = 365
SEED = 2026
HOUR = 3600
DAY = 24 * HOUR
PAST_RUN_EVERY = timedelta(days=14)
PAST_RUNS = 13
BATCH = 2000
# The share of survey answers that carry a comment, and the scores at or below / at or above
# which an answer is unhappy / happy enough for one (the follow-up rule's defaults).
COMMENT_SHARE = 0.08
COMMENT_BANDS = {"nps": (6, 9), "csat": (2, 4), "ces": (2, 6)}
UNHAPPY_COMMENTS = (
    "Still waiting for my refund after two weeks.",
    "Nobody called me back, even though I was promised a callback.",
    "The return label never arrived, I had to print my own.",
    "Locked out of my account again and the reset link had expired.",
    "Waited forty minutes on hold and then got cut off.",
    "Die Lieferung kam schon wieder zu spät.",
    "Le colis n'est jamais arrivé et personne ne répond.",
    "Sigo esperando el reembolso, nadie contesta.",
)
HAPPY_COMMENTS = (
    "Refund arrived within two days, exactly as promised.",
    "Friendly staff and the return took two minutes.",
    "The courier was polite and right on time.",
    "Sorted out on the first call, thank you!",
    "Super schneller Umtausch, sehr freundlich.",
    "Livraison rapide, rien à redire.",
    "Muy amables, me lo solucionaron enseguida.",
)


def _progress(age_days: float, *, start: float, end: float, since: float = DAYS) -> float:
    """A rate moving linearly from ``start`` (``since`` days ago and earlier) to ``end`` (now)."""
    if age_days >= since:
        return start
    return end + (start - end) * age_days / since


@dataclass
class _Signals:
    """One tenant's demo signals, built in memory and then written in bulk.

    The helpers draw from one seeded random generator in the order a story calls them, so a
    story always writes the same year.
    """

    now: datetime
    measures: dict[str, Measure]
    touchpoints: dict[str, Touchpoint]
    promises: dict[str, Promise]
    recorder: Membership  # who "entered" the surveys and events (the demo admin)
    storyteller: Membership  # who logged the stories (the demo employee)
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    # The customers' plans a survey answer's segment names; drawn from a generator of their own,
    # so the answers themselves stay what they were before answers carried a segment.
    plans: tuple[tuple[str, float], ...] = ()
    segment_rng: random.Random = field(default_factory=lambda: random.Random(SEED + 1))
    # Which answers carry a comment, and which: a generator of its own too, for the same reason.
    comment_rng: random.Random = field(default_factory=lambda: random.Random(SEED + 2))
    surveys: list[SurveyResponse] = field(default_factory=list)
    events: list[ServiceEvent] = field(default_factory=list)
    stories: list[tuple[Story, Promise]] = field(default_factory=list)
    _sentiments: dict[str, float] = field(default_factory=dict)

    def when(self, age_days: int) -> datetime:
        """A moment during that day, never in the future."""
        return self.now - timedelta(days=age_days, seconds=self.rng.randrange(DAY - 60) + 60)

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def pick(self, options: tuple[str, ...]) -> str:
        return options[self.rng.randrange(len(options))]

    def survey(self, measure: str, touchpoint: str, score: int, at: datetime) -> None:
        comment = self.comment(measure, score)
        if comment and comment not in self._sentiments:
            self._sentiments[comment] = sentiment_score(comment)
        self.surveys.append(
            SurveyResponse(
                measure=self.measures[measure],
                touchpoint=self.touchpoints[touchpoint],
                score=score,
                comment=comment,
                comment_sentiment=self._sentiments[comment] if comment else None,
                segment=self.segment(),
                occurred_at=at,
                source_kind=SourceKind.MEMBER,
                source_id=self.recorder.pk,
                external_id=f"demo-survey-{len(self.surveys) + 1}",
            )
        )

    def comment(self, measure: str, score: int) -> str:
        """The reason some customers give with a clearly happy or unhappy score; mostly none."""
        if self.comment_rng.random() >= COMMENT_SHARE:
            return ""
        unhappy, happy = COMMENT_BANDS[measure]
        if score <= unhappy:
            return self.comment_rng.choice(UNHAPPY_COMMENTS)
        if score >= happy:
            return self.comment_rng.choice(HAPPY_COMMENTS)
        return ""

    def segment(self) -> dict[str, str]:
        """``{"plan": …}``, each plan as often as its share says (none without plans)."""
        if not self.plans:
            return {}
        names, shares = zip(*self.plans, strict=True)
        return {"plan": self.segment_rng.choices(names, weights=shares)[0]}

    def event(self, measure: str, touchpoint: str, at: datetime, **fact) -> None:
        """A service event: ``duration_seconds`` (duration measures), ``outcome`` (rates) or
        ``value`` (averages)."""
        self.events.append(
            ServiceEvent(
                measure=self.measures[measure],
                touchpoint=self.touchpoints[touchpoint],
                occurred_at=at,
                source_kind=SourceKind.MEMBER,
                source_id=self.recorder.pk,
                external_id=f"demo-event-{len(self.events) + 1}",
                **fact,
            )
        )

    def story(self, text: str, touchpoint: str, promise: str, at: datetime, severity: str) -> None:
        if text not in self._sentiments:
            self._sentiments[text] = sentiment_score(text)
        self.stories.append(
            (
                Story(
                    text=text,
                    touchpoint=self.touchpoints[touchpoint],
                    channel=Story.Channel.WEB_FORM,
                    sentiment=self._sentiments[text],
                    severity=severity,
                    occurred_at=at,
                    source_kind=SourceKind.MEMBER,
                    source_id=self.storyteller.pk,
                    external_id=f"demo-story-{len(self.stories) + 1}",
                ),
                self.promises[promise],
            )
        )

    def write(self) -> int:
        SurveyResponse.objects.bulk_create(self.surveys, batch_size=BATCH)
        ServiceEvent.objects.bulk_create(self.events, batch_size=BATCH)
        created = Story.objects.bulk_create([s for s, _ in self.stories], batch_size=BATCH)
        StoryPromise.objects.bulk_create(
            [StoryPromise(story=s, promise=p) for s, (_, p) in zip(created, self.stories, strict=True)],
            batch_size=BATCH,
        )
        return len(self.surveys) + len(self.events) + len(self.stories)


@dataclass(frozen=True)
class DemoYear:
    """What one demo tenant's year needs (from its demo promises) and what happens each day."""

    measures: frozenset[str]
    touchpoints: frozenset[str]
    promises: frozenset[str]
    day: Callable[[_Signals, int], None]
    # The plans survey answers come from, with their shares (the segment filters' choices).
    plans: tuple[tuple[str, float], ...] = ()


# --- acme: a retailer ---------------------------------------------------------------------

RETURNS_GOOD = (
    "The courier picked up the return at my door and the refund was there two days later. So easy!",
    "Returned a jacket without filling in anything, great service.",
)
RETURNS_BAD = (
    "The refund came quickly, but I had to print three forms and queue at the post office. Terrible.",
    "Nobody told me my return had arrived; I was worried and frustrated for a week.",
    "The returns page kept failing and the label never came. Awful experience.",
)
SUPPORT_GOOD = (
    "A real person answered my e-mail within an hour and solved it. Wonderful.",
    "Quick, friendly answer from support, thank you!",
)
SUPPORT_BAD = (
    "They answered fast, but I had to explain the problem three times to different people. Annoying.",
    "Support replied quickly yet sent me in circles between the app and the phone line.",
)
SIGN_IN_BAD = (
    "Locked out of my account again after the security check, for doing nothing wrong. Infuriating.",
    "The new login verification blocked me twice this week; I could not pay.",
)


def _acme_day(s: _Signals, age: int) -> None:
    # Returns: refunds fast all year; satisfaction with returns falls over the last 150 days.
    for _ in range(3):
        fast = s.chance(0.95)
        seconds = s.rng.randrange(DAY, 5 * DAY) if fast else s.rng.randrange(5 * DAY + 1, 12 * DAY)
        s.event("refund_processing", "Returns", s.when(age), duration_seconds=seconds)
    satisfied = _progress(age, start=0.86, end=0.40, since=150)
    for _ in range(2):
        score = s.rng.choice((4, 5)) if s.chance(satisfied) else s.rng.choice((1, 2, 3))
        s.survey("csat", "Returns", score, s.when(age))
    # Review stars of returns follow satisfaction down: about 4.5 a year ago, about 3.3 now.
    stars = _progress(age, start=4.5, end=3.3, since=150)
    s.event(
        "review_stars", "Returns", s.when(age), value=Decimal(max(1, min(5, round(s.rng.gauss(stars, 0.8)))))
    )
    unhappy = _progress(age, start=0.2, end=0.85, since=150)
    if s.chance(0.45):
        bad = s.chance(unhappy)
        s.story(
            s.pick(RETURNS_BAD if bad else RETURNS_GOOD),
            "Returns",
            "hassle-free-returns",
            s.when(age),
            Story.Severity.HIGH if bad else Story.Severity.LOW,
        )

    # Support: first responses improve all year; customer effort worsens in the last 60 days.
    within = _progress(age, start=0.84, end=0.995)
    for _ in range(4):
        seconds = (
            s.rng.randrange(10 * 60, 4 * HOUR)
            if s.chance(within)
            else s.rng.randrange(4 * HOUR + 1, 30 * HOUR)
        )
        s.event("first_response", "Customer support", s.when(age), duration_seconds=seconds)
    # First-contact resolution improves slowly (70 % → 80 %).
    resolved = _progress(age, start=0.70, end=0.80)
    for _ in range(3):
        s.event("first_contact_resolution", "Customer support", s.when(age), outcome=s.chance(resolved))
    effort = _progress(age, start=5.9, end=4.3, since=60)
    for _ in range(2):
        s.survey("ces", "Customer support", max(1, min(7, round(s.rng.gauss(effort, 0.9)))), s.when(age))
    if s.chance(0.3):
        bad = s.chance(_progress(age, start=0.15, end=0.6, since=60))
        s.story(
            s.pick(SUPPORT_BAD if bad else SUPPORT_GOOD),
            "Customer support",
            "a-human-answers-within-4-hours",
            s.when(age),
            Story.Severity.MEDIUM if bad else Story.Severity.LOW,
        )

    # The rest of the journey: NPS answers, and sign-in lockouts at the website.
    for name, promoters in (("Website", 0.45), ("Purchase", 0.6), ("Delivery", 0.5)):
        if name in s.touchpoints and s.chance(0.8):
            score = s.rng.choice((9, 10)) if s.chance(promoters) else s.rng.choice((3, 5, 6, 7, 8))
            s.survey("nps", name, score, s.when(age))
    # Sign-ins security blocks at the website: about 1.5 %, rising to 4 % with the lockouts.
    blocked = _progress(age, start=0.015, end=0.04, since=120)
    for _ in range(4):
        s.event("signin_blocked", "Website", s.when(age), outcome=s.chance(blocked))
    if "secure-hassle-free-sign-in" in s.promises and age < 120 and s.chance(0.15):
        s.story(
            s.pick(SIGN_IN_BAD), "Website", "secure-hassle-free-sign-in", s.when(age), Story.Severity.HIGH
        )


# --- globex: a bank -----------------------------------------------------------------------

CARD_GOOD = (
    "Paid everywhere in Japan without a single problem. Great.",
    "Lost my card in Rome and had a new one at the hotel two days later. Brilliant service.",
)
CARD_BAD = (
    "My card was declined at a hotel in Lisbon although I had told the bank I was travelling. Embarrassing.",
    "Card blocked abroad twice in one week; the fraud check never asked me, it just said no. Infuriating.",
)
CALL_GOOD = (
    "A friendly person answered straight away and sorted it out. Thank you!",
    "Called about a missing transfer and had a person on the line in seconds. Excellent.",
)
CALL_BAD = (
    "Waited eleven minutes on hold to report a lost card. Terrible, not what you promised.",
    "Nobody picked up for ages and then the line dropped. Frustrating.",
)
FEES_GOOD = (
    "The fee was exactly what the app showed before I paid. No surprises, as promised. Excellent.",
    "A wrong overdraft fee was refunded the next day without me asking twice. Great.",
)
FRAUD_CHECK = (
    "Confirming a payment took one tap in the app. Easy and quick, thank you.",
    "A security hold froze my account for a week and I had to visit a branch. Awful.",
)
# The summer a new fraud rule misfired: between these many days ago.
SUMMER_FROM, SUMMER_TO = 200, 110


def _globex_day(s: _Signals, age: int) -> None:
    summer = SUMMER_TO <= age <= SUMMER_FROM

    # Card payments abroad: wrongly declined about 0.3 % of the time, 4 % over the summer.
    declined = 0.04 if summer else 0.003
    for _ in range(6):
        s.event("card_declined_abroad", "Card payments", s.when(age), outcome=s.chance(declined))
    # Lost cards: replaced within 2 days, nearly always.
    seconds = s.rng.randrange(6 * HOUR, 2 * DAY) if s.chance(0.99) else s.rng.randrange(2 * DAY + 1, 6 * DAY)
    s.event("card_replacement", "Card payments", s.when(age), duration_seconds=seconds)
    satisfied = 0.62 if summer else 0.88
    for _ in range(2):
        score = s.rng.choice((4, 5)) if s.chance(satisfied) else s.rng.choice((1, 2, 3))
        s.survey("csat", "Card payments", score, s.when(age))
    if s.chance(0.5 if summer else 0.12):
        bad = summer and s.chance(0.8)
        s.story(
            s.pick(CARD_BAD if bad else CARD_GOOD),
            "Card payments",
            "your-card-works-wherever-you-are",
            s.when(age),
            Story.Severity.HIGH if bad else Story.Severity.LOW,
        )

    # Calls answered within a minute: from 90 % a year ago up to 96 % two months ago, then
    # down to 72 % now.
    if age < 60:
        answered = _progress(age, start=0.96, end=0.72, since=60)
    else:
        answered = _progress(age - 60, start=0.90, end=0.96, since=DAYS - 60)
    for _ in range(6):
        s.event("call_answered_in_a_minute", "Phone support", s.when(age), outcome=s.chance(answered))
    effort = _progress(age, start=6.0, end=4.0, since=60)
    for _ in range(2):
        s.survey("ces", "Phone support", max(1, min(7, round(s.rng.gauss(effort, 0.8)))), s.when(age))
    if s.chance(0.2):
        bad = s.chance(_progress(age, start=0.1, end=0.75, since=60))
        s.story(
            s.pick(CALL_BAD if bad else CALL_GOOD),
            "Phone support",
            "we-answer-within-a-minute",
            s.when(age),
            Story.Severity.MEDIUM if bad else Story.Severity.LOW,
        )

    # Fees: wrong fees refunded quickly; online-banking NPS rises; account opening pleases.
    seconds = s.rng.randrange(2 * HOUR, 3 * DAY) if s.chance(0.95) else s.rng.randrange(3 * DAY + 1, 9 * DAY)
    s.event("fee_refund", "Online banking", s.when(age), duration_seconds=seconds)
    promoters = _progress(age, start=0.56, end=0.66)
    for _ in range(2):
        score = s.rng.choice((9, 10)) if s.chance(promoters) else s.rng.choice((3, 5, 6, 7, 8))
        s.survey("nps", "Online banking", score, s.when(age))
    score = s.rng.choice((4, 5)) if s.chance(0.9) else s.rng.choice((2, 3))
    s.survey("csat", "Account opening", score, s.when(age))
    if s.chance(0.08):
        s.story(s.pick(FEES_GOOD), "Online banking", "no-surprises-on-fees", s.when(age), Story.Severity.LOW)

    # The rest of the journey: NPS at the branch, and stories about fraud checks.
    if s.chance(0.7):
        score = s.rng.choice((9, 10)) if s.chance(0.5) else s.rng.choice((4, 6, 7, 8))
        s.survey("nps", "Branch", score, s.when(age))
    if "fraud-checks-that-dont-lock-you-out" in s.promises and age < 90 and s.chance(0.1):
        text = s.pick(FRAUD_CHECK)
        s.story(
            text,
            "Fraud check",
            "fraud-checks-that-dont-lock-you-out",
            s.when(age),
            Story.Severity.HIGH if text == FRAUD_CHECK[1] else Story.Severity.LOW,
        )


DEMO_YEARS: dict[str, DemoYear] = {
    "acme": DemoYear(
        measures=frozenset(
            {"refund_processing", "first_response", "csat", "ces", "nps"}
            | {"first_contact_resolution", "signin_blocked", "review_stars"}
        ),
        touchpoints=frozenset({"Returns", "Customer support", "Website"}),
        promises=frozenset({"hassle-free-returns", "a-human-answers-within-4-hours"}),
        day=_acme_day,
        plans=(("standard", 0.6), ("premium", 0.3), ("business", 0.1)),
    ),
    "globex": DemoYear(
        measures=frozenset(
            {"card_declined_abroad", "card_replacement", "call_answered_in_a_minute", "fee_refund"}
            | {"csat", "ces", "nps"}
        ),
        touchpoints=frozenset(
            {"Card payments", "Phone support", "Online banking", "Account opening", "Branch"}
        ),
        promises=frozenset(
            {"your-card-works-wherever-you-are", "we-answer-within-a-minute", "no-surprises-on-fees"}
        ),
        day=_globex_day,
        plans=(("current account", 0.55), ("premium", 0.25), ("student", 0.2)),
    ),
}


def seed_demo_signals(tenant: Tenant, *, story: str | None = None, now: datetime | None = None) -> int:
    """Seed the demo signals of ``story`` (default: the tenant's slug) and take the score
    runs; returns the number of signals written.

    Needs the demo tenant and its promises (``tenants.demo``, ``promises.demo``); LookupError
    says what is missing. Does nothing (returns 0) when the tenant has any signal already.
    """
    slug = story or tenant.slug
    if slug not in DEMO_YEARS:
        raise LookupError(
            f"There is no demo story for {slug!r}; the demo stories are: {', '.join(sorted(DEMO_YEARS))}."
        )
    now = now or timezone.now()
    with tenant_context(tenant):
        if SurveyResponse.objects.exists() or ServiceEvent.objects.exists() or Story.objects.exists():
            return 0
        written = _seed_signals(tenant, DEMO_YEARS[slug], now)
        _take_runs(tenant, now)
    return written


@transaction.atomic
def _seed_signals(tenant: Tenant, year: DemoYear, now: datetime) -> int:
    touchpoints = {t.name: t for t in Touchpoint.objects.all()}
    measures = {m.key: m for m in Measure.objects.all()}
    promises = {p.slug: p for p in Promise.objects.all()}
    missing = (year.measures - set(measures)) | (year.promises - set(promises))
    missing |= year.touchpoints - set(touchpoints)
    if missing:
        raise LookupError(
            f"{tenant.slug} lacks {', '.join(sorted(missing))}: seed its demo promises "
            "(manage.py seed_demo_promises) before its signals."
        )
    people = Membership.objects.filter(
        user__email__in=[
            demo_email(tenant.slug, role) for role in (Membership.Role.ADMIN, Membership.Role.EMPLOYEE)
        ]
    ).select_related("user")
    by_email = {m.user.email: m for m in people}
    signals = _Signals(
        now=now,
        measures=measures,
        touchpoints=touchpoints,
        promises=promises,
        recorder=by_email[demo_email(tenant.slug, Membership.Role.ADMIN)],
        storyteller=by_email[demo_email(tenant.slug, Membership.Role.EMPLOYEE)],
        plans=year.plans,
    )
    for age in range(DAYS, -1, -1):
        year.day(signals, age)
    return signals.write()


def _take_runs(tenant: Tenant, now: datetime) -> None:
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for weeks_back in range(PAST_RUNS, 0, -1):
        at = midnight - weeks_back * PAST_RUN_EVERY
        if not ScoreRun.objects.filter(kind=ScoreRun.Kind.DAILY, as_of=at).exists():
            scores_run(tenant=tenant, kind=ScoreRun.Kind.DAILY, at=at)
    scores_daily(tenant=tenant, now=now)
    scores_run(tenant=tenant, kind=ScoreRun.Kind.RECOMPUTE, at=now)


def demo_tenants_seed(*, report: Callable[[str], None]) -> list[Tenant]:
    """Seed every demo tenant: its structure and people, its promises, a year of signals and
    the score runs, each part once (``tenants.demo``, ``promises.demo``, above). ``report``
    gets a sentence per part seeded, or one saying the tenant was left as it was.

    The tenants are seeded side by side, each in a thread of its own with its own database
    connection: most of the time goes to the database (the rollup triggers of a year of
    signals), which then works for both at once. ``report`` is called from those threads.

    A part that cannot be seeded because an admin changed what it needs (a renamed touchpoint)
    is reported and skipped: the rest of the product starts regardless.
    """
    with ThreadPoolExecutor(max_workers=len(DEMO_TENANTS)) as pool:
        return list(pool.map(lambda demo: _in_own_connection(_demo_tenant_seed, demo, report), DEMO_TENANTS))


def _in_own_connection(function, *args):
    """Run ``function`` in this thread, then close the database connection it opened here."""
    try:
        return function(*args)
    finally:
        connections.close_all()


def _demo_tenant_seed(demo: DemoTenant, report: Callable[[str], None]) -> Tenant:
    told = []

    def tell(text: str) -> None:
        told.append(text)
        report(f"{demo.name}: {text}")

    created = not Tenant.objects.filter(slug=demo.slug).exists()
    tenant = seed_demo_tenant(demo)
    if created:
        tell(
            f"{len(demo.departments)} departments, {len(demo.touchpoints)} touchpoints "
            f"and {len(demo.people)} people."
        )
    try:
        with tenant_context(tenant):
            had_promises = Promise.objects.exists()
        promises = seed_demo_promises(tenant)
        if not had_promises:
            tell(f"{promise_summary(promises)}.")
        if written := seed_demo_signals(tenant):
            tell(f"{written:,} signals over the past year, and their scores.")
        if benchmarks := seed_demo_benchmarks(tenant):
            tell(f"{benchmarks} benchmarks to compare its measures against.")
    except LookupError as exc:
        tell(f"the rest of its demo is not seeded: {exc}")
    if not told:
        report(f"{demo.name}: seeded before; left as it is.")
    return tenant
