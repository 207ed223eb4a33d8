"""Tenants, their departments and touchpoints, people and their memberships.

Everything a tenant owns inherits :class:`TenantModel`: a non-null ``tenant``, a default
manager that refuses to run without an active tenant, stamping on save, and (through the
``tenants.rls.SecureTenantTable`` and ``tenants.keys`` migration operations) a row-level
security policy and tenant-first keys in PostgreSQL. References between tenant models are
:class:`tenants.keys.TenantForeignKey`.
"""

from __future__ import annotations

import re
import zoneinfo

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower, Now

from tenants.context import TenantMismatch, require_tenant_id
from tenants.keys import TenantForeignKey

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$")
RESERVED_SLUGS = frozenset(
    {"www", "api", "admin", "app", "static", "media", "mail", "smtp", "status", "docs", "help", "cxgov"}
)


def validate_tenant_slug(value: str) -> None:
    if not SLUG_RE.fullmatch(value or ""):
        raise ValidationError(
            "%(value)r is not a valid tenant slug: use 1 to 40 lowercase letters, digits or hyphens, "
            "starting and ending with a letter or digit (it becomes the subdomain, e.g. acme).",
            params={"value": value},
            code="invalid_slug",
        )
    if value in RESERVED_SLUGS:
        raise ValidationError(
            "%(value)r is reserved for the platform; choose another slug.",
            params={"value": value},
            code="reserved",
        )


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)r is not a known time zone; use an IANA name such as Europe/Berlin or America/New_York.",
            params={"value": value},
            code="invalid_time_zone",
        )


SURVEY_SUPPRESSION_MAX_DAYS = 3650
FOLLOWUP_DUE_MAX_HOURS = 720  # 30 days
CLOCK_REMINDER_MAX_PERCENT = 99
SCORE_DROP_MAX_WINDOW_DAYS = 90


