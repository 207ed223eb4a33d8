"""A tenant ready for scoring, and small builders for promises, commitments and signals.

``scoring`` runs the test body inside acme's tenant context. Commitments are written
straight into the tables with explicit effective dates (the promise services have their own
tests), and signals with explicit ``occurred_at`` so windows can be asserted to the second.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story, StoryPromise
from promises.commitments.services import measures_ensure_builtin
from promises.models import Commitment, CommitmentVersion, Measure, Promise, PromiseContributor
from tenants.context import tenant_context
from tenants.models import Department, Tenant, Touchpoint

# The instant scores are computed at in most tests: a fixed, recent, non-midnight time.
T = (timezone.now() - timedelta(days=2)).replace(hour=13, minute=37, second=21, microsecond=0)
_ids = itertools.count(1)


# Tenant-defined measures of every kind and direction (scoring.md, version 2).
TENANT_MEASURES = {
    "slow_refunds": {"kind": "duration", "unit": "hours", "direction": "lower_is_better"},
    "first_contact_resolution": {"kind": "rate"},
    "signin_blocked": {"kind": "rate", "direction": "lower_is_better"},
    "review_stars": {"kind": "average", "perspective": "perceived", "scale_min": 1, "scale_max": 5},
    "effort_felt": {
        "kind": "average",
        "perspective": "perceived",
        "direction": "lower_is_better",
        "scale_min": 0,
        "scale_max": 10,
    },
}


@dataclass
class Scoring:
    tenant: Tenant
    returns: Touchpoint
    delivery: Touchpoint
    cs: Department
    ops: Department
    measures: dict[str, Measure] = field(default_factory=dict)

    def promise(
        self,
        slug: str = "hassle-free-returns",
        *,
        title: str = "Hassle-free returns",
        weight: str = "1",
        owner: Department | None = None,
        contributors: tuple[Department, ...] = (),
        activated_at: datetime | None = None,
    ) -> Promise:
        promise = Promise.objects.create(
            kind="customer",
            slug=slug,
            title=title,
            statement="Send it back without a form.",
            owner=owner or self.ops,
            weight=Decimal(weight),
            status="active",
            activated_at=activated_at or T - timedelta(days=400),
        )
        for department in contributors:
            PromiseContributor.objects.create(promise=promise, department=department)
        return promise

    def commitment(
        self,
        promise: Promise,
        measure: str,
        *,
        target: str,
        touchpoint: Touchpoint | None = None,
        weight: str = "1",
        window_days: int = 90,
        min_sample: int = 5,
        threshold_seconds: int | None = None,
        effective_from: datetime | None = None,
        effective_to: datetime | None = None,
    ) -> Commitment:
        commitment = Commitment.objects.create(
            promise=promise, measure=self.measures[measure], touchpoint=touchpoint
        )
        self.version(
            commitment,
            number=1,
            target=target,
            weight=weight,
            window_days=window_days,
            min_sample=min_sample,
            threshold_seconds=threshold_seconds,
            effective_from=effective_from or T - timedelta(days=400),
            effective_to=effective_to,
        )
        return commitment

    def version(self, commitment: Commitment, *, number: int, target: str, **terms) -> CommitmentVersion:
        terms.setdefault("weight", "1")
        terms["weight"] = Decimal(terms["weight"])
        return CommitmentVersion.objects.create(
            commitment=commitment, number=number, target=Decimal(target), **terms
        )

    def surveys(
        self, measure: str, scores: list[int], *, at: datetime, touchpoint: Touchpoint | None = None
    ) -> None:
        SurveyResponse.objects.bulk_create(
            SurveyResponse(
                measure=self.measures[measure],
                score=score,
                touchpoint=touchpoint,
                occurred_at=at,
                source_kind="api_key",
                source_id=1,
                external_id=f"s{next(_ids)}",
            )
            for score in scores
        )

    def events(self, measure: str, durations: list[int], *, at: datetime, touchpoint: Touchpoint) -> None:
        ServiceEvent.objects.bulk_create(
            ServiceEvent(
                measure=self.measures[measure],
                duration_seconds=d,
                touchpoint=touchpoint,
                occurred_at=at,
                source_kind="api_key",
                source_id=1,
                external_id=f"e{next(_ids)}",
            )
            for d in durations
        )

    def outcomes(self, measure: str, outcomes: list[bool], *, at: datetime, touchpoint: Touchpoint) -> None:
        """Events of a rate measure."""
        self._facts(measure, "outcome", outcomes, at=at, touchpoint=touchpoint)

    def values(self, measure: str, values: list[str], *, at: datetime, touchpoint: Touchpoint) -> None:
        """Events of an average measure."""
        self._facts(measure, "value", [Decimal(v) for v in values], at=at, touchpoint=touchpoint)

    def _facts(self, measure: str, fact: str, facts: list, *, at: datetime, touchpoint: Touchpoint) -> None:
        ServiceEvent.objects.bulk_create(
            ServiceEvent(
                measure=self.measures[measure],
                touchpoint=touchpoint,
                occurred_at=at,
                source_kind="api_key",
                source_id=1,
                external_id=f"e{next(_ids)}",
                **{fact: f},
            )
            for f in facts
        )

    def stories(
        self, promise: Promise, sentiments: list[float], *, at: datetime, touchpoint: Touchpoint
    ) -> list[Story]:
        stories = Story.objects.bulk_create(
            Story(
                text="A story.",
                touchpoint=touchpoint,
                channel="api",
                sentiment=s,
                occurred_at=at,
                source_kind="api_key",
                source_id=1,
                external_id=f"t{next(_ids)}",
            )
            for s in sentiments
        )
        StoryPromise.objects.bulk_create(StoryPromise(story=s, promise=promise) for s in stories)
        return stories


def scoring_setup(tenant: Tenant) -> Scoring:
    measures_ensure_builtin(tenant=tenant)
    with tenant_context(tenant):
        Measure.objects.get_or_create(
            key="refund_processing",
            defaults={"name": "Refund processing", "kind": "duration", "unit": "days"},
        )
        for key, defaults in TENANT_MEASURES.items():
            Measure.objects.get_or_create(
                key=key, defaults={"name": key.replace("_", " ").capitalize(), **defaults}
            )
        returns, _ = Touchpoint.objects.get_or_create(
            slug="returns", defaults={"name": "Returns", "position": 5}
        )
        delivery, _ = Touchpoint.objects.get_or_create(
            slug="delivery", defaults={"name": "Delivery", "position": 3}
        )
        ops, _ = Department.objects.get_or_create(slug="operations", defaults={"name": "Operations"})
        return Scoring(
            tenant=tenant,
            returns=returns,
            delivery=delivery,
            cs=Department.objects.get(slug="customer-service"),
            ops=ops,
            measures={m.key: m for m in Measure.objects.all()},
        )


@pytest.fixture
def scoring(tenant) -> Iterator[Scoring]:
    world = scoring_setup(tenant)
    with tenant_context(tenant):
        yield world


@pytest.fixture
def worked_example(scoring) -> Promise:
    """The worked example of docs/scoring.md, as of ``T``."""
    promise = scoring.promise()
    scoring.commitment(
        promise,
        "refund_processing",
        target="90",
        weight="2",
        touchpoint=scoring.returns,
        threshold_seconds=432000,
    )
    scoring.commitment(promise, "csat", target="80", weight="1", touchpoint=scoring.returns)
    scoring.events(
        "refund_processing",
        [432000] * 10 + [3600] * 7 + [432001] * 3,
        at=T - timedelta(days=10),
        touchpoint=scoring.returns,
    )
    scoring.surveys(
        "csat", [5, 5, 4, 4, 3, 2, 5, 4, 1, 5], at=T - timedelta(days=3), touchpoint=scoring.returns
    )
    # Outside the window: changes nothing.
    scoring.surveys("csat", [1], at=T - timedelta(days=91), touchpoint=scoring.returns)
    scoring.events("refund_processing", [999999], at=T + timedelta(seconds=1), touchpoint=scoring.returns)
    return promise
