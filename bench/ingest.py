"""What the real ingest stack costs against the database's own floor, for survey responses.

Runs, side by side on the same database, in tenant ``bench-ingest``:

- bulk: ``rows`` survey responses in batches of ``batch``, alternating batch by batch between
  (a) raw psycopg ``COPY ... FROM STDIN`` into ``feedback_surveyresponse``, one transaction per
  batch. PostgreSQL refuses ``COPY FROM`` to a role under row-level security ("COPY FROM not
  supported with row-level security"), so the COPY runs as the database login (the owner, as
  migrations do) with ``app.tenant_id`` set; the audit trigger still fires. It is the floor.
  (a') raw psycopg ``executemany`` INSERT of the same rows as the application role
  (``SET ROLE`` + ``app.tenant_id``, RLS applies), one transaction per batch: the floor for
  what the application role can do at all. (b) ``POST /api/v1/survey-responses`` with
  ``{"items": [...]}`` through Django's test ``Client``: the whole middleware stack, API-key
  authentication, throttling, per-item validation, duplicate check, ``bulk_create``, the
  scoring dirty mark. Reports rows/s of each, HTTP ÷ COPY (higher is better; the goal is
  ≥ 0.60) and HTTP ÷ raw INSERT.
- single: ``singles`` one-item POSTs, alternating between the real endpoint and a bare Django
  view (defined here, called through ``RequestFactory``: parse the JSON, one ORM INSERT in the
  tenant's context). Reports p50/p95 latency of each and real ÷ bare (lower is better).

Every row carries an ``external_id`` unique to the run; the rows are deleted at the end (the
audit trail keeps its rows). A fresh API key is issued per run and revoked afterwards.

    DEBUG=false .venv/bin/python -m bench.ingest --rows 20000 --batch 1000 [--singles 300]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import transaction  # noqa: E402
from django.http import HttpRequest, JsonResponse  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from bench.owner import owner_conninfo  # noqa: E402
from feedback.signals.models import SourceKind, SurveyResponse  # noqa: E402
from promises.commitments.services import measures_ensure_builtin  # noqa: E402
from promises.models import Measure  # noqa: E402
from tenants.context import tenant_context  # noqa: E402
from tenants.models import Tenant, Touchpoint  # noqa: E402
from tenants.services import api_key_create, api_key_revoke, tenant_create, touchpoint_create  # noqa: E402

TENANT_SLUG = "bench-ingest"
URL = "/api/v1/survey-responses"
_COLUMNS = (
    "tenant_id, occurred_at, source_kind, source_id, external_id, created_at, "
    "measure_id, score, touchpoint_id, segment, respondent_ref, comment"
)


def _tenant() -> tuple[Tenant, int, int]:
    """The bench tenant with its built-in measures and a touchpoint ``delivery``."""
    tenant = Tenant.objects.filter(slug=TENANT_SLUG).first() or tenant_create(
        slug=TENANT_SLUG, name=TENANT_SLUG
    )
    measures_ensure_builtin(tenant=tenant)
    with tenant_context(tenant):
        touchpoint = Touchpoint.objects.filter(slug="delivery").first() or touchpoint_create(
            tenant=tenant, name="Delivery"
        )
        measure_id = Measure.objects.get(key="nps").pk
    return tenant, measure_id, touchpoint.pk


def _item(external_id: str, i: int, occurred_at: datetime) -> dict:
    return {
        "measure": "nps",
        "score": i % 11,
        "occurred_at": occurred_at.isoformat(),
        "touchpoint": "delivery",
        "segment": {"plan": "pro"},
        "respondent_ref": f"r-{i}",
        "external_id": external_id,
    }


def _bare_view(tenant: Tenant, measure_id: int, touchpoint_id: int, source_id: int):
    """The floor for one item: a Django view that parses the JSON and does one INSERT."""

    def view(request: HttpRequest) -> JsonResponse:
        data = json.loads(request.body)
        with tenant_context(tenant):
            row = SurveyResponse.objects.create(
                tenant=tenant,
                measure_id=measure_id,
                score=data["score"],
                occurred_at=data["occurred_at"],
                touchpoint_id=touchpoint_id,
                segment=data["segment"],
                respondent_ref=data["respondent_ref"],
                source_kind=SourceKind.API_KEY,
                source_id=source_id,
                external_id=data["external_id"],
            )
        return JsonResponse({"id": row.pk}, status=201)

    return view


def _vacuum() -> None:
    """Vacuum the survey table and its rollups as the owner (before the run and after each
    round of batches, outside the timings).

    Every row of a run adds to one counter row per rollup table (one measure, one touchpoint,
    a few days); without autovacuum (off on the shared bench machine) its dead versions pile up
    and each later upsert walks them: unvacuumed, the 40th 1,000-row batch of a run took 39 s
    where the first took 2 s, on every side alike — the counters' bloat, not ingest.
    """
    with psycopg.connect(owner_conninfo(), autocommit=True) as owner:
        owner.execute(
            "VACUUM feedback_surveyresponse, metrics_surveyrollup, metrics_surveymonthrollup, tenants_auditevent"
        )


def _delete_rows(tenant: Tenant, prefix: str, chunk: int) -> None:
    """Delete the run's rows ``chunk`` at a time, one transaction each.

    The rollup triggers subtract every deleted row from its counter row; every update of one
    counter row in one transaction lengthens its version chain, and each update walks it
    (one 60,000-row DELETE ran for over ten minutes, 1,000-row chunks for 25 s each on a busy
    machine). Short transactions keep the chains short.
    """
    with tenant_context(tenant):
        rows = SurveyResponse.objects.filter(external_id__startswith=prefix)
        while ids := list(rows.order_by("id").values_list("id", flat=True)[:chunk]):
            with transaction.atomic():
                SurveyResponse.objects.filter(id__in=ids).delete()


def _percentile(samples: list[float], pct: int) -> float:
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[pct - 1]


def run(rows: int = 20000, batch: int = 1000, singles: int = 300, on_measured=None) -> dict[str, float]:
    tenant, measure_id, touchpoint_id = _tenant()
    issued = api_key_create(tenant=tenant, name=f"bench {uuid.uuid4().hex[:8]}", scopes=["feedback:write"])
    source_id = issued.api_key.pk
    prefix = f"bench-{uuid.uuid4().hex[:12]}-"
    client = Client(HTTP_HOST=settings.CXGOV_BASE_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    base = datetime.now(UTC) - timedelta(days=1)
    batches = [range(start, min(start + batch, rows)) for start in range(0, rows, batch)]

    # Prepared outside the timings: what a partner would have ready to send.
    copy_batches = [
        [
            (
                tenant.pk,
                base + timedelta(seconds=i),
                SourceKind.API_KEY.value,
                source_id,
                f"{prefix}copy-{i}",
                base,
                measure_id,
                i % 11,
                touchpoint_id,
                json.dumps({"plan": "pro"}),
                f"r-{i}",
                "",
            )
            for i in numbers
        ]
        for numbers in batches
    ]
    http_bodies = [
        json.dumps({"items": [_item(f"{prefix}http-{i}", i, base + timedelta(seconds=i)) for i in numbers]})
        for numbers in batches
    ]

    insert_batches = [
        [(*row[:4], row[4].replace("copy-", "insert-"), *row[5:]) for row in copy_rows]
        for copy_rows in copy_batches
    ]
    insert_sql = f"INSERT INTO feedback_surveyresponse ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"

    copy_seconds = insert_seconds = http_seconds = 0.0
    answers = []
    _vacuum()
    try:
        with psycopg.connect(owner_conninfo()) as owner, psycopg.connect(owner_conninfo()) as app:
            owner.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant.pk)])
            owner.commit()
            app.execute(f"SET ROLE {settings.CXGOV_DB_APP_ROLE}")
            app.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant.pk)])
            app.commit()
            for copy_rows, insert_rows, body in zip(copy_batches, insert_batches, http_bodies, strict=True):
                started = time.perf_counter()
                with (
                    owner.cursor() as cursor,
                    cursor.copy(f"COPY feedback_surveyresponse ({_COLUMNS}) FROM STDIN") as copy,
                ):
                    for row in copy_rows:
                        copy.write_row(row)
                owner.commit()
                copy_seconds += time.perf_counter() - started

                started = time.perf_counter()
                with app.cursor() as cursor:
                    cursor.executemany(insert_sql, insert_rows)
                app.commit()
                insert_seconds += time.perf_counter() - started

                started = time.perf_counter()
                response = client.post(URL, data=body, content_type="application/json")
                http_seconds += time.perf_counter() - started
                answers.append(response)
                _vacuum()  # outside the timings: each side starts its next batch on lean counters
        for response, numbers in zip(answers, batches, strict=True):
            if response.status_code != 200 or response.json()["created"] != len(numbers):
                raise RuntimeError(
                    f"bulk POST did not create every row: {response.status_code} {response.content[:300]!r}"
                )

        bare = _bare_view(tenant, measure_id, touchpoint_id, source_id)
        factory = RequestFactory(HTTP_HOST=settings.CXGOV_BASE_DOMAIN)
        bare_ms, http_ms = [], []
        for i in range(singles):
            item = json.dumps(_item(f"{prefix}bare-{i}", i, base))
            started = time.perf_counter()
            response = bare(factory.post(URL, data=item, content_type="application/json"))
            bare_ms.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 201, response.content

            item = json.dumps(_item(f"{prefix}single-{i}", i, base))
            started = time.perf_counter()
            response = client.post(URL, data=item, content_type="application/json")
            http_ms.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200 or response.json()["created"] != 1:
                raise RuntimeError(f"single POST failed: {response.status_code} {response.content[:300]!r}")
        copy_rate = rows / copy_seconds
        insert_rate = rows / insert_seconds
        http_rate = rows / http_seconds
        result = {
            "copy_rows_per_s": copy_rate,
            "insert_rows_per_s": insert_rate,
            "http_rows_per_s": http_rate,
            "bulk_ratio": http_rate / copy_rate,
            "insert_ratio": http_rate / insert_rate,
            "bare_p50_ms": _percentile(bare_ms, 50),
            "bare_p95_ms": _percentile(bare_ms, 95),
            "http_p50_ms": _percentile(http_ms, 50),
            "http_p95_ms": _percentile(http_ms, 95),
        }
        result["p50_ratio"] = result["http_p50_ms"] / result["bare_p50_ms"]
        result["p95_ratio"] = result["http_p95_ms"] / result["bare_p95_ms"]
    finally:
        if on_measured is not None and "result" in locals():
            on_measured(result)
        _delete_rows(tenant, prefix, 100)
        api_key_revoke(tenant=tenant, api_key=issued.api_key)

    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--singles", type=int, default=300)
    args = parser.parse_args()
    if not 1 <= args.batch <= 1000:
        parser.error("--batch must be between 1 and 1000 (the API's limit per request)")

    def report(r: dict[str, float]) -> None:  # printed before the run's rows are deleted
        print(
            f"bulk ({args.rows} rows, batches of {args.batch}): COPY {r['copy_rows_per_s']:.0f} rows/s · "
            f"raw INSERT (app role) {r['insert_rows_per_s']:.0f} rows/s · HTTP {r['http_rows_per_s']:.0f} rows/s\n"
            f"HTTP ÷ COPY {r['bulk_ratio']:.2f} (goal ≥ 0.60) · HTTP ÷ raw INSERT {r['insert_ratio']:.2f}\n"
            f"single item ({args.singles} POSTs each): bare view p50 {r['bare_p50_ms']:.2f} ms, "
            f"p95 {r['bare_p95_ms']:.2f} ms · endpoint p50 {r['http_p50_ms']:.2f} ms, p95 {r['http_p95_ms']:.2f} ms · "
            f"endpoint ÷ bare p50 {r['p50_ratio']:.2f}, p95 {r['p95_ratio']:.2f}",
            flush=True,
        )

    # As the web process does once loaded (cxgov/wsgi.py): every view imported, then what was
    # loaded kept out of the garbage collector's full collections.
    get_resolver().url_patterns  # noqa: B018
    gc.freeze()
    run(args.rows, args.batch, args.singles, on_measured=report)


if __name__ == "__main__":
    main()
