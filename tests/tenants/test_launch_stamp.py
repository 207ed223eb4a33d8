"""The launcher's schema stamp: a restart starts web and worker beside the database check only
when the migrations on disk, the locked dependencies and the database are what the last
successful start left; any doubt takes the slow, sure path."""

from __future__ import annotations

import pytest
from django.db import connection

from cxgov import launcher
from cxgov.launcher import SchemaStamp

pytestmark = pytest.mark.django_db


def _stamp(tmp_path, database: str = "the-test-database") -> SchemaStamp:
    s = connection.settings_dict
    conninfo = f"host={s['HOST'] or '127.0.0.1'} port={s['PORT'] or 5432} dbname={s['NAME']} user={s['USER'] or 'postgres'}"
    return SchemaStamp(tmp_path / "schema.stamp", conninfo, database)


def test_a_remembered_schema_is_current_until_anything_it_rests_on_changes(tmp_path, monkeypatch):
    stamp = _stamp(tmp_path)
    assert not stamp.current()  # no stamp: the first start waits for the check
    stamp.remember()
    assert stamp.current()  # every migration on disk is in the database's history
    assert not _stamp(tmp_path, database="another-database").current()

    on_disk = SchemaStamp.migrations()
    monkeypatch.setattr(SchemaStamp, "migrations", staticmethod(lambda: on_disk | {("metrics", "9999_new")}))
    assert not stamp.current()  # a migration added since: migrate first
    stamp.remember()  # (as if the check had run, but the database lacks it)
    assert not stamp.current()
    monkeypatch.setattr(SchemaStamp, "migrations", staticmethod(lambda: on_disk))

    stamp.remember()
    lock = tmp_path / "uv.lock"
    lock.write_text("changed dependencies")
    monkeypatch.setattr(launcher, "REPO_DIR", tmp_path)
    assert not stamp.current()  # other locked dependencies may bring their own migrations


def test_an_unreachable_database_or_a_failed_check_is_no_stamp(tmp_path):
    stamp = SchemaStamp(tmp_path / "schema.stamp", "host=127.0.0.1 port=1 dbname=none connect_timeout=1", "x")
    stamp.remember()
    assert not stamp.current()
    stamp.forget()
    assert not (tmp_path / "schema.stamp").exists()
