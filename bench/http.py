"""The partner API under load, served as in production, against ``/healthz`` in the same run.

Creates and migrates a database of its own (``cxgov_bench_http``, dropped at the end unless
``--keep``; a leftover one is replaced; ``--reuse`` migrates a kept one and measures it again,
so before and after a change read the same rows), three tenants with 8 touchpoints and 20
active commitments each (``bench.scoring``'s set-up): ``small`` with ``--small`` survey
responses (and a fifth as many service events), ``large`` with ``--large``, generated in
PostgreSQL as the owner (triggers off, then the rollups rebuilt), then ``VACUUM ANALYZE``; and
``ingest``, empty, which every POST goes to. The latest score run of each is stored, as the
recompute after ingest would. Then starts gunicorn with ``cxgov.settings.production`` (its own secret key, hosts and
Redis database) and loads each endpoint with ``wrk`` (2 threads, ``--connections``) for
``--duration`` seconds:

==================================  ==========================================================
scenario                            request
==================================  ==========================================================
``healthz``                         ``GET /healthz`` (no tenant, no key, no database): the
                                    baseline every ratio divides by
``scores``                          ``GET /api/v1/scores`` (large tenant)
``post_single``                     ``POST /api/v1/survey-responses``, one item, a unique
                                    ``external_id`` per request (large tenant)
``list_small`` / ``list_large``     ``GET /api/v1/survey-responses?touchpoint=touchpoint-0``
``as_of_small`` / ``as_of_large``   ``GET /api/v1/scores?as_of=<a past instant>``
``bulk`` (2 then 4 workers)         ``POST`` of 100 items with unique ``external_id`` s
``floor_read`` / ``floor_write``    the floors (``bench/http_urls.py``): one read of the stored
                                    run, one insert and commit, in the tenant's context behind
                                    the same server and middleware, without the API around it
==================================  ==========================================================

Reports req/s, p50/p99 latency and errors (connection errors, timeouts, non-2xx/3xx answers)
of each, every req/s as a ratio to ``healthz`` measured by the same server, and the goals of
``bench/README.md``: scores ÷ healthz, post_single ÷ healthz, bulk rows/s 4 workers ÷
2 workers, list large ÷ small and as_of large ÷ small (p50 latency).

``wrk`` is Debian's package: ``apt-get install -y wrk``.

    DEBUG=false .venv/bin/python -m bench.http [--duration 30 --small 10000 --large 1000000]

``--only healthz,scores,floor_read`` loads only those scenarios (the ratios that need another
are left out); ``--database NAME`` uses a database of that name instead of ``cxgov_bench_http``
(several people benchmarking on one machine).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench import scoring  # noqa: E402
from bench.owner import owner_conninfo  # noqa: E402
from metrics.services import scores_run  # noqa: E402
from tenants.context import tenant_context  # noqa: E402
from tenants.models import ApiKey, Tenant  # noqa: E402
from tenants.services import api_key_create  # noqa: E402

BENCH_DB = "cxgov_bench_http"
WRK_MISSING = "wrk is not installed: apt-get install -y wrk (Debian's package; it is the load generator)"
BULK_ITEMS = 100
TOUCHPOINT = "touchpoint-0"  # bench.scoring's first touchpoint
# The rate limit is on, as in production (one counter per key in Redis), but high enough that
# the load is never refused: what is measured is its cost, not its refusals.
BENCH_RATE = "100000000/min"

GOALS = {  # ratio: (goal, higher is better)
    "scores_ratio": (0.40, True),
    "post_single_ratio": (0.25, True),
    "bulk_scaling": (1.6, True),
    "list_growth": (1.5, False),
    "as_of_growth": (3.0, False),
}

# A wrk script: headers, an optional body with a unique external_id per item, and a JSON
# summary on stdout. Each wrk thread has its own Lua state, hence the thread id in the ids.
_LUA = r"""
local headers = %(headers)s
local method, path, items = %(method)s, %(path)s, %(items)d
local occurred = %(occurred)s
local prefix = %(prefix)s
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local function item(i)
  counter = counter + 1
  return string.format(
    '{"measure":"nps","score":%%d,"touchpoint":"%(touchpoint)s","occurred_at":"%%s","external_id":"%%s-%%d-%%d"}',
    counter %% 11, occurred, prefix, tid, counter)
end

