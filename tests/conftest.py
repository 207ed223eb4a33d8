"""Shared fixtures. The suite runs on the real PostgreSQL as the application's database role.

The test database is created and migrated as the owner (the login in DATABASE_URL); every
test then talks to it as ``CXGOV_DB_APP_ROLE`` through ``SET ROLE`` — exactly like the web
processes and workers — so row-level security is what a test sees.
"""

from __future__ import annotations

import io
import subprocess
import time

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.db import connections
from django.test import Client

from tenants.context import tenant_context
from tenants.models import Membership, Tenant, User
from tenants.services import department_create, member_add, tenant_create, touchpoint_create
from tests import citus_cluster
from tests.celery_worker import TaskEvents, start_worker

TEST_PASSWORD = "correct-horse-battery-staple"


def pytest_collection_modifyitems(config, items):
    """The tests marked ``citus`` run only on a Citus cluster, and only they (tests/citus_cluster.py)."""
    for item in items:
        marked = item.get_closest_marker("citus") is not None
        if marked and not citus_cluster.CITUS_URL:
            item.add_marker(pytest.mark.skip(reason=citus_cluster.NOT_A_CITUS_RUN))
        elif not marked and citus_cluster.CITUS_URL:
            item.add_marker(pytest.mark.skip(reason=citus_cluster.A_CITUS_RUN))


@pytest.fixture(scope="session")
def citus_coordinator() -> dict | None:
    """The coordinator of a Citus run (skips it when there is none to use), else None."""
    return citus_cluster.coordinator_settings() if citus_cluster.CITUS_URL else None


@pytest.fixture(scope="session")
def django_db_modify_db_settings(citus_coordinator):
    """Create and migrate the test database as the owner: drop the role for the setup."""
    for alias in connections:
        connections[alias].settings_dict.setdefault("OPTIONS", {}).pop("assume_role", None)
        connections[alias].close()
    if citus_coordinator:
        citus_cluster.use_coordinator(
            connections["default"].settings_dict, citus_coordinator, settings.TEST_RUN_ID
        )


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, citus_coordinator):
    """After creating the test database, act as the application role from now on.

    The test database alone also grants TRUNCATE to the role: transactional tests empty the
    tables with it between tests. The application itself never has that privilege.
    """
    role = settings.CXGOV_DB_APP_ROLE
    with django_db_blocker.unblock():
        connection = connections["default"]
        if citus_coordinator:
            citus_cluster.cluster_prepare(connection.settings_dict, citus_coordinator, role)
            call_command("citus_distribute", stdout=io.StringIO())
            connection.creation._destroy_test_db = lambda name, verbosity: citus_cluster.cluster_drop(
                citus_coordinator, name
            )
        with connection.cursor() as cursor:
            cursor.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{role}"')
        connection.settings_dict["OPTIONS"]["assume_role"] = role
        connection.close()
    yield
    with django_db_blocker.unblock():
        # Dropping the test database at the end is again the owner's job.
        connection.settings_dict["OPTIONS"].pop("assume_role", None)
        connection.close()


@pytest.fixture(autouse=True)
def _empty_cache():
    """Rate-limit counters live in the (Redis) cache; every test starts with none of its run's."""
    _delete_run_keys()
    yield


def _delete_run_keys() -> None:
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{settings.CACHES['default']['KEY_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture
def tenant(db) -> Tenant:
    return make_tenant("acme", "Acme Retail")


@pytest.fixture
def other_tenant(db) -> Tenant:
    return make_tenant("globex", "Globex Bank")


def make_tenant(slug: str, name: str) -> Tenant:
    tenant = tenant_create(slug=slug, name=name, time_zone="Europe/Berlin")
    department = department_create(tenant=tenant, name="Customer Service")
    touchpoint_create(
        tenant=tenant, name="Delivery", position=10, journey_stage="delivery", is_moment_of_truth=True
    )
    for role in Membership.Role.values:
        member_add(
            tenant=tenant,
            email=f"{role}@{slug}.test",
            role=role,
            password=TEST_PASSWORD,
            departments=[department] if role in ("manager", "employee") else [],
        )
    return tenant


@pytest.fixture
def in_tenant():
    """``with in_tenant(t):`` — shorthand for the tenant context in test bodies."""
    return tenant_context


def client_for(slug: str | None) -> Client:
    return Client(HTTP_HOST=f"{slug}.localhost" if slug else "localhost")


def enrol_totp(user: User) -> str:
    """Give ``user`` a TOTP authenticator; returns its secret (to compute codes)."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def signed_in(slug: str, email: str, *, recently: bool = True) -> Client:
    """A client signed in as ``email`` on ``slug``'s subdomain.

    ``recently``: the sign-in counts as within the last five minutes, so sensitive actions do
    not ask to re-authenticate first.
    """
    client = client_for(slug)
    user = User.objects.get(email=email)
    client.force_login(user)
    if recently:
        session = client.session
        # What allauth keeps after a sign-in that counts as re-authenticated (tenants.auth).
        session["account_authentication_methods"] = [
            {"method": "password", "at": time.time(), "email": email, "reauthenticated": True}
        ]
        session["account_authentication_methods_user"] = str(user.pk)
        session.save()
    return client


@pytest.fixture
def member_clients(tenant) -> dict[str, Client]:
    """One signed-in client per role in tenant acme; the admin has enrolled TOTP."""
    enrol_totp(User.objects.get(email="admin@acme.test"))
    return {role: signed_in("acme", f"{role}@acme.test") for role in Membership.Role.values}


@pytest.fixture(scope="module")
def worker_events(request, django_db_setup, django_db_blocker, tmp_path_factory):
    """A real Celery worker process for the test module, and its task events."""
    hostname = f"cxgov-{request.module.__name__.rsplit('.', 1)[-1]}-{settings.TEST_RUN_ID}@localhost"
    events = TaskEvents({hostname})
    events.start()
    work_dir = tmp_path_factory.mktemp("worker")
    log_path = work_dir / "worker.log"
    # A module names other worker settings in WORKER_SETTINGS; e-mails sent through
    # tests.metrics.mail_dir_backend land in ``events.mail_dir``.
    events.mail_dir = work_dir / "mail"
    process = start_worker(
        settings_dict=connections["default"].settings_dict,
        redis_url=settings.REDIS_URL,
        log_path=log_path,
        hostname=hostname,
        settings_module=getattr(request.module, "WORKER_SETTINGS", "cxgov.settings.test"),
        env={"CXGOV_TEST_MAIL_DIR": str(events.mail_dir)},
    )
    try:
        events.online(hostname)
        yield events
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
        events.stop()
        if process.returncode not in (0, -15):
            print(log_path.read_text())


@pytest.fixture
def worker(worker_events):
    """The running worker's events, starting from this test: earlier tests' events are forgotten."""
    worker_events.forget()
    yield worker_events
    # What the test's tasks queued after their commits (deliveries…) ends before the database
    # is emptied for the next test.
    worker_events.drain()
