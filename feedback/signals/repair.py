"""Signals stored before today's input rules (:mod:`tenants.validation`): finding and repairing them.

A row breaks a rule when its ``occurred_at`` lies before :data:`~tenants.validation.EARLIEST`
or more than the clock skew after the row was received (``created_at``), when a service
event lasts more than ten years (or less than nothing), or when a survey score lies outside
its measure's scale. NUL and unpaired surrogates need no search: PostgreSQL refuses both in
text and jsonb columns, so no stored row can hold them.

- a time out of range is *fixable*: ``occurred_at`` becomes ``created_at``, the closest
  instant known for certain (the original value stays in the audit trail);
- a number out of range is not: only deleting the row removes it.

Everything runs in the tenant's context, so row-level security applies and the audit trigger
records each change under the actor given (``manage.py repair_signals``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F, Q

from feedback.signals.models import SURVEY_SCORE_RANGES, ServiceEvent, Signal, SurveyResponse
from feedback.stories.models import Story
from tenants.context import tenant_context
from tenants.models import Tenant
from tenants.validation import EARLIEST, EARLIEST_TEXT, FUTURE_SKEW, TEN_YEARS_SECONDS

_TIME_RULE = f"occurred_at before {EARLIEST_TEXT} or after the moment it was received"


def _time_violation() -> Q:
    return Q(occurred_at__lt=EARLIEST) | Q(occurred_at__gt=F("created_at") + FUTURE_SKEW)


def _number_violations(model: type[Signal]) -> list[tuple[Q, str]]:
    if model is ServiceEvent:
        return [
            (
                Q(duration_seconds__gt=TEN_YEARS_SECONDS) | Q(duration_seconds__lt=0),
                "duration_seconds outside 0 … ten years",
            )
        ]
    if model is SurveyResponse:
        outside = Q()
        for key, (low, high) in SURVEY_SCORE_RANGES.items():
            outside |= Q(measure__key=key) & ~Q(score__range=(low, high))
        return [(outside, "score outside its measure's scale")]
    return []


SIGNAL_MODELS: tuple[type[Signal], ...] = (Story, SurveyResponse, ServiceEvent)


@dataclass
class Violation:
    model: str
    id: int
    rule: str
    fixable: bool


@dataclass
class RepairReport:
    violations: list[Violation] = field(default_factory=list)
    fixed: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.fixed or self.deleted)


def signal_violations(*, tenant: Tenant) -> list[Violation]:
    """Every signal of ``tenant`` that breaks an input rule, oldest rule first (read only).

    A row breaking a number rule is reported once, as not fixable, even if its time is out
    of range too.
    """
    found: dict[tuple[str, int], Violation] = {}
    with tenant_context(tenant):
        for model in SIGNAL_MODELS:
            label = model._meta.label
            for condition, rule in _number_violations(model):
                for pk in model.objects.filter(condition).order_by("pk").values_list("pk", flat=True):
                    found[(label, pk)] = Violation(label, pk, rule, fixable=False)
            for pk in model.objects.filter(_time_violation()).order_by("pk").values_list("pk", flat=True):
                found.setdefault((label, pk), Violation(label, pk, _TIME_RULE, fixable=True))
    return sorted(found.values(), key=lambda v: (v.model, v.id))


def signals_repair(*, tenant: Tenant, fix: bool = False, delete: bool = False) -> RepairReport:
    """Find ``tenant``'s signals that break an input rule and, with ``fix``, move out-of-range
    times to when the row was received; with ``delete``, delete every violating row instead.

    Atomic. Deleting keeps the rollups exact (their triggers count deletions); a fixed time
    does not, so the caller rebuilds the tenant's rollups when ``report.fixed``.
    """
    report = RepairReport(violations=signal_violations(tenant=tenant))
    if not (fix or delete) or not report.violations:
        return report
    by_model: dict[str, list[Violation]] = {}
    for violation in report.violations:
        by_model.setdefault(violation.model, []).append(violation)
    with tenant_context(tenant), transaction.atomic():
        for model in SIGNAL_MODELS:
            rows = by_model.get(model._meta.label, [])
            if delete and rows:
                # A story takes its promise links and escalation evidence with it.
                _, per_model = model.objects.filter(pk__in=[v.id for v in rows]).delete()
                report.deleted += per_model.get(model._meta.label, 0)
            elif fix:
                fixable = [v.id for v in rows if v.fixable]
                if fixable:
                    report.fixed += model.objects.filter(pk__in=fixable).update(occurred_at=F("created_at"))
    return report
