"""Writes for tenants, their departments, touchpoints and people."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from tenants.context import tenant_context
from tenants.models import (
    Department,
    Membership,
    MembershipDepartment,
    Tenant,
    TenantHeartbeat,
    Touchpoint,
    User,
)


class TenantError(Exception):
    """A domain rule was broken; the message says what to do instead."""


@transaction.atomic
def tenant_create(*, slug: str, name: str, time_zone: str = "UTC") -> Tenant:
    if Tenant.objects.filter(slug=slug).exists():
        raise TenantError(f"The slug {slug!r} is already taken by another tenant; choose another one.")
    tenant = Tenant(slug=slug, name=name, time_zone=time_zone)
    tenant.full_clean()
    tenant.save()
    return tenant


def tenant_set_status(*, tenant: Tenant, status: str) -> Tenant:
    Tenant.objects.filter(pk=tenant.pk).update(status=status)
    tenant.status = status
    return tenant


@transaction.atomic
def department_create(*, tenant: Tenant, name: str) -> Department:
    with tenant_context(tenant):
        department = Department(tenant=tenant, name=name, slug=slugify(name))
        department.full_clean(exclude=["tenant"])
        department.save()
        return department


@transaction.atomic
def touchpoint_create(
    *, tenant: Tenant, name: str, position: int, journey_stage: str = "", is_moment_of_truth: bool = False
) -> Touchpoint:
    with tenant_context(tenant):
        touchpoint = Touchpoint(
            tenant=tenant,
            name=name,
            slug=slugify(name),
            position=position,
            journey_stage=journey_stage,
            is_moment_of_truth=is_moment_of_truth,
        )
        touchpoint.full_clean(exclude=["tenant"])
        touchpoint.save()
        return touchpoint


@transaction.atomic
def member_add(
    *,
    tenant: Tenant,
    email: str,
    role: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    departments: list[Department] | tuple[Department, ...] = (),
) -> Membership:
    """Add a person to a tenant (creating their login if new). Idempotent per (tenant, e-mail)."""
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email=email, password=password, first_name=first_name, last_name=last_name
        )
    with tenant_context(tenant):
        membership, _ = Membership.objects.get_or_create(user=user, defaults={"role": role})
        if membership.role != role:
            membership.role = role
            membership.save(update_fields=["role"])
        for department in departments:
            MembershipDepartment.objects.get_or_create(membership=membership, department=department)
        return membership


def tenant_heartbeat_record(*, tenant: Tenant) -> TenantHeartbeat:
    """Record that periodic work reached ``tenant`` now (an upsert: safe to run twice)."""
    with tenant_context(tenant):
        now = timezone.now()
        heartbeat, created = TenantHeartbeat.objects.get_or_create(defaults={"last_seen": now, "beats": 1})
        if not created:
            TenantHeartbeat.objects.filter(pk=heartbeat.pk).update(last_seen=now, beats=F("beats") + 1)
            heartbeat.refresh_from_db()
        return heartbeat
