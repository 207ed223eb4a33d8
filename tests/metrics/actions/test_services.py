"""Planning and changing actions: the rules of ``metrics.actions.services`` and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest

from metrics.actions.services import ActionRefused, action_create, action_update, tenant_today
from metrics.models import Action
from tenants.errors import DomainError
from tenants.models import AuditEvent


def _refused(call, field: str, words: str):
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.field == field
    assert words in caught.value.message
    return caught.value


def test_an_admin_plans_an_action_about_a_promise_and_it_is_audited(world):
    action = world.plan(notes="  Rota agreed.  ")
    stored = Action.objects.get(pk=action.pk)
    assert (stored.title, stored.status, stored.notes, stored.promise_id) == (
        "Call back every refund request within a day",
        "planned",
        "Rota agreed.",
        world.promise.pk,
    )
    assert stored.created_by == world.member("admin")
    entry = AuditEvent.objects.get(model="metrics.Action", object_id=str(action.pk), action="insert")
    assert entry.changes["title"][1] == "Call back every refund request within a day"


def test_an_action_about_an_escalation_or_a_breach_takes_its_promise_and_commitment(world):
    from_escalation = world.plan(escalation=world.escalation)
    assert from_escalation.promise_id == world.promise.pk
    assert from_escalation.commitment_id is None
    from_breach = world.plan(breach_event=world.breach)
    assert (from_breach.promise_id, from_breach.commitment_id) == (world.promise.pk, world.commitment.pk)


def test_bad_input_is_refused_naming_the_field(world):
    today = tenant_today(world.tenant)
    _refused(lambda: world.plan(title="   "), "title", "Give the action a title")
    _refused(lambda: world.plan(due_on=today - timedelta(days=1)), "due_on", "in the past")
    _refused(lambda: world.plan(due_on=None), "due_on", "due date")
    viewer = world.member("viewer")
    _refused(lambda: world.plan(owner=viewer), "owner", "is a viewer")
    inactive = world.member("employee2")
    inactive.is_active = False
    inactive.save()
    _refused(lambda: world.plan(owner=inactive), "owner", "no longer an active member")
    _refused(lambda: world.plan(department=world.logistics), "department", "does not belong to Logistics")
    _refused(
        lambda: action_create(
            tenant=world.tenant,
            actor=world.member("admin"),
            title="x",
            owner=world.member("employee"),
            department=world.cs,
            due_on=today,
        ),
        "promise",
        "Say what the action is about",
    )
    other = world.promise.commitments.model.objects.create(
        promise=type(world.promise).objects.create(
            kind="customer", slug="other", title="Other", statement=".", owner=world.cs
        ),
        measure=world.commitment.measure,
    )
    _refused(lambda: world.plan(commitment=other), "commitment", "not one of “Fast refunds”")
    assert not Action.objects.exists()


def test_due_today_is_allowed_and_an_admin_without_department_owns_any(world):
    action = world.plan(
        owner=world.member("admin"), department=world.logistics, due_on=tenant_today(world.tenant)
    )
    assert action.department == world.logistics


def test_a_manager_plans_only_for_their_departments(world):
    manager, logistics = world.member("manager"), world.member("logistics")
    ok = action_create(
        tenant=world.tenant,
        actor=manager,
        title="Retrain the team",
        owner=world.member("employee"),
        department=world.cs,
        due_on=tenant_today(world.tenant),
        promise=world.promise,
    )
    assert ok.pk
    with pytest.raises(ActionRefused) as refused:
        action_create(
            tenant=world.tenant,
            actor=logistics,
            title="Retrain the team",
            owner=world.member("employee"),
            department=world.cs,
            due_on=tenant_today(world.tenant),
            promise=world.promise,
        )
    assert "manager of Customer Service" in refused.value.message
    with pytest.raises(ActionRefused):
        action_update(tenant=world.tenant, actor=logistics, action=ok, title="Mine now")
    assert Action.objects.get(pk=ok.pk).title == "Retrain the team"


def test_done_stamps_done_at_and_reopening_clears_it(world):
    action = world.plan()
    done = action_update(tenant=world.tenant, actor=world.member("employee"), action=action, status="done")
    assert done.status == "done" and done.done_at is not None
    again = action_update(
        tenant=world.tenant, actor=world.member("employee"), action=action, status="in_progress"
    )
    assert again.status == "in_progress" and again.done_at is None
    audited = AuditEvent.objects.filter(model="metrics.Action", object_id=str(action.pk), action="update")
    assert [e.changes["status"] for e in audited.order_by("occurred_at", "id")] == [
        ["planned", "done"],
        ["done", "in_progress"],
    ]


def test_the_owner_updates_status_and_notes_only_and_others_nothing(world):
    action = world.plan()
    owner = world.member("employee")
    action_update(tenant=world.tenant, actor=owner, action=action, status="in_progress", notes="Started.")
    with pytest.raises(ActionRefused) as refused:
        action_update(
            tenant=world.tenant, actor=owner, action=action, due_on=action.due_on + timedelta(days=5)
        )
    assert refused.value.field == "due_on"
    assert "ask a manager of Customer Service" in refused.value.message
    with pytest.raises(ActionRefused):
        action_update(tenant=world.tenant, actor=world.member("employee2"), action=action, status="done")
    stored = Action.objects.get(pk=action.pk)
    assert (stored.status, stored.notes, stored.due_on) == ("in_progress", "Started.", action.due_on)


def test_a_past_due_date_may_stay_but_not_be_set(world):
    action = world.plan()
    Action.objects.filter(pk=action.pk).update(due_on=tenant_today(world.tenant) - timedelta(days=3))
    action.refresh_from_db()
    kept = action_update(
        tenant=world.tenant, actor=world.member("admin"), action=action, notes="Late.", due_on=action.due_on
    )
    assert kept.notes == "Late."
    _refused(
        lambda: action_update(
            tenant=world.tenant,
            actor=world.member("admin"),
            action=action,
            due_on=tenant_today(world.tenant) - timedelta(days=1),
        ),
        "due_on",
        "in the past",
    )
