"""The Celery worker itself acts as the application's database role, with row-level security
in force: a task running in a real worker process reports what PostgreSQL sees."""

from __future__ import annotations

import ast

import pytest
from django.conf import settings

from cxgov.celery import app
from tenants.context import tenant_context
from tenants.models import Department
from tests.conftest import make_tenant

# The module's worker loads one more task module, tests/tenants/probe_tasks.py.
WORKER_SETTINGS = "tests.tenants.probe_worker_settings"


def reported(event: dict) -> dict:
    """The task's answer from its ``task-succeeded`` event (the event carries its repr)."""
    return ast.literal_eval(event["result"])


@pytest.mark.django_db(transaction=True)
def test_a_task_in_the_worker_acts_as_the_app_role_under_row_level_security(worker):
    acme, globex = make_tenant("acme", "Acme Retail"), make_tenant("globex", "Globex Bank")
    with tenant_context(globex):
        globex_departments = Department.objects.count()

    sent = app.send_task("tests.tenants.probe_tasks.database_identity", args=[acme.pk, globex.pk])
    outcome = worker.outcome(sent.id)
    assert outcome["type"] == "task-succeeded", outcome.get("exception")
    seen = reported(outcome)

    assert seen["current_user"] == settings.CXGOV_DB_APP_ROLE != seen["session_user"]
    assert (seen["superuser"], seen["bypass_rls"]) == (False, False)
    assert seen["row_security"] == "on" and seen["tenant_setting"] == str(acme.pk)
    # Plain SQL without a tenant filter reaches the task's tenant only; writing into another
    # tenant is refused by the policy, and switching row-level security off is refused too.
    assert seen["visible_tenants"] == [acme.pk]
    assert "row-level security" in seen["foreign_insert"], seen["foreign_insert"]
    assert "row-level security" in seen["row_security_off"] or "permission" in seen["row_security_off"], seen
    with tenant_context(globex):
        assert Department.objects.count() == globex_departments
        assert not Department.objects.filter(slug="planted").exists()
