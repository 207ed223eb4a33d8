"""The test database on a Citus cluster, for the tests marked ``citus``.

``CXGOV_CITUS_URL`` names a database on the coordinator that has the ``citus`` extension and
its workers registered (``citus_add_node``), e.g. ``postgres://postgres@127.0.0.1:5440/postgres``.
When it is set, the run is a Citus run (``make test-citus``): the test database is created on
that coordinator, the same database with the extension on every worker, the coordinator and
the workers registered in it; then ``migrate`` and ``manage.py citus_distribute``, and the tests
run as the application role like everywhere else. The other tests are skipped in such a run,
and the Citus tests in any other run.
"""

from __future__ import annotations

import os
from contextlib import closing

import environ
import psycopg
import pytest
from psycopg import sql

CITUS_URL = os.environ.get("CXGOV_CITUS_URL", "")
NOT_A_CITUS_RUN = "needs a Citus coordinator: set CXGOV_CITUS_URL (make test-citus, see README)"
A_CITUS_RUN = "CXGOV_CITUS_URL is set: this run is for the tests marked citus only (make test-citus)"


def _connect(settings: dict, dbname: str, host: str | None = None, port: int | None = None):
    return psycopg.connect(
        host=host or settings["HOST"],
        port=port or settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname=dbname,
        autocommit=True,
    )


def coordinator_settings() -> dict:
    """The connection settings of ``CXGOV_CITUS_URL``; skips the run when it is no coordinator."""
    config = environ.Env.db_url_config(CITUS_URL)
    try:
        with closing(_connect(config, config["NAME"])) as conn:
            if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'").fetchone() is None:
                pytest.skip(f"CXGOV_CITUS_URL: database {config['NAME']!r} has no citus extension")
            workers = conn.execute(
                "SELECT node_name, node_port FROM citus_get_active_worker_nodes()"
            ).fetchall()
    except psycopg.OperationalError as error:
        pytest.skip(f"CXGOV_CITUS_URL: cannot connect to the coordinator ({error})")
    if not workers:
        pytest.skip(f"CXGOV_CITUS_URL: no active worker registered in {config['NAME']!r} (citus_add_node)")
    config["WORKERS"] = sorted(workers)
    return config


def use_coordinator(settings_dict: dict, coordinator: dict, run_id: str) -> None:
    """Point Django's connection at the coordinator; the test database gets a name of its own."""
    for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT"):
        settings_dict[key] = coordinator[key]
    settings_dict["TEST"]["NAME"] = f"test_cxgov_citus_{run_id}"


def cluster_prepare(settings_dict: dict, coordinator: dict, app_role: str) -> None:
    """Make the (migrated) test database a Citus database on every node."""
    name = settings_dict["NAME"]  # the test database's, once Django created it
    for host, port in coordinator["WORKERS"]:
        with closing(_connect(coordinator, "postgres", host, port)) as conn:
            # CREATE DATABASE on the coordinator reaches the workers only where Citus propagates it.
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            # Citus connects to the workers as the current role: the application role logs in.
            if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [app_role]).fetchone() is None:
                conn.execute(
                    sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS").format(sql.Identifier(app_role))
                )
        with closing(_connect(coordinator, name, host, port)) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
    with closing(_connect(coordinator, name)) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS citus")
        conn.execute(
            "SELECT citus_set_coordinator_host(%s, %s)", [coordinator["HOST"], int(coordinator["PORT"])]
        )
        for host, port in coordinator["WORKERS"]:
            known = conn.execute(
                "SELECT 1 FROM pg_dist_node WHERE nodename = %s AND nodeport = %s", [host, port]
            ).fetchone()
            if known is None:
                conn.execute("SELECT citus_add_node(%s, %s)", [host, port])


def cluster_drop(coordinator: dict, name: str) -> None:
    """Drop the test database on every node. FORCE: each node's Citus maintenance daemon keeps a
    connection to it, which a plain DROP DATABASE waits for in vain."""
    nodes = [(coordinator["HOST"], coordinator["PORT"]), *coordinator["WORKERS"]]
    for host, port in nodes:
        with closing(_connect(coordinator, "postgres", host, port)) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
