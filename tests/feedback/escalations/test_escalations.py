"""The escalation workflow's services: transitions by state and by role, automatic proposals,
merging, the clock (overdue levels, auto-close), notifications, timeline and audit, locking."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections
from django.utils import timezone

from feedback.escalations import proposals, services
from feedback.escalations.models import (
    Escalation,
    EscalationEntry,
    EscalationEvidence,
    EscalationSettings,
    EscalationState,
)
from feedback.escalations.services import EscalationRefused, EscalationStateConflict
from feedback.ingest import services as ingest_services
from feedback.stories import services as story_services
from feedback.stories.models import Story
from promises.models import Promise
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import AuditEvent, Department, Membership, OutboxMessage, Touchpoint
from tenants.services import api_key_create
from tests.conftest import make_tenant
from tests.feedback.conftest import escalation_setup

S = EscalationState


def member(tenant, name: str) -> Membership:
    with tenant_context(tenant):
        return Membership.objects.select_related("user").get(user__email=f"{name}@{tenant.slug}.test")


def story(
    tenant, by: str = "employee", *, text="The refund took three weeks.", severity="medium", promise=True
):
    with tenant_context(tenant):
        promises = list(Promise.objects.filter(slug="fast-refunds")) if promise else []
        touchpoint = Touchpoint.objects.get(slug="delivery")
    return story_services.story_create(
        tenant=tenant,
        text=text,
        occurred_at=timezone.now(),
        touchpoint=touchpoint,
        source=member(tenant, by),
        promises=promises,
        severity=severity,
    )


def propose(tenant, by: str = "employee", *, promise: bool = False, **extra) -> Escalation:
    """A new escalation from a new story (without a promise, so that it is never merged)."""
    with tenant_context(tenant):
        service = Department.objects.get(slug="customer-service")
    return proposals.escalation_propose_from_story(
        tenant=tenant,
        story=story(tenant, by, promise=promise, **extra),
        actor=member(tenant, by),
        department=None if promise else service,
    ).escalation


def mails(tenant, key_part: str = "") -> list[tuple[str, str]]:
    with tenant_context(tenant):
        rows = OutboxMessage.objects.filter(kind="escalation", dedupe_key__contains=key_part)
        return sorted((m.dedupe_key.split(":")[2], m.to_email) for m in rows)


def entries(tenant, escalation) -> list[tuple[str, str, str]]:
    with tenant_context(tenant):
        return [
            (e.kind, e.to_state, e.actor_label)
            for e in EscalationEntry.objects.filter(escalation=escalation).order_by("id")
        ]


def move(tenant, escalation, name: str, by, **extra) -> Escalation:
    actor = member(tenant, by) if isinstance(by, str) else by
    calls = {
        "approve": lambda: services.escalation_approve(
            tenant=tenant, escalation=escalation, actor=actor, **extra
        ),
        "reject": lambda: services.escalation_reject(
            tenant=tenant, escalation=escalation, actor=actor, reason=extra.get("reason", "Not ours.")
        ),
        "start": lambda: services.escalation_start(tenant=tenant, escalation=escalation, actor=actor),
        "resolve": lambda: services.escalation_resolve(
            tenant=tenant, escalation=escalation, actor=actor, resolution=extra.get("resolution", "Refunded.")
        ),
        "reopen": lambda: services.escalation_reopen(
            tenant=tenant,
            escalation=escalation,
            actor=actor,
            reason=extra.get("reason", "It happened again."),
        ),
        "close": lambda: services.escalation_close(tenant=tenant, escalation=escalation, actor=actor),
    }
    return calls[name]()


PATHS = {
    S.PROPOSED: [],
    S.APPROVED: ["approve"],
    S.IN_PROGRESS: ["approve", "start"],
    S.RESOLVED: ["approve", "start", "resolve"],
    S.CLOSED: ["approve", "start", "resolve", "close"],
    S.REJECTED: ["reject"],
}
ALLOWED = {
    S.PROPOSED: {"approve", "reject"},
    S.APPROVED: {"start", "resolve"},
    S.IN_PROGRESS: {"resolve"},
    S.RESOLVED: {"reopen", "close"},
    S.CLOSED: set(),
    S.REJECTED: set(),
}
TARGET = {
    "approve": S.APPROVED,
    "reject": S.REJECTED,
    "start": S.IN_PROGRESS,
    "resolve": S.RESOLVED,
    "reopen": S.IN_PROGRESS,
    "close": S.CLOSED,
}


def in_state(tenant, state) -> Escalation:
    escalation = propose(tenant)
    for name in PATHS[state]:
        escalation = move(tenant, escalation, name, "manager")
    assert escalation.state == state
    return escalation


@pytest.mark.parametrize("state", list(PATHS))
@pytest.mark.parametrize("name", list(TARGET))
def test_every_transition_by_state(escalations_world, state, name):
    tenant = escalations_world
    escalation = in_state(tenant, state)
    if name in ALLOWED[state]:
        assert move(tenant, escalation, name, "manager").state == TARGET[name]
        with tenant_context(tenant):
            assert Escalation.objects.get(pk=escalation.pk).state == TARGET[name]
    else:
        with pytest.raises(EscalationStateConflict) as refused:
            move(tenant, escalation, name, "manager")
        assert f"is {S(state).label.lower()}, so it cannot be" in refused.value.message
        with tenant_context(tenant):
            assert Escalation.objects.get(pk=escalation.pk).state == state


def test_approved_or_in_progress_never_goes_back_to_proposed(escalations_world):
    tenant = escalations_world
    for state in (S.APPROVED, S.IN_PROGRESS):
        escalation = in_state(tenant, state)
        with pytest.raises(EscalationStateConflict):
            move(tenant, escalation, "approve", "manager2")


def test_a_proposal_from_a_story(escalations_world):
    tenant = escalations_world
    before = timezone.now()
    escalation = propose(tenant, promise=True)
    with tenant_context(tenant):
        assert escalation.state == S.PROPOSED
        assert escalation.proposer_kind == "member" and escalation.proposed_by == member(tenant, "employee")
        assert escalation.department.slug == "customer-service"
        assert escalation.promise.slug == "fast-refunds" and escalation.touchpoint.slug == "delivery"
        assert list(escalation.stories.values_list("text", flat=True)) == ["The refund took three weeks."]
        hours = (escalation.decision_due_at - before).total_seconds() / 3600
        assert 47.9 < hours <= 48.1  # medium: two days to decide
    # The department's managers are told; the Logistics manager is not.
    assert mails(tenant, ":proposed:") == [
        ("proposed", "manager2@acme.test"),
        ("proposed", "manager@acme.test"),
    ]
    assert entries(tenant, escalation)[0] == ("transition", "proposed", "employee@acme.test")


def test_approval_assigns_the_approving_manager_and_tells_proposer_and_owner(escalations_world):
    tenant = escalations_world
    escalation = move(tenant, propose(tenant), "approve", "manager", note="On it.")
    with tenant_context(tenant):
        assert escalation.owner == member(tenant, "manager")
        hours = (escalation.resolution_due_at - escalation.decided_at).total_seconds() / 3600
        assert hours == 14 * 24
    assert mails(tenant, ":approved:") == [("approved", "employee@acme.test")]
    assert mails(tenant, ":assigned:") == [("assigned", "manager@acme.test")]
    kinds = entries(tenant, escalation)
    assert ("transition", "approved", "manager@acme.test") in kinds
    assert kinds[-1][0] == "assigned"


def test_approval_with_another_owner_in_the_department(escalations_world):
    tenant = escalations_world
    escalation = move(tenant, propose(tenant), "approve", "manager", owner=member(tenant, "employee2"))
    assert escalation.owner.user.email == "employee2@acme.test"
    assert mails(tenant, ":assigned:") == [("assigned", "employee2@acme.test")]
    with pytest.raises(DomainError, match="member of Customer Service"):
        move(tenant, propose(tenant), "approve", "manager", owner=member(tenant, "logistics"))


def test_nobody_approves_their_own_proposal(escalations_world):
    tenant = escalations_world
    escalation = propose(tenant, by="manager")
    for name in ("approve", "reject"):
        with pytest.raises(EscalationRefused, match="You proposed this escalation"):
            move(tenant, escalation, name, "manager")
    # The proposing manager is not told about their own proposal; the other manager is.
    assert mails(tenant, ":proposed:") == [("proposed", "manager2@acme.test")]
    assert move(tenant, escalation, "approve", "manager2").state == S.APPROVED


@pytest.mark.parametrize("who", ["logistics", "employee", "employee2", "viewer"])
def test_only_a_manager_of_the_department_or_an_admin_decides(escalations_world, who):
    tenant = escalations_world
    escalation = propose(tenant)
    for name in ("approve", "reject"):
        with pytest.raises(EscalationRefused):
            move(tenant, escalation, name, who)
    with tenant_context(tenant):
        assert Escalation.objects.get(pk=escalation.pk).state == S.PROPOSED
    assert move(tenant, escalation, "approve", "admin", owner=member(tenant, "manager")).state == S.APPROVED


def test_the_cross_department_message_names_the_department(escalations_world):
    tenant = escalations_world
    with pytest.raises(EscalationRefused, match="Only a manager of Customer Service or an admin"):
        move(tenant, propose(tenant), "approve", "logistics")


def test_an_api_key_never_approves_but_works_and_closes(escalations_world):
    tenant = escalations_world
    key = api_key_create(tenant=tenant, name="Helpdesk", scopes=["escalations:write"]).api_key
    escalation = propose(tenant)
    with pytest.raises(EscalationRefused, match="Approval is for people"):
        move(tenant, escalation, "approve", key)
    escalation = move(tenant, escalation, "approve", "manager")
    for name in ("start", "resolve", "close"):
        escalation = move(tenant, escalation, name, key)
    assert escalation.state == S.CLOSED
    assert entries(tenant, escalation)[-1] == ("transition", "closed", "API key Helpdesk")


def test_who_works_and_who_closes(escalations_world):
    tenant = escalations_world
    escalation = move(tenant, propose(tenant), "approve", "manager", owner=member(tenant, "employee2"))
    # The proposer (not the owner) and another department's manager may not work on it.
    for who in ("employee", "logistics", "viewer"):
        with pytest.raises(EscalationRefused):
            move(tenant, escalation, "start", who)
    escalation = move(tenant, escalation, "start", "employee2")
    escalation = move(
        tenant, escalation, "resolve", "employee2", resolution="Refund sent, apology call made."
    )
    assert escalation.resolution == "Refund sent, apology call made."
    with pytest.raises(EscalationRefused):
        move(tenant, escalation, "close", "logistics")
    # The proposer may reopen (with a reason) and close.
    escalation = move(tenant, escalation, "reopen", "employee", reason="The customer called again.")
    assert escalation.state == S.IN_PROGRESS and escalation.resolved_at is None
    escalation = move(tenant, escalation, "resolve", "manager2")
    assert move(tenant, escalation, "close", "employee").state == S.CLOSED


def test_reasons_are_required(escalations_world):
    tenant = escalations_world
    escalation = propose(tenant)
    with pytest.raises(DomainError, match="Say why it is rejected"):
        move(tenant, escalation, "reject", "manager", reason="  ")
    escalation = move(tenant, escalation, "approve", "manager")
    with pytest.raises(DomainError, match="Describe the resolution"):
        move(tenant, escalation, "resolve", "manager", resolution="")
    escalation = move(tenant, escalation, "resolve", "manager")
    with pytest.raises(DomainError, match="Say why it is reopened"):
        move(tenant, escalation, "reopen", "manager", reason="")
    with tenant_context(tenant):
        assert Escalation.objects.get(pk=escalation.pk).state == S.RESOLVED


def test_rejection_tells_the_proposer_with_the_reason(escalations_world):
    tenant = escalations_world
    escalation = move(tenant, propose(tenant), "reject", "manager", reason="Already fixed last week.")
    assert escalation.state == S.REJECTED and escalation.decided_at is not None
    with tenant_context(tenant):
        message = OutboxMessage.objects.get(dedupe_key__contains=":rejected:")
    assert message.to_email == "employee@acme.test" and "Already fixed last week." in message.body_text
    assert entries(tenant, escalation)[-1] == ("transition", "rejected", "manager@acme.test")


def test_comments_join_the_timeline(escalations_world):
    tenant = escalations_world
    escalation = propose(tenant)
    services.escalation_comment(
        tenant=tenant, escalation=escalation, actor=member(tenant, "manager"), text="Calling the courier."
    )
    assert entries(tenant, escalation)[-1] == ("comment", "", "manager@acme.test")
    with pytest.raises(DomainError, match="Write the comment"):
        services.escalation_comment(
            tenant=tenant, escalation=escalation, actor=member(tenant, "manager"), text=""
        )


def test_the_audit_trail_records_every_change(escalations_world):
    tenant = escalations_world
    escalation = move(tenant, propose(tenant), "approve", "manager")
    with tenant_context(tenant):
        audited = AuditEvent.objects.filter(object_id=str(escalation.pk), model__icontains="escalation")
        actions = list(audited.filter(model__iendswith=".escalation").values_list("action", flat=True))
    assert "insert" in actions and "update" in actions


def test_a_cross_tenant_escalation_is_not_found(escalations_world):
    tenant = escalations_world
    escalation = propose(tenant)
    other = make_tenant("globex", "Globex Bank")
    with pytest.raises(EscalationRefused, match="No such escalation") as refused:
        services.escalation_approve(tenant=other, escalation=escalation, actor=member(other, "manager"))
    assert refused.value.code == "not_found"


# --- Automatic proposals ------------------------------------------------------------------------


def test_a_high_severity_story_on_an_active_promise_is_proposed_and_a_second_one_merged(escalations_world):
    tenant = escalations_world
    first = story(tenant, severity="high", text="Waiting since March for my refund.")
    second = story(tenant, by="employee2", severity="high", text="Still no refund after a month.")
    with tenant_context(tenant):
        escalation = Escalation.objects.get()
        assert escalation.proposer_kind == "system" and escalation.proposed_by is None
        assert escalation.severity == "high" and escalation.department.slug == "customer-service"
        evidence = list(
            EscalationEvidence.objects.filter(escalation=escalation).values_list("story_id", flat=True)
        )
        assert evidence == [first.pk, second.pk]
    assert [e[0] for e in entries(tenant, escalation)] == ["transition", "evidence", "evidence"]
    # The managers are told once, about the proposal; merged evidence sends nothing more.
    assert len(mails(tenant, ":proposed:")) == 2


def test_a_very_negative_story_is_proposed_but_not_without_an_active_promise(escalations_world):
    tenant = escalations_world
    story(tenant, text="Terrible, awful, horrible service. I hate it.", promise=False)
    with tenant_context(tenant):
        assert not Escalation.objects.exists()
    created = story(tenant, text="Terrible, awful, horrible service. I hate it.")
    assert created.sentiment <= -0.6
    with tenant_context(tenant):
        escalation = Escalation.objects.get()
        assert escalation.severity == "medium"
    # A mild story is left alone.
    story(tenant, text="The parcel arrived on time.", severity="low")
    with tenant_context(tenant):
        assert Escalation.objects.count() == 1


def test_the_rule_can_be_switched_off(escalations_world):
    tenant = escalations_world
    services.escalation_settings_update(tenant=tenant, actor=member(tenant, "admin"), auto_from_stories=False)
    story(tenant, severity="high")
    with tenant_context(tenant):
        assert not Escalation.objects.exists()


def test_ingested_stories_are_proposed_too(escalations_world):
    tenant = escalations_world
    key = api_key_create(tenant=tenant, name="CRM", scopes=["feedback:write"]).api_key
    items = [
        {"text": f"Refund {n} lost.", "occurred_at": timezone.now().isoformat(), "touchpoint": "delivery",
         "promises": ["fast-refunds"], "severity": "high"}
        for n in range(3)
    ]  # fmt: skip
    ingest_services.signals_ingest(tenant=tenant, kind="stories", items=items, source=key)
    with tenant_context(tenant):
        escalation = Escalation.objects.get()
        assert escalation.evidence.count() == 3


def _breach_run(tenant, *, promise, touchpoint, department):
    from metrics.models import ScoreRun
    from promises.commitments.services import commitment_create
    from promises.models import Measure

    with tenant_context(tenant):
        csat = Measure.objects.get(key="csat")
    made = commitment_create(tenant=tenant, promise=promise, measure=csat, touchpoint=touchpoint, target=80)

    def commitment(status, actual):
        return {"id": made.pk, "promise_id": promise.pk, "promise": promise.slug, "touchpoint": "delivery",
                "touchpoint_id": touchpoint.pk, "measure": "csat", "status": status, "actual": actual, "target": 80}  # fmt: skip

    def result(status, actual):
        return {
            "commitments": [commitment(status, actual)],
            "promises": [{"id": promise.pk, "title": promise.title, "owner_id": department.pk, "flags": []}],
            "departments": [],
            "tenant": {},
        }

    with tenant_context(tenant):
        now = timezone.now()
        previous = ScoreRun.objects.create(
            kind="recompute", source="rollup", as_of=now - timedelta(hours=1), result=result("met", 85)
        )
        run = ScoreRun.objects.create(
            kind="recompute", source="rollup", as_of=now, result=result("not_met", 61)
        )
    return previous, run


def test_a_breach_event_of_the_engine_is_proposed_once(escalations_world):
    from metrics.models import BreachEvent
    from metrics.services import breaches_detect

    tenant = escalations_world
    with tenant_context(tenant):
        promise = Promise.objects.get(slug="fast-refunds")
        touchpoint = Touchpoint.objects.get(slug="delivery")
        department = Department.objects.get(slug="customer-service")
        previous, run = _breach_run(tenant, promise=promise, touchpoint=touchpoint, department=department)
        breaches_detect(run=run, previous=previous)
        event = BreachEvent.objects.get()
        escalation = Escalation.objects.get()
        assert escalation.breach_event_id == event.pk and escalation.proposer_kind == "system"
        assert escalation.breach["current_value"] == 61 and escalation.breach["previous_value"] == 85
        assert escalation.severity == "high" and escalation.promise == promise
        # Seen again (the same event): nothing new.
        proposals.escalation_propose_from_breach(
            tenant=tenant, breach_event_id=event.pk, kind=event.kind, title=event.title,
            department_id=department.pk, promise_id=promise.pk,
        )  # fmt: skip
        assert Escalation.objects.count() == 1


def test_a_breach_merges_into_an_open_escalation_of_the_same_promise_and_touchpoint(escalations_world):
    tenant = escalations_world
    escalation = propose(tenant, promise=True)
    with tenant_context(tenant):
        promise = Promise.objects.get(slug="fast-refunds")
        touchpoint = Touchpoint.objects.get(slug="delivery")
    proposal = proposals.escalation_propose_from_breach(
        tenant=tenant, breach_event_id=77, kind="commitment_not_met", title="CSAT at Delivery is no longer met",
        department_id=escalation.department_id, promise_id=promise.pk, touchpoint_id=touchpoint.pk,
        previous_value=85, current_value=61,
    )  # fmt: skip
    assert proposal.merged and proposal.escalation.pk == escalation.pk
    with tenant_context(tenant):
        assert Escalation.objects.get().breach["title"] == "CSAT at Delivery is no longer met"


def test_score_drops_and_breaches_without_a_department_are_not_proposed(escalations_world):
    tenant = escalations_world
    assert (
        proposals.escalation_propose_from_breach(
            tenant=tenant, breach_event_id=1, kind="score_drop", title="Drop", department_id=None
        )
        is None
    )
    with tenant_context(tenant):
        assert not Escalation.objects.exists()


# --- The clock ----------------------------------------------------------------------------------


def test_overdue_levels_are_reached_once_each(escalations_world):
    tenant = escalations_world
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        escalation = propose(tenant)  # medium: 48 h to decide
        traveller.move_to(start + timedelta(hours=47))
        assert services.escalations_overdue_scan(tenant=tenant) == {"level_1": 0, "level_2": 0, "closed": 0}
        traveller.move_to(start + timedelta(hours=49))
        assert services.escalations_overdue_scan(tenant=tenant)["level_1"] == 1
        assert services.escalations_overdue_scan(tenant=tenant)["level_1"] == 0
        assert mails(tenant, ":overdue:decision:1") == [
            ("overdue", "manager2@acme.test"),
            ("overdue", "manager@acme.test"),
        ]
        traveller.move_to(start + timedelta(hours=48 + 25))
        assert services.escalations_overdue_scan(tenant=tenant)["level_2"] == 1
        assert services.escalations_overdue_scan(tenant=tenant) == {"level_1": 0, "level_2": 0, "closed": 0}
        assert mails(tenant, ":overdue:decision:2") == [("overdue", "admin@acme.test")]
        with tenant_context(tenant):
            assert Escalation.objects.get().overdue_level == 2
        assert [e for e in entries(tenant, escalation) if e[0] == "overdue"] == [
            ("overdue", "", "cxgov (automatic)"),
            ("overdue", "", "cxgov (automatic)"),
        ]
        # Approval starts the resolution clock afresh.
        escalation = move(tenant, escalation, "approve", "manager")
        assert escalation.overdue_level == 0
        traveller.move_to(start + timedelta(hours=48 + 25 + 14 * 24 + 30))
        assert services.escalations_overdue_scan(tenant=tenant) == {"level_1": 1, "level_2": 1, "closed": 0}
        assert len(mails(tenant, ":overdue:resolution:")) == 3


def test_resolved_escalations_close_by_themselves_after_seven_days(escalations_world):
    tenant = escalations_world
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        escalation = in_state(tenant, S.RESOLVED)
        reopened = in_state(tenant, S.RESOLVED)
        traveller.move_to(start + timedelta(days=6))
        move(tenant, reopened, "reopen", "manager")
        assert services.escalations_overdue_scan(tenant=tenant)["closed"] == 0
        traveller.move_to(start + timedelta(days=7, minutes=1))
        assert services.escalations_overdue_scan(tenant=tenant)["closed"] == 1
    with tenant_context(tenant):
        assert Escalation.objects.get(pk=escalation.pk).state == S.CLOSED
        assert Escalation.objects.get(pk=reopened.pk).state == S.IN_PROGRESS
    assert entries(tenant, escalation)[-1] == ("transition", "closed", "cxgov (automatic)")


def test_clock_settings_are_per_severity(escalations_world):
    tenant = escalations_world
    services.escalation_settings_update(tenant=tenant, actor=member(tenant, "admin"), high_decision_hours=2)
    with tenant_context(tenant):
        assert EscalationSettings.objects.get().high_decision_hours == 2
    escalation = propose(tenant, severity="high")
    assert escalation.severity == "high"
    assert (escalation.decision_due_at - escalation.proposed_at) == timedelta(hours=2)


# --- Two managers at once -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_managers_approving_at_once_one_wins(transactional_db):
    tenant = make_tenant("acme", "Acme Retail")
    escalation_setup(tenant)
    escalation = propose(tenant)
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def approve(name: str) -> None:
        try:
            actor = member(tenant, name)
            barrier.wait(10)
            outcomes[name] = move(tenant, escalation, "approve", actor).state
        except Exception as error:  # the loser's refusal is the outcome under test
            outcomes[name] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(name,)) for name in ("manager", "manager2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [name for name, outcome in outcomes.items() if outcome == S.APPROVED]
    losers = [outcome for outcome in outcomes.values() if isinstance(outcome, EscalationStateConflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert "is approved, so it cannot be approved" in losers[0].message
    with tenant_context(tenant):
        saved = Escalation.objects.select_related("owner__user").get()
        assert saved.owner.user.email == f"{winners[0]}@acme.test"
        assert EscalationEntry.objects.filter(to_state=S.APPROVED).count() == 1
        assert Story.objects.count() == 1


def test_escalation_emails_link_to_the_tenants_site_with_its_port(escalations_world, settings):
    settings.CXGOV_TENANT_URL = "http://{slug}.localhost:8123"
    escalation = propose(escalations_world)
    with tenant_context(escalations_world):
        bodies = list(OutboxMessage.objects.filter(kind="escalation").values_list("body_text", flat=True))
    assert bodies
    for body in bodies:
        assert f"http://acme.localhost:8123/escalations/{escalation.pk}/" in body, body
