"""Where every table goes on Citus, computed from the models.

- every :class:`tenants.models.TenantModel` table is *distributed* by ``tenant_id``, all in
  one colocation group (the first one's), so a tenant's rows of every table sit on the same
  node and joins, foreign keys and triggers between them stay on that node;
- every global table a tenant table references — directly or through another global table —
  is a *reference* table, copied to every node, so the foreign keys from the tenant shards can
  be enforced where the shards are (``tenants_tenant``, the users);
- every other table stays a plain table on the coordinator (sessions, sign-in bookkeeping,
  Django's own tables): no tenant table joins or references it, and a reference table would
  make each of its writes a two-phase commit on every node.

Tables are placed in dependency order: reference tables first, then the tenant tables with
every table a tenant table references before it (Citus distributes a table only when the
tables its foreign keys point at are already distributed or reference tables).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db import models

from tenants.keys import TENANT_COLUMN
from tenants.models import TenantModel

DISTRIBUTED = "distributed"
REFERENCE = "reference"
LOCAL = "local"

LOCAL_REASON = "global, and no tenant table references it: stays on the coordinator"


@dataclass(frozen=True)
class Placement:
    table: str
    kind: str
    colocate_with: str = ""  # distributed tables: the table whose colocation group it joins
    reason: str = ""


def _models() -> list[type[models.Model]]:
    """Every concrete table the application owns, many-to-many tables included."""
    found = [m for m in apps.get_models(include_auto_created=True) if m._meta.managed and not m._meta.proxy]
    return sorted(found, key=lambda m: m._meta.db_table)


def _is_tenant(model: type[models.Model]) -> bool:
    return issubclass(model, TenantModel)


def _references(model: type[models.Model]) -> list[type[models.Model]]:
    """The tables ``model``'s foreign keys point at (itself excluded), in table order."""
    targets = {
        field.related_model._meta.concrete_model
        for field in model._meta.local_concrete_fields
        if field.many_to_one or field.one_to_one
        if field.related_model is not None and field.related_model._meta.concrete_model is not model
    }
    return sorted(targets, key=lambda m: m._meta.db_table)


def _in_dependency_order(members: list[type[models.Model]]) -> list[type[models.Model]]:
    """``members`` with every referenced member before the members referencing it."""
    member_set = set(members)
    placed: list[type[models.Model]] = []
    done: set[type[models.Model]] = set()
    visiting: set[type[models.Model]] = set()

    def visit(model):
        if model in done:
            return
        if model in visiting:
            raise ValueError(
                f"foreign keys form a cycle through {model._meta.db_table}; Citus cannot place it"
            )
        visiting.add(model)
        for target in _references(model):
            if target in member_set:
                visit(target)
        visiting.discard(model)
        done.add(model)
        placed.append(model)

    for model in members:
        visit(model)
    return placed


def distribution_plan() -> list[Placement]:
    """Every table of the models, in the order to place them (see the module docs)."""
    everything = _models()
    tenant = [m for m in everything if _is_tenant(m)]
    for model in tenant:
        if not any(f.column == TENANT_COLUMN for f in model._meta.local_concrete_fields):
            raise ValueError(f"{model._meta.label} is a TenantModel without a {TENANT_COLUMN} column")
    reference: set[type[models.Model]] = set()
    pending = [target for model in tenant for target in _references(model) if not _is_tenant(target)]
    while pending:
        model = pending.pop()
        if model not in reference:
            reference.add(model)
            for target in _references(model):
                if _is_tenant(target):
                    raise ValueError(
                        f"global table {model._meta.db_table} references tenant table {target._meta.db_table}"
                    )
                pending.append(target)
    plan = [
        Placement(m._meta.db_table, REFERENCE, reason="global, referenced by tenant tables")
        for m in _in_dependency_order(sorted(reference, key=lambda m: m._meta.db_table))
    ]
    ordered = _in_dependency_order(tenant)
    first = ordered[0]._meta.db_table if ordered else ""
    plan += [Placement(m._meta.db_table, DISTRIBUTED, colocate_with=first) for m in ordered]
    plan += [
        Placement(m._meta.db_table, LOCAL, reason=LOCAL_REASON)
        for m in everything
        if m not in reference and not _is_tenant(m)
    ]
    return plan
