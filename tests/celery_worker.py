"""A real Celery worker process for tests, and an event-driven way to wait for its tasks.

The worker runs the project's own code in its own process, against the test database (as
the application role) and the test Redis. Tests learn what it did from Celery's task events
(``-E``), not by sleeping and polling.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from celery.events.receiver import EventReceiver

from cxgov.celery import app

ROOT = Path(__file__).resolve().parent.parent
FINAL_STATES = ("task-succeeded", "task-failed", "task-rejected", "task-revoked")


class _Receiver(EventReceiver):
    def __init__(self, *args, ready: threading.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self._ready = ready

    def on_consume_ready(self, *args, **kwargs):
        super().on_consume_ready(*args, **kwargs)
        self._ready.set()


@dataclass
class TaskEvents:
    """Collects the Celery events of the workers named ``hostnames`` (``watch`` adds one) in a
    queue, from a background thread. Any other worker's events are dropped: a test waits for
    what *its* worker did, whatever else shares the broker."""

    hostnames: set[str] = field(default_factory=set)
    events: queue.Queue = field(default_factory=queue.Queue)
    seen: list[dict] = field(default_factory=list)

    def watch(self, hostname: str) -> None:
        self.hostnames.add(hostname)

    def _collect(self, event: dict) -> None:
        if event.get("hostname") in self.hostnames:
            self.events.put(event)

    def start(self) -> None:
        ready = threading.Event()
        self._connection = app.connection_for_read()
        self._receiver = _Receiver(self._connection, handlers={"*": self._collect}, app=app, ready=ready)
        self._thread = threading.Thread(target=self._receiver.capture, kwargs={"limit": None}, daemon=True)
        self._thread.start()
        if not ready.wait(30):
            raise RuntimeError("could not subscribe to Celery events within 30 s")

    def stop(self) -> None:
        self._receiver.should_stop = True
        self._thread.join(10)
        self._connection.release()

    def forget(self) -> None:
        """Drop every event received so far (a test starts from a clean slate)."""
        self.seen.clear()
        while True:
            try:
                self.events.get_nowait()
            except queue.Empty:
                return

    def wait(self, predicate, timeout: float = 60.0) -> dict:
        """The first event (already seen or still to come) for which ``predicate`` is true."""
        for event in self.seen:
            if predicate(event):
                return event
        deadline = time.monotonic() + timeout
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                break
            self.seen.append(event)
            if predicate(event):
                return event
        raise AssertionError(
            f"no matching Celery event within {timeout} s; saw {[e['type'] for e in self.seen][-20:]}"
        )

    def outcome(self, task_id: str, timeout: float = 60.0) -> dict:
        return self.wait(lambda e: e.get("uuid") == task_id and e["type"] in FINAL_STATES, timeout)

    def finish(self, name: str, count: int, timeout: float = 120.0) -> list[dict]:
        """Wait for ``count`` more runs of the task ``name`` (each received, then its final
        event), not counting runs an earlier call followed; returns their outcomes."""
        followed = self.__dict__.setdefault("_followed", set())
        outcomes = []
        for _ in range(count):
            received = self.wait(
                lambda e: (
                    e["type"] == "task-received" and e.get("name") == name and e["uuid"] not in followed
                ),
                timeout,
            )
            followed.add(received["uuid"])
            outcomes.append(self.outcome(received["uuid"], timeout))
        return outcomes

    def drain(self, timeout: float = 120.0) -> None:
        """Wait until the worker has nothing left: a no-op task sent now finishes with no other
        task received meanwhile (tasks queued by earlier tasks' commits included). The solo
        worker runs tasks in order, so everything received before the no-op is done too."""
        while True:
            start = len(self.seen)
            sentinel = app.send_task("celery.accumulate", args=[None])
            self.outcome(sentinel.id, timeout)
            if not [
                e
                for e in self.seen[start:]
                if e["type"] == "task-received" and e.get("name") != "celery.accumulate"
            ]:
                return

    def answering(self, hostname: str, timeout: float = 90.0) -> dict:
        """Wait for a heartbeat of ``hostname`` after it came online: its event loop runs, so it
        answers pings (``worker-online`` is sent before the control consumer listens)."""
        first = self.online(hostname, timeout)
        return self.wait(
            lambda e: (
                e["type"] == "worker-heartbeat"
                and e["hostname"] == hostname
                and e["timestamp"] > first["timestamp"]
            ),
            timeout,
        )

    def online(self, hostname: str, timeout: float = 90.0) -> dict:
        """Wait until the worker ``hostname`` is up (and watch it)."""
        self.watch(hostname)
        return self.wait(
            lambda e: e["type"] in ("worker-online", "worker-heartbeat") and e["hostname"] == hostname,
            timeout,
        )


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict["USER"] or "", safe="")
    password = quote(settings_dict["PASSWORD"] or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = quote(settings_dict["HOST"] or "", safe="")
    port = f":{settings_dict['PORT']}" if settings_dict["PORT"] else ""
    return f"postgres://{credentials}{host}{port}/{settings_dict['NAME']}"


def _environment(
    settings_dict: dict, redis_url: str, settings_module: str, env: dict[str, str | None] | None
) -> dict[str, str]:
    extra = env or {}
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": database_url(settings_dict),
        "TEST_REDIS_URL": redis_url,
    }
    environment.update({k: v for k, v in extra.items() if v is not None})
    for k in [k for k, v in extra.items() if v is None]:
        environment.pop(k, None)
    return environment


def _start(args: list[str], environment: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115 - stays open for the process's life
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "cxgov", *args],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def start_worker(
    *,
    settings_dict: dict,
    redis_url: str,
    log_path: Path,
    hostname: str,
    settings_module: str = "cxgov.settings.test",
    env: dict[str, str | None] | None = None,
) -> subprocess.Popen:
    """Start a worker; ``env`` adds variables to the process's environment (``None`` removes one)."""
    return _start(
        ["worker", "-E", "--pool", "solo", "--loglevel", "INFO", "--hostname", hostname]
        + ["--without-mingle", "--without-gossip"],
        _environment(settings_dict, redis_url, settings_module, env),
        log_path,
    )


def start_beat(
    *,
    settings_dict: dict,
    redis_url: str,
    log_path: Path,
    schedule_path: Path,
    settings_module: str,
    env: dict[str, str | None] | None = None,
) -> subprocess.Popen:
    """Start Celery beat with the schedule of ``settings_module`` (its state in ``schedule_path``)."""
    return _start(
        ["beat", "--loglevel", "INFO", "--schedule", str(schedule_path)],
        _environment(settings_dict, redis_url, settings_module, env),
        log_path,
    )


def stop(process: subprocess.Popen | None) -> None:
    """Terminate ``process`` if it still runs; kill it when it does not stop within 20 s."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
