"""Row locks that serialise writers of one source or one promise across a sharded database."""

from __future__ import annotations

from django.db import models


def row_lock(obj: models.Model) -> None:
    """Queue behind every other transaction holding ``obj``'s row lock, until commit or rollback.

    A row lock, not an advisory lock: on a sharded database an advisory lock binds only the
    node it was taken on, while a row lock is taken on the shard holding the row, which every
    node's transaction goes through. ``FOR NO KEY UPDATE`` blocks no insert that references
    the row.
    """
    list(type(obj).objects.filter(pk=obj.pk).select_for_update(no_key=True).values_list("pk"))
