"""What one tenant's work costs on a Citus cluster against one plain PostgreSQL.

Runs, in one process and side by side, on two databases of its own (``--database``, default
``cxgov_bench_citus``): one on the plain PostgreSQL of ``DATABASE_URL``, one on the Citus
coordinator of ``CXGOV_CITUS_URL`` (with its workers: the database is created on every node,
migrated, and ``manage.py citus_distribute`` places every table, as ``make test-citus`` does).
Both are created as the owner and dropped at the end (a leftover one is replaced); the
application works in them as the application role, as everywhere else. Without
``CXGOV_CITUS_URL``, or where it names no coordinator with workers, it says why and stops.

1. One tenant (8 touchpoints, the duration measures, 20 active commitments, as in
   ``bench.scoring``): ``--signals`` signals (five survey responses to one service event)
   through :func:`feedback.ingest.services.signals_ingest` in batches of ``--batch`` items, batch by
   batch alternately on the two servers; then its recompute (:func:`metrics.services.scores_run`,
   kind ``recompute``: the engine on the rollups, the run and its snapshots stored, breaches
   compared), median of ``--repeats`` interleaved runs after a warm-up. Ratios: cluster ÷ plain
   (time; lower is better). The two servers' scores must be equal, or the run fails.
2. The same tenant's recompute and one API read (``GET /api/v1/scores`` through Django's test
   ``Client`` with a ``scores:read`` key: authentication, throttling, the engine, JSON) as the
   databases hold ``--tenants`` tenants (default 1, 10, 100, 1000): the others are created by
   SQL as the owner, each with a department, a touchpoint, the ``nps`` measure and
   ``--rows-per-tenant`` survey responses (the audit and rollup triggers fire as on any insert).
   Goal: flat, cost at the last step ÷ cost at the first ≤ 1.1 on the cluster (the plain
   server's ratio is shown beside it).

    DEBUG=false CXGOV_CITUS_URL=postgres://postgres@127.0.0.1:5440/postgres \\
        .venv/bin/python -m bench.citus [--signals 100000 --batch 1000 --repeats 15]
"""

from __future__ import annotations

import argparse
import copy
import io
import json
import logging
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
import pytest  # noqa: E402
from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connections  # noqa: E402
from django.db.utils import load_backend  # noqa: E402
from django.test import Client  # noqa: E402

from bench.scoring import DURATIONS, SURVEY_KEYS, Bench, _setup  # noqa: E402
from feedback.ingest import items as ingest_items  # noqa: E402
from feedback.ingest import services as ingest_services  # noqa: E402
from metrics.engine import scores_compute  # noqa: E402
from metrics.services import scores_run  # noqa: E402
from tenants.context import tenant_context  # noqa: E402
from tenants.models import Touchpoint  # noqa: E402
from tenants.services import api_key_create  # noqa: E402
from tests import citus_cluster  # noqa: E402

BENCH_DB = "cxgov_bench_citus"
SERVERS = ("plain", "cluster")
CONNECTION_KEYS = ("NAME", "USER", "PASSWORD", "HOST", "PORT")
CROWD_PREFIX = "bench-crowd-"
GOAL_FLAT = 1.1
SURVEY_PER_EVENT = 5  # of every six batches, five of survey responses and one of service events


def cluster_unavailable() -> str | None:
    """Why the benchmark cannot run here (no coordinator to use), or None."""
    if not os.environ.get("CXGOV_CITUS_URL"):
        return (
            "CXGOV_CITUS_URL is unset: name a Citus coordinator database with its workers, e.g. "
            "CXGOV_CITUS_URL=postgres://postgres@127.0.0.1:5440/postgres"
        )
    try:
        citus_cluster.coordinator_settings()
    except pytest.skip.Exception as skipped:  # no extension, no worker, no connection
        return str(skipped.msg)
    return None


# --- The two databases --------------------------------------------------------------------------


@dataclass
class Server:
    label: str
    wrapper: Any  # the Django connection working in this server's database
    owner: str  # conninfo of the same database as its owner
    bench: Bench | None = None
    client: Client | None = None


def _use(server: Server) -> None:
    """Route Django's default connection (the ORM, the services, the test Client) to ``server``.
    Each server keeps its own connection open, so switching costs no reconnect."""
    connections["default"] = server.wrapper


