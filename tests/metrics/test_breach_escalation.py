"""A breach event says what became of the escalation opened for it, from detection to resolution.

End to end: signals → a score run finds the breach → the system proposes an escalation → a
manager approves, starts and resolves it on the web → the breach reads "Escalated — awaiting
decision", "In progress", then "Resolved" on the dashboards, and stops capping the bands.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from feedback.escalations.models import Escalation
from feedback.escalations.proposals import escalation_propose_from_story
from metrics.models import BreachEvent, ScoreRun
from metrics.services import scores_run
from promises.models import Promise
from tenants.models import Membership
from tests.metrics.conftest import Scoring


def _run(scoring: Scoring) -> ScoreRun:
    return scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE)


def _state(page: str, event: BreachEvent) -> str:
    """What the breach events table says of ``event``: its state, and its escalation's."""
    row = re.search(rf'<tr data-breach="{event.pk}">\s*<td class="breach-state">(.*?)</td>', page, re.S)
    inline = re.sub(r"</?(a|span)\b[^>]*>", "", row.group(1))
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", inline)).split())


@pytest.fixture
def csat_breach(scoring):
    """CSAT at Returns was met (all fives), then 20 ones arrive: the commitment is no longer met."""
    promise = scoring.promise(owner=scoring.cs)
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    now = timezone.now()
    scoring.surveys("csat", [5] * 10, at=now - timedelta(days=3), touchpoint=scoring.returns)
    _run(scoring)
    scoring.surveys("csat", [1] * 20, at=now - timedelta(days=1), touchpoint=scoring.returns)
    _run(scoring)
    return promise


def test_a_breach_follows_its_escalation_until_it_is_resolved(csat_breach, scoring, member_clients):
    event = BreachEvent.objects.get(kind=BreachEvent.Kind.COMMITMENT_NOT_MET)
    escalation = Escalation.objects.get()
    assert event.escalation_id == escalation.pk and escalation.proposer_kind == "system"
    # The measure and the touchpoint by their names, not their key and slug.
    assert event.title.startswith("CSAT at Returns is no longer met for “Hassle-free returns”: 33.33")

    manager = member_clients["manager"]
    overview = manager.get("/scores/").content.decode()
    assert _state(overview, event) == f"Escalated — awaiting decision Escalation {escalation.pk}: proposed"
    assert f'href="/escalations/{escalation.pk}/"' in overview
    # Open too: the drops of the tenant's, the department's and the promise's scores (no escalation
    # for those).
    assert "4 open" in overview

    assert (
        manager.post(f"/escalations/{escalation.pk}/approve/", {"note": "Call them back."}).status_code == 302
    )
    assert (
        _state(manager.get("/scores/").content.decode(), event)
        == f"In progress Escalation {escalation.pk}: approved"
    )
    manager.post(f"/escalations/{escalation.pk}/start/", {"note": ""})
    department = manager.get(f"/scores/departments/{scoring.cs.slug}/").content.decode()
    assert _state(department, event) == f"In progress Escalation {escalation.pk}: in progress"

    manager.post(f"/escalations/{escalation.pk}/resolve/", {"note": "Refunds re-sent, customers called."})
    assert Escalation.objects.get().state == "resolved"
    event.refresh_from_db()
    assert event.resolved_at is None  # the condition itself has not cleared …
    overview = manager.get("/scores/").content.decode()
    assert _state(overview, event) == f"Resolved Escalation {escalation.pk}: resolved"  # … its escalation has
    assert "3 open" in overview
    # No longer open: the department lists it no more, and it no longer caps the promise's band.
    department = manager.get(f"/scores/departments/{scoring.cs.slug}/").content.decode()
    assert f'data-breach="{event.pk}"' not in department
    promise = manager.get(f"/scores/promises/{csat_breach.slug}/").content.decode()
    assert "breach event is open" not in promise


def test_a_viewer_sees_the_state_without_a_link_to_the_escalation(csat_breach, member_clients):
    escalation = Escalation.objects.get()
    page = member_clients["viewer"].get("/scores/").content.decode()
    event = BreachEvent.objects.get(kind=BreachEvent.Kind.COMMITMENT_NOT_MET)
    assert _state(page, event) == f"Escalated — awaiting decision Escalation {escalation.pk}: proposed"
    assert f'href="/escalations/{escalation.pk}/"' not in page


