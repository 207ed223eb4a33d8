"""Department digests: the tenant's schedule, per-department switches, who receives them, the log.

Imported by ``metrics.models`` so Django finds these models in the ``metrics`` app.
"""

from __future__ import annotations

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower

from tenants.keys import TenantForeignKey
from tenants.models import Department, Membership, TenantModel


class DigestSettings(TenantModel):
    """The tenant's digest schedule (one row per tenant; none yet means the defaults below)."""

    audit_noun = ("digest schedule", "digest schedules")

    class Cadence(models.TextChoices):
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly (on the 1st)"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    is_enabled = models.BooleanField(default=True, help_text="Send digests at all.")
    cadence = models.CharField(max_length=8, choices=Cadence.choices, default=Cadence.WEEKLY)
    weekday = models.PositiveSmallIntegerField(
        choices=Weekday.choices, default=Weekday.MONDAY, help_text="Weekly digests go out on this day."
    )
    send_hour = models.PositiveSmallIntegerField(
        default=8,
        validators=[MaxValueValidator(23)],
        help_text="Hour of the day (0–23) in the tenant's time zone.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "digest settings"
        constraints = [
            models.UniqueConstraint("tenant", name="digest_settings_unique_tenant"),
            models.CheckConstraint(condition=models.Q(send_hour__lte=23), name="digest_settings_hour_range"),
            models.CheckConstraint(condition=models.Q(weekday__lte=6), name="digest_settings_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_cadence_display()} digests at {self.send_hour:02d}:00"


class DepartmentDigest(TenantModel):
    """A department's digest switch (no row: on)."""

    audit_noun = "department digest"
    audit_name = ("department__name",)

    department = TenantForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    is_enabled = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint("tenant", "department", name="department_digest_unique_department")
        ]

    def __str__(self) -> str:
        return f"digest of {self.department_id}: {'on' if self.is_enabled else 'off'}"

    @staticmethod
    def audit_named(department: str) -> str:
        return f"of {department}"


class DigestOptOut(TenantModel):
    """A member who does not want one department's digest (their own choice or unsubscribe link)."""

    audit_noun = "digest opt-out"
    audit_name = ("membership__user__email", "department__name")

    membership = TenantForeignKey(Membership, on_delete=models.CASCADE, related_name="+")
    department = TenantForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "membership", "department", name="digest_opt_out_unique_member_department"
            )
        ]
        indexes = [models.Index(fields=["tenant", "department"], name="digest_opt_out_department_idx")]

    def __str__(self) -> str:
        return f"member {self.membership_id} opted out of department {self.department_id}"

    @staticmethod
    def audit_named(email: str, department: str) -> str:
        return f"of {email} from {department}"


class DigestSubscriber(TenantModel):
    """Someone outside the department's members (any address) an admin added to its digest."""

    audit_noun = "digest subscriber"
    audit_name = ("email", "department__name")

    department = TenantForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    is_active = models.BooleanField(default=True, help_text="Off once they unsubscribe.")
    added_by = TenantForeignKey(
        Membership, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                "tenant", "department", Lower("email"), name="digest_subscriber_unique_email"
            )
        ]

    def __str__(self) -> str:
        return self.email

    @staticmethod
    def audit_named(email: str, department: str) -> str:
        return f"{email} ({department})"


class Digest(TenantModel):
    """One department's digest for one period: decided once, its e-mails in the outbox.

    The row and every recipient's outbox message are written in one transaction, so a digest
    either exists with all its messages or not at all; the unique (department, period) makes a
    second run of the same task a no-op.
    """

    audit_noun = "digest"
    audit_name = ("department__name", "period_label")

    department = TenantForeignKey(Department, on_delete=models.CASCADE, related_name="+")
    period_key = models.CharField(max_length=40, help_text="e.g. weekly:2026-11-23")
    period_start = models.DateTimeField()
    period_end = models.DateTimeField()
    period_label = models.CharField(max_length=80)
    recipients = models.PositiveIntegerField(default=0)
    outbox_prefix = models.CharField(max_length=120, help_text="Dedupe-key prefix of its outbox messages.")
    created_at = models.DateTimeField(auto_now_add=True, help_text="When it was queued for sending.")

    class Meta:
        ordering = ["-period_start", "department_id"]
        constraints = [
            models.UniqueConstraint(
                "tenant", "department", "period_key", name="digest_unique_department_period"
            )
        ]
        indexes = [models.Index(fields=["tenant", "-period_start"], name="digest_recent_idx")]

    def __str__(self) -> str:
        return f"digest of {self.department_id} for {self.period_label}"

    @staticmethod
    def audit_named(department: str, period: str) -> str:
        return f"of {department} for {period}"