@contextmanager
def bench_databases(name: str) -> Iterator[dict[str, Server]]:
    """Create and migrate ``name`` on both servers as the owner (the cluster's on every node,
    distributed), yield a :class:`Server` each, working as the application role; drop both."""
    coordinator = citus_cluster.coordinator_settings()
    original = connections["default"]
    settings_dict = original.settings_dict
    base = {key: settings_dict[key] for key in CONNECTION_KEYS}
    role = settings_dict["OPTIONS"].pop("assume_role", None)
    settings_dict.setdefault("TEST", {})["NAME"] = name
    made: dict[str, dict] = {}
    try:
        original.close()
        original.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        made["plain"] = copy.deepcopy(settings_dict)
        original.close()
        citus_cluster.cluster_drop(coordinator, name)  # a leftover: DROP … FORCE on every node
        settings_dict.update({key: coordinator[key] for key in CONNECTION_KEYS})
        original.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        made["cluster"] = copy.deepcopy(settings_dict)
        citus_cluster.cluster_prepare(settings_dict, coordinator, role)
        call_command("citus_distribute", stdout=io.StringIO())
        original.close()
        servers = {}
        for label in SERVERS:
            server_settings = copy.deepcopy(made[label])
            owner = psycopg.conninfo.make_conninfo(
                dbname=server_settings["NAME"],
                user=server_settings["USER"] or None,
                host=server_settings["HOST"] or None,
                port=server_settings["PORT"] or None,
                password=server_settings["PASSWORD"] or None,
            )
            if role:
                server_settings["OPTIONS"]["assume_role"] = role
            backend = load_backend(server_settings["ENGINE"])
            servers[label] = Server(label, backend.DatabaseWrapper(server_settings, "default"), owner)
        yield servers
    finally:
        for server in locals().get("servers", {}).values():
            server.wrapper.close()
        connections["default"] = original
        original.close()
        if "cluster" in made:
            citus_cluster.cluster_drop(coordinator, name)
        if "plain" in made:
            settings_dict.update({key: made["plain"][key] for key in CONNECTION_KEYS})
            original.creation.destroy_test_db(base["NAME"], verbosity=0)
        settings_dict.update(base)
        if role:
            settings_dict["OPTIONS"]["assume_role"] = role


# --- Measurements -------------------------------------------------------------------------------


def _nodes(servers: dict[str, Server]) -> dict[str, list[tuple[str, int]]]:
    """Each server's nodes: the plain server, the coordinator and its workers."""
    found = {}
    for label, server in servers.items():
        info = psycopg.conninfo.conninfo_to_dict(server.owner)
        found[label] = [(info.get("host") or "localhost", int(info.get("port") or 5432))]
        if label == "cluster":
            found[label] += list(citus_cluster.coordinator_settings()["WORKERS"])
    return found


def _in_turn(number: int) -> tuple[str, ...]:
    return SERVERS if number % 2 == 0 else SERVERS[::-1]


def _items(kind: str, number: int, batch: int, at: datetime, slugs: list[str]) -> list[dict[str, Any]]:
    """Batch ``number``'s items (the same on both servers): a week of signals before ``at``."""
    out = []
    for i in range(batch):
        k = number * batch + i
        item: dict[str, Any] = {
            "occurred_at": (at - timedelta(seconds=(k * 7919) % (7 * 86400))).isoformat(),
            "touchpoint": slugs[k % len(slugs)],
            "external_id": f"{kind}-{k}",
        }
        if kind == "survey_responses":
            item |= {"measure": SURVEY_KEYS[k % 3], "score": k % 5 + 1}
        else:
            key, _, _, longest = DURATIONS[k % len(DURATIONS)]
            item |= {"measure": key, "duration_seconds": (k * 104729) % longest}
        out.append(item)
    return out


