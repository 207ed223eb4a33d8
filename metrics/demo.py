"""A year of demo signals for acme, so the score dashboards have a story to tell.

Seeds survey responses, service events and customer stories at the touchpoints of acme's
active promises (``promises.demo``), then takes the score runs the dashboards read: one
every two weeks over the last half year (so breach events appear as they would have), the
quarter-end and daily snapshots (``scores_daily``) and a recompute as of now.

The shape of the year:

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

Deterministic (a fixed random seed) and idempotent: nothing is written when the tenant has
any signal already.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from feedback.signals.models import ServiceEvent, SourceKind, SurveyResponse
from feedback.stories.models import Story, StoryPromise
from feedback.stories.sentiment import sentiment_score
from metrics.models import ScoreRun
from metrics.services import scores_daily, scores_run
from promises.models import Measure, Promise
from tenants.context import tenant_context
from tenants.demo import demo_email
from tenants.models import Membership, Tenant, Touchpoint

DAYS = 365
SEED = 2026
HOUR = 3600
DAY = 24 * HOUR
PAST_RUN_EVERY = timedelta(days=14)
PAST_RUNS = 13

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


def _progress(age_days: float, *, start: float, end: float, since: float = DAYS) -> float:
    """A rate moving linearly from ``start`` (``since`` days ago and earlier) to ``end`` (now)."""
    if age_days >= since:
        return start
    return end + (start - end) * age_days / since


def seed_demo_signals(tenant: Tenant, *, now: datetime | None = None) -> int:
    """Seed the demo signals and take the score runs; returns the number of signals written.

    Needs the demo tenant and its promises (``tenants.demo``, ``promises.demo``). Does nothing
    (returns 0) when the tenant has any signal already.
    """
    now = now or timezone.now()
    with tenant_context(tenant):
        if SurveyResponse.objects.exists() or ServiceEvent.objects.exists() or Story.objects.exists():
            return 0
        written = _seed_signals(tenant, now)
        _take_runs(tenant, now)
    return written


@transaction.atomic
def _seed_signals(tenant: Tenant, now: datetime) -> int:
    rng = random.Random(SEED)
    touchpoints = {t.name: t for t in Touchpoint.objects.all()}
    measures = {m.key: m for m in Measure.objects.all()}
    promises = {p.slug: p for p in Promise.objects.all()}
    missing = {"refund_processing", "first_response", "csat", "ces", "nps"} - set(measures)
    missing |= {"hassle-free-returns", "a-human-answers-within-4-hours"} - set(promises)
    if missing:
        raise LookupError(
            f"{tenant.slug} lacks {', '.join(sorted(missing))}: seed its demo promises "
            "(manage.py seed_demo_promises) before its signals."
        )
    admin = Membership.objects.get(user__email=demo_email(tenant.slug, Membership.Role.ADMIN))
    employee = Membership.objects.get(user__email=demo_email(tenant.slug, Membership.Role.EMPLOYEE))
    returns, support = touchpoints["Returns"], touchpoints["Customer support"]

    surveys: list[SurveyResponse] = []
    events: list[ServiceEvent] = []
    stories: list[tuple[Story, Promise]] = []
    sentiments = {text: sentiment_score(text) for text in RETURNS_GOOD + RETURNS_BAD + SUPPORT_GOOD}
    sentiments |= {text: sentiment_score(text) for text in SUPPORT_BAD + SIGN_IN_BAD}

    def when(age_days: int) -> datetime:
        # A moment during that day, never in the future.
        return now - timedelta(days=age_days, seconds=rng.randrange(DAY - 60) + 60)

    def survey(measure: str, touchpoint: Touchpoint, score: int, at: datetime) -> None:
        surveys.append(
            SurveyResponse(
                measure=measures[measure],
                touchpoint=touchpoint,
                score=score,
                occurred_at=at,
                source_kind=SourceKind.MEMBER,
                source_id=admin.pk,
                external_id=f"demo-survey-{len(surveys) + 1}",
            )
        )

    def event(measure: str, touchpoint: Touchpoint, seconds: int, at: datetime) -> None:
        events.append(
            ServiceEvent(
                measure=measures[measure],
                touchpoint=touchpoint,
                duration_seconds=seconds,
                occurred_at=at,
                source_kind=SourceKind.MEMBER,
                source_id=admin.pk,
                external_id=f"demo-event-{len(events) + 1}",
            )
        )

    def fact(measure: str, touchpoint: Touchpoint, at: datetime, **value) -> None:
        """An event of a rate (``outcome``) or average (``value``) measure."""
        events.append(
            ServiceEvent(
                measure=measures[measure],
                touchpoint=touchpoint,
                occurred_at=at,
                source_kind=SourceKind.MEMBER,
                source_id=admin.pk,
                external_id=f"demo-event-{len(events) + 1}",
                **value,
            )
        )

    def story(text: str, touchpoint: Touchpoint, promise: Promise, at: datetime, severity: str) -> None:
        stories.append(
            (
                Story(
                    text=text,
                    touchpoint=touchpoint,
                    channel=Story.Channel.WEB_FORM,
                    sentiment=sentiments[text],
                    severity=severity,
                    occurred_at=at,
                    source_kind=SourceKind.MEMBER,
                    source_id=employee.pk,
                    external_id=f"demo-story-{len(stories) + 1}",
                ),
                promise,
            )
        )

    def chance(p: float) -> bool:
        return rng.random() < p

    def pick(options: tuple[str, ...]) -> str:
        return options[rng.randrange(len(options))]

    for age in range(DAYS, -1, -1):
        # Returns: refunds fast all year; satisfaction with returns falls over the last 150 days.
        for _ in range(3):
            fast = chance(0.95)
            seconds = rng.randrange(DAY, 5 * DAY) if fast else rng.randrange(5 * DAY + 1, 12 * DAY)
            event("refund_processing", returns, seconds, when(age))
        satisfied = _progress(age, start=0.86, end=0.40, since=150)
        for _ in range(2):
            score = rng.choice((4, 5)) if chance(satisfied) else rng.choice((1, 2, 3))
            survey("csat", returns, score, when(age))
        # Review stars of returns follow satisfaction down: about 4.5 a year ago, about 3.3 now.
        if "review_stars" in measures:
            stars = _progress(age, start=4.5, end=3.3, since=150)
            fact(
                "review_stars",
                returns,
                when(age),
                value=Decimal(max(1, min(5, round(rng.gauss(stars, 0.8))))),
            )
        unhappy = _progress(age, start=0.2, end=0.85, since=150)
        if chance(0.45):
            bad = chance(unhappy)
            story(
                pick(RETURNS_BAD if bad else RETURNS_GOOD),
                returns,
                promises["hassle-free-returns"],
                when(age),
                Story.Severity.HIGH if bad else Story.Severity.LOW,
            )

        # Support: first responses improve all year; customer effort worsens in the last 60 days.
        within = _progress(age, start=0.84, end=0.995)
        for _ in range(4):
            seconds = (
                rng.randrange(10 * 60, 4 * HOUR) if chance(within) else rng.randrange(4 * HOUR + 1, 30 * HOUR)
            )
            event("first_response", support, seconds, when(age))
        # First-contact resolution improves slowly (70 % → 80 %).
        if "first_contact_resolution" in measures:
            resolved = _progress(age, start=0.70, end=0.80)
            for _ in range(3):
                fact("first_contact_resolution", support, when(age), outcome=chance(resolved))
        effort = _progress(age, start=5.9, end=4.3, since=60)
        for _ in range(2):
            survey("ces", support, max(1, min(7, round(rng.gauss(effort, 0.9)))), when(age))
        if chance(0.3):
            bad = chance(_progress(age, start=0.15, end=0.6, since=60))
            story(
                pick(SUPPORT_BAD if bad else SUPPORT_GOOD),
                support,
                promises["a-human-answers-within-4-hours"],
                when(age),
                Story.Severity.MEDIUM if bad else Story.Severity.LOW,
            )

        # The rest of the journey: NPS answers, and sign-in lockouts at the website.
        for name, promoters in (("Website", 0.45), ("Purchase", 0.6), ("Delivery", 0.5)):
            if name in touchpoints and chance(0.8):
                score = rng.choice((9, 10)) if chance(promoters) else rng.choice((3, 5, 6, 7, 8))
                survey("nps", touchpoints[name], score, when(age))
        # Sign-ins security blocks at the website: about 1.5 %, rising to 4 % with the lockouts.
        if "signin_blocked" in measures and "Website" in touchpoints:
            blocked = _progress(age, start=0.015, end=0.04, since=120)
            for _ in range(4):
                fact("signin_blocked", touchpoints["Website"], when(age), outcome=chance(blocked))
        sign_in = promises.get("secure-hassle-free-sign-in")
        if sign_in is not None and "Website" in touchpoints and age < 120 and chance(0.15):
            story(pick(SIGN_IN_BAD), touchpoints["Website"], sign_in, when(age), Story.Severity.HIGH)

    SurveyResponse.objects.bulk_create(surveys, batch_size=2000)
    ServiceEvent.objects.bulk_create(events, batch_size=2000)
    created = Story.objects.bulk_create([s for s, _ in stories], batch_size=2000)
    StoryPromise.objects.bulk_create(
        [StoryPromise(story=s, promise=p) for s, (_, p) in zip(created, stories, strict=True)],
        batch_size=2000,
    )
    return len(surveys) + len(events) + len(stories)


def _take_runs(tenant: Tenant, now: datetime) -> None:
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    for weeks_back in range(PAST_RUNS, 0, -1):
        at = midnight - weeks_back * PAST_RUN_EVERY
        if not ScoreRun.objects.filter(kind=ScoreRun.Kind.DAILY, as_of=at).exists():
            scores_run(tenant=tenant, kind=ScoreRun.Kind.DAILY, at=at)
    scores_daily(tenant=tenant, now=now)
    scores_run(tenant=tenant, kind=ScoreRun.Kind.RECOMPUTE, at=now)
