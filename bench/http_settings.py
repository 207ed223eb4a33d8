"""The production settings, plus the floor views of ``bench.http`` (a benchmark's own URLs,
never part of the product)."""

from cxgov.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.http_urls"