class Tenant(models.Model):
    """A customer company. Global (not tenant-owned): it is what the subdomain resolves to."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"

    slug = models.CharField(max_length=40, unique=True, validators=[validate_tenant_slug])
    name = models.CharField(max_length=200)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    perception_gap_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=20,
        help_text="A promise whose operational score exceeds its perceived score by this many points "
        "is flagged as a hidden breach (and the reverse as unseen delivery).",
    )
    survey_suppression_days = models.PositiveSmallIntegerField(
        default=90,
        validators=[MaxValueValidator(SURVEY_SUPPRESSION_MAX_DAYS)],
        help_text="A respondent is not sent another personalised survey link within this many days "
        "of the last one (0: no pause).",
    )
    followup_due_hours = models.PositiveSmallIntegerField(
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(FOLLOWUP_DUE_MAX_HOURS)],
        help_text="A follow-up of an unhappy survey answer is due this many hours after the answer.",
    )
    business_hours_clocks = models.BooleanField(
        default=False,
        help_text="Escalation due times count only opening hours of the business calendar "
        "(the department's, else the company's); off: they count every hour.",
    )
    clock_reminder_percent = models.PositiveSmallIntegerField(
        default=75,
        validators=[MaxValueValidator(CLOCK_REMINDER_MAX_PERCENT)],
        help_text="A reminder goes to whoever must act when this share of a due time's clock has "
        "passed (0: no reminder).",
    )
    score_drop_points = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=5,
        help_text="A score falling by at least this many points within the drift window raises a "
        "score-drop alert.",
    )
    score_drop_window_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(SCORE_DROP_MAX_WINDOW_DAYS)],
        help_text="The window, in days, over which a score's fall is measured.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE


class TenantQuerySet(models.QuerySet):
    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            obj.stamp_tenant()
        return super().bulk_create(objs, *args, **kwargs)


class TenantManager(models.Manager.from_queryset(TenantQuerySet)):
    """Fail-closed manager: every query is filtered to the active tenant, or raises."""

    def get_queryset(self) -> TenantQuerySet:
        return super().get_queryset().filter(tenant_id=require_tenant_id())

    def unscoped(self) -> TenantQuerySet:
        """All rows the database lets through, without the tenant filter.

        Row-level security still applies underneath: as the application role this is still
        only the active tenant's rows. Every call site says in a comment why it bypasses.
        """
        return super().get_queryset()


class TenantModel(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+", editable=False)

    objects = TenantManager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.stamp_tenant()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        self.stamp_tenant()
        return super().delete(*args, **kwargs)

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        # A row never moves to another tenant (stamp_tenant refuses that), so the UPDATE of an
        # existing row never sets tenant_id — a sharded database refuses to change the column
        # rows are distributed by — and it filters on it, which routes it to the tenant's shard.
        values = [value for value in values if value[0].attname != "tenant_id"]
        return super()._do_update(
            base_qs.filter(tenant_id=self.tenant_id), using, pk_val, values, update_fields, forced_update
        )

    def stamp_tenant(self) -> None:
        active = require_tenant_id()
        if self.tenant_id is None:
            self.tenant_id = active
        elif self.tenant_id != active:
            raise TenantMismatch(
                f"{type(self).__name__} belongs to tenant {self.tenant_id} but tenant {active} is active."
            )


class Department(TenantModel):
    audit_noun = "department"
    audit_name = ("name",)

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", "slug", name="department_unique_slug"),
            models.UniqueConstraint("tenant", Lower("name"), name="department_unique_name"),
        ]

    def __str__(self) -> str:
        return self.name


class Touchpoint(TenantModel):
    """A place where customers meet the company, ordered as a customer journey."""

    audit_noun = "touchpoint"
    audit_name = ("name",)

    class Stage(models.TextChoices):
        AWARENESS = "awareness", "Awareness"
        CONSIDERATION = "consideration", "Consideration"
        PURCHASE = "purchase", "Purchase"
        DELIVERY = "delivery", "Delivery"
        USE = "use", "Use"
        SUPPORT = "support", "Support"
        LOYALTY = "loyalty", "Loyalty"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    position = models.PositiveIntegerField(
        default=0, help_text="Order in the customer journey, lowest first."
    )
    journey_stage = models.CharField(max_length=20, choices=Stage.choices, blank=True)
    is_moment_of_truth = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint("tenant", "slug", name="touchpoint_unique_slug"),
            models.UniqueConstraint("tenant", Lower("name"), name="touchpoint_unique_name"),
        ]
        indexes = [models.Index(fields=["tenant", "position"], name="touchpoint_journey_idx")]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person. Global: one login may be a member of several tenants."""

    username = None
    email = models.EmailField("e-mail address", unique=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Membership(TenantModel):
    """A person's place in a tenant: their role and, for managers and employees, departments."""

    audit_noun = "member"
    audit_name = ("user__first_name", "user__last_name", "user__email")

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MANAGER = "manager", "Manager"
        EMPLOYEE = "employee", "Employee"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.EMPLOYEE)
    is_active = models.BooleanField(default=True)
    departments = models.ManyToManyField(Department, through="MembershipDepartment", related_name="members")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user__email"]
        constraints = [models.UniqueConstraint("tenant", "user", name="membership_unique_user")]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    @staticmethod
    def audit_named(first: str, last: str, email: str) -> str:
        return f"{first} {last}".strip() or email


class MembershipDepartment(TenantModel):
    audit_noun = "department membership"
    audit_name = ("membership__user__email", "department__name")

    membership = TenantForeignKey(Membership, on_delete=models.CASCADE)
    department = TenantForeignKey(Department, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint("tenant", "membership", "department", name="membership_department_unique")
        ]

    def __str__(self) -> str:
        return f"{self.membership} in {self.department}"

    @staticmethod
    def audit_named(email: str, department: str) -> str:
        return f"of {email} in {department}"


class TenantHeartbeat(TenantModel):
    """Last time the per-tenant periodic fan-out reached this tenant (proves beat → worker work)."""

    audit_exempt = "housekeeping: rewritten every minute to prove the scheduled work reaches the tenant"

    last_seen = models.DateTimeField()
    beats = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint("tenant", name="heartbeat_unique_tenant")]

    def __str__(self) -> str:
        return f"heartbeat {self.beats} at {self.last_seen:%Y-%m-%d %H:%M:%S}"


