"""What the feedback pages of every subject share."""

from __future__ import annotations

import zoneinfo

from django.http import HttpRequest
from django.views.decorators.http import require_http_methods

GET_POST = require_http_methods(["GET", "POST"])
EXPORT_CHUNK = 2000


def tenant_zone(request: HttpRequest) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(request.tenant.time_zone)
