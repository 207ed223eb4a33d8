"""Alignment scoring: signal rollups, score runs and snapshots, breach events.

Rollups (maintained by PostgreSQL row triggers on every insert and delete of a signal, whatever
path wrote it; see ``metrics/migrations/0008_row_rollup_triggers.py``):

- :class:`SurveyRollup`: per tenant, survey measure, touchpoint (or none) and UTC day — the
  counts every survey measure needs (n, score sum, promoters, passives, detractors,
  satisfied).
- :class:`ServiceEventRollup`: per tenant, measure (duration, rate or average), touchpoint and
  day — n, the events with a true outcome (rates) and the exact sum of values (averages,
  ``numeric``).
- :class:`DurationThreshold` + :class:`ServiceEventWithinRollup`: a duration commitment's
  value depends on its own threshold θ, so the rollup keeps one exact counter per threshold
  in use: for each registered θ of a measure, the number of events with
  ``duration_seconds ≤ θ`` per touchpoint and day. A threshold is registered (and its counters
  backfilled from the raw events, under the tenant's :class:`RollupLock` row, which ingest
  locks in shared mode) the first time a commitment version uses it.
- :class:`StoryRollup`: per tenant, promise, touchpoint and day — n and the stories with
  sentiment ≥ −0.05.

A score *as of* an instant reads whole UTC days from the rollups and the two partial days at
the window's edges from the raw signals (``metrics.engine``), so it is exact at any instant.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from feedback.escalations.models import Escalation
from promises.models import Commitment, Measure, Promise
from tenants.keys import TenantForeignKey
from tenants.models import Department, TenantModel, Touchpoint

# --- Rollups ----------------------------------------------------------------------------------


# Derived tables are recomputable from audited sources (signals, commitments); auditing each
# counter update would multiply ingest writes, so their tables carry no audit trigger.
DERIVED = "derived from audited signals and commitments; recomputable"


class RollupLock(TenantModel):
    """One row per tenant, locked to order rollup upkeep against threshold registration.

    The rollup triggers lock it ``FOR SHARE`` (concurrent batches never wait for each other);
    registering a threshold or rebuilding the rollups locks it ``FOR UPDATE``. A row lock,
    unlike an advisory lock, is honoured wherever the tenant's rows live: on a sharded
    database the row sits in the tenant's shard, next to its signals and rollups.
    """

    audit_exempt = "a lock row; it holds no data"

    created_at = models.DateTimeField(
        db_default=Now(), help_text="Set by the database: the triggers insert it."
    )

    class Meta:
        constraints = [models.UniqueConstraint("tenant", name="rollup_lock_one_per_tenant")]


class SurveyRollup(TenantModel):
    audit_exempt = DERIVED

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    touchpoint = TenantForeignKey(Touchpoint, null=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="UTC day of occurred_at.")
    n = models.BigIntegerField(default=0)
    score_sum = models.BigIntegerField(default=0)
    promoters = models.BigIntegerField(default=0, help_text="Scores ≥ 9 (NPS).")
    passives = models.BigIntegerField(default=0, help_text="Scores 7–8 (NPS).")
    detractors = models.BigIntegerField(default=0, help_text="Scores ≤ 6 (NPS).")
    satisfied = models.BigIntegerField(default=0, help_text="Scores ≥ 4 (CSAT).")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "measure", "touchpoint", "day", name="survey_rollup_unique", nulls_distinct=False
            )
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="survey_rollup_day_idx")]


class ServiceEventRollup(TenantModel):
    audit_exempt = DERIVED

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="UTC day of occurred_at.")
    n = models.BigIntegerField(default=0)
    outcomes = models.BigIntegerField(
        default=0, db_default=0, help_text="Rate measures: events with a true outcome."
    )
    value_sum = models.DecimalField(
        max_digits=24,
        decimal_places=3,
        default=0,
        db_default=0,
        help_text="Average measures: the exact sum of values.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "measure", "touchpoint", "day", name="service_event_rollup_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="service_event_rollup_day_idx")]


class DurationThreshold(TenantModel):
    """A threshold some commitment version uses; :class:`ServiceEventWithinRollup` counts for it."""

    audit_noun = "duration threshold"

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    threshold_seconds = models.PositiveIntegerField()
    registered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "measure", "threshold_seconds", name="duration_threshold_unique"
            )
        ]


class ServiceEventWithinRollup(TenantModel):
    audit_exempt = DERIVED

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="UTC day of occurred_at.")
    threshold_seconds = models.PositiveIntegerField()
    within = models.BigIntegerField(default=0, help_text="Events with duration_seconds ≤ threshold_seconds.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "measure",
                "threshold_seconds",
                "touchpoint",
                "day",
                name="service_event_within_unique",
            )
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="service_event_within_day_idx")]


class StoryRollup(TenantModel):
    audit_exempt = DERIVED

    promise = TenantForeignKey(Promise, on_delete=models.CASCADE, related_name="+")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text="UTC day of the story's occurred_at.")
    n = models.BigIntegerField(default=0)
    non_negative = models.BigIntegerField(default=0, help_text="Stories with sentiment ≥ −0.05.")

    class Meta:
        constraints = [
            models.UniqueConstraint("tenant", "promise", "touchpoint", "day", name="story_rollup_unique")
        ]
        # The few whole days a window reads beside its months: a range of days, every key.
        indexes = [models.Index(fields=["tenant", "day"], name="story_rollup_day_idx")]


# Month rollups: the same counters per UTC calendar month (``day`` is the month's first day),
# kept by the same triggers. A window reads its whole months here, and a partial month as its
# days or as the month less the days outside it, whichever are fewer (``metrics.engine``).
MONTH_HELP = "First day of the UTC month of occurred_at."


class SurveyMonthRollup(TenantModel):
    audit_exempt = DERIVED

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    touchpoint = TenantForeignKey(Touchpoint, null=True, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text=MONTH_HELP)
    n = models.BigIntegerField(default=0)
    score_sum = models.BigIntegerField(default=0)
    promoters = models.BigIntegerField(default=0)
    passives = models.BigIntegerField(default=0)
    detractors = models.BigIntegerField(default=0)
    satisfied = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "measure",
                "touchpoint",
                "day",
                name="survey_month_rollup_unique",
                nulls_distinct=False,
            )
        ]


class ServiceEventMonthRollup(TenantModel):
    audit_exempt = DERIVED

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text=MONTH_HELP)
    n = models.BigIntegerField(default=0)
    outcomes = models.BigIntegerField(
        default=0, db_default=0, help_text="Rate measures: events with a true outcome."
    )
    value_sum = models.DecimalField(
        max_digits=24,
        decimal_places=3,
        default=0,
        db_default=0,
        help_text="Average measures: the exact sum of values.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "measure", "touchpoint", "day", name="service_event_month_rollup_unique"
            )
        ]


class ServiceEventWithinMonthRollup(TenantModel):
    audit_exempt = DERIVED

    measure = TenantForeignKey(Measure, on_delete=models.CASCADE, related_name="+")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text=MONTH_HELP)
    threshold_seconds = models.PositiveIntegerField()
    within = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "measure",
                "threshold_seconds",
                "touchpoint",
                "day",
                name="service_event_within_month_unique",
            )
        ]


class StoryMonthRollup(TenantModel):
    audit_exempt = DERIVED

    promise = TenantForeignKey(Promise, on_delete=models.CASCADE, related_name="+")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(help_text=MONTH_HELP)
    n = models.BigIntegerField(default=0)
    non_negative = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "tenant", "promise", "touchpoint", "day", name="story_month_rollup_unique"
            )
        ]


# --- Scores -----------------------------------------------------------------------------------


class ScoringLock(TenantModel):
    """One row per tenant, locked by a score run for its whole transaction.

    A run that finds it locked gives up at once (``SKIP LOCKED``) and the tenant is marked for
    the next tick. A row lock, unlike an advisory lock, is honoured wherever the tenant's rows
    live: on a sharded database the row sits in the tenant's shard, which every node's
    transaction goes through.
    """

    audit_exempt = "a lock row; it holds no data"

    created_at = models.DateTimeField(auto_now_add=True)  # the tenant's first run

    class Meta:
        constraints = [models.UniqueConstraint("tenant", name="scoring_lock_one_per_tenant")]


class ScoreRun(TenantModel):
    """One computation of every score of a tenant as of an instant, with the whole result.

    ``result`` has the shape of ``GET /api/v1/scores``; dashboards read the newest run.
    """

    audit_exempt = DERIVED

    class Kind(models.TextChoices):
        RECOMPUTE = "recompute", "Recompute after new signals"
        DAILY = "daily", "Daily snapshot"
        QUARTER_END = "quarter_end", "Quarter-end snapshot"

    class Source(models.TextChoices):
        ROLLUP = "rollup", "Rollups"
        RAW = "raw", "Raw signals"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    source = models.CharField(max_length=8, choices=Source.choices)
    as_of = models.DateTimeField()
    computed_at = models.DateTimeField(auto_now_add=True)
    duration_ms = models.PositiveIntegerField(default=0)
    result = models.JSONField()

    class Meta:
        ordering = ["-as_of", "-id"]
        indexes = [
            models.Index(fields=["tenant", "kind", "as_of"], name="score_run_kind_idx"),
            # The latest run (the API's current scores) and a run at an instant: one probe.
            models.Index(fields=["tenant", "-as_of", "-id"], name="score_run_latest_idx"),
        ]
        constraints = [
            # One quarter-end snapshot per quarter end.
            models.UniqueConstraint(
                "tenant", "as_of", condition=Q(kind="quarter_end"), name="score_run_one_quarter_end"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} as of {self.as_of:%Y-%m-%d %H:%M}"


class Scope(models.TextChoices):
    TENANT = "tenant", "Tenant"
    PROMISE = "promise", "Promise"
    COMMITMENT = "commitment", "Commitment"
    DEPARTMENT = "department", "Department"
    TOUCHPOINT = "touchpoint", "Touchpoint"


class ScoreSnapshot(TenantModel):
    audit_exempt = DERIVED

    """The scores of one scope (the tenant, a promise, a commitment…) in one run."""

    run = TenantForeignKey(ScoreRun, on_delete=models.CASCADE, related_name="snapshots")
    kind = models.CharField(max_length=16, choices=ScoreRun.Kind.choices)
    as_of = models.DateTimeField()
    scope = models.CharField(max_length=16, choices=Scope.choices)
    scope_id = models.BigIntegerField(null=True, blank=True, help_text="Empty for the tenant scope.")
    score = models.FloatField(null=True, blank=True)
    delivery_rate = models.FloatField(null=True, blank=True)
    n = models.BigIntegerField(null=True, blank=True, help_text="Signals counted (commitments).")
    values = models.JSONField(help_text="Everything the run computed for this scope.")

    class Meta:
        ordering = ["scope", "scope_id", "as_of"]
        indexes = [
            models.Index(fields=["tenant", "scope", "scope_id", "as_of"], name="score_snapshot_scope_idx")
        ]


class BreachEvent(TenantModel):
    """A promise-experience breach found after a recompute; open until its condition clears.

    At most one open event per (kind, scope, scope id): a breach that persists over many
    recomputes is one event, and the same transition seen twice is recorded once. What a page
    says of it follows ``escalation`` until the condition clears: escalated and awaiting a
    decision, in progress, or resolved with its escalation (``metrics.dashboards.breach_state``).
    """

    audit_noun = "breach event"
    audit_name = ("title",)

    class Kind(models.TextChoices):
        COMMITMENT_NOT_MET = "commitment_not_met", "Commitment no longer met"
        HIDDEN_BREACH = "hidden_breach", "Hidden breach"
        SCORE_DROP = "score_drop", "Score dropped"

    kind = models.CharField(max_length=24, choices=Kind.choices)
    scope = models.CharField(max_length=16, choices=Scope.choices)
    scope_id = models.BigIntegerField(null=True, blank=True, help_text="Empty for the tenant scope.")
    promise = TenantForeignKey(Promise, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    commitment = TenantForeignKey(
        Commitment, null=True, blank=True, on_delete=models.CASCADE, related_name="breach_events"
    )
    department = TenantForeignKey(
        Department, null=True, blank=True, on_delete=models.CASCADE, related_name="breach_events"
    )
    title = models.CharField(max_length=300)
    previous_value = models.FloatField(null=True, blank=True)
    current_value = models.FloatField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    run = TenantForeignKey(ScoreRun, null=True, on_delete=models.SET_NULL, related_name="+")
    escalation = TenantForeignKey(
        Escalation,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="breach_events",
        db_index=False,  # the composite index below leads with the tenant
        help_text="The escalation opened for it, or the open one it joined: its state is the breach's.",
    )
    as_of = models.DateTimeField(help_text="The instant of the scores that showed the breach.")
    detected_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True, help_text="When the condition cleared.")

    class Meta:
        ordering = ["-detected_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "kind",
                "scope",
                "scope_id",
                condition=Q(resolved_at__isnull=True),
                nulls_distinct=False,
                name="breach_event_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "-detected_at"], name="breach_event_recent_idx"),
            models.Index(fields=["tenant", "escalation"], name="breach_event_escalation_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


# --- Action plans and digests (their own modules; imported here so the app registry finds them) -

from metrics.actions.models import Action  # noqa: E402
from metrics.digests.models import (  # noqa: E402
    DepartmentDigest,
    Digest,
    DigestOptOut,
    DigestSettings,
    DigestSubscriber,
)

__all__ = [
    "Action",
    "BreachEvent",
    "DepartmentDigest",
    "Digest",
    "DigestOptOut",
    "DigestSettings",
    "DigestSubscriber",
    "DurationThreshold",
    "Scope",
    "ScoreRun",
    "ScoreSnapshot",
    "ServiceEventRollup",
    "ServiceEventWithinRollup",
    "StoryRollup",
    "SurveyRollup",
]
