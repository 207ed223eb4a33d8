"""Reads for tenants and their people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import BooleanField, Count, ExpressionWrapper, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from tenants.audit_entries import HOUSEKEEPING_COLUMNS, HOUSEKEEPING_MODELS
from tenants.models import ApiKey, AuditEvent, Department, Invitation, Membership, Tenant, Touchpoint, User


@dataclass(frozen=True)
class HostLookup:
    is_platform: bool
    tenant: Tenant | None = None


def _hostname(host: str) -> str:
    return host.rsplit(":", 1)[0].lower().rstrip(".") if not host.startswith("[") else host


def tenant_slug_for_host(host: str, *, base_domain: str) -> str | None:
    """The company slug a host names (``acme.<base>`` → ``"acme"``), whether or not such a
    company exists; None for the platform's own host and any other address. Reads nothing."""
    hostname = _hostname(host)
    if hostname == base_domain or not hostname.endswith("." + base_domain):
        return None
    slug = hostname[: -len(base_domain) - 1]
    return None if "." in slug else slug


def tenant_for_host(host: str, *, base_domain: str) -> HostLookup:
    """``acme.<base>`` → tenant acme; ``<base>`` itself → the platform; anything else → no tenant."""
    slug = tenant_slug_for_host(host, base_domain=base_domain)
    if slug is None:
        hostname = _hostname(host)
        return HostLookup(is_platform=hostname == base_domain or hostname == "127.0.0.1")
    return HostLookup(is_platform=False, tenant=Tenant.objects.filter(slug=slug).first())


def membership_for_user(*, user: User) -> Membership | None:
    """The active tenant's active membership of ``user`` (requires a tenant context)."""
    return Membership.objects.select_related("user").filter(user=user, is_active=True).first()


def department_list() -> list[Department]:
    return list(Department.objects.order_by("name"))


def touchpoint_journey() -> list[Touchpoint]:
    return list(Touchpoint.objects.order_by("position", "id"))


# --- Admin console reads (each needs the tenant context) -----------------------------------


def department_list_with_member_counts() -> QuerySet[Department]:
    """Departments by name, each with ``member_count``: its active members."""
    return Department.objects.annotate(
        member_count=Count("members", filter=Q(members__is_active=True), distinct=True)
    ).order_by("name")


def member_list(*, role: str = "", status: str = "") -> QuerySet[Membership]:
    """Memberships by e-mail with their user and departments (a fixed number of queries per page).

    ``role``: one of :class:`Membership.Role` or empty for all; ``status``: ``"active"``,
    ``"inactive"`` or empty for all.
    """
    memberships = Membership.objects.select_related("user").prefetch_related(
        Prefetch("departments", queryset=Department.objects.order_by("name"))
    )
    if role:
        memberships = memberships.filter(role=role)
    if status in ("active", "inactive"):
        memberships = memberships.filter(is_active=status == "active")
    return memberships.order_by("user__email", "id")


def invitation_pending_list() -> list[Invitation]:
    """Invitations not yet accepted and not expired, newest first, each with ``departments``."""
    invitations = list(
        Invitation.objects.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invited_by__user")
        .order_by("-created_at", "-id")
    )
    wanted = {pk for invitation in invitations for pk in invitation.department_ids}
    names = dict(Department.objects.filter(pk__in=wanted).values_list("pk", "name")) if wanted else {}
    for invitation in invitations:
        invitation.departments = sorted(names[pk] for pk in invitation.department_ids if pk in names)
    return invitations


def api_keys_expiring(*, within: timedelta, now: datetime | None = None) -> QuerySet[ApiKey]:
    """Keys in use that stop working within ``within`` from ``now``, the soonest first."""
    now = now or timezone.now()
    return ApiKey.objects.filter(
        revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=now + within
    ).order_by("expires_at", "id")


def api_key_list() -> QuerySet[ApiKey]:
    """API keys, newest first, with the member who created each (never their secrets)."""
    return ApiKey.objects.select_related("created_by__user").order_by("-created_at", "-id")


def audit_event_list(
    *,
    actor_kind: str = "",
    actor_id: int | None = None,
    category: str = "",
    action: str = "",
    model: str = "",
    occurred_from: datetime | None = None,
    occurred_before: datetime | None = None,
    housekeeping: bool = False,
) -> QuerySet[AuditEvent]:
    """The audit trail, newest first, filtered; every filter is optional.

    System housekeeping (``tenants.audit_entries.HOUSEKEEPING_MODELS``, and updates of nothing
    but a key's last use or an import's heartbeat) is left out unless ``housekeeping``.
    """
    events = AuditEvent.objects.order_by("-occurred_at", "-id")
    if actor_kind:
        events = events.filter(actor_kind=actor_kind)
        if actor_id is not None:
            events = events.filter(actor_id=actor_id)
    if category:
        events = events.filter(category=category)
    if action:
        events = events.filter(action=action)
    if model:
        events = events.filter(model=model)
    if occurred_from is not None:
        events = events.filter(occurred_at__gte=occurred_from)
    if occurred_before is not None:
        events = events.filter(occurred_at__lt=occurred_before)
    if not housekeeping:
        only_housekeeping = ExpressionWrapper(
            RawSQL("(changes - %s::text[]) = '{}'::jsonb", (list(HOUSEKEEPING_COLUMNS),)),
            output_field=BooleanField(),
        )
        events = (
            events.exclude(model__in=HOUSEKEEPING_MODELS)
            .alias(only_housekeeping=only_housekeeping)
            .exclude(action="update", only_housekeeping=True)
        )
    return events


def audit_actor_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """Who can appear in the audit trail, grouped for a select: members, then API keys.

    Values are ``"member:<membership id>"`` and ``"api_key:<key id>"``; two queries.
    """
    members = [
        (f"member:{pk}", f"{name} ({email})" if (name := f"{first} {last}".strip()) else email)
        for pk, first, last, email in Membership.objects.order_by("user__email").values_list(
            "pk", "user__first_name", "user__last_name", "user__email"
        )
    ]
    keys = [
        (f"api_key:{pk}", f"{name} ({prefix}…)")
        for pk, name, prefix in ApiKey.objects.order_by("name", "id").values_list("pk", "name", "prefix")
    ]
    return [("Members", members), ("API keys", keys)]


# --- Partner API reads (each needs the tenant context) ------------------------------------


def department_queryset() -> QuerySet[Department]:
    """The active tenant's departments, unevaluated: for the API to filter and paginate."""
    return Department.objects.all()


def touchpoint_queryset() -> QuerySet[Touchpoint]:
    """The active tenant's touchpoints in journey order, unevaluated (filtered and paginated by the API)."""
    return Touchpoint.objects.order_by("position", "id")
