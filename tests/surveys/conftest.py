"""A tenant with a survey: acme's "Returns" touchpoint, an NPS survey for Customer Service."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from promises.commitments.services import measures_ensure_builtin
from promises.models import Measure
from surveys.models import Survey
from surveys.services import survey_create
from tenants.context import tenant_context
from tenants.models import Department, Membership, Tenant, Touchpoint
from tenants.services import department_create, member_add, touchpoint_create
from tests.conftest import TEST_PASSWORD, client_for


@dataclass
class SurveyWorld:
    tenant: Tenant
    returns: Touchpoint
    service: Department  # Customer Service: manager@acme.test
    marketing: Department  # no manager of the fixtures
    survey: Survey
    measures: dict[str, Measure]

    def public(self, path: str = "", **extra):
        return client_for(self.tenant.slug).get(f"/s/{self.survey.token}/{path}", **extra)


def make_survey_world(tenant: Tenant, **options) -> SurveyWorld:
    measures_ensure_builtin(tenant=tenant)
    returns = touchpoint_create(tenant=tenant, name="Returns", position=20)
    with tenant_context(tenant):
        service = Department.objects.get(slug="customer-service")
        measures = {m.key: m for m in Measure.objects.filter(kind="survey")}
        admin = Membership.objects.get(user__email=f"admin@{tenant.slug}.test")
    marketing = department_create(tenant=tenant, name="Marketing")
    survey = survey_create(
        tenant=tenant,
        name="Returns counter",
        touchpoint=returns,
        department=service,
        measure=options.pop("measure", None) or measures["nps"],
        created_by=admin,
        **options,
    )
    return SurveyWorld(tenant, returns, service, marketing, survey, measures)


@pytest.fixture
def world(tenant) -> SurveyWorld:
    return make_survey_world(tenant)


@pytest.fixture
def marketing_manager(world) -> Membership:
    return member_add(
        tenant=world.tenant,
        email="mkt.manager@acme.test",
        role="manager",
        password=TEST_PASSWORD,
        departments=[world.marketing],
    )
