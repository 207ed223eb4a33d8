"""Some of ``bench.http``'s scenarios timed in-process: Django's test client, the production
settings (``bench.http_settings``), the database a ``bench.http --keep`` run left.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cxgov_bench_http DEBUG=false \\
        SECRET_KEY=… ALLOWED_HOSTS=127.0.0.1 CXGOV_API_RATE=100000000/min \\
        DJANGO_SETTINGS_MODULE=bench.http_settings \\
        .venv/bin/python -m bench.http_inprocess --requests 1000 [--profile post_single]

No load generator, server or network: each request goes through the same middleware, views
and database backend as under gunicorn, one after the other, so the figures are a request's
own cost (wall and CPU milliseconds a request) and ``--profile`` (cProfile) shows where it
goes. Scenarios: ``healthz``, ``post_single`` (one survey response, a unique ``external_id``
each, to the ``ingest`` tenant), ``floor_write`` (``bench/http_urls.py``). Run as the web
process runs: the objects loaded before the first request are frozen (``cxgov/wsgi.py``).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import itertools
import json
import os
import pstats
import time
from datetime import UTC, datetime, timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.http_settings")

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402
from django.urls import get_resolver  # noqa: E402

from bench import scoring  # noqa: E402
from tenants.models import ApiKey, Tenant  # noqa: E402
from tenants.services import api_key_create  # noqa: E402

SCENARIOS = ("healthz", "post_single", "floor_write")


def run(*, requests: int, only: tuple[str, ...] = SCENARIOS, profile: str | None = None) -> dict:
    tenant = Tenant.objects.get(slug=f"{scoring.SLUG_PREFIX}http-ingest")
    key = api_key_create(tenant=tenant, name="bench in-process", scopes=list(ApiKey.Scope.values)).secret
    client = Client(
        HTTP_X_FORWARDED_PROTO="https", SERVER_NAME="127.0.0.1", headers={"Authorization": f"Bearer {key}"}
    )
    occurred = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    ids = itertools.count()
    run_id = os.urandom(4).hex()

    def request(name: str):
        if name == "healthz":
            return client.get("/healthz")
        if name == "floor_write":
            return client.post(f"/bench/floor/write?tenant={tenant.pk}")
        item = {
            "measure": "nps",
            "score": 9,
            "touchpoint": scoring_touchpoint,
            "occurred_at": occurred,
            "external_id": f"inprocess-{run_id}-{next(ids)}",
        }
        return client.post("/api/v1/survey-responses", json.dumps(item), content_type="application/json")

    scoring_touchpoint = "touchpoint-0"
    get_resolver().url_patterns  # noqa: B018 - as cxgov/wsgi.py does before its freeze
    gc.freeze()
    results = {}
    for name in only:
        for _ in range(20):  # warm: the key's cache, the connection, the lookups
            answer = request(name)
            assert answer.status_code == 200, (name, answer.status_code, answer.content[:300])
        profiler = cProfile.Profile() if profile == name else None
        wall, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        for _ in range(requests):
            request(name)
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        results[name] = {"wall_ms": 1000 * wall / requests, "cpu_ms": 1000 * cpu / requests}
        if profiler:
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(
                os.environ.get("BENCH_PROFILE_SORT", "cumulative")
            ).print_stats(60)
            results[name]["profile"] = out.getvalue()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--only", default=",".join(SCENARIOS))
    parser.add_argument("--profile", choices=SCENARIOS, help="cProfile this scenario's requests")
    args = parser.parse_args()
    results = run(requests=args.requests, only=tuple(args.only.split(",")), profile=args.profile)
    print(f"in-process, {args.requests} requests each")
    for name, r in results.items():
        print(f"  {name:<12} {r['wall_ms']:7.2f} ms wall {r['cpu_ms']:7.2f} ms CPU a request")
    for r in results.values():
        if "profile" in r:
            print(r["profile"])


if __name__ == "__main__":
    main()
