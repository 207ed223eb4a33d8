"""Drift alerts: a score falling by the tenant's threshold within its window — a slow slide as
much as a sudden fall — raises ``score.dropped`` once per episode, by e-mail and by webhook."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from metrics.models import BreachEvent, ScoreRun, ScoreSnapshot
from metrics.services import _snapshots, breaches_detect
from tenants.errors import DomainError
from tenants.models import OutboxMessage, Tenant
from tenants.services import member_add, tenant_settings_update
from tenants.webhooks.models import WebhookDelivery
from tenants.webhooks.services import webhook_endpoint_create
from tests.conftest import TEST_PASSWORD
from tests.metrics.conftest import T

DAY = timedelta(days=1)


class Days:
    """Daily runs with given scores for the tenant, Operations and its promise, each compared
    with the previous one as the daily task does."""

    def __init__(self, scoring):
        self.scoring = scoring
        self.promise = scoring.promise("a", title="Fast refunds", owner=scoring.ops)
        self.previous: ScoreRun | None = None
        self.day = 0

    def run(self, score: float, *, department: float | None = None, promise: float | None = None) -> list:
        ops = self.scoring.ops
        run = ScoreRun.objects.create(
            kind=ScoreRun.Kind.DAILY,
            source=ScoreRun.Source.ROLLUP,
            as_of=T + self.day * DAY,
            result={
                "tenant": {"score": score, "delivery_rate": None},
                "promises": [
                    {
                        "id": self.promise.pk,
                        "title": self.promise.title,
                        "owner_id": ops.pk,
                        "score": promise if promise is not None else score,
                        "flags": [],
                        "perception_gap": None,
                    }
                ],
                "commitments": [],
                "touchpoints": [],
                "departments": [
                    {"id": ops.pk, "name": ops.name, "score": department if department is not None else score}
                ],
            },
        )
        ScoreSnapshot.objects.bulk_create(_snapshots(run))
        breaches_detect(run=run, previous=self.previous)
        self.previous, self.day = run, self.day + 1
        return sorted(BreachEvent.objects.filter(run=run).values_list("scope", flat=True))


def open_drops() -> list[tuple[str, float, float]]:
    rows = BreachEvent.objects.filter(kind="score_drop", resolved_at__isnull=True)
    return sorted(rows.values_list("scope", "previous_value", "current_value"))


def test_a_slow_slide_raises_one_alert_per_scope(scoring):
    days = Days(scoring)
    assert days.run(80) == []
    assert days.run(78.5) == []  # no step is 5 points…
    assert days.run(77) == []
    assert days.run(76) == []
    assert days.run(74.5) == ["department", "promise", "tenant"]  # …but 5.5 within the week
    assert open_drops() == [("department", 80, 74.5), ("promise", 80, 74.5), ("tenant", 80, 74.5)]
    event = BreachEvent.objects.get(scope="tenant", kind="score_drop")
    assert event.title == "The alignment score dropped 5.5 points, from 80 to 74.5"


def test_staying_down_raises_no_second_alert(scoring):
    days = Days(scoring)
    for score in (80, 78, 76, 74):
        days.run(score)
    assert BreachEvent.objects.filter(kind="score_drop").count() == 3
    for score in (73, 72, 72.5, 71, 70, 70, 70, 70, 70):  # down for longer than the window
        assert days.run(score) == []
    assert BreachEvent.objects.filter(kind="score_drop").count() == 3


def test_recovering_then_falling_again_is_a_new_episode(scoring):
    days = Days(scoring)
    for score in (80, 78, 74):
        days.run(score)
    first = BreachEvent.objects.get(scope="tenant", kind="score_drop")
    days.run(76)  # back above 80 − 5: the episode is over
    first.refresh_from_db()
    assert first.resolved_at is not None
    assert open_drops() == []
    assert days.run(74.5) == ["department", "promise", "tenant"]
    assert BreachEvent.objects.filter(scope="tenant", kind="score_drop").count() == 2


def test_a_fall_spread_over_more_than_the_window_is_no_alert(scoring):
    days = Days(scoring)
    for score in (80, 79.3, 78.6, 77.9, 77.2, 76.5, 75.8, 75.1, 74.4, 73.7, 73):
        assert days.run(score) == []


def test_the_tenants_threshold_and_window(scoring):
    tenant = Tenant.objects.get(pk=scoring.tenant.pk)
    tenant_settings_update(
        tenant=tenant,
        name=tenant.name,
        time_zone=tenant.time_zone,
        score_drop_points=Decimal("3"),
        score_drop_window_days=2,
    )
    days = Days(scoring)
    assert days.run(80) == []
    assert days.run(78.5) == []
    assert days.run(77) == ["department", "promise", "tenant"]  # 3 points in 2 days
    assert BreachEvent.objects.get(scope="tenant").details["threshold_points"] == 3.0


def test_only_the_scope_that_fell(scoring):
    days = Days(scoring)
    days.run(80, department=90, promise=60)
    assert days.run(80, department=84, promise=61) == ["department"]


def test_the_alert_is_mailed_to_the_owners_and_sent_as_a_webhook(scoring):
    member_add(
        tenant=scoring.tenant,
        email="ops-manager@acme.test",
        role="manager",
        password=TEST_PASSWORD,
        departments=[scoring.ops],
    )
    webhook_endpoint_create(
        tenant=scoring.tenant, url="https://hooks.example.com/cx", events=["score.dropped"]
    )
    days = Days(scoring)
    for score in (80, 78, 76):
        days.run(score)
    days.run(74, department=79, promise=74)
    mails = OutboxMessage.objects.filter(kind="score_drop")
    # The alignment score: the tenant admins; the promise: the managers of Operations, its owner.
    by_scope = {}
    for message in mails:
        event = BreachEvent.objects.get(pk=int(message.dedupe_key.split(":")[1]))
        by_scope.setdefault(event.scope, set()).add(message.to_email)
    assert by_scope == {"tenant": {"admin@acme.test"}, "promise": {"ops-manager@acme.test"}}
    assert (
        "Score dropped: The score of “Fast refunds” dropped 6 points"
        in mails.get(to_email="ops-manager@acme.test").subject
    )
    deliveries = WebhookDelivery.objects.filter(event_type="score.dropped")
    assert sorted(d.payload["data"]["score"]["scope"] for d in deliveries) == ["promise", "tenant"]
    promise_drop = next(d.payload for d in deliveries if d.payload["data"]["score"]["scope"] == "promise")
    assert promise_drop["url"].endswith(f"/promises/{days.promise.pk}/")
    # A second look at the same run sends nothing again.
    breaches_detect(run=days.previous, previous=days.previous)
    assert OutboxMessage.objects.filter(kind="score_drop").count() == mails.count()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("score_drop_points", Decimal("0")),
        ("score_drop_points", Decimal("101")),
        ("score_drop_window_days", 0),
        ("score_drop_window_days", 91),
    ],
)
def test_settings_are_validated(scoring, field, value):
    tenant = Tenant.objects.get(pk=scoring.tenant.pk)
    with pytest.raises(DomainError) as refused:
        tenant_settings_update(tenant=tenant, name=tenant.name, time_zone=tenant.time_zone, **{field: value})
    assert refused.value.field == field
    assert "e.g." in refused.value.message