class AuditEvent(TenantModel):
    """One entry of the append-only audit trail.

    ``data`` entries are written by the database trigger on every tenant table (one per row
    inserted, updated or deleted, with the changed fields before and after); ``security``
    entries by :func:`tenants.audit.security_event_record`. A trigger refuses UPDATE and
    DELETE, even for the application role.
    """

    class Category(models.TextChoices):
        DATA = "data", "Data change"
        SECURITY = "security", "Security event"

    occurred_at = models.DateTimeField(db_default=Now())
    category = models.CharField(max_length=16, choices=Category.choices)
    action = models.CharField(max_length=64)
    actor_kind = models.CharField(max_length=16, default="system")
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(max_length=254, blank=True, default="")
    model = models.CharField(max_length=100, blank=True, default="")
    object_id = models.CharField(max_length=64, blank=True, default="")
    changes = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True, default="")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["tenant", "-occurred_at"], name="audit_recent_idx"),
            models.Index(fields=["tenant", "actor_kind", "actor_id"], name="audit_actor_idx"),
            models.Index(fields=["tenant", "action"], name="audit_action_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.action} {self.model} {self.object_id}".strip()


class ApiKey(TenantModel):
    """A partner system's key. Only a hash of the secret is stored; the tenant comes from the key."""

    audit_noun = "API key"
    audit_name = ("name",)

    class Scope(models.TextChoices):
        FEEDBACK_WRITE = "feedback:write", "Push feedback (stories, survey responses, service events)"
        PROMISES_READ = "promises:read", "Read promises, commitments, departments and touchpoints"
        PROMISES_WRITE = "promises:write", "Change promises, commitments, departments and touchpoints"
        SCORES_READ = "scores:read", "Read alignment scores"
        ESCALATIONS_READ = "escalations:read", "Read escalations"
        ESCALATIONS_WRITE = "escalations:write", "Propose and update escalations"
        SURVEYS_WRITE = "surveys:write", "Mint and revoke personalised links of hosted surveys"
        FOLLOWUPS_READ = "followups:read", "Read follow-ups of unhappy survey answers"
        FOLLOWUPS_WRITE = "followups:write", "Read, assign and close follow-ups of unhappy survey answers"
        ACTIONS_READ = "actions:read", "Read action plans"
        ACTIONS_WRITE = "actions:write", "Plan actions and update them"
        TENANT_SETTINGS = "tenant:settings", "Read and change the company settings"
        WEBHOOKS_READ = "webhooks:read", "Read webhook endpoints and their delivery logs"
        WEBHOOKS_WRITE = (
            "webhooks:write",
            "Register, change and delete webhook endpoints; rotate secrets, send events again",
        )

    name = models.CharField(max_length=120)
    prefix = models.CharField(max_length=32, editable=False)
    secret_hash = models.CharField(max_length=128, editable=False)
    scopes = models.JSONField(default=list)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("tenant", "prefix", name="apikey_unique_prefix"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class Invitation(TenantModel):
    """An e-mailed invitation to join a tenant; the link sets the password (or signs in)."""

    audit_noun = "invitation"
    audit_name = ("email",)

    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Membership.Role.choices, default=Membership.Role.EMPLOYEE)
    department_ids = models.JSONField(default=list, blank=True)
    token_hash = models.CharField(max_length=128, editable=False)
    invited_by = TenantForeignKey(Membership, null=True, on_delete=models.SET_NULL, related_name="+")
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint("tenant", "token_hash", name="invitation_unique_token"),
        ]

    def __str__(self) -> str:
        return f"invitation of {self.email} as {self.role}"


# The outbox's models live with its delivery machinery; Django finds them through this module.
from tenants.calendars.models import BusinessCalendar  # noqa: E402, F401
from tenants.delivery.models import OutboxBody, OutboxMessage  # noqa: E402, F401
from tenants.webhooks.models import WebhookDelivery, WebhookEndpoint  # noqa: E402, F401