def test_a_breach_joining_an_open_escalation_follows_that_one(scoring, member_clients):
    """An escalation of the same promise and touchpoint is already open (from a story): the
    breach joins it, and its row follows that escalation."""
    promise = scoring.promise(owner=scoring.cs)
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    now = timezone.now()
    scoring.surveys("csat", [5] * 10, at=now - timedelta(days=3), touchpoint=scoring.returns)
    _run(scoring)
    (story,) = scoring.stories(promise, [-0.9], at=now - timedelta(hours=2), touchpoint=scoring.returns)
    employee = Membership.objects.get(user__email="employee@acme.test")
    earlier = escalation_propose_from_story(tenant=scoring.tenant, story=story, actor=employee).escalation
    scoring.surveys("csat", [1] * 20, at=now - timedelta(days=1), touchpoint=scoring.returns)
    _run(scoring)
    event = BreachEvent.objects.get(kind=BreachEvent.Kind.COMMITMENT_NOT_MET)
    assert Escalation.objects.count() == 1 and event.escalation_id == earlier.pk
    page = member_clients["manager"].get("/scores/").content.decode()
    assert _state(page, event) == f"Escalated — awaiting decision Escalation {earlier.pk}: proposed"


def test_a_cleared_breach_is_resolved_whatever_its_escalation(csat_breach, scoring, member_clients):
    scoring.surveys("csat", [5] * 200, at=timezone.now() - timedelta(hours=1), touchpoint=scoring.returns)
    _run(scoring)
    event = BreachEvent.objects.get(kind=BreachEvent.Kind.COMMITMENT_NOT_MET)
    assert event.resolved_at is not None
    assert Escalation.objects.get().state == "proposed"
    page = member_clients["manager"].get("/scores/").content.decode()
    assert _state(page, event).startswith("Resolved Escalation")


def test_digests_name_the_commitment_and_the_escalation_state(csat_breach, scoring):
    """The digest's "Commitments not met" reads "CSAT at Returns", not "csat at returns"."""
    from metrics.digests.services import digest_preview

    _period, rendered = digest_preview(tenant=scoring.tenant, department=scoring.cs)
    assert "- Hassle-free returns: CSAT at Returns, actual 33.3, target at least 80 %" in rendered.text
    assert "(Proposed)" in rendered.text
    assert re.search(r">CSAT</td>\s*<td[^>]*>Returns</td>", rendered.html)


def test_a_promise_without_a_score_says_why_in_words(scoring, member_clients):
    Promise.objects.create(
        kind="customer",
        slug="in-review",
        title="In review",
        statement="Soon.",
        owner=scoring.cs,
        status="in_review",
    )
    _run(scoring)
    page = member_clients["viewer"].get(f"/scores/departments/{scoring.cs.slug}/").content.decode()
    row = page[page.index('id="department-promises"') :]
    assert "not scored: in review" in row and "in_review" not in row


def test_a_breach_is_sent_to_the_endpoints_that_asked_for_it(scoring):
    from tenants.context import tenant_context
    from tenants.webhooks.models import WebhookDelivery
    from tenants.webhooks.services import webhook_endpoint_create

    webhook_endpoint_create(
        tenant=scoring.tenant, url="https://hooks.example.com/x", events=["breach.detected"]
    )
    promise = scoring.promise(owner=scoring.cs)
    scoring.commitment(promise, "csat", target="80", touchpoint=scoring.returns)
    now = timezone.now()
    scoring.surveys("csat", [5] * 10, at=now - timedelta(days=3), touchpoint=scoring.returns)
    _run(scoring)
    scoring.surveys("csat", [1] * 20, at=now - timedelta(days=1), touchpoint=scoring.returns)
    _run(scoring)
    with tenant_context(scoring.tenant):
        deliveries = list(WebhookDelivery.objects.all())
        sent = {d.payload["data"]["breach"]["kind"]: d.payload for d in deliveries}
        event = BreachEvent.objects.get(kind=BreachEvent.Kind.COMMITMENT_NOT_MET)
        # One delivery per breach event, each event once.
        assert sorted(d.payload["data"]["breach"]["id"] for d in deliveries) == sorted(
            BreachEvent.objects.values_list("id", flat=True)
        )
    payload = sent["commitment_not_met"]
    assert payload["type"] == "breach.detected"
    assert payload["data"]["breach"]["id"] == event.pk
    assert payload["data"]["breach"]["escalation_id"] == event.escalation_id
    assert payload["url"].endswith(f"/escalations/{event.escalation_id}/")
