"""How much the tenancy layer costs on the hottest path: one small read by primary key.

Runs, side by side on the same database and connection settings:
- raw: psycopg, one prepared ``SELECT ... WHERE tenant_id = %s AND id = %s``, the session
  setting made once (the floor: what any correct RLS setup must pay);
- orm plain: ``Tenant.objects.filter(pk=...).first()`` — the same ORM work on a table with
  no tenancy at all (Django's own cost);
- orm tenant: ``Department.objects.filter(pk=...).first()`` through the tenant manager, the
  backend's session-setting wrapper and row-level security, alternating between two
  tenants every ``switch_every`` queries (a worker serving several tenants).

Prints reads/s for each and two ratios (higher is better; 1.0 = no overhead): tenant ORM ÷
plain ORM (what the tenancy layer costs) and tenant ORM ÷ raw (what the whole stack costs).

    DJANGO_SETTINGS_MODULE=cxgov.settings.dev .venv/bin/python -m bench.tenant_overhead [--queries 5000]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402

from bench.owner import owner_conninfo  # noqa: E402
from tenants.context import tenant_context  # noqa: E402
from tenants.models import Department, Tenant  # noqa: E402
from tenants.services import department_create, tenant_create  # noqa: E402


def _tenants() -> list[Tenant]:
    out = []
    for slug in ("bench-a", "bench-b"):
        tenant = Tenant.objects.filter(slug=slug).first() or tenant_create(slug=slug, name=slug)
        with tenant_context(tenant):
            if not Department.objects.exists():
                department_create(tenant=tenant, name="Bench")
        out.append(tenant)
    return out


def run(queries: int, switch_every: int = 50) -> dict[str, float]:
    tenants = _tenants()
    targets = []
    for tenant in tenants:
        with tenant_context(tenant):
            targets.append((tenant, Department.objects.values_list("pk", flat=True).first()))

    settings_dict = connection.settings_dict
    with psycopg.connect(owner_conninfo(), autocommit=True) as raw:
        raw.execute(f"SET ROLE {settings_dict['OPTIONS']['assume_role']}")
        tenant, pk = targets[0]
        raw.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant.pk)])
        started = time.perf_counter()
        for _ in range(queries):
            raw.execute(
                "SELECT id, name, slug FROM tenants_department WHERE tenant_id = %s AND id = %s LIMIT 1",
                [tenant.pk, pk],
                prepare=True,
            ).fetchone()
        raw_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for i in range(queries):
        Tenant.objects.filter(pk=targets[(i // switch_every) % len(targets)][0].pk).first()
    plain_seconds = time.perf_counter() - started

    started = time.perf_counter()
    for i in range(queries):
        tenant, pk = targets[(i // switch_every) % len(targets)]
        with tenant_context(tenant):
            Department.objects.filter(pk=pk).first()
    orm_seconds = time.perf_counter() - started
    return {
        "raw_reads_per_s": queries / raw_seconds,
        "plain_orm_reads_per_s": queries / plain_seconds,
        "orm_reads_per_s": queries / orm_seconds,
        "tenancy_ratio": plain_seconds / orm_seconds,
        "stack_ratio": raw_seconds / orm_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=5000)
    parser.add_argument("--switch-every", type=int, default=50)
    args = parser.parse_args()
    result = run(args.queries, args.switch_every)
    print(
        f"raw {result['raw_reads_per_s']:.0f} reads/s · plain ORM {result['plain_orm_reads_per_s']:.0f} reads/s · "
        f"tenant ORM {result['orm_reads_per_s']:.0f} reads/s\n"
        f"tenant ORM ÷ plain ORM {result['tenancy_ratio']:.2f} · tenant ORM ÷ raw {result['stack_ratio']:.2f}"
    )


if __name__ == "__main__":
    main()