def _ingest(servers: dict[str, Server], at: datetime, signals: int, batch: int) -> dict[str, float]:
    """Seconds each server takes for ``signals`` signals in batches of ``batch``, batch by batch
    alternately (the order flips every batch)."""
    keys, slugs = {}, []
    for server in servers.values():
        _use(server)
        keys[server.label] = api_key_create(
            tenant=server.bench.tenant, name="bench ingest", scopes=["feedback:write"]
        ).api_key
        with tenant_context(server.bench.tenant):
            slugs = list(
                Touchpoint.objects.filter(pk__in=server.bench.touchpoints)
                .order_by("position")
                .values_list("slug", flat=True)
            )
    seconds: dict[str, float] = defaultdict(float)
    for number in range((signals + batch - 1) // batch):
        kind = "service_events" if number % (SURVEY_PER_EVENT + 1) == SURVEY_PER_EVENT else "survey_responses"
        payload = _items(kind, number, min(batch, signals - number * batch), at, slugs)
        for label in _in_turn(number):
            server = servers[label]
            _use(server)
            started = time.perf_counter()
            results = ingest_services.signals_ingest(
                tenant=server.bench.tenant, kind=kind, items=payload, source=keys[label]
            )
            seconds[label] += time.perf_counter() - started
            if any(r.status != "created" for r in results):
                bad = next(r for r in results if r.status != "created")
                raise RuntimeError(f"{label}: ingest rejected an item: {bad.status} {bad.errors}")
    return dict(seconds)


def _medians(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds of each function: one warm-up each, then ``repeats`` interleaved rounds
    (the order rotates every round)."""
    names = list(fns)
    for name in names:
        fns[name]()
    samples: dict[str, list[float]] = defaultdict(list)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            started = time.perf_counter()
            fns[name]()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(samples[name]) for name in names}


def _recompute(server: Server, at: datetime) -> Callable[[], None]:
    def recompute() -> None:
        _use(server)
        with tenant_context(server.bench.tenant):
            if scores_run(tenant=server.bench.tenant, kind="recompute", at=at) is None:
                raise RuntimeError(f"{server.label}: the recompute found the scoring lock taken")

    return recompute


def _read(server: Server) -> Callable[[], None]:
    def read() -> None:
        _use(server)
        response = server.client.get("/api/v1/scores")
        if response.status_code != 200:
            raise RuntimeError(f"{server.label}: GET /api/v1/scores answered {response.status_code}")

    return read


def _same_scores(servers: dict[str, Server], at: datetime) -> int:
    """The engine's scores of the bench tenant, equal on both servers; returns commitments compared."""
    seen = {}
    for server in servers.values():
        _use(server)
        with tenant_context(server.bench.tenant):
            result = scores_compute(tenant=server.bench.tenant, at=at, source="rollup")
        seen[server.label] = (
            result["tenant"],
            sorted((c["id"], c["n"], c["actual"], c["score"]) for c in result["commitments"]),
        )
    if seen["plain"] != seen["cluster"]:
        raise AssertionError(f"the cluster's scores differ from the plain server's: {seen}")
    return len(seen["plain"][1])


_CROWD = (
    """
    INSERT INTO tenants_tenant (slug, name, time_zone, status, perception_gap_threshold, created_at)
    SELECT %(prefix)s || g, 'Crowd ' || g, 'UTC', 'active', 20, now() FROM generate_series(%(first)s::int, %(last)s::int) g
    """,
    """
    INSERT INTO tenants_department (tenant_id, name, slug, created_at)
    SELECT id, 'Operations', 'operations', now() FROM tenants_tenant WHERE id > %(mark)s
    """,
    """
    INSERT INTO tenants_touchpoint (tenant_id, name, slug, position, journey_stage, is_moment_of_truth, created_at)
    SELECT id, 'Delivery', 'delivery', 1, '', false, now() FROM tenants_tenant WHERE id > %(mark)s
    """,
    """
    INSERT INTO promises_measure
        (tenant_id, key, name, kind, unit, is_builtin, created_at, direction, perspective)
    SELECT id, 'nps', 'Net Promoter Score', 'survey', '', true, now(), 'higher_is_better', 'perceived'
      FROM tenants_tenant WHERE id > %(mark)s
    """,
    """
    INSERT INTO feedback_surveyresponse
        (tenant_id, occurred_at, source_kind, source_id, external_id, created_at,
         measure_id, score, touchpoint_id, segment, respondent_ref, comment)
    SELECT m.tenant_id, now() - g * interval '1 hour', 'api_key', 0, NULL, now(),
           m.id, g %% 11, t.id, '{}'::jsonb, '', ''
      FROM promises_measure m
      JOIN tenants_touchpoint t ON t.tenant_id = m.tenant_id
     CROSS JOIN generate_series(1, %(rows)s::int) g
     WHERE m.tenant_id > %(mark)s
    """,
)


def _crowd(server: Server, first: int, last: int, rows: int) -> None:
    """Tenants ``first``…``last`` of the crowd, a few rows each, by SQL as the owner."""
    with psycopg.connect(server.owner, autocommit=True) as owner:
        mark = owner.execute("SELECT coalesce(max(id), 0) FROM tenants_tenant").fetchone()[0]
        with owner.transaction():
            for statement in _CROWD:
                owner.execute(
                    statement,
                    {"prefix": CROWD_PREFIX, "first": first, "last": last, "rows": rows, "mark": mark},
                )
        for table in (
            "tenants_tenant",
            "feedback_surveyresponse",
            "metrics_surveyrollup",
            "tenants_auditevent",
        ):
            owner.execute(f"VACUUM ANALYZE {table}")


SETTLE_TABLES = (
    "feedback_surveyresponse",
    "feedback_serviceevent",
    "metrics_surveyrollup",
    "metrics_serviceeventrollup",
    "metrics_serviceeventwithinrollup",
    "metrics_surveymonthrollup",
    "metrics_serviceeventmonthrollup",
    "metrics_serviceeventwithinmonthrollup",
    "tenants_auditevent",
)


def _settle(server: Server, nodes: list[tuple[str, int]]) -> None:
    """After a load: statistics and visibility maps for what it wrote (a VACUUM on the
    coordinator reaches every shard), then a checkpoint on every node, so that measurements
    do not share the machine with the flushing of the load's pages."""
    with psycopg.connect(server.owner, autocommit=True) as owner:
        for table in SETTLE_TABLES:
            owner.execute(f"VACUUM ANALYZE {table}")
    dbname = psycopg.conninfo.conninfo_to_dict(server.owner)["dbname"]
    for host, port in nodes:
        with psycopg.connect(server.owner, host=host, port=port, dbname=dbname, autocommit=True) as node:
            node.execute("CHECKPOINT")


def run(
    signals: int = 100_000,
    batch: int = 1000,
    repeats: int = 15,
    tenants: tuple[int, ...] = (1, 10, 100, 1000),
    rows_per_tenant: int = 20,
    database: str = BENCH_DB,
) -> dict[str, Any]:
    """Every measurement (both servers must be reachable: see :func:`cluster_unavailable`)."""
    at = datetime.now(UTC).replace(microsecond=0)
    result: dict[str, Any] = {}
    with bench_databases(database) as servers:
        nodes = _nodes(servers)
        for server in servers.values():
            _use(server)
            server.bench = _setup("main", at - timedelta(hours=1))
            issued = api_key_create(tenant=server.bench.tenant, name="bench read", scopes=["scores:read"])
            server.client = Client(
                HTTP_HOST=settings.CXGOV_BASE_DOMAIN, HTTP_AUTHORIZATION=f"Bearer {issued.secret}"
            )
        # 1. Ingest, then the recompute.
        result["ingest"] = _ingest(servers, at - timedelta(hours=1), signals, batch)
        for server in servers.values():
            _settle(server, nodes[server.label])
        result["commitments_compared"] = _same_scores(servers, at)
        result["recompute"] = _medians({label: _recompute(s, at) for label, s in servers.items()}, repeats)

        # 2. As the databases hold more tenants.
        result["tenants"] = []
        held = 1
        for count in tenants:
            if count > held:
                for server in servers.values():
                    _crowd(server, held, count - 1, rows_per_tenant)
                    _settle(server, nodes[server.label])
                held = count
            fns: dict[str, Callable[[], None]] = {}
            for label, server in servers.items():
                fns[f"recompute_{label}"] = _recompute(server, at)
                fns[f"read_{label}"] = _read(server)
            result["tenants"].append((count, _medians(fns, repeats)))
        result["commitments_compared"] += _same_scores(servers, at)
    ingest, recompute = result["ingest"], result["recompute"]
    first, last = result["tenants"][0][1], result["tenants"][-1][1]
    result["ratios"] = {
        "ingest_cluster_over_plain": ingest["cluster"] / ingest["plain"],
        "recompute_cluster_over_plain": recompute["cluster"] / recompute["plain"],
        **{
            f"{what}_{label}_flat": last[f"{what}_{label}"] / first[f"{what}_{label}"]
            for what in ("recompute", "read")
            for label in SERVERS
        },
    }
    return result


def verdicts(ratios: dict[str, float]) -> dict[str, bool]:
    return {name: ratios[name] <= GOAL_FLAT for name in ("recompute_cluster_flat", "read_cluster_flat")}


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    ms = lambda s: f"{s * 1000:8.1f}"  # noqa: E731
    ratios, ok = r["ratios"], verdicts(r["ratios"])
    flag = lambda name: "PASS" if ok[name] else "FAIL"  # noqa: E731
    rate = lambda label: args.signals / r["ingest"][label]  # noqa: E731
    lines = [
        f"1. one tenant: ingest of {args.signals} signals in batches of {args.batch} through signals_ingest",
        f"   plain {r['ingest']['plain']:7.1f} s ({rate('plain'):7.0f}/s) · cluster {r['ingest']['cluster']:7.1f} s "
        f"({rate('cluster'):7.0f}/s) · cluster ÷ plain {ratios['ingest_cluster_over_plain']:.2f}×",
        f"   recompute (scores_run, median of {args.repeats}, ms): plain {ms(r['recompute']['plain'])} · "
        f"cluster {ms(r['recompute']['cluster'])} · cluster ÷ plain {ratios['recompute_cluster_over_plain']:.2f}×",
        "2. the same tenant as the databases hold more tenants (median, ms)",
        "   tenants   recompute plain  recompute cluster  (÷ plain)   API read plain  API read cluster  (÷ plain)",
    ]
    for count, t in r["tenants"]:
        lines.append(
            f"   {count:>7}   {ms(t['recompute_plain'])}         {ms(t['recompute_cluster'])}      "
            f"{t['recompute_cluster'] / t['recompute_plain']:5.2f}×     {ms(t['read_plain'])}         "
            f"{ms(t['read_cluster'])}      {t['read_cluster'] / t['read_plain']:5.2f}×"
        )
    lines += [
        f"   last ÷ first: recompute cluster {ratios['recompute_cluster_flat']:.2f}× (goal ≤ {GOAL_FLAT}×) "
        f"{flag('recompute_cluster_flat')}, plain {ratios['recompute_plain_flat']:.2f}× · "
        f"API read cluster {ratios['read_cluster_flat']:.2f}× (goal ≤ {GOAL_FLAT}×) {flag('read_cluster_flat')}, "
        f"plain {ratios['read_plain_flat']:.2f}×",
        f"   the same against the plain server's drift (cluster ÷ plain, last ÷ first): recompute "
        f"{ratios['recompute_cluster_flat'] / ratios['recompute_plain_flat']:.2f}×, API read "
        f"{ratios['read_cluster_flat'] / ratios['read_plain_flat']:.2f}×",
        f"scores equal on both servers for all {r['commitments_compared']} commitment comparisons",
    ]
    return "\n".join(lines)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--signals", type=int, default=100_000, help="signals ingested into the tenant")
    parser.add_argument("--batch", type=int, default=1000, help="items per signals_ingest batch")
    parser.add_argument("--repeats", type=int, default=15, help="timed runs per median")
    parser.add_argument("--tenants", default="1,10,100,1000", help="tenants the databases hold, step by step")
    parser.add_argument(
        "--rows-per-tenant", type=int, default=20, help="survey responses of each other tenant"
    )
    parser.add_argument("--database", default=BENCH_DB, help="name of the database made on both servers")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    if not 1 <= args.batch <= ingest_items.MAX_BATCH_ITEMS:
        parser.error(f"--batch must be between 1 and {ingest_items.MAX_BATCH_ITEMS}")
    steps = _ints(args.tenants)
    if not steps or steps[0] < 1 or list(steps) != sorted(set(steps)):
        parser.error("--tenants must be increasing counts of at least 1, e.g. 1,10,100,1000")
    if args.signals < 1 or args.repeats < 1 or args.rows_per_tenant < 0:
        parser.error("--signals and --repeats must be at least 1, --rows-per-tenant at least 0")
    logging.disable(logging.INFO)  # a log line per request and per recompute
    reason = cluster_unavailable()
    if reason:
        print(f"skipped: {reason}", file=sys.stderr)
        sys.exit(0)
    started = time.perf_counter()
    r = run(
        signals=args.signals,
        batch=args.batch,
        repeats=args.repeats,
        tenants=steps,
        rows_per_tenant=args.rows_per_tenant,
        database=args.database,
    )
    if args.json:
        print(json.dumps(r))
    else:
        print(report(r, args))
        print(
            f"(whole run {time.perf_counter() - started:.0f} s, database {args.database} "
            "made on both servers and dropped)"
        )


if __name__ == "__main__":
    main()
