"""``score.dropped`` reaches the endpoints that asked for it: versioned, naming the tenant and
linking to the score that dropped; a rolled-back run sends nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction

from metrics.models import BreachEvent, ScoreRun
from metrics.services import scores_run
from tenants.webhooks.models import WebhookDelivery
from tenants.webhooks.services import webhook_deliver, webhook_endpoint_create
from tests.metrics.conftest import T
from tests.tenants.webhooks.receiver import Receiver

H = timedelta(hours=1)


def _drop(scoring) -> None:
    """Ops's promise falls from 100 to 50: the alignment score 100 → 75, Operations 100 → 50."""
    a = scoring.promise("a", title="A", owner=scoring.ops)
    b = scoring.promise("b", title="B", owner=scoring.cs)
    scoring.commitment(a, "csat", target="100", min_sample=1, window_days=30)
    scoring.commitment(b, "nps", target="-100", min_sample=1, window_days=30)
    scoring.surveys("csat", [5] * 10, at=T - timedelta(days=1))
    scoring.surveys("nps", [10], at=T - timedelta(days=1))
    scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE, at=T)
    scoring.surveys("csat", [1] * 10, at=T + H)
    scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE, at=T + 2 * H)


def test_a_score_drop_reaches_the_receiver(scoring):
    with Receiver() as receiver:
        receiver.secret = webhook_endpoint_create(
            tenant=scoring.tenant, url=receiver.url, events=["score.dropped"]
        ).secret
        _drop(scoring)
        assert webhook_deliver() == {"sent": 3, "failed": 0}
    assert all(r["verified"] for r in receiver.received)
    got = {r["payload"]["data"]["score"]["scope"]: r["payload"] for r in receiver.received}
    assert set(got) == {"tenant", "department", "promise"}
    tenant_drop, department_drop = got["tenant"], got["department"]
    assert tenant_drop["type"] == "score.dropped"
    assert tenant_drop["version"] == 1 and tenant_drop["tenant"] == "acme"
    assert tenant_drop["url"].endswith("/scores/")
    assert (
        tenant_drop["data"]["score"]["previous_value"],
        tenant_drop["data"]["score"]["current_value"],
    ) == (
        100.0,
        75.0,
    )
    assert tenant_drop["data"]["score"]["department"] is None
    assert tenant_drop["summary"] == "Score dropped: The alignment score dropped 25 points, from 100 to 75."
    event = BreachEvent.objects.get(kind="score_drop", scope="department")
    assert department_drop["data"]["score"]["breach_id"] == event.pk
    assert department_drop["data"]["score"]["department"] == {"id": scoring.ops.pk, "name": scoring.ops.name}
    assert department_drop["url"].endswith(f"/scores/departments/{scoring.ops.slug}/")


def test_a_rolled_back_run_sends_nothing(scoring):
    webhook_endpoint_create(
        tenant=scoring.tenant, url="https://hooks.example.com/x", events=["score.dropped"]
    )
    with pytest.raises(RuntimeError), transaction.atomic():
        _drop(scoring)
        assert WebhookDelivery.objects.filter(event_type="score.dropped").count() == 3
        raise RuntimeError("the run failed after the drop was found")
    assert not WebhookDelivery.objects.exists()
