"""The action pages: planning from a promise, an escalation or a breach, the list with its
filters and pages, one action, the promise page, the home page and the digest; who may do what;
another tenant's actions; the queries each page takes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.actions.services import action_update, tenant_today
from metrics.digests.services import digest_preview
from metrics.models import Action
from tenants.context import tenant_context
from tenants.models import User
from tests.conftest import enrol_totp, make_tenant, signed_in


@pytest.fixture
def clients(world):
    enrol_totp(User.objects.get(email="admin@acme.test"))  # admins must have two-factor sign-in
    return {
        name: signed_in("acme", f"{name}@acme.test")
        for name in ("admin", "manager", "employee", "employee2", "viewer", "logistics")
    }


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def _form(world, **values) -> dict:
    data = {
        "title": "Call back within a day",
        "owner": world.member("employee").pk,
        "department": world.cs.pk,
        "due_on": (tenant_today(world.tenant) + timedelta(days=7)).isoformat(),
        "notes": "",
    }
    data.update(values)
    return data


def test_a_manager_plans_an_action_from_the_promise_page(world, clients):
    page = clients["manager"].get(f"/scores/promises/{world.promise.slug}/")
    assert "What we are doing about it" in page.content.decode()
    assert f"/actions/new/?promise={world.promise.pk}" in page.content.decode()
    form = clients["manager"].get(f"/actions/new/?promise={world.promise.pk}")
    assert form.status_code == 200 and "Fast refunds" in form.content.decode()
    sent = clients["manager"].post(
        f"/actions/new/?promise={world.promise.pk}", _form(world, commitment=world.commitment.pk)
    )
    action = Action.objects.get()
    assert sent.status_code == 302 and sent["Location"] == f"/actions/{action.pk}/"
    assert (action.promise, action.commitment, action.created_by) == (
        world.promise,
        world.commitment,
        world.member("manager"),
    )
    listed = clients["viewer"].get(f"/scores/promises/{world.promise.slug}/").content.decode()
    assert "Call back within a day" in listed and f'data-action="{action.pk}"' in listed


def test_planning_from_an_escalation_and_a_breach_event(world, clients):
    page = clients["manager"].get(f"/escalations/{world.escalation.pk}/").content.decode()
    assert f"/actions/new/?escalation={world.escalation.pk}" in page
    clients["manager"].post(f"/actions/new/?escalation={world.escalation.pk}", _form(world))
    clients["admin"].post(
        f"/actions/new/?breach_event={world.breach.pk}", _form(world, title="From the breach")
    )
    by_title = {a.title: a for a in Action.objects.all()}
    assert by_title["Call back within a day"].escalation == world.escalation
    assert by_title["From the breach"].breach_event == world.breach
    assert by_title["From the breach"].promise == world.promise


def test_bad_input_gets_a_message_on_the_field(world, clients):
    past = (tenant_today(world.tenant) - timedelta(days=1)).isoformat()
    answer = clients["manager"].post(f"/actions/new/?promise={world.promise.pk}", _form(world, due_on=past))
    assert answer.status_code == 200
    assert "is in the past: choose today" in answer.content.decode()
    answer = clients["manager"].post(
        f"/actions/new/?promise={world.promise.pk}", _form(world, due_on="31/12/2026", title="")
    )
    assert "Enter the due date as YYYY-MM-DD" in answer.content.decode()
    answer = clients["admin"].post(
        f"/actions/new/?promise={world.promise.pk}", _form(world, department=world.logistics.pk)
    )
    assert "does not belong to Logistics" in answer.content.decode()
    answer = clients["logistics"].post(
        f"/actions/new/?promise={world.promise.pk}",
        _form(world, owner=world.member("logistics").pk, department=world.cs.pk),
    )
    assert "does not belong to Customer Service" in answer.content.decode()
    assert not Action.objects.exists()


def test_who_may_plan_and_update(world, clients):
    for name in ("employee", "viewer"):
        assert clients[name].get(f"/actions/new/?promise={world.promise.pk}").status_code == 403
    action = world.plan()
    # The owner updates status and notes; the form offers nothing else.
    page = clients["employee"].get(f"/actions/{action.pk}/").content.decode()
    assert "Update your action" in page and 'name="due_on"' not in page
    done = clients["employee"].post(f"/actions/{action.pk}/", {"status": "done", "notes": "Rota live."})
    assert done.status_code == 302
    action.refresh_from_db()
    assert (action.status, action.notes) == ("done", "Rota live.") and action.done_at is not None
    # Someone else of the department sees it but may not change it.
    assert clients["employee2"].get(f"/actions/{action.pk}/").status_code == 200
    assert clients["employee2"].post(f"/actions/{action.pk}/", {"status": "dropped"}).status_code == 403
    assert clients["logistics"].post(f"/actions/{action.pk}/", {"status": "dropped"}).status_code == 403
    action.refresh_from_db()
    assert action.status == "done"


def test_another_tenants_actions_and_subjects_are_not_found(world, clients):
    other = make_tenant("globex", "Globex Bank")
    from tests.metrics.actions.conftest import world_setup

    theirs = world_setup(other)
    with tenant_context(other):
        their_action = theirs.plan()
    with tenant_context(world.tenant):
        assert clients["admin"].get(f"/actions/{their_action.pk}/").status_code == 404
        assert clients["admin"].post(f"/actions/{their_action.pk}/", {"status": "done"}).status_code == 404
        for name, obj in (
            ("promise", theirs.promise),
            ("escalation", theirs.escalation),
            ("breach_event", theirs.breach),
        ):
            assert clients["admin"].get(f"/actions/new/?{name}={obj.pk}").status_code == 404
        assert clients["admin"].get("/actions/new/").status_code == 404
        assert f'data-action="{their_action.pk}"' not in clients["admin"].get("/actions/").content.decode()


def test_the_list_filters_pages_and_shows_an_empty_state(world, clients):
    empty = clients["viewer"].get("/actions/").content.decode()
    assert "No action is planned yet" in empty
    today = tenant_today(world.tenant)
    late = world.plan(title="Late one", due_on=today)
    Action.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=2))
    mine = world.plan(title="The manager's", owner=world.member("manager"))
    action_update(tenant=world.tenant, actor=world.member("admin"), action=mine, status="in_progress")
    world.plan(title="Logistics'", owner=world.member("logistics"), department=world.logistics)

    def titles(query: str) -> list[str]:
        page = clients["manager"].get(f"/actions/?{query}")
        return [a.title for a in Action.objects.filter(pk__in=[r["id"] for r in page.context["page_obj"]])]

    assert titles("overdue=yes") == ["Late one"]
    assert titles("status=in_progress") == ["The manager's"]
    assert titles("owner=me") == ["The manager's"]
    assert titles(f"department={world.logistics.slug}") == ["Logistics'"]
    assert (
        "No action matches these filters"
        in clients["manager"].get("/actions/?status=dropped").content.decode()
    )
    for i in range(26):
        world.plan(title=f"Bulk {i}")
    second = clients["manager"].get("/actions/?page=2")
    assert len(second.context["page_obj"].object_list) == 29 - 25
    assert "Page 2 of 2" in second.content.decode()


def test_pages_take_a_fixed_number_of_queries(world, clients):
    def plan(n: int) -> None:
        for i in range(n):
            action = world.plan(title=f"Action {i}", owner=world.member("employee"))
            if i % 3 == 0:
                action_update(
                    tenant=world.tenant, actor=world.member("admin"), action=action, status="in_progress"
                )

    plan(2)
    paths = [
        "/actions/",
        "/actions/?overdue=no&status=planned",
        f"/scores/promises/{world.promise.slug}/",
        "/",
    ]
    for path in paths:
        clients["employee"].get(path)  # the session's first read is not counted
    few = {path: _queries(clients["employee"], path) for path in paths}
    plan(12)
    many = {path: _queries(clients["employee"], path) for path in paths}
    assert many == few
    assert many["/actions/"] <= 8, many


def test_the_owners_home_lists_their_open_actions(world, clients):
    assert "You own no open action" in clients["employee"].get("/").content.decode()
    action = world.plan(title="Retrain the returns desk")
    done = world.plan(title="Already done")
    action_update(tenant=world.tenant, actor=world.member("admin"), action=done, status="done")
    home = clients["employee"].get("/").content.decode()
    assert "My actions" in home and "Retrain the returns desk" in home and "Already done" not in home
    assert f"/actions/{action.pk}/" in home
    assert "Retrain the returns desk" not in clients["employee2"].get("/").content.decode()


def test_the_department_digest_lists_its_actions(world):
    today = tenant_today(world.tenant)
    late = world.plan(title="Overdue fix", due_on=today)
    Action.objects.filter(pk=late.pk).update(due_on=today - timedelta(days=1))
    world.plan(title="Open fix")
    done = world.plan(title="Finished fix")
    action_update(tenant=world.tenant, actor=world.member("admin"), action=done, status="done")
    world.plan(title="Other department's", owner=world.member("logistics"), department=world.logistics)
    with CaptureQueriesContext(connection) as few:
        _, rendered = digest_preview(tenant=world.tenant, department=world.cs)
    text = rendered.text
    assert "Overdue actions:\n- Overdue fix" in text
    assert "Actions under way:\n- Open fix" in text
    assert "Actions done in this period:\n- Finished fix" in text
    assert "Other department's" not in text and "Overdue fix" in rendered.html
    for i in range(6):
        world.plan(title=f"More {i}")
    with CaptureQueriesContext(connection) as many:
        digest_preview(tenant=world.tenant, department=world.cs)
    assert len(many) == len(few)
