"""Operator commands: creating and suspending tenants, seeding the demo."""

import io

import pytest
from django.core.management import CommandError, call_command

from tenants.context import tenant_context
from tenants.demo import DEMO_PASSWORD, DEMO_TENANTS
from tenants.models import Department, Membership, MembershipDepartment, Tenant, Touchpoint, User


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_tenant_create_makes_the_tenant_and_its_admin(db):
    output = run(
        "tenant_create",
        "initech",
        "--name",
        "Initech",
        "--admin-email",
        "Boss@Initech.example",
        "--time-zone",
        "America/Chicago",
    )
    tenant = Tenant.objects.get(slug="initech")
    assert (tenant.name, tenant.time_zone, tenant.status) == ("Initech", "America/Chicago", "active")
    password = output.strip().rsplit(" ", 1)[-1]
    user = User.objects.get(email="boss@initech.example")
    assert user.check_password(password)
    with tenant_context(tenant):
        assert Membership.objects.get(user=user).role == Membership.Role.ADMIN


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("Bad Slug", "is not a valid tenant slug"),
        ("acme-", "is not a valid tenant slug"),
        ("www", "is reserved"),
        ("a" * 41, "is not a valid tenant slug"),
    ],
)
def test_tenant_create_rejects_an_invalid_slug_with_a_clear_message(db, slug, message):
    with pytest.raises(CommandError, match=message):
        run("tenant_create", slug, "--name", "X", "--admin-email", "x@example.com")
    assert not Tenant.objects.exists()
    assert not User.objects.exists()


def test_tenant_create_rejects_a_taken_slug_and_changes_nothing(tenant):
    with pytest.raises(CommandError, match="'acme' is already taken"):
        run("tenant_create", "acme", "--name", "Other", "--admin-email", "new@example.com")
    assert Tenant.objects.get(slug="acme").name == "Acme Retail"
    assert not User.objects.filter(email="new@example.com").exists()


def test_tenant_create_rejects_an_unknown_time_zone(db):
    with pytest.raises(CommandError, match="not a known time zone"):
        run(
            "tenant_create",
            "initech",
            "--name",
            "X",
            "--admin-email",
            "x@example.com",
            "--time-zone",
            "Mars/Base",
        )


def test_tenant_suspend_and_reactivate(tenant):
    assert "now suspended" in run("tenant_suspend", "acme")
    assert Tenant.objects.get(slug="acme").status == Tenant.Status.SUSPENDED
    assert "already suspended" in run("tenant_suspend", "acme")
    assert "now active" in run("tenant_suspend", "acme", "--reactivate")
    assert Tenant.objects.get(slug="acme").status == Tenant.Status.ACTIVE


def test_tenant_suspend_unknown_slug(db):
    with pytest.raises(CommandError, match="No tenant has the slug 'nope'"):
        run("tenant_suspend", "nope")


def _counts(tenant):
    with tenant_context(tenant):
        return tuple(m.objects.count() for m in (Department, Touchpoint, Membership, MembershipDepartment))


def test_seed_demo_creates_both_tenants_and_is_idempotent(db):
    first = run("seed_demo")
    tenants = {t.slug: t for t in Tenant.objects.all()}
    assert set(tenants) == {"acme", "globex"}
    counts = {slug: _counts(t) for slug, t in tenants.items()}
    assert counts["acme"] == (5, 8, 4, 3)
    assert run("seed_demo") == first
    assert {slug: _counts(t) for slug, t in tenants.items()} == counts
    with tenant_context(tenants["acme"]):
        assert list(Department.objects.order_by("name").values_list("name", flat=True)) == sorted(
            DEMO_TENANTS[0].departments
        )
        assert [t.name for t in Touchpoint.objects.all()] == [t[0] for t in DEMO_TENANTS[0].touchpoints]
    for role in Membership.Role.values:
        assert f"{role}@acme.example" in first
        assert User.objects.get(email=f"{role}@globex.example").check_password(DEMO_PASSWORD)
    assert "http://acme.localhost:8000" in first
