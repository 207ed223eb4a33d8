"""TenantModel: what saving a tenant row sends to the database."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tenants.context import TenantMismatch, tenant_context
from tenants.models import Department, Membership


def _updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]


@pytest.mark.parametrize("update_fields", [None, ["name", "tenant"]])
def test_saving_an_existing_row_never_sets_tenant_id_and_filters_on_it(tenant, update_fields):
    """tenant_id is the column a sharded database distributes rows by: it is never updated."""
    with tenant_context(tenant):
        department = Department.objects.get()
        department.name = "Customer Care"
        with CaptureQueriesContext(connection) as captured:
            department.save(update_fields=update_fields)
        updates = _updates(captured.captured_queries)
        assert len(updates) == 1
        set_clause, where_clause = updates[0].split(" WHERE ", 1)
        assert "tenant_id" not in set_clause
        assert f'"tenants_department"."tenant_id" = {tenant.pk}' in where_clause
        assert Department.objects.get().name == "Customer Care"


def test_saving_a_row_with_references_never_sets_tenant_id(tenant):
    with tenant_context(tenant):
        membership = Membership.objects.get(role=Membership.Role.MANAGER)
        membership.role = Membership.Role.EMPLOYEE
        with CaptureQueriesContext(connection) as captured:
            membership.save()
        (update,) = _updates(captured.captured_queries)
        assert "tenant_id" not in update.split(" WHERE ", 1)[0]
        assert Membership.objects.get(pk=membership.pk).role == Membership.Role.EMPLOYEE


def test_saving_a_row_of_another_tenant_is_refused_and_changes_nothing(tenant, other_tenant):
    with tenant_context(tenant):
        department = Department.objects.get()
    department.name = "Moved"
    with tenant_context(other_tenant), pytest.raises(TenantMismatch):
        department.save()
    with tenant_context(tenant):
        assert Department.objects.get().name == "Customer Service"
