"""Rows that slipped in before the input rules, written with raw SQL as the application role
(inside the tenant's context, so row-level security and the audit trigger apply)."""

from __future__ import annotations

from django.db import connection

from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from promises.models import Measure
from tenants.context import tenant_context
from tenants.models import Tenant, Touchpoint

# Year 1 at +14:00 is a date BC in UTC, which Python cannot load; 9999-12-31 at -14:00 is
# year 10000 in UTC; 0001-01-01 UTC loads but cannot be converted to a zone west of UTC.
BC = "0001-01-01T00:00:00+14:00"
YEAR_10000 = "9999-12-31T23:59:59-14:00"
YEAR_ONE_UTC = "0001-01-01T00:00:00+00:00"


def _insert(table: str, values: dict) -> int:
    columns = ", ".join(values)
    placeholders = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}, created_at) VALUES ({placeholders}, now()) RETURNING id",
            list(values.values()),
        )
        return cursor.fetchone()[0]


def poison_story(tenant: Tenant, occurred_at: str, *, text: str = "Poisoned story", segment: str = "") -> int:
    with tenant_context(tenant):
        touchpoint = Touchpoint.objects.get(slug="delivery")
        return _insert(
            Story._meta.db_table,
            {
                "tenant_id": tenant.pk,
                "occurred_at": occurred_at,
                "source_kind": "api_key",
                "source_id": 1,
                "text": text,
                "touchpoint_id": touchpoint.pk,
                "segment": segment,
                "severity": "medium",
                "channel": "api",
                "sentiment": -0.5,
            },
        )


def poison_survey_response(tenant: Tenant, occurred_at: str, *, measure: str = "nps", score: int = 9) -> int:
    with tenant_context(tenant):
        return _insert(
            SurveyResponse._meta.db_table,
            {
                "tenant_id": tenant.pk,
                "occurred_at": occurred_at,
                "source_kind": "api_key",
                "source_id": 1,
                "measure_id": Measure.objects.get(key=measure).pk,
                "score": score,
                "touchpoint_id": Touchpoint.objects.get(slug="delivery").pk,
                "segment": "{}",
                "respondent_ref": "",
                "comment": "",
            },
        )


def poison_service_event(tenant: Tenant, occurred_at: str, *, duration_seconds: int = 60) -> int:
    with tenant_context(tenant):
        return _insert(
            ServiceEvent._meta.db_table,
            {
                "tenant_id": tenant.pk,
                "occurred_at": occurred_at,
                "source_kind": "api_key",
                "source_id": 1,
                "measure_id": Measure.objects.get(key="refund_processing").pk,
                "duration_seconds": duration_seconds,
                "touchpoint_id": Touchpoint.objects.get(slug="delivery").pk,
            },
        )
