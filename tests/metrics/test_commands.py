"""manage.py scores_rebuild_rollups: rollups recomputed from the raw signals."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from django.conf import settings
from django.core.management import CommandError, call_command

from metrics.engine import scores_compute
from metrics.models import SurveyMonthRollup, SurveyRollup
from tenants.context import tenant_context
from tenants.rescoring import dirty_key
from tests.metrics.conftest import T


def test_rebuild_restores_lost_rollups_and_marks_the_tenant(scoring, worked_example):
    before = scores_compute(tenant=scoring.tenant, at=T, source="rollup")
    SurveyRollup.objects.all().delete()
    SurveyMonthRollup.objects.all().delete()
    assert scores_compute(tenant=scoring.tenant, at=T, source="rollup") != before
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(dirty_key(scoring.tenant.pk))

    call_command("scores_rebuild_rollups", "acme")

    with tenant_context(scoring.tenant):
        assert scores_compute(tenant=scoring.tenant, at=T, source="rollup") == before
        assert SurveyRollup.objects.filter(day=(T - timedelta(days=3)).date()).get().n == 10
        assert SurveyMonthRollup.objects.exists()
    assert client.exists(dirty_key(scoring.tenant.pk))
    client.delete(dirty_key(scoring.tenant.pk))


def test_rebuild_names_an_unknown_tenant(db):
    with pytest.raises(CommandError, match="no tenant 'nope'"):
        call_command("scores_rebuild_rollups", "nope")
