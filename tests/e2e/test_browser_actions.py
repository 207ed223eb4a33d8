"""A manager plans an action from the promise page; its owner finds it on their home page and
marks it done; the promise page then lists it as done and says when to come back for "did it work?"."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from metrics.actions.services import tenant_today
from metrics.models import Action
from tenants.context import tenant_context
from tests.conftest import make_tenant
from tests.e2e.test_browser_escalation import sign_in
from tests.metrics.actions.conftest import world_setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_action_planned_from_the_promise_page_and_marked_done_by_its_owner(new_page, site):
    tenant = make_tenant("acme", "Acme Retail")
    world = world_setup(tenant)
    base = site("acme")
    promise_path = f"/scores/promises/{world.promise.slug}/"
    due = tenant_today(tenant) + timedelta(days=14)

    manager = new_page()
    sign_in(manager, base, "manager@acme.test", promise_path)
    section = manager.locator("#promise-actions")
    expect(section).to_contain_text("No action is planned for this promise yet")
    section.get_by_role("link", name="Plan an action").click()
    manager.get_by_label("Title").fill("Call back every refund request within a day")
    manager.get_by_label("Owner").select_option(label="employee@acme.test")
    manager.get_by_label("Department").select_option(label="Customer Service")
    manager.get_by_label("Due date").fill(f"{due:%Y-%m-%d}")
    manager.get_by_label("Commitment").select_option(label="CSAT at Returns")
    manager.get_by_role("button", name="Plan the action").click()
    expect(manager.get_by_text("Action planned")).to_be_visible()
    with tenant_context(tenant):
        action = Action.objects.get()
    expect(manager).to_have_url(re.compile(rf"/actions/{action.pk}/$"))

    employee = new_page()
    sign_in(employee, base, "employee@acme.test", "/")
    mine = employee.locator("#my-actions")
    expect(mine).to_contain_text(f"due {due:%Y-%m-%d}")
    mine.get_by_role("link", name="Call back every refund request within a day").click()
    employee.get_by_label("Status").select_option("done")
    employee.get_by_label("Notes").fill("Rota live since Monday.")
    employee.get_by_role("button", name="Save").click()
    expect(employee.get_by_text("Action saved.")).to_be_visible()
    expect(employee.locator("#action-status")).to_contain_text("Done")
    expect(employee.locator("#my-actions")).to_have_count(0)  # the action page has no home section

    manager.goto(base + promise_path)
    row = manager.locator(f'#promise-actions tr[data-action="{action.pk}"]')
    expect(row).to_contain_text("Done")
    expect(manager.locator(f'tr[data-outcome="{action.pk}"]')).to_contain_text("come back on")
