"""What changes scores marks the tenant for a recompute, once, after commit."""

from __future__ import annotations

from decimal import Decimal

import redis
from django.conf import settings

from tenants.rescoring import dirty_key
from tenants.services import tenant_settings_update


def test_a_new_perception_gap_threshold_marks_the_tenant_after_commit(
    tenant, django_capture_on_commit_callbacks
):
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(dirty_key(tenant.pk))
    with django_capture_on_commit_callbacks(execute=True):
        tenant_settings_update(tenant=tenant, name=tenant.name, time_zone=tenant.time_zone)
    assert not client.exists(dirty_key(tenant.pk))  # nothing that scores depend on changed

    with django_capture_on_commit_callbacks(execute=True):
        tenant_settings_update(
            tenant=tenant, name=tenant.name, time_zone=tenant.time_zone, perception_gap_threshold=Decimal(15)
        )
    assert client.exists(dirty_key(tenant.pk))
    client.delete(dirty_key(tenant.pk))
