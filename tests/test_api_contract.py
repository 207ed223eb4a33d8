"""The partner API keeps its published contract: schemathesis against the live schema.

The schema is read from ``/api/schema/`` of the running application (in process, through
its WSGI handler: real PostgreSQL as the application role, real Redis), and every operation
is exercised with a key holding every scope, on a tenant with a year of demo data plus
escalations. Every check schemathesis offers runs over every phase it has (examples,
coverage, fuzzing, stateful); a fixed example budget and a fixed seed keep the run the
same from one run to the next.

The one check left off is ``max_response_time``: it is a wall-clock limit, and the suite
asserts none (a shared machine's load would make it flaky, not the API).
"""

from __future__ import annotations

import pytest
import schemathesis
from django.db import connections
from schemathesis.config._checks import (
    NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES,
    POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES,
)
from schemathesis.engine import events, from_schema
from schemathesis.engine.statistic import Statistic

from feedback.escalations.proposals import escalation_propose
from feedback.escalations.services import escalation_approve, escalation_resolve
from feedback.stories.models import Story
from metrics.demo import seed_demo_signals
from promises.demo import seed_demo_promises
from tenants.api_base import ApiKeyRateThrottle
from tenants.context import tenant_context
from tenants.demo import DEMO_TENANTS, demo_email, seed_demo_tenant
from tenants.models import ApiKey, Department, Membership, Touchpoint
from tenants.services import api_key_create

SEED = 13
# Fuzzing cases per operation. The coverage phase (boundary and invalid values of every
# parameter, about 1,800 cases) is systematic and always complete.
MAX_EXAMPLES = 5


def _contract_config(secret: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            # No state carried between runs: each run is the same, whatever ran before it.
            "cache": {"enabled": False},
            "headers": {"Authorization": f"Bearer {secret}"},
            "workers": 1,
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "deterministic": True,
                "mode": "all",
                "database": "none",
            },
            "phases": {"enabled": True},
            "checks": {
                "enabled": True,
                # Schema-valid input may still be refused by a rule the schema cannot state (an
                # unknown slug or cursor, a name already taken, a future instant): documented as
                # 400 on every operation, and 422 when an ingest batch stored nothing.
                "positive_data_acceptance": {
                    "expected-statuses": [*POSITIVE_DATA_ACCEPTANCE_EXPECTED_STATUSES, "400", "422"]
                },
                # A batch over 1,000 items is the documented 413 (split the batch).
                "negative_data_rejection": {
                    "expected-statuses": [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
                },
            },
        }
    )


@pytest.fixture
def contract_tenant(transactional_db, monkeypatch):
    """The acme demo tenant (departments, touchpoints, promises with commitments, a year of
    signals and score runs) and escalations with and without a promise and touchpoint."""
    tenant = seed_demo_tenant(DEMO_TENANTS[0])
    seed_demo_promises(tenant)
    seed_demo_signals(tenant)
    with tenant_context(tenant):
        manager = Membership.objects.get(user__email=demo_email(tenant.slug, Membership.Role.MANAGER))
        department = manager.departments.first()
        stories = list(Story.objects.order_by("id")[:3])
        touchpoint = Touchpoint.objects.order_by("position").first()
        promise = stories[0].promises.first()
        with_promise = escalation_propose(
            tenant=tenant,
            actor=None,
            title="Refunds stuck",
            severity="high",
            department=department,
            promise=promise,
            touchpoint=touchpoint,
            stories=stories[:1],
        ).escalation
        escalation_approve(tenant=tenant, escalation=with_promise, actor=manager)
        bare = escalation_propose(
            tenant=tenant,
            actor=None,
            title="Something is off at the counter",
            severity="low",
            department=Department.objects.exclude(pk=department.pk).first(),
            stories=stories[1:2],
        ).escalation
        resolved = escalation_propose(
            tenant=tenant,
            actor=None,
            title="Long queue",
            severity="medium",
            department=department,
            stories=stories[2:3],
        ).escalation
        escalation_approve(tenant=tenant, escalation=resolved, actor=manager)
        escalation_resolve(tenant=tenant, escalation=resolved, actor=manager, resolution="Added staff.")
        assert bare.promise_id is None
    # The run sends far more than a partner would in a minute; the limit itself has its own tests.
    monkeypatch.setattr(ApiKeyRateThrottle, "THROTTLE_RATES", {"api_key": "1000000/min"})
    # The live server answers each client connection in a thread of its own; with persistent
    # database connections those threads would outlive the test and keep the database open.
    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    return tenant


def run_contract(*, base_url: str, secret: str, **include) -> Statistic:
    """Run schemathesis over the live schema at ``base_url``; answer what it found (as its CLI
    counts it: cases generated, unique failures per operation)."""
    schema = schemathesis.openapi.from_url(
        f"{base_url}/api/schema/?format=json", config=_contract_config(secret)
    )
    if include:
        schema = schema.include(**include)
    statistic = Statistic()
    errors: list[str] = []
    per_phase: dict[str, int] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            statistic.on_scenario_finished(event.recorder)
            per_phase[event.phase.value] = per_phase.get(event.phase.value, 0) + len(event.recorder.cases)
        elif isinstance(event, events.PhaseFinished):
            print(
                f"phase {event.phase.name.value}: {event.status.value} at {event.timestamp:.0f}, {per_phase}"
            )
        elif isinstance(event, events.NonFatalError):
            errors.append(f"{event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            errors.append(f"fatal: {event.exception!r}")
    assert not errors, "\n".join(errors)
    return statistic


def failure_report(statistic: Statistic) -> list[str]:
    return [
        f"{label}: {failure.title}: {failure.message}\n    {group.code_sample}"
        for label, grouped in statistic.failures.items()
        for group in grouped.values()
        for failure in group.failures
    ]


def test_the_api_keeps_its_contract(contract_tenant, live_server):
    key = api_key_create(tenant=contract_tenant, name="Contract", scopes=list(ApiKey.Scope.values))
    statistic = run_contract(base_url=live_server.url, secret=key.secret)
    report = failure_report(statistic)
    print(
        f"schemathesis {schemathesis.__version__}: {statistic.total_cases} cases, "
        f"{len(report)} failures, {statistic.errored_cases} errored"
    )
    assert not report, f"{len(report)} contract failures:\n" + "\n".join(report)
    assert statistic.total_cases > 500


def test_the_contract_run_reports_a_server_error(transactional_db, live_server, monkeypatch):
    """The run above can fail: an endpoint that crashes is reported as a server error."""
    from tenants.api_urls import TenantView
    from tests.conftest import make_tenant

    def crash(self, request):
        raise RuntimeError("boom")

    monkeypatch.setitem(connections["default"].settings_dict, "CONN_MAX_AGE", 0)
    monkeypatch.setattr(TenantView, "get", crash)
    tenant = make_tenant("acme", "Acme Retail")
    key = api_key_create(tenant=tenant, name="Contract", scopes=list(ApiKey.Scope.values))

    statistic = run_contract(base_url=live_server.url, secret=key.secret, path="/api/v1/tenant")

    titles = {
        failure.title
        for grouped in statistic.failures.values()
        for g in grouped.values()
        for failure in g.failures
    }
    assert "Server error" in titles
