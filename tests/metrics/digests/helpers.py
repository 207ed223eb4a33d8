"""A tenant with the demo structure and promises, score runs and stories, for digest tests.

Score runs are written with hand-set results (the engine has its own tests), so each test
knows exactly which promise has the largest gap, which is a hidden breach, which commitment
is not met.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from feedback.escalations.models import EscalationSettings
from feedback.stories.services import story_create
from metrics.digests.selectors import Period, digest_schedule, period_due
from metrics.models import DigestSettings, ScoreRun
from promises.demo import seed_demo_promises
from promises.models import Commitment, Promise, PromiseContributor
from tenants.context import tenant_context
from tenants.demo import DEMO_TENANTS, seed_demo_tenant
from tenants.models import Department, Membership, Tenant, Touchpoint


@dataclass
class Seeded:
    tenant: Tenant
    period: Period
    promises: dict[str, Promise]
    departments: dict[str, Department]
    stories: dict[str, int]


def promise_scores(promises: dict[str, Promise], base: float) -> dict[int, float]:
    # A fixed order of gaps: returns largest, then sign-in, then the others.
    order = sorted(promises.values(), key=lambda p: p.slug)
    scores = {p.pk: min(99.0, base + 5 * i) for i, p in enumerate(order)}
    for p in order:
        if "return" in p.slug:
            scores[p.pk] = base - 30
        elif "sign" in p.slug:
            scores[p.pk] = base - 20
    return scores


def score_result(*, tenant_score: float, promises: dict[str, Promise], base: float, hidden: set[int]) -> dict:
    scores = promise_scores(promises, base)
    commitments = list(Commitment.objects.select_related("touchpoint", "measure", "promise").order_by("pk"))
    return {
        "tenant": {"score": tenant_score, "delivery_rate": tenant_score - 10},
        "promises": [
            {
                "id": p.pk,
                "slug": p.slug,
                "title": p.title,
                "owner_id": p.owner_id,
                "score": scores[p.pk],
                "delivery_rate": 50.0,
                "operational_score": 95.0 if p.pk in hidden else scores[p.pk],
                "perceived_score": 60.0 if p.pk in hidden else scores[p.pk],
                "perception_gap": 35.0 if p.pk in hidden else 0.0,
                "flags": ["hidden_breach"] if p.pk in hidden else [],
                "status": "scored",
            }
            for p in promises.values()
        ],
        "commitments": [
            {
                "id": c.pk,
                "promise": c.promise.slug,
                "promise_id": c.promise_id,
                "measure": c.measure.key,
                "touchpoint": c.touchpoint.slug if c.touchpoint_id else None,
                "actual": 61.0,
                "n": 40,
                "status": "not_met" if "return" in c.promise.slug else "met",
                "met": "return" not in c.promise.slug,
                "score": 70.0,
                "gap": 19.0,
                "kind": "perceived",
                "target": 80.0,
            }
            for c in commitments
        ],
        "departments": [],
        "touchpoints": [],
    }


def seed_digest_tenant(
    slug: str = "acme", name: str = "Acme Retail", *, now: datetime, cadence: str = "weekly"
) -> Seeded:
    """Demo structure and promises for ``slug``, a weekly schedule, runs and stories around the last period."""
    demo = dataclasses.replace(DEMO_TENANTS[0], slug=slug, name=name)
    tenant = seed_demo_tenant(demo)
    seed_demo_promises(tenant, story="acme")
    with tenant_context(tenant):
        DigestSettings.objects.create(cadence=cadence, weekday=0, send_hour=8)
        # These tests count the e-mails in the outbox: no escalation proposals from the stories.
        EscalationSettings.objects.create(auto_from_stories=False, auto_from_breaches=False)
        period = period_due(tenant=tenant, schedule=digest_schedule(tenant=tenant), now=now)
        promises = {p.slug: p for p in Promise.objects.filter(kind="customer").order_by("slug")}
        departments = {d.name: d for d in Department.objects.all()}
        hidden = {p.pk for p in promises.values() if "human" in p.slug}
        ScoreRun.objects.create(
            kind="quarter_end",
            source="rollup",
            as_of=period.start - timedelta(days=40),
            result=score_result(tenant_score=60.0, promises=promises, base=50.0, hidden=set()),
        )
        ScoreRun.objects.create(
            kind="daily",
            source="rollup",
            as_of=period.start - timedelta(hours=1),
            result=score_result(tenant_score=70.0, promises=promises, base=60.0, hidden=set()),
        )
        ScoreRun.objects.create(
            kind="recompute",
            source="rollup",
            as_of=period.end - timedelta(hours=2),
            result=score_result(tenant_score=75.5, promises=promises, base=65.0, hidden=hidden),
        )
        # Newer than the period's end: a digest for the period must not show it.
        ScoreRun.objects.create(
            kind="recompute",
            source="rollup",
            as_of=period.end + timedelta(minutes=30),
            result=score_result(tenant_score=10.0, promises=promises, base=5.0, hidden=set()),
        )
        touchpoints = {t.name: t for t in Touchpoint.objects.all()}
        author = Membership.objects.filter(role="employee").first()
        inside = period.start + timedelta(days=1)

        def story(key: str, text: str, touchpoint: str, at: datetime, department: str | None = None) -> None:
            created = story_create(
                tenant=tenant,
                text=text,
                occurred_at=at,
                touchpoint=touchpoints[touchpoint],
                source=author,
                department=departments[department] if department else None,
            )
            stories[key] = created.pk

        stories: dict[str, int] = {}
        story(
            "returns_bad",
            f"[{slug}] Terrible, awful returns: I waited weeks and nobody answered, horrible service.",
            "Returns",
            inside,
        )
        story("returns_good", f"[{slug}] Wonderful, easy return, great and friendly help!", "Returns", inside)
        story("website_bad", f"[{slug}] The website login is broken and awful, I hate it.", "Website", inside)
        story(
            "returns_old",
            f"[{slug}] Old bad story: terrible, awful returns before the period.",
            "Returns",
            period.start - timedelta(days=3),
        )
        story(
            "sales_bad",
            f"[{slug}] Horrible pushy sales call, awful and rude.",
            "Purchase",
            inside,
            department="Sales",
        )
    return Seeded(tenant=tenant, period=period, promises=promises, departments=departments, stories=stories)


def department_promise_ids(department: Department, promises: dict[str, Promise]) -> set[int]:
    shared = set(
        PromiseContributor.objects.filter(department=department).values_list("promise_id", flat=True)
    )
    return {p.pk for p in promises.values() if p.owner_id == department.pk or p.pk in shared}
