"""Fixtures for signals: a promise and a duration measure in tenant acme, API keys, a client."""

from __future__ import annotations

import ast

import pytest
from rest_framework.test import APIClient

from feedback.imports.models import SignalImport
from promises.commitments.services import measures_ensure_builtin
from promises.models import Measure, Promise
from tenants.context import tenant_context
from tenants.models import Department, Tenant
from tenants.services import api_key_create


def signal_setup(tenant: Tenant) -> None:
    """Built-in measures, a duration measure ``refund_processing`` and a promise ``fast-refunds``."""
    measures_ensure_builtin(tenant=tenant)
    with tenant_context(tenant):
        Measure.objects.create(
            key="refund_processing", name="Refund processing", kind="duration", unit="days"
        )
        Promise.objects.create(
            kind="customer",
            slug="fast-refunds",
            title="Fast refunds",
            statement="Your money back within a week.",
            owner=Department.objects.get(slug="customer-service"),
        )


def import_finished(events, tenant: Tenant, import_id: int, wait_for_run: float = 120.0) -> SignalImport:
    """Follow a worker's runs of an import (a run, its continuations, a resume) through its
    task events until the import is done or failed, and return it.

    ``events``: the worker's :class:`tests.celery_worker.TaskEvents`; ``wait_for_run``: how long
    the next run may take to be received.
    """
    followed: set[str] = set()
    while True:
        with tenant_context(tenant):
            signal_import = SignalImport.objects.get(pk=import_id)
        if signal_import.status in (SignalImport.Status.DONE, SignalImport.Status.FAILED):
            return signal_import
        received = events.wait(
            lambda e: (
                e["type"] == "task-received"
                and e.get("name") == "feedback.tasks.signal_import_run"
                and e["uuid"] not in followed
                and ast.literal_eval(e["args"])[1] == import_id
            ),
            wait_for_run,
        )
        followed.add(received["uuid"])
        outcome = events.outcome(received["uuid"], 600)
        assert outcome["type"] == "task-succeeded", outcome.get("exception")


@pytest.fixture
def signals(tenant) -> Tenant:
    signal_setup(tenant)
    return tenant


@pytest.fixture
def api_key(signals):
    return api_key_create(tenant=signals, name="CRM", scopes=["feedback:write"])


def client_with(secret: str, **headers) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", **headers)
    return client


@pytest.fixture
def api(api_key) -> APIClient:
    return client_with(api_key.secret)


# --- Escalations ------------------------------------------------------------------------------


def escalation_setup(tenant: Tenant) -> None:
    """On top of :func:`signal_setup`: the promise is active; a second manager of Customer
    Service (``manager2``), a second employee (``employee2``) and a Logistics department with its
    own manager (``logistics``)."""
    from promises.models import Promise
    from tenants.services import department_create, member_add
    from tests.conftest import TEST_PASSWORD

    signal_setup(tenant)
    with tenant_context(tenant):
        Promise.objects.filter(slug="fast-refunds").update(status=Promise.Status.ACTIVE)
        service = Department.objects.get(slug="customer-service")
    logistics = department_create(tenant=tenant, name="Logistics")
    for email, role, department in (
        (f"manager2@{tenant.slug}.test", "manager", service),
        (f"employee2@{tenant.slug}.test", "employee", service),
        (f"logistics@{tenant.slug}.test", "manager", logistics),
    ):
        member_add(tenant=tenant, email=email, role=role, password=TEST_PASSWORD, departments=[department])


@pytest.fixture
def escalations_world(tenant) -> Tenant:
    escalation_setup(tenant)
    return tenant
