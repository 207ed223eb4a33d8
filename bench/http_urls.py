"""The product's URLs plus two floor views for ``bench.http``: what the same server, middleware
and database backend cost around one statement, without the API (authentication, rate limit,
DRF, validation, audit). The API's ratios to ``/healthz`` are bounded by these floors'.

- ``GET /bench/floor/read?tenant=<id>``: in the tenant's context (its row-level security
  settings), the newest score run's stored JSON, as ``GET /api/v1/scores`` reads it.
- ``POST /bench/floor/write?tenant=<id>``: in the tenant's context and a transaction, one survey
  response inserted (its rollup triggers fire) and committed.
"""

from __future__ import annotations

import itertools
import os

from django.db import connection, transaction
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from cxgov.urls import urlpatterns as product
from tenants.context import ActiveTenant, tenant_context

_ids = itertools.count()
_refs: dict[int, tuple[int, int]] = {}  # tenant id → (measure id, touchpoint id)


def _tenant(request) -> ActiveTenant:
    return ActiveTenant(id=int(request.GET["tenant"]), slug="bench")


def floor_read(request):
    with tenant_context(_tenant(request)), connection.cursor() as cursor:
        cursor.execute("SELECT result::text FROM metrics_scorerun ORDER BY as_of DESC, id DESC LIMIT 1")
        (body,) = cursor.fetchone()
    return HttpResponse(body, content_type="application/json")


@csrf_exempt
def floor_write(request):
    tenant = _tenant(request)
    with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
        if tenant.id not in _refs:
            cursor.execute(
                "SELECT (SELECT id FROM promises_measure WHERE key = 'nps'), (SELECT min(id) FROM tenants_touchpoint)"
            )
            _refs[tenant.id] = cursor.fetchone()
        measure, touchpoint = _refs[tenant.id]
        cursor.execute(
            "INSERT INTO feedback_surveyresponse (tenant_id, occurred_at, source_kind, source_id, external_id,"
            " created_at, score, segment, respondent_ref, comment, measure_id, touchpoint_id)"
            " VALUES (%s, now() - interval '1 hour', 'api_key', 0, %s, now(), 9, '{}', '', '', %s, %s)",
            [tenant.id, f"floor-{os.getpid()}-{next(_ids)}", measure, touchpoint],
        )
    return HttpResponse(b'{"created":1}', content_type="application/json")


floor_read.cxgov_action = floor_write.cxgov_action = "platform.probe"  # no tenant host, no login

urlpatterns = [
    path("bench/floor/read", floor_read),
    path("bench/floor/write", floor_write),
    *product,
]
