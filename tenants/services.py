"""Writes for tenants, their departments, touchpoints and people."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, ProtectedError, RestrictedError
from django.utils import timezone
from django.utils.text import slugify

from tenants.apikey_cache import (
    RateCounter,
    TenantDocument,
    api_key_cache_forget_tenant,
    api_key_cache_store,
    api_key_cached,
)
from tenants.audit import security_event_record
from tenants.context import Actor, actor_context, tenant_context
from tenants.errors import DomainError
from tenants.models import (
    CLOCK_REMINDER_MAX_PERCENT,
    FOLLOWUP_DUE_MAX_HOURS,
    SCORE_DROP_MAX_WINDOW_DAYS,
    SURVEY_SUPPRESSION_MAX_DAYS,
    ApiKey,
    Department,
    Invitation,
    Membership,
    MembershipDepartment,
    Tenant,
    TenantHeartbeat,
    Touchpoint,
    User,
)
from tenants.rescoring import scoring_mark_dirty


@transaction.atomic
def tenant_create(*, slug: str, name: str, time_zone: str = "UTC") -> Tenant:
    if Tenant.objects.filter(slug=slug).exists():
        raise DomainError(
            f"The slug {slug!r} is already taken by another tenant; choose another one.", field="slug"
        )
    tenant = Tenant(slug=slug, name=name, time_zone=time_zone)
    tenant.full_clean()
    tenant.save()
    return tenant


def tenant_set_status(*, tenant: Tenant, status: str) -> Tenant:
    Tenant.objects.filter(pk=tenant.pk).update(status=status)
    tenant.status = status
    api_key_cache_forget_tenant(tenant)
    return tenant


@transaction.atomic
def department_create(*, tenant: Tenant, name: str) -> Department:
    with tenant_context(tenant):
        name = name.strip()
        if _name_taken(Department, name):
            raise DomainError(
                f"A department named {name!r} already exists; choose another name.", field="name"
            )
        department = Department(tenant=tenant, name=name, slug=_unique_slug(Department, name))
        department.full_clean(exclude=["tenant"])
        department.save()
        return department


@transaction.atomic
def touchpoint_create(
    *,
    tenant: Tenant,
    name: str,
    position: int | None = None,
    journey_stage: str = "",
    is_moment_of_truth: bool = False,
) -> Touchpoint:
    """Add a touchpoint; without a position it goes at the end of the journey."""
    with tenant_context(tenant):
        name = name.strip()
        if _name_taken(Touchpoint, name):
            raise DomainError(
                f"A touchpoint named {name!r} already exists; choose another name.", field="name"
            )
        touchpoint = Touchpoint(
            tenant=tenant,
            name=name,
            slug=_unique_slug(Touchpoint, name),
            position=next_touchpoint_position() if position is None else position,
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
    with transaction.atomic(), tenant_context(tenant):
        membership, _ = Membership.objects.get_or_create(user=user, defaults={"role": role})
        if membership.role != role:
            if membership.role == Membership.Role.ADMIN and membership.is_active:
                _ensure_another_admin(membership)
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


# --- Tenant settings, departments, touchpoints ---------------------------------------------


@transaction.atomic
def tenant_settings_update(
    *,
    tenant: Tenant,
    name: str,
    time_zone: str,
    perception_gap_threshold: Decimal | None = None,
    survey_suppression_days: int | None = None,
    followup_due_hours: int | None = None,
    business_hours_clocks: bool | None = None,
    clock_reminder_percent: int | None = None,
    score_drop_points: Decimal | None = None,
    score_drop_window_days: int | None = None,
) -> Tenant:
    """Change the tenant's name and time zone and, when given, the perception-gap threshold of
    hidden-breach flags (1–100 points; the tenant is rescored right after), the pause between
    two personalised survey links of one respondent (0 to 3650 days; 0: none), the hours a
    follow-up of an unhappy survey answer is due in (1 to 720; follow-ups opened from then on),
    whether escalation clocks count business hours, when the reminder before a due time goes out
    (0–99 % of the clock; 0: none) and the drift alert (a fall of 1–100 points within 1–90 days)."""
    fields: dict[str, Any] = {"name": name, "time_zone": time_zone}
    if followup_due_hours is not None:
        if not 1 <= followup_due_hours <= FOLLOWUP_DUE_MAX_HOURS:
            raise DomainError(
                f"A follow-up is due 1 to {FOLLOWUP_DUE_MAX_HOURS} hours after the answer, e.g. 48.",
                field="followup_due_hours",
            )
        fields["followup_due_hours"] = followup_due_hours
    if business_hours_clocks is not None:
        fields["business_hours_clocks"] = bool(business_hours_clocks)
    if clock_reminder_percent is not None:
        if not 0 <= clock_reminder_percent <= CLOCK_REMINDER_MAX_PERCENT:
            raise DomainError(
                f"The reminder goes out at 0 to {CLOCK_REMINDER_MAX_PERCENT} % of a due time's clock, "
                "e.g. 75 (0: no reminder).",
                field="clock_reminder_percent",
            )
        fields["clock_reminder_percent"] = clock_reminder_percent
    if score_drop_points is not None:
        if not 1 <= score_drop_points <= 100:
            raise DomainError(
                "A score-drop alert needs a fall of 1 to 100 points, e.g. 5.", field="score_drop_points"
            )
        fields["score_drop_points"] = score_drop_points
    if score_drop_window_days is not None:
        if not 1 <= score_drop_window_days <= SCORE_DROP_MAX_WINDOW_DAYS:
            raise DomainError(
                f"The score-drop window is 1 to {SCORE_DROP_MAX_WINDOW_DAYS} days, e.g. 7.",
                field="score_drop_window_days",
            )
        fields["score_drop_window_days"] = score_drop_window_days
    if survey_suppression_days is not None:
        if not 0 <= survey_suppression_days <= SURVEY_SUPPRESSION_MAX_DAYS:
            raise DomainError(
                f"The pause between two survey links is 0 to {SURVEY_SUPPRESSION_MAX_DAYS} days, e.g. 90.",
                field="survey_suppression_days",
            )
        fields["survey_suppression_days"] = survey_suppression_days
    if perception_gap_threshold is not None:
        if not 1 <= perception_gap_threshold <= 100:
            raise DomainError(
                "The perception-gap threshold is between 1 and 100 points, e.g. 20.",
                field="perception_gap_threshold",
            )
        fields["perception_gap_threshold"] = perception_gap_threshold
    for key, value in fields.items():
        setattr(tenant, key, value)
    before = Tenant.objects.values(*fields).get(pk=tenant.pk)
    tenant.full_clean(exclude=["slug", "status"])
    Tenant.objects.filter(pk=tenant.pk).update(**fields)
    api_key_cache_forget_tenant(tenant)
    changes = {k: [str(before[k]), str(v)] for k, v in fields.items() if before[k] != v}
    if changes:
        # Tenants are not tenant-owned rows, so the audit trigger does not see this change.
        with tenant_context(tenant):
            security_event_record(action="tenant.settings_changed", detail=changes)
    if "perception_gap_threshold" in changes:  # the flags change: rescore after commit
        transaction.on_commit(lambda: scoring_mark_dirty(tenant.pk))
    return tenant


def _unique_slug(model, name: str, *, exclude_pk: int | None = None) -> str:
    base = slugify(name)[:100] or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exclude(pk=exclude_pk).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _name_taken(model, name: str, *, exclude_pk: int | None = None) -> bool:
    return model.objects.filter(name__iexact=name).exclude(pk=exclude_pk).exists()


@transaction.atomic
def department_rename(*, tenant: Tenant, department: Department, name: str) -> Department:
    with tenant_context(tenant):
        name = name.strip()
        if _name_taken(Department, name, exclude_pk=department.pk):
            raise DomainError(
                f"A department named {name!r} already exists; choose another name.", field="name"
            )
        department.name = name
        department.full_clean(exclude=["tenant", "slug"])
        department.save(update_fields=["name"])
        return department


@transaction.atomic
def department_delete(*, tenant: Tenant, department: Department) -> None:
    with tenant_context(tenant):
        try:
            with transaction.atomic():
                department.delete()
        except (ProtectedError, RestrictedError) as exc:
            raise DomainError(
                f"{department.name} still owns or shares promises; move them to another department "
                "(or retire them) before deleting it.",
                code="in_use",
            ) from exc


@transaction.atomic
def touchpoint_update(
    *,
    tenant: Tenant,
    touchpoint: Touchpoint,
    name: str | None = None,
    journey_stage: str | None = None,
    is_moment_of_truth: bool | None = None,
    position: int | None = None,
) -> Touchpoint:
    with tenant_context(tenant):
        if name is not None:
            name = name.strip()
            if _name_taken(Touchpoint, name, exclude_pk=touchpoint.pk):
                raise DomainError(
                    f"A touchpoint named {name!r} already exists; choose another name.", field="name"
                )
            touchpoint.name = name
        if journey_stage is not None:
            touchpoint.journey_stage = journey_stage
        if is_moment_of_truth is not None:
            touchpoint.is_moment_of_truth = is_moment_of_truth
        if position is not None:
            touchpoint.position = position
        touchpoint.full_clean(exclude=["tenant", "slug"])
        touchpoint.save()
        return touchpoint


@transaction.atomic
def touchpoint_move(*, tenant: Tenant, touchpoint: Touchpoint, direction: str) -> list[Touchpoint]:
    """Move a touchpoint one step earlier ("up") or later ("down") in the journey."""
    with tenant_context(tenant):
        journey = list(Touchpoint.objects.select_for_update().order_by("position", "id"))
        index = next(i for i, t in enumerate(journey) if t.pk == touchpoint.pk)
        other = index - 1 if direction == "up" else index + 1
        if direction not in ("up", "down"):
            raise DomainError("direction must be 'up' or 'down'.", field="direction")
        if 0 <= other < len(journey):
            journey[index], journey[other] = journey[other], journey[index]
        return touchpoint_reorder(tenant=tenant, ordered_ids=[t.pk for t in journey])


@transaction.atomic
def touchpoint_reorder(*, tenant: Tenant, ordered_ids: list[int]) -> list[Touchpoint]:
    """Set the journey order to ``ordered_ids`` (all of the tenant's touchpoints, each once)."""
    with tenant_context(tenant):
        touchpoints = {t.pk: t for t in Touchpoint.objects.select_for_update()}
        if sorted(ordered_ids) != sorted(touchpoints):
            raise DomainError(
                "The new order must list every touchpoint of this tenant exactly once.", field="ordered_ids"
            )
        changed = []
        for position, pk in enumerate(ordered_ids, start=1):
            touchpoint = touchpoints[pk]
            if touchpoint.position != position * 10:
                touchpoint.position = position * 10
                changed.append(touchpoint)
        Touchpoint.objects.bulk_update(changed, ["position"])
        return [touchpoints[pk] for pk in ordered_ids]


@transaction.atomic
def touchpoint_delete(*, tenant: Tenant, touchpoint: Touchpoint) -> None:
    with tenant_context(tenant):
        try:
            with transaction.atomic():
                touchpoint.delete()
        except (ProtectedError, RestrictedError) as exc:
            raise DomainError(
                f"{touchpoint.name} is still used by {_holders(exc)}; move those to another touchpoint "
                "or end them before deleting it.",
                code="in_use",
            ) from exc


def _holders(error: ProtectedError | RestrictedError) -> str:
    """What keeps a row from being deleted, in words: "commitments and surveys"."""
    held = getattr(error, "protected_objects", None) or getattr(error, "restricted_objects", None) or ()
    names = sorted({str(obj._meta.verbose_name_plural) for obj in held}) or ["other records"]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def next_touchpoint_position() -> int:
    last = Touchpoint.objects.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 10


# --- People -------------------------------------------------------------------------------

INVITATION_TTL = timedelta(days=7)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _member_actor(membership: Membership) -> Actor:
    return Actor(kind="member", id=membership.pk, label=membership.user.email)


@transaction.atomic
def invitation_create(
    *,
    tenant: Tenant,
    email: str,
    role: str,
    departments: list[Department] | tuple[Department, ...] = (),
    invited_by: Membership | None,
    accept_url: Callable[[str], str],
) -> Invitation:
    """Invite ``email`` to the tenant; the e-mail (sent after commit) carries a one-time link.

    ``accept_url(token)`` builds the absolute link. A pending invitation of the same address
    is replaced: only the newest link works.
    """
    email = User.objects.normalize_email(email).strip().lower()
    validate_email(email)
    if role not in Membership.Role.values:
        raise DomainError(
            f"{role!r} is not a role; choose one of {', '.join(Membership.Role.values)}.", field="role"
        )
    with tenant_context(tenant):
        if Membership.objects.filter(user__email=email).exists():
            raise DomainError(
                f"{email} is already a member of {tenant.name}; change their role on the members page instead.",
                field="email",
            )
        Invitation.objects.filter(email=email, accepted_at__isnull=True).update(expires_at=timezone.now())
        token = secrets.token_urlsafe(32)
        invitation = Invitation.objects.create(
            email=email,
            role=role,
            department_ids=[d.pk for d in departments],
            token_hash=_token_hash(token),
            invited_by=invited_by,
            expires_at=timezone.now() + INVITATION_TTL,
        )
        security_event_record(action="member.invited", detail={"email": email, "role": role})
    link = accept_url(token)
    inviter = invited_by.user.get_full_name() or invited_by.user.email if invited_by else "An administrator"
    transaction.on_commit(
        lambda: send_mail(
            subject=f"You are invited to {tenant.name} on cxgov",
            message=(
                f"{inviter} invited you to join {tenant.name} on cxgov as {Membership.Role(role).label.lower()}.\n\n"
                f"Accept the invitation and choose your password here (the link works once, for 7 days):\n{link}\n\n"
                "If you did not expect this, ignore this e-mail."
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return invitation


def invitation_for_token(*, tenant: Tenant, token: str) -> Invitation:
    """The pending invitation behind ``token``, or a DomainError saying why it cannot be used."""
    with tenant_context(tenant):
        invitation = Invitation.objects.filter(token_hash=_token_hash(token)).first()
    if invitation is None:
        raise DomainError("This invitation link is not valid. Ask your administrator for a new invitation.")
    if invitation.accepted_at is not None:
        raise DomainError("This invitation has already been accepted. Sign in with your e-mail and password.")
    if invitation.expires_at <= timezone.now():
        raise DomainError("This invitation has expired. Ask your administrator to invite you again.")
    return invitation


@transaction.atomic
def invitation_accept(
    *, tenant: Tenant, token: str, password: str | None, first_name: str = "", last_name: str = ""
) -> Membership:
    """Turn an invitation into a membership. A new person sets their password here; a person
    who already has a login (in another tenant) keeps theirs and ``password`` is ignored."""
    invitation = invitation_for_token(tenant=tenant, token=token)
    with tenant_context(tenant):
        Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        user = User.objects.filter(email=invitation.email).first()
        if user is None:
            if not password:
                raise DomainError("Choose a password to finish joining.", field="password")
            user = User(email=invitation.email, first_name=first_name, last_name=last_name)
            validate_password(password, user)
            user.set_password(password)
            user.save()
        membership = Membership.objects.create(user=user, role=invitation.role)
        for department in Department.objects.filter(pk__in=invitation.department_ids):
            MembershipDepartment.objects.create(membership=membership, department=department)
        Invitation.objects.filter(pk=invitation.pk).update(accepted_at=timezone.now())
        with actor_context(_member_actor(membership)):
            security_event_record(
                action="member.joined", detail={"email": user.email, "role": membership.role}
            )
        return membership


@transaction.atomic
def member_update(
    *,
    tenant: Tenant,
    membership: Membership,
    role: str,
    departments: list[Department] | tuple[Department, ...],
    changed_by: Membership,
) -> Membership:
    """Change a member's role and departments; effective on their next request."""
    if membership.pk == changed_by.pk:
        raise DomainError("You cannot change your own role; ask another admin.", field="role")
    if role not in Membership.Role.values:
        raise DomainError(
            f"{role!r} is not a role; choose one of {', '.join(Membership.Role.values)}.", field="role"
        )
    with tenant_context(tenant):
        before = membership.role
        if before == Membership.Role.ADMIN and role != before:
            _ensure_another_admin(membership)
        membership.role = role
        membership.save(update_fields=["role"])
        wanted = {d.pk for d in departments}
        current = set(
            MembershipDepartment.objects.filter(membership=membership).values_list("department_id", flat=True)
        )
        MembershipDepartment.objects.filter(
            membership=membership, department_id__in=current - wanted
        ).delete()
        MembershipDepartment.objects.bulk_create(
            [MembershipDepartment(membership=membership, department_id=pk) for pk in sorted(wanted - current)]
        )
        if before != role:
            security_event_record(
                action="member.role_changed",
                detail={"member": membership.user.email, "from": before, "to": role},
            )
        return membership


@transaction.atomic
def member_set_active(
    *, tenant: Tenant, membership: Membership, active: bool, changed_by: Membership
) -> Membership:
    """Deactivate (or reactivate) a member; a deactivated member is out on their next request."""
    if membership.pk == changed_by.pk:
        raise DomainError("You cannot deactivate yourself; ask another admin.", field="is_active")
    with tenant_context(tenant):
        if not active and membership.role == Membership.Role.ADMIN:
            _ensure_another_admin(membership)
        if membership.is_active != active:
            membership.is_active = active
            membership.save(update_fields=["is_active"])
            security_event_record(
                action="member.reactivated" if active else "member.deactivated",
                detail={"member": membership.user.email},
            )
        return membership


def _ensure_another_admin(membership: Membership) -> None:
    """Refuse to lower, deactivate or remove ``membership`` if it is the tenant's last active admin.

    The tenant's active admin rows are locked (in id order, so two callers cannot deadlock)
    before counting: two admins lowering each other at the same moment would otherwise each
    see the other still admin, and both succeed, leaving a tenant nobody can administer. The
    second waits for the first and, re-reading, finds itself the last admin. Must run inside
    the caller's transaction, before the change.
    """
    admins = list(
        Membership.objects.filter(role=Membership.Role.ADMIN, is_active=True)
        .order_by("pk")
        .select_for_update()
        .values_list("pk", flat=True)
    )
    if not [pk for pk in admins if pk != membership.pk]:
        raise DomainError(
            f"{membership.user.email} is the last active admin of this tenant: make someone else admin "
            "first, then change or deactivate this membership.",
            field="role",
        )


# --- API keys -----------------------------------------------------------------------------

API_KEY_PREFIX = "cxg"
# How often a key's last use is written (the keys page shows it to the minute).
API_KEY_USE_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    secret: str  # the whole key, shown once and never stored


@transaction.atomic
def api_key_create(
    *,
    tenant: Tenant,
    name: str,
    scopes: list[str],
    expires_at: datetime | None = None,
    created_by: Membership | None = None,
) -> IssuedApiKey:
    """Issue a key ``cxg_<tenant id>_<key id>_<secret>``; only its SHA-256 is kept."""
    name = name.strip()
    if not name:
        raise DomainError("Give the key a name that says which system uses it.", field="name")
    unknown = sorted(set(scopes) - set(ApiKey.Scope.values))
    if unknown or not scopes:
        raise DomainError(
            f"Choose at least one scope from: {', '.join(ApiKey.Scope.values)}"
            + (f" (unknown: {', '.join(unknown)})." if unknown else "."),
            field="scopes",
        )
    if expires_at is not None and expires_at <= timezone.now():
        raise DomainError(
            "The expiry must be in the future, or empty for a key that does not expire.", field="expires_at"
        )
    with tenant_context(tenant):
        prefix = f"{API_KEY_PREFIX}_{tenant.pk}_{secrets.token_hex(4)}"
        secret = f"{prefix}_{secrets.token_urlsafe(32)}"
        api_key = ApiKey.objects.create(
            name=name,
            prefix=prefix,
            secret_hash=_token_hash(secret),
            scopes=sorted(set(scopes)),
            expires_at=expires_at,
            created_by=created_by,
        )
        security_event_record(
            action="api_key.created", detail={"key": prefix, "name": name, "scopes": api_key.scopes}
        )
    return IssuedApiKey(api_key=api_key, secret=secret)


@transaction.atomic
def api_key_revoke(*, tenant: Tenant, api_key: ApiKey) -> ApiKey:
    with tenant_context(tenant):
        if api_key.revoked_at is None:
            api_key.revoked_at = timezone.now()
            api_key.save(update_fields=["revoked_at"])
            security_event_record(
                action="api_key.revoked", detail={"key": api_key.prefix, "name": api_key.name}
            )
        return api_key


class ApiKeyRejected(Exception):
    """The presented key cannot be used; the message is safe to show the caller."""


def api_key_hash(raw: str) -> str:
    """The SHA-256 a presented key is stored and cached under."""
    return _token_hash(raw)


def api_key_authenticate(
    raw: str, *, counter: RateCounter | None = None, document: TenantDocument | None = None
) -> tuple[Tenant, ApiKey]:
    """Resolve a presented key to its tenant and key, or raise :class:`ApiKeyRejected`.

    The tenant comes only from the key itself. A revoked or expired key used again is
    recorded as a security event in its tenant's audit trail. ``counter``: a rate-limit
    counter incremented in the cache lookup's round trip (well-formed keys only); ``document``:
    a document of the key's tenant read in that round trip, filled only when the cached key
    record is accepted (else the caller reads it from the database).
    """
    parts = raw.split("_", 3)
    if len(parts) != 4 or parts[0] != API_KEY_PREFIX or not parts[1].isdigit():
        raise ApiKeyRejected(
            "The API key is malformed: send 'Authorization: Bearer cxg_…' with the whole key."
        )
    prefix = "_".join(parts[:3])
    secret_hash = _token_hash(raw)
    if cached := _api_key_from_cache(secret_hash, prefix, counter, document):
        return cached
    tenant = Tenant.objects.filter(pk=int(parts[1])).first()
    if tenant is None:
        raise ApiKeyRejected("The API key is not valid.")
    with tenant_context(tenant):
        api_key = ApiKey.objects.filter(prefix=prefix).first()
        if api_key is None or not hmac.compare_digest(api_key.secret_hash, secret_hash):
            raise ApiKeyRejected("The API key is not valid.")
        key_actor = Actor(kind="api_key", id=api_key.pk, label=api_key.name)
        now = timezone.now()
        if api_key.revoked_at is not None:
            security_event_record(
                action="api_key.used_after_revocation", detail={"key": prefix}, actor=key_actor
            )
            raise ApiKeyRejected("The API key has been revoked. Ask the tenant's admin for a new key.")
        if api_key.expires_at is not None and api_key.expires_at <= now:
            security_event_record(action="api_key.used_after_expiry", detail={"key": prefix}, actor=key_actor)
            raise ApiKeyRejected("The API key has expired. Ask the tenant's admin for a new key.")
        if not tenant.is_active:
            raise ApiKeyRejected(
                f"{tenant.name} is suspended; the API is unavailable until it is reactivated."
            )
        _api_key_touch(api_key, now)
    api_key_cache_store(secret_hash, tenant, api_key)
    return tenant, api_key


def _api_key_touch(api_key: ApiKey, now: datetime) -> bool:
    """Record the key's use, at most once a minute; whether it wrote."""
    if api_key.last_used_at is not None and now - api_key.last_used_at <= API_KEY_USE_RESOLUTION:
        return False
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now
    return True


def _api_key_from_cache(
    secret_hash: str, prefix: str, counter: RateCounter | None, document: TenantDocument | None
) -> tuple[Tenant, ApiKey] | None:
    """The key and tenant of a recent successful authentication, if it still holds: cached
    entries are dropped when the key or tenant changes (:mod:`tenants.apikey_cache`); the
    expiry, which needs no change to pass, is checked here. Anything else goes to the database."""
    cached = api_key_cached(secret_hash, counter, document)
    if cached is None:
        return None
    tenant, api_key = cached
    now = timezone.now()
    if (
        api_key.prefix != prefix
        or api_key.revoked_at is not None
        or (api_key.expires_at is not None and api_key.expires_at <= now)
        or not tenant.is_active
    ):
        if document is not None:
            document.payload = None  # only an accepted key's tenant's documents are served
        return None
    with tenant_context(tenant):
        if _api_key_touch(api_key, now):
            api_key_cache_store(secret_hash, tenant, api_key)
    return tenant, api_key
