"""Demo tenants with realistic structure, for `make run` and for trying the product.

A demo tenant is seeded once: when the tenant is created, with its departments, touchpoints
and people. Seeding again (every `make run`) finds it and changes nothing, so whatever an
admin did since — renamed a department, changed a role, deactivated someone — stays.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from tenants.models import Department, Membership, Tenant, User
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


def demo_logins(demo: DemoTenant, *, base_url: str) -> list[str]:
    """Where to sign in to ``demo`` and as whom: its address (``base_url`` with ``{slug}``
    filled in), then one line per demo person."""
    return [f"{demo.name}: {base_url.format(slug=demo.slug)}"] + [
        f"  {role:<9} {demo_email(demo.slug, role):<24} password: {DEMO_PASSWORD}" for role in demo.people
    ]


@functools.cache
def demo_password_hash() -> str:
    """DEMO_PASSWORD hashed once per process: every demo login shares it (hashing is slow on
    purpose, and the demo has a dozen logins)."""
    return make_password(DEMO_PASSWORD)


def demo_member_add(
    *,
    tenant: Tenant,
    email: str,
    role: str,
    first_name: str,
    last_name: str,
    departments: Sequence[Department] = (),
) -> Membership:
    """Add a demo person: their login (with DEMO_PASSWORD) if it is missing, and their
    membership. An existing login keeps its password and name."""
    if not User.objects.filter(email=email).exists():
        User.objects.create(
            email=email, password=demo_password_hash(), first_name=first_name, last_name=last_name
        )
    return member_add(tenant=tenant, email=email, role=role, departments=list(departments))


@transaction.atomic
def seed_demo_tenant(demo: DemoTenant) -> Tenant:
    """Create one demo tenant with its departments, touchpoints and people.

    Once: a tenant with the demo's slug that exists already is returned as it is, whatever an
    admin has made of it.
    """
    tenant = Tenant.objects.filter(slug=demo.slug).first()
    if tenant is not None:
        return tenant
    tenant = tenant_create(slug=demo.slug, name=demo.name, time_zone=demo.time_zone)
    departments = {name: department_create(tenant=tenant, name=name) for name in demo.departments}
    for position, (name, stage, moment_of_truth) in enumerate(demo.touchpoints, start=1):
        touchpoint_create(
            tenant=tenant,
            name=name,
            position=position * 10,
            journey_stage=stage,
            is_moment_of_truth=moment_of_truth,
        )
    for role, (first_name, last_name, department_names) in demo.people.items():
        demo_member_add(
            tenant=tenant,
            email=demo_email(demo.slug, role),
            role=role,
            first_name=first_name,
            last_name=last_name,
            departments=[departments[name] for name in department_names],
        )
    return tenant


def demo_tenants_named(slug: str | None, slugs: Iterable[str]) -> list[Tenant]:
    """The tenant ``slug``, or (None) each of ``slugs`` that exists, oldest first.

    LookupError, saying to seed the demo tenants first, when there is none.
    """
    wanted = [slug] if slug else list(slugs)
    found = list(Tenant.objects.filter(slug__in=wanted).order_by("pk"))
    if not found:
        raise LookupError(
            f"There is no tenant {' or '.join(map(repr, wanted))}; run `manage.py seed_demo` first."
        )
    return found
