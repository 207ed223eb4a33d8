"""Demo tenants with realistic structure, for `make run` and for trying the product."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from tenants.context import tenant_context
from tenants.models import Department, Membership, Tenant, Touchpoint
from tenants.services import department_create, member_add, tenant_create, touchpoint_create

DEMO_PASSWORD = "cxgov-demo-2026"  # printed by seed_demo and `make run`; demo data only


@dataclass(frozen=True)
class DemoTenant:
    slug: str
    name: str
    time_zone: str
    departments: tuple[str, ...]
    # (name, journey stage, moment of truth)
    touchpoints: tuple[tuple[str, str, bool], ...]
    # role → (first name, last name, departments)
    people: dict[str, tuple[str, str, tuple[str, ...]]]


DEMO_TENANTS = (
    DemoTenant(
        slug="acme",
        name="Acme Retail",
        time_zone="Europe/Berlin",
        departments=("Marketing", "Customer Service", "Operations", "IT", "Sales"),
        touchpoints=(
            ("Website", "consideration", False),
            ("Mobile app", "consideration", False),
            ("Purchase", "purchase", True),
            ("Delivery", "delivery", True),
            ("Returns", "support", True),
            ("Customer support", "support", True),
            ("Social media", "loyalty", False),
            ("Email", "loyalty", False),
        ),
        people={
            Membership.Role.ADMIN: ("Ada", "Admin", ()),
            Membership.Role.MANAGER: ("Max", "Manager", ("Customer Service", "Operations")),
            Membership.Role.EMPLOYEE: ("Erin", "Employee", ("Customer Service",)),
            Membership.Role.VIEWER: ("Vic", "Viewer", ()),
        },
    ),
    DemoTenant(
        slug="globex",
        name="Globex Bank",
        time_zone="America/New_York",
        departments=("Brand", "Retail Banking", "Security", "Digital Channels", "Contact Center"),
        touchpoints=(
            ("Branch", "consideration", False),
            ("Account opening", "purchase", True),
            ("Online banking", "use", True),
            ("Card payments", "use", False),
            ("Fraud check", "support", True),
            ("Phone support", "support", True),
        ),
        people={
            Membership.Role.ADMIN: ("Gina", "Admin", ()),
            Membership.Role.MANAGER: ("Gus", "Manager", ("Security", "Contact Center")),
            Membership.Role.EMPLOYEE: ("Gail", "Employee", ("Contact Center",)),
            Membership.Role.VIEWER: ("Gio", "Viewer", ()),
        },
    ),
)


def demo_email(slug: str, role: str) -> str:
    return f"{role}@{slug}.example"


@transaction.atomic
def seed_demo_tenant(demo: DemoTenant) -> Tenant:
    """Create or complete one demo tenant. Running it again changes nothing."""
    tenant = Tenant.objects.filter(slug=demo.slug).first() or tenant_create(
        slug=demo.slug, name=demo.name, time_zone=demo.time_zone
    )
    with tenant_context(tenant):
        existing_departments = {d.name: d for d in Department.objects.all()}
        existing_touchpoints = set(Touchpoint.objects.values_list("name", flat=True))
    departments = {
        name: existing_departments.get(name) or department_create(tenant=tenant, name=name)
        for name in demo.departments
    }
    for position, (name, stage, moment_of_truth) in enumerate(demo.touchpoints, start=1):
        if name not in existing_touchpoints:
            touchpoint_create(
                tenant=tenant,
                name=name,
                position=position * 10,
                journey_stage=stage,
                is_moment_of_truth=moment_of_truth,
            )
    for role, (first_name, last_name, department_names) in demo.people.items():
        member_add(
            tenant=tenant,
            email=demo_email(demo.slug, role),
            role=role,
            password=DEMO_PASSWORD,
            first_name=first_name,
            last_name=last_name,
            departments=[departments[name] for name in department_names],
        )
    return tenant
