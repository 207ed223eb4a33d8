"""How the benchmarks reach their database as its owner: the settings' database and user,
without the application role Django's connection assumes (to load, vacuum, COPY)."""

from __future__ import annotations

import psycopg
from django.db import connection


def owner_conninfo() -> str:
    s = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        dbname=s["NAME"],
        user=s["USER"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        password=s["PASSWORD"] or None,
    )
