"""Rows for any tenant-owned model, filled in from the model's own fields.

The isolation tests run over every subclass of ``TenantModel`` found by introspection, so a
new model joins them with no test change. ``make_row`` fills each required field with a
valid value, creating related tenant rows (or a user) as it goes; a model whose fields it
cannot fill makes the isolation tests fail loudly, asking for a recipe in ``RECIPES``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import timezone

from tenants.context import tenant_context
from tenants.models import Tenant, TenantModel, User

_counter = itertools.count(1)

# model label → function(tenant) returning an unsaved instance, for models whose fields
# carry rules a generic value would break.
RECIPES: dict[str, Callable[[Tenant], TenantModel]] = {}


def tenant_models() -> list[type[TenantModel]]:
    return sorted(
        (m for m in apps.get_models() if issubclass(m, TenantModel) and not m._meta.abstract),
        key=lambda m: m._meta.label,
    )


# Refused requests are themselves recorded (security events), and an API key notes when it was
# last used even for a refused request: neither is a change that a refusal must not make.
_NOT_STATE = {"tenants.AuditEvent"}
_VOLATILE_COLUMNS = {"tenants.ApiKey": {"last_used_at"}}


def tenant_state(tenant: Tenant) -> dict[str, list[tuple]]:
    """Every row of every tenant-owned table of ``tenant``, to assert that a refused write
    changed nothing: ``before = tenant_state(t)`` … ``assert tenant_state(t) == before``."""
    state = {}
    with tenant_context(tenant):
        for model in tenant_models():
            label = model._meta.label
            if label in _NOT_STATE:
                continue
            volatile = _VOLATILE_COLUMNS.get(label, set())
            columns = [f.attname for f in model._meta.concrete_fields if f.attname not in volatile]
            state[label] = sorted(model.objects.values_list(*columns), key=repr)
    return state


def _value_for(field: models.Field, tenant: Tenant):
    n = next(_counter)
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, models.ForeignKey | models.OneToOneField):
        related = field.related_model
        if related is Tenant:
            return tenant
        if related._meta.label == settings.AUTH_USER_MODEL:
            return User.objects.create_user(email=f"user{n}@{tenant.slug}.test", password="x" * 12)
        if issubclass(related, TenantModel):
            return make_row(related, tenant)
        raise LookupError(
            f"make_row cannot fill {field} (a foreign key to {related._meta.label}); add a recipe."
        )
    if isinstance(field, models.SlugField):
        return f"row-{n}"
    if isinstance(field, models.EmailField):
        return f"row{n}@{tenant.slug}.test"
    if isinstance(field, models.CharField | models.TextField):
        return f"row {n}"[: field.max_length or 100]
    if isinstance(field, models.BooleanField):
        return False
    if isinstance(field, models.DecimalField):
        return Decimal("1")
    if isinstance(field, models.FloatField):
        return 0.5
    if isinstance(field, models.IntegerField):
        return n
    if isinstance(field, models.DateTimeField):
        return timezone.now()
    if isinstance(field, models.DateField):
        return timezone.now().date()
    if isinstance(field, models.DurationField):
        return timedelta(seconds=n)
    if isinstance(field, models.JSONField):
        return {}
    if isinstance(field, models.UUIDField):
        import uuid

        return uuid.uuid4()
    raise LookupError(f"make_row cannot fill {field}; add a recipe for {field.model._meta.label} in RECIPES.")


def make_row(model: type[TenantModel], tenant: Tenant) -> TenantModel:
    """Create and save one row of ``model`` for ``tenant`` (call inside that tenant's context)."""
    recipe = RECIPES.get(model._meta.label)
    if recipe is not None:
        obj = recipe(tenant)
    else:
        obj = model(tenant=tenant)
        for field in model._meta.concrete_fields:
            if field.primary_key or field.name == "tenant" or field.has_default() or field.null:
                continue
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                continue
            setattr(obj, field.name, _value_for(field, tenant))
    obj.save()
    return obj


def _duration_measure(tenant: Tenant) -> TenantModel:
    # Only built-in keys may be survey/story measures (a check constraint): make a duration one.
    from promises.models import Measure

    n = next(_counter)
    return Measure(tenant=tenant, key=f"measure-{n}", name=f"Measure {n}", kind="duration", unit="hours")


RECIPES["promises.Measure"] = _duration_measure


def _benchmark(tenant: Tenant) -> TenantModel:
    # The value must lie on its measure's scale: a duration measure's share, 0–100 %.
    from promises.models import Measure, MeasureBenchmark

    return MeasureBenchmark(
        tenant=tenant, measure=make_row(Measure, tenant), label="Industry average", value=42
    )


RECIPES["promises.MeasureBenchmark"] = _benchmark


def _survey_response(tenant: Tenant) -> TenantModel:
    # The score must lie on the measure's answer scale; the measure must be a survey measure.
    from feedback.signals.models import SurveyResponse
    from promises.models import Measure
    from tenants.models import Touchpoint

    measure = Measure.objects.filter(key="nps").first() or Measure.objects.create(
        tenant=tenant, key="nps", name="NPS", kind="survey", is_builtin=True
    )
    return SurveyResponse(
        tenant=tenant,
        measure=measure,
        score=7,
        occurred_at=timezone.now(),
        touchpoint=make_row(Touchpoint, tenant),
        source_kind="api_key",
        source_id=next(_counter),
    )


RECIPES["feedback.SurveyResponse"] = _survey_response


def _service_event(tenant: Tenant) -> TenantModel:
    # An event carries exactly one fact (a check constraint): a duration, for a duration measure.
    from feedback.signals.models import ServiceEvent
    from promises.models import Measure
    from tenants.models import Touchpoint

    return ServiceEvent(
        tenant=tenant,
        measure=make_row(Measure, tenant),
        duration_seconds=60,
        occurred_at=timezone.now(),
        touchpoint=make_row(Touchpoint, tenant),
        source_kind="api_key",
        source_id=next(_counter),
    )


RECIPES["feedback.ServiceEvent"] = _service_event


def _survey(tenant: Tenant) -> TenantModel:
    # A hosted survey asks a built-in survey measure (NPS, CSAT or CES).
    from promises.models import Measure
    from surveys.models import Survey
    from tenants.models import Department, Touchpoint

    measure = Measure.objects.filter(key="nps").first() or Measure.objects.create(
        tenant=tenant, key="nps", name="NPS", kind="survey", is_builtin=True
    )
    return Survey(
        tenant=tenant,
        name=f"Survey {next(_counter)}",
        touchpoint=make_row(Touchpoint, tenant),
        department=make_row(Department, tenant),
        measure=measure,
    )


RECIPES["surveys.Survey"] = _survey


def _survey_link(tenant: Tenant) -> TenantModel:
    # A personalised link of a survey of the same tenant.
    import datetime as dt

    from django.utils import timezone

    from surveys.models import Survey, SurveyLink

    return SurveyLink(
        tenant=tenant,
        survey=make_row(Survey, tenant),
        respondent_ref=f"C-{next(_counter)}",
        segment={"plan": "pro"},
        expires_at=timezone.now() + dt.timedelta(days=30),
    )


RECIPES["surveys.SurveyLink"] = _survey_link


def _followup(tenant: Tenant) -> TenantModel:
    # The follow-up of an unhappy answer of a survey of the same tenant.
    import datetime as dt

    from django.utils import timezone

    from surveys.models import FollowUp, Survey

    survey = make_row(Survey, tenant)
    return FollowUp(
        tenant=tenant,
        survey=survey,
        response_id=next(_counter),
        department_id=survey.department_id,
        touchpoint_id=survey.touchpoint_id,
        measure_key="nps",
        score=3,
        due_at=timezone.now() + dt.timedelta(hours=48),
    )


RECIPES["surveys.FollowUp"] = _followup


def _action(tenant: Tenant) -> TenantModel:
    # An action is about something (here a promise); its owner and department are the tenant's.
    from metrics.models import Action
    from promises.models import Promise
    from tenants.models import Department, Membership

    return Action(
        tenant=tenant,
        title=f"Action {next(_counter)}",
        promise=make_row(Promise, tenant),
        owner=make_row(Membership, tenant),
        department=make_row(Department, tenant),
        due_on=timezone.now().date(),
    )


RECIPES["metrics.Action"] = _action