request = function()
  if items == 0 then
    return wrk.format(method, path, headers)
  end
  local body
  if items == 1 then
    body = item(1)
  else
    local parts = {}
    for i = 1, items do parts[i] = item(i) end
    body = '{"items":[' .. table.concat(parts, ",") .. ']}'
  end
  return wrk.format(method, path, headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'CXGOV_RESULT {"requests":%%d,"duration_us":%%d,"connect":%%d,"read":%%d,"write":%%d,"status":%%d,"timeout":%%d,"p50_us":%%d,"p99_us":%%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _lua_table(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()) + "}"


def _lua_quote(text: str) -> str:
    return json.dumps(text)


def wrk_run(
    *,
    url: str,
    path: str,
    duration: float,
    connections: int,
    headers: dict[str, str],
    method: str = "GET",
    items: int = 0,
    occurred: str = "",
) -> dict[str, float]:
    """Load ``path`` for ``duration`` seconds; req/s, p50/p99 (ms) and the errors wrk counted."""
    script = _LUA % {
        "headers": _lua_table(headers),
        "method": _lua_quote(method),
        "path": _lua_quote(path),
        "items": items,
        "occurred": _lua_quote(occurred),
        "prefix": _lua_quote(f"wrk-{secrets.token_hex(6)}"),
        "touchpoint": TOUCHPOINT,
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script)
    try:
        out = subprocess.run(
            [
                wrk_path() or "wrk",
                "-t",
                str(min(2, connections)),
                "-c",
                str(connections),
                "-d",
                f"{max(1, round(duration))}s",
                "--timeout",
                "10s",
                "-s",
                f.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(f.name)
    line = next(x for x in out.splitlines() if x.startswith("CXGOV_RESULT "))
    r = json.loads(line.removeprefix("CXGOV_RESULT "))
    seconds = r["duration_us"] / 1e6
    return {
        "req_s": r["requests"] / seconds,
        "requests": r["requests"],
        "p50_ms": r["p50_us"] / 1000,
        "p99_ms": r["p99_us"] / 1000,
        "errors": r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"],
        "status_errors": r["status"],  # answers other than 2xx/3xx
    }


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    s = connection.settings_dict
    user = s["USER"] or "postgres"
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{user}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextmanager
def gunicorn(*, workers: int, redis_url: str):
    """gunicorn with the production settings on this database, until the block ends."""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.http_settings",  # production's, plus the floor views
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": _database_url(),
        "REDIS_URL": redis_url,
        "CXGOV_REDIS_PREFIX": f"cxgov-bench-http-{secrets.token_hex(4)}",
        "CXGOV_API_RATE": BENCH_RATE,
        "CXGOV_DB_APP_ROLE": settings.CXGOV_DB_APP_ROLE,
    }
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)  # noqa: SIM115 - read after the run
    process = subprocess.Popen(  # noqa: S603 - our own virtualenv's gunicorn
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "cxgov.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-control-socket",  # several servers may run on this machine at once
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300  # each worker imports Django; slow on a busy machine
        last: Exception | None = None
        while True:
            try:
                request = urllib.request.Request(f"{url}/healthz", headers={"X-Forwarded-Proto": "https"})
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310 - our own server
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
                last = exc
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(
                    f"gunicorn did not start (exit {process.poll()}, {last!r}):\n{log.read()[-3000:]}"
                )
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.seek(0)
        errors = [x for x in log.read().splitlines() if "Traceback" in x or "ERROR" in x]
        log.close()
        os.unlink(log.name)
        if errors:
            print(f"gunicorn logged {len(errors)} errors, e.g. {errors[0]}", file=sys.stderr)


def _get(url: str, path: str, key: str, body: dict | None = None) -> tuple[int, dict[str, Any]]:
    """GET ``path`` (or POST ``body``) once; the status and the decoded answer."""
    request = urllib.request.Request(
        f"{url}{path}",
        headers={
            "Authorization": f"Bearer {key}",
            "X-Forwarded-Proto": "https",
            "Content-Type": "application/json",
        },
        data=None if body is None else json.dumps(body).encode(),
    )
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - our own server
        return answer.status, json.loads(answer.read())


TENANTS = ("small", "large", "ingest")  # the POSTs go to their own tenant: the others keep their size


def _load(owner: psycopg.Connection, b: scoring.Bench, at: datetime, responses: int) -> None:
    """``bench.scoring``'s signals (and a fifth as many events), inserted with the audit and
    rollup triggers off, then the tenant's rollups rebuilt in one pass (much faster than a
    trigger per row; the same rollups)."""
    scoring._load(owner, b, at, responses, responses // 5, rebuild=True)


def setup(*, small: int, large: int, at: datetime, reuse: bool) -> dict[str, Any]:
    """The three tenants (created and loaded, or found in a kept database), a fresh key each,
    and the latest score run of each (the recompute that follows ingest would store it)."""
    tenants = {}
    with psycopg.connect(owner_conninfo(), autocommit=True) as owner:
        for name, rows in zip(TENANTS, (small, large, 0), strict=True):
            slug = f"{scoring.SLUG_PREFIX}http-{name}"
            if reuse:
                tenant = Tenant.objects.get(slug=slug)
            else:
                b = scoring._setup(f"http-{name}", at)
                if rows:
                    _load(owner, b, at, rows)
                tenant = b.tenant
            key = api_key_create(tenant=tenant, name="bench", scopes=list(ApiKey.Scope.values)).secret
            tenants[name] = {"tenant": tenant, "key": key}
        if not reuse:
            scoring._vacuum(owner)
    for t in tenants.values():
        with tenant_context(t["tenant"]):
            scores_run(tenant=t["tenant"], kind="recompute")
    return tenants


def run(
    *,
    duration: float = 30,
    small: int = 10_000,
    large: int = 1_000_000,
    connections: int = 8,
    redis_url: str | None = None,
    reuse: bool = False,
    only: set[str] | None = None,
) -> dict[str, Any]:
    """Every scenario (or those in ``only``) on the current database; returns each one's
    figures and the ratios."""
    if wrk_path() is None:
        raise RuntimeError(WRK_MISSING)
    redis_url = redis_url or os.environ.get("TEST_REDIS_URL") or settings.REDIS_URL
    at = datetime.now(UTC)
    tenants = setup(small=small, large=large, at=at, reuse=reuse)
    past = (at - timedelta(days=10, hours=3, minutes=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
    occurred = (at - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    def headers(name: str | None) -> dict[str, str]:
        h = {"X-Forwarded-Proto": "https"}
        if name:
            h["Authorization"] = f"Bearer {tenants[name]['key']}"
        if name:
            h["Content-Type"] = "application/json"
        return h

    list_path = f"/api/v1/survey-responses?touchpoint={TOUCHPOINT}"
    as_of_path = f"/api/v1/scores?as_of={past}"
    scenarios = [  # (name, tenant, method, path, items)
        ("healthz", None, "GET", "/healthz", 0),
        ("scores", "large", "GET", "/api/v1/scores", 0),
        ("list_small", "small", "GET", list_path, 0),
        ("list_large", "large", "GET", list_path, 0),
        ("as_of_small", "small", "GET", as_of_path, 0),
        ("as_of_large", "large", "GET", as_of_path, 0),
        ("floor_read", None, "GET", f"/bench/floor/read?tenant={tenants['large']['tenant'].pk}", 0),
        ("post_single", "ingest", "POST", "/api/v1/survey-responses", 1),
        ("floor_write", None, "POST", f"/bench/floor/write?tenant={tenants['ingest']['tenant'].pk}", 0),
        ("bulk_2", "ingest", "POST", "/api/v1/survey-responses", BULK_ITEMS),
    ]
    results: dict[str, dict[str, float]] = {}

    def load(url: str, name: str, tenant: str | None, method: str, path: str, items: int) -> None:
        results[name] = wrk_run(
            url=url,
            path=path,
            duration=duration,
            connections=connections,
            headers=headers(tenant),
            method=method,
            items=items,
            occurred=occurred,
        )

    with gunicorn(workers=2, redis_url=redis_url) as url:
        for tenant in ("small", "large"):  # every path answers before it is timed
            for path in ("/api/v1/scores", list_path, as_of_path):
                status, _ = _get(url, path, tenants[tenant]["key"])
                assert status == 200, (tenant, path, status)
        item = {"measure": "nps", "score": 9, "touchpoint": TOUCHPOINT, "occurred_at": occurred}
        status, answer = _get(url, "/api/v1/survey-responses", tenants["ingest"]["key"], item)
        assert (status, answer["created"]) == (200, 1), (status, answer)
        for scenario in scenarios:
            if only is None or scenario[0] in only:
                load(url, *scenario)
    four = [
        ("healthz_4", None, "GET", "/healthz", 0),
        ("bulk_4", "ingest", "POST", "/api/v1/survey-responses", BULK_ITEMS),
    ]
    if only is None or any(name in only for name, *_ in four):
        with gunicorn(workers=4, redis_url=redis_url) as url:
            for scenario in four:
                if only is None or scenario[0] in only:
                    load(url, *scenario)

    for name in ("bulk_2", "bulk_4"):
        if name in results:
            results[name]["rows_s"] = results[name]["req_s"] * BULK_ITEMS

    def ratio(a: float, b: float) -> float:
        return a / b if b else float("nan")  # nothing answered in time (a tiny --duration)

    ratios = {}
    for name, (a, b, figure) in RATIOS.items():
        if a in results and b in results:
            ratios[name] = ratio(results[a][figure], results[b][figure])
    return {"results": results, "ratios": ratios, "rows": {"small": small, "large": large}}


RATIOS = {  # name: (scenario, ÷ scenario, figure)
    "scores_ratio": ("scores", "healthz", "req_s"),
    "post_single_ratio": ("post_single", "healthz", "req_s"),
    # The floors: one read / one insert and commit behind the same server and middleware.
    "floor_read_ratio": ("floor_read", "healthz", "req_s"),
    "floor_write_ratio": ("floor_write", "healthz", "req_s"),
    "scores_of_floor": ("scores", "floor_read", "req_s"),
    "post_single_of_floor": ("post_single", "floor_write", "req_s"),
    "bulk_scaling": ("bulk_4", "bulk_2", "rows_s"),
    "list_growth": ("list_large", "list_small", "p50_ms"),
    "as_of_growth": ("as_of_large", "as_of_small", "p50_ms"),
    "healthz_4_over_2": ("healthz_4", "healthz", "req_s"),
}
SCENARIOS = [
    "healthz",
    "scores",
    "list_small",
    "list_large",
    "as_of_small",
    "as_of_large",
    "floor_read",
    "post_single",
    "floor_write",
    "bulk_2",
    "healthz_4",
    "bulk_4",
]


def report(r: dict[str, Any], duration: float, connections: int) -> str:
    base = {"healthz_4": r["results"]["healthz_4"]["req_s"]} if "healthz_4" in r["results"] else {}
    lines = [
        f"HTTP under wrk, {duration:g} s each, {connections} connections; gunicorn 2 workers "
        f"(the last two rows: 4); small = {r['rows']['small']} responses, large = {r['rows']['large']}",
        f"  {'scenario':<14} {'req/s':>9} {'÷ healthz':>10} {'p50 ms':>9} {'p99 ms':>9} {'errors':>7}",
    ]
    for name, x in r["results"].items():
        healthz = (
            base.get("healthz_4") if name.endswith("_4") else r["results"].get("healthz", {}).get("req_s")
        )
        extra = f"   {x['rows_s']:.0f} rows/s" if "rows_s" in x else ""
        lines.append(
            f"  {name:<14} {x['req_s']:9.1f} {x['req_s'] / healthz if healthz else float('nan'):10.3f} {x['p50_ms']:9.2f} "
            f"{x['p99_ms']:9.2f} {x['errors']:7d}{extra}"
        )
    for name, value in r["ratios"].items():
        goal = GOALS.get(name)
        verdict = ""
        if goal:
            ok = value >= goal[0] if goal[1] else value <= goal[0]
            verdict = f"  goal {'≥' if goal[1] else '≤'} {goal[0]}  {'PASS' if ok else 'FAIL'}"
        lines.append(f"  {name:<18} {value:8.3f}{verdict}")
    return "\n".join(lines)


@contextmanager
def bench_database(keep: bool = False, reuse: bool = False, name: str = BENCH_DB):
    """Create (replacing a leftover) and migrate ``name`` as the owner, act as the
    application role inside it, drop it afterwards (unless ``keep``). With ``reuse``, the
    database a ``keep`` run left is migrated to the current code and used as it is."""
    settings_dict = connection.settings_dict
    role = settings_dict["OPTIONS"].pop("assume_role", None)
    connection.close()
    if reuse:
        old_name, settings_dict["NAME"] = settings_dict["NAME"], name
        call_command("migrate", verbosity=0)
    else:
        settings_dict.setdefault("TEST", {})["NAME"] = name
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if role:
            settings_dict["OPTIONS"]["assume_role"] = role
        connection.close()
        yield
    finally:
        settings_dict["OPTIONS"].pop("assume_role", None)
        connection.close()
        if keep or reuse:
            settings_dict["NAME"] = old_name
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30, help="seconds of load per scenario")
    parser.add_argument("--small", type=int, default=10_000, help="survey responses of the small tenant")
    parser.add_argument("--large", type=int, default=1_000_000, help="survey responses of the large tenant")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--database", default=BENCH_DB, help=f"the benchmark's database (default {BENCH_DB})")
    parser.add_argument(
        "--only", help=f"comma-separated scenarios to load (default all: {','.join(SCENARIOS)})"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (the next run replaces it)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="use the database a --keep run left (migrated to this code; --small/--large must "
        "be the sizes it was loaded with); it is kept",
    )
    args = parser.parse_args()
    if wrk_path() is None:
        parser.exit(2, f"{WRK_MISSING}\n")
    only = None
    if args.only:
        only = set(args.only.split(","))
        if unknown := only - set(SCENARIOS):
            parser.error(
                f"--only: no scenario {', '.join(sorted(unknown))}; choose from {', '.join(SCENARIOS)}"
            )
    started = time.perf_counter()
    with bench_database(args.keep, args.reuse, args.database):
        r = run(
            duration=args.duration,
            small=args.small,
            large=args.large,
            connections=args.connections,
            reuse=args.reuse,
            only=only,
        )
    print(report(r, args.duration, args.connections))
    print(
        f"(whole run {time.perf_counter() - started:.0f} s, database {args.database} {'kept' if args.keep or args.reuse else 'dropped'})"
    )


if __name__ == "__main__":
    main()
