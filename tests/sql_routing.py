"""Reading captured SQL for what a sharded database needs to route it to one tenant's shard.

``tenant_joins`` finds every join between two tenant tables in a statement, the ORM's
(``INNER JOIN "t" ON (…)``) and hand-written ones (``JOIN t x ON …``);
``assert_joins_carry_tenant`` requires ``a.tenant_id = b.tenant_id`` in each one's ON clause.
"""

from __future__ import annotations

import re

from django.apps import apps

from tenants.keys import is_tenant_model

TENANT_TABLES = {m._meta.db_table for m in apps.get_models() if is_tenant_model(m)}

_KEYWORDS = r"(?:ON|WHERE|INNER|LEFT|JOIN|GROUP|ORDER|LIMIT|UNION|RETURNING|FOR)\b"
_TABLE = re.compile(rf'\b(?:FROM|JOIN)\s+"?(\w+)"?(?:\s+(?:AS\s+)?(?!{_KEYWORDS})(\w+))?', re.IGNORECASE)
_JOIN = re.compile(
    rf'\b(INNER JOIN|LEFT OUTER JOIN|LEFT JOIN|JOIN)\s+"?(\w+)"?(?:\s+(?:AS\s+)?(?!{_KEYWORDS})(\w+))?\s+ON\s+',
    re.IGNORECASE,
)
_END_OF_ON = re.compile(r"\b(?:INNER|LEFT|JOIN|WHERE|GROUP|ORDER|LIMIT|UNION|RETURNING)\b", re.IGNORECASE)
_COLUMN_PAIR = re.compile(r'"?(\w+)"?\."?(\w+)"?\s*=\s*\(?"?(\w+)"?\."?(\w+)"?\)?')


def _on_clause(sql: str, start: int) -> str:
    """From ``start`` to the end of the ON clause: the closing parenthesis of the enclosing
    expression, or the next join or clause at the same depth."""
    depth = 0
    i = start
    while i < len(sql):
        char = sql[i]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                break
        elif depth == 0 and _END_OF_ON.match(sql, i) and not sql[i - 1].isalnum() and sql[i - 1] != "_":
            break
        i += 1
    return sql[start:i]


def tenant_joins(sql: str) -> list[tuple[str, str, str]]:
    """``(join type, joined table, ON clause)`` for every join between two tenant tables."""
    tables = {alias or table: table for table, alias in _TABLE.findall(sql)}
    joins = []
    for match in _JOIN.finditer(sql):
        kind, table, alias = match.groups()
        name = alias or table
        on = _on_clause(sql, match.end())
        others = {
            other
            for left, _, right, _ in _COLUMN_PAIR.findall(on)
            for other in (left, right)
            if name in (left, right) and other != name
        }
        if table in TENANT_TABLES and any(tables.get(other) in TENANT_TABLES for other in others):
            joins.append((kind.upper(), table, on))
    return joins


def _joins_on_tenant(on: str) -> bool:
    return any(
        left_column == right_column == "tenant_id" and left != right
        for left, left_column, right, right_column in _COLUMN_PAIR.findall(on)
    )


def assert_joins_carry_tenant(queries) -> int:
    """Every join between tenant tables in ``queries`` (captured queries, or SQL strings) has
    ``a.tenant_id = b.tenant_id``; returns how many such joins there were."""
    statements = [q if isinstance(q, str) else q["sql"] for q in queries]
    joins = [join for sql in statements for join in tenant_joins(sql)]
    missing = [f"{kind} {table} ON {on}" for kind, table, on in joins if not _joins_on_tenant(on)]
    assert not missing, "joins between tenant tables without tenant_id = tenant_id:\n" + "\n".join(missing)
    return len(joins)
