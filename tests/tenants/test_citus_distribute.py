"""``manage.py citus_distribute`` on plain PostgreSQL, and the plan it computes from the models."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection

from tenants.citus import DISTRIBUTED, LOCAL, REFERENCE, distribution_plan
from tests.factories import tenant_models


def _catalog() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, c.relkind, (SELECT count(*) FROM pg_trigger g WHERE g.tgrelid = c.oid),
                   (SELECT count(*) FROM pg_constraint k WHERE k.conrelid = c.oid)
            FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1
            """
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT extname FROM pg_extension ORDER BY 1")
        return rows + cursor.fetchall()


def test_refuses_without_citus_and_changes_nothing(transactional_db):
    # transactional_db: the command reconnects as the owner, as migrate does.
    before = _catalog()
    with pytest.raises(CommandError) as refused:
        call_command("citus_distribute", stdout=io.StringIO())
    message = str(refused.value)
    assert f'Citus is not installed in database "{connection.settings_dict["NAME"]}"' in message
    assert "nothing was distributed" in message
    assert "CREATE EXTENSION citus" in message
    assert _catalog() == before


def test_prints_the_plan_without_touching_the_database():
    out = io.StringIO()
    call_command("citus_distribute", "--plan", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "tenants_tenant: reference table (global, referenced by tenant tables)"
    assert "tenants_department: distributed by tenant_id, colocated with tenants_department" in lines
    assert any(line.startswith("django_session: local (") for line in lines)


def test_every_tenant_model_is_distributed_colocated_with_the_first():
    plan = distribution_plan()
    distributed = [p for p in plan if p.kind == DISTRIBUTED]
    assert {p.table for p in distributed} == {m._meta.db_table for m in tenant_models()}
    assert {p.colocate_with for p in distributed} == {distributed[0].table}


def test_the_global_tables_tenant_tables_reference_are_reference_tables_and_the_rest_local():
    plan = distribution_plan()
    assert {p.table for p in plan if p.kind == REFERENCE} == {"tenants_tenant", "tenants_user"}
    local = {p.table: p.reason for p in plan if p.kind == LOCAL}
    assert {"django_session", "account_emailaddress", "django_content_type"} <= set(local)
    assert all(local.values()), "every table kept local says why"
    every_table = {m._meta.db_table for m in apps.get_models(include_auto_created=True)}
    assert sorted(p.table for p in plan) == sorted(every_table), "each table once"


def test_reference_tables_first_and_every_referenced_table_before_its_referrers():
    plan = distribution_plan()
    kinds = [p.kind for p in plan]
    assert kinds == sorted(kinds, key=[REFERENCE, DISTRIBUTED, LOCAL].index)
    position = {p.table: i for i, p in enumerate(plan)}
    by_table = {m._meta.db_table: m for m in apps.get_models(include_auto_created=True)}
    for placement in plan:
        if placement.kind == LOCAL:
            continue
        for field in by_table[placement.table]._meta.local_concrete_fields:
            target = field.related_model
            if field.many_to_one and target is not None and target._meta.db_table != placement.table:
                assert position[target._meta.db_table] < position[placement.table], (
                    placement.table,
                    field.name,
                )
