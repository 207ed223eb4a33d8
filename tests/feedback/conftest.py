"""Fixtures for signals: a promise and a duration measure in tenant acme, API keys, a client."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from promises.models import Measure, Promise
from promises.services import measures_ensure_builtin
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
