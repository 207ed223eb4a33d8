"""Every query of one tenant can be routed to the tenant's shard.

A sharded database (Citus) sends a statement to one shard only when every join between tenant
tables is on ``tenant_id`` and every UPDATE and DELETE filters on it; otherwise it repartitions
the join, refuses it, or sends the statement to every shard. These tests capture the SQL the ORM
issues on plain PostgreSQL and check it, join by join and statement by statement, next to the
rows the queries return.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from feedback.models import Escalation, EscalationEvidence, Story, StoryPromise
from promises.models import Commitment, Promise, PromiseContributor
from tenants.keys import TenantForeignKey
from tenants.models import Department, Membership, Touchpoint
from tests.factories import make_row, tenant_models
from tests.sql_routing import assert_joins_carry_tenant, tenant_joins


@pytest.fixture
def data(tenant, other_tenant, in_tenant):
    """In each tenant: a promise owned by a department, with a contributor, a commitment, two
    linked stories (one with a department), one unlinked story and an escalation."""
    rows = {}
    for t in (tenant, other_tenant):
        with in_tenant(t):
            department = Department.objects.get()
            touchpoint = Touchpoint.objects.get()
            promise = make_row(Promise, t)
            Promise.objects.filter(pk=promise.pk).update(owner=department)
            PromiseContributor.objects.create(promise=promise, department=department)
            make_row(Commitment, t)
            Commitment.objects.update(promise=promise)
            Promise.objects.exclude(pk=promise.pk).delete()  # the one make_row gave the commitment
            stories = []
            for n, story_department in enumerate([department, None, None]):
                story = make_row(Story, t)
                Story.objects.filter(pk=story.pk).update(
                    touchpoint=touchpoint, department=story_department, text=f"{t.slug} story {n}"
                )
                stories.append(story)
            for story in stories[:2]:
                StoryPromise.objects.create(story=story, promise=promise)
            escalation = make_row(Escalation, t)
            Escalation.objects.filter(pk=escalation.pk).update(promise=None, department=department)
            EscalationEvidence.objects.create(escalation=escalation, story=stories[0])
            rows[t.slug] = {
                "promise": promise.pk,
                "stories": [s.pk for s in stories],
                "department": department,
            }
    return rows


def _captured(tenant, in_tenant, evaluate):
    with in_tenant(tenant), CaptureQueriesContext(connection) as queries:
        result = evaluate()
    return result, queries.captured_queries


def test_forward_join_across_two_references(tenant, data, in_tenant):
    result, queries = _captured(
        tenant,
        in_tenant,
        lambda: list(
            Commitment.objects.filter(promise__owner__name="Customer Service").values_list(
                "promise_id", flat=True
            )
        ),
    )
    assert result == [data["acme"]["promise"]]
    assert assert_joins_carry_tenant(queries) == 2


def test_reverse_join(tenant, data, in_tenant):
    result, queries = _captured(
        tenant,
        in_tenant,
        lambda: list(
            Department.objects.filter(owned_promises__pk=data["acme"]["promise"]).values_list("pk", flat=True)
        ),
    )
    assert result == [data["acme"]["department"].pk]
    assert assert_joins_carry_tenant(queries) == 1


def test_select_related_nullable_reference_is_a_left_outer_join_on_the_tenant(tenant, data, in_tenant):
    result, queries = _captured(
        tenant,
        in_tenant,
        lambda: [
            (s.pk, s.department and s.department.name, s.touchpoint.name)
            for s in Story.objects.select_related("department", "touchpoint").order_by("pk")
        ],
    )
    ids = data["acme"]["stories"]
    assert result == [
        (ids[0], "Customer Service", "Delivery"),
        (ids[1], None, "Delivery"),
        (ids[2], None, "Delivery"),
    ]
    assert len(queries) == 1
    joins = tenant_joins(queries[0]["sql"])
    assert sorted((table, kind) for kind, table, _ in joins) == [
        ("tenants_department", "LEFT OUTER JOIN"),
        ("tenants_touchpoint", "INNER JOIN"),
    ]
    assert_joins_carry_tenant(queries)


def test_many_to_many_through_models(tenant, data, in_tenant):
    result, queries = _captured(
        tenant,
        in_tenant,
        lambda: (
            sorted(
                Story.objects.filter(promises__owner__name="Customer Service").values_list("pk", flat=True)
            ),
            sorted(
                Membership.objects.filter(departments__name="Customer Service").values_list("role", flat=True)
            ),
            list(
                Escalation.objects.filter(stories__text="acme story 0").values_list(
                    "department_id", flat=True
                )
            ),
        ),
    )
    assert result == (data["acme"]["stories"][:2], ["employee", "manager"], [data["acme"]["department"].pk])
    assert assert_joins_carry_tenant(queries) == 3 + 2 + 2


def test_count_over_a_reverse_relation(tenant, data, in_tenant):
    result, queries = _captured(
        tenant,
        in_tenant,
        lambda: list(
            Promise.objects.annotate(n=Count("stories"), c=Count("contributions", distinct=True)).values_list(
                "n", "c"
            )
        ),
    )
    assert result == [(2, 1)]
    assert [kind for query in queries for kind, _, _ in tenant_joins(query["sql"])] == ["LEFT OUTER JOIN"] * 2
    assert_joins_carry_tenant(queries)


def test_exclude_across_a_relation_filters_its_subquery_on_the_tenant(tenant, data, in_tenant):
    result, queries = _captured(
        tenant,
        in_tenant,
        lambda: sorted(
            Story.objects.exclude(promises__owner__name="Customer Service").values_list("pk", flat=True)
        ),
    )
    assert result == data["acme"]["stories"][2:]
    assert_joins_carry_tenant(queries)
    # The subquery starts at the story links, correlated with the outer story by story_id.
    subquery = re.search(r"EXISTS\((.*)\)", queries[0]["sql"]).group(1)
    assert f'U1."tenant_id" = {tenant.pk}' in subquery


def test_reading_a_referenced_row_filters_on_the_tenant(tenant, data, in_tenant):
    with in_tenant(tenant):
        story = Story.objects.get(pk=data["acme"]["stories"][0])
        with CaptureQueriesContext(connection) as queries:
            department = story.department
    assert department == data["acme"]["department"]
    assert f'"tenants_department"."tenant_id" = {tenant.pk}' in queries[0]["sql"]


@pytest.mark.parametrize(
    "field",
    [
        pytest.param(field, id=f"{model._meta.label}.{field.name}")
        for model in tenant_models()
        for field in model._meta.local_fields
        if isinstance(field, TenantForeignKey)
    ],
)
def test_every_tenant_reference_joins_on_the_tenant(field, tenant, in_tenant):
    """Forward (``select_related``) and, where the reference has a reverse name, backward."""
    with in_tenant(tenant), CaptureQueriesContext(connection) as queries:
        querysets = [field.model.objects.select_related(field.name)]
        if not field.remote_field.hidden:
            lookup = f"{field.related_query_name()}__isnull"
            querysets.append(field.related_model.objects.filter(**{lookup: False}))
        for queryset in querysets:
            list(queryset)
    assert assert_joins_carry_tenant(queries) >= len(querysets)


def test_updates_and_deletes_filter_on_the_tenant(tenant, other_tenant, data, in_tenant):
    with in_tenant(tenant), CaptureQueriesContext(connection) as queries:
        story = Story.objects.get(pk=data["acme"]["stories"][0])
        story.text = "changed"
        story.save()
        # Unscoped on purpose: the filter the manager adds is not what makes the statement filter.
        Story.objects.unscoped().filter(pk=data["acme"]["stories"][1]).update(segment="vip")
        Promise.objects.get(
            pk=data["acme"]["promise"]
        ).delete()  # cascades to the story links, contributors and commitments
        data["acme"]["department"].stories.update(severity="high")
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "DELETE"))]
    assert len(writes) >= 6
    unfiltered = [sql for sql in writes if f'"tenant_id" = {tenant.pk}' not in sql]
    assert not unfiltered, "UPDATE/DELETE without tenant_id:\n" + "\n".join(unfiltered)
    with in_tenant(tenant):
        assert Story.objects.get(pk=data["acme"]["stories"][0]).text == "changed"
        assert not Promise.objects.exists() and not StoryPromise.objects.exists()
    with in_tenant(other_tenant):
        assert Promise.objects.count() == 1 and StoryPromise.objects.count() == 2
        assert not Story.objects.filter(segment="vip").exists()


def test_no_tenant_active_adds_nothing_to_an_update(tenant, data, in_tenant):
    # Outside every tenant (the owner's maintenance, migrations) the statement is Django's own.
    with CaptureQueriesContext(connection) as queries:
        Story.objects.unscoped().filter(pk=-1).update(segment="vip")
    assert queries.captured_queries[0]["sql"].startswith("UPDATE")
    assert '"tenant_id"' not in queries.captured_queries[0]["sql"]
