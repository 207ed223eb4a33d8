"""Writing signals: one story from the web form, and batches from partner systems.

Batch ingest (:func:`signals_ingest`) validates every item on its own, then writes the valid
ones in one ``bulk_create``; the number of queries does not grow with the batch. Each item
is answered ``created``, ``duplicate`` (same source and ``external_id`` as a stored signal:
nothing changes) or ``rejected`` (with the errors per field; nothing is written for it).

Exactly-once per ``external_id`` without ``ON CONFLICT`` guessing: the batch takes a row
lock on its source (the API key or the member), reads which of its ``external_id``\\s exist,
and inserts only the others. Two concurrent batches of the same source queue on the lock, so
the second one sees the first one's rows as duplicates.

After a batch that created something, ``tenants.rescoring.scoring_mark_dirty`` flags the tenant;
``metrics.tasks.scores_dispatch`` consumes ``<prefix>:dirty:<tenant_id>`` (one key per tenant, not one task per
signal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from feedback.escalations.proposals import escalations_auto_from_stories
from feedback.ingest.items import (
    EVENT_FIELDS,
    KINDS,
    MAX_BATCH_ITEMS,
    MODELS,
    STORY_FIELDS,
    SURVEY_FIELDS,
    Item,
    Lookups,
    service_event_values,
    story_values,
    survey_response_values,
)
from feedback.ingest.models import IdempotencyRecord
from feedback.locks import row_lock
from feedback.signals.models import Signal, source_of
from feedback.stories.models import Story, StoryPromise
from promises.models import Promise
from tenants.context import require_tenant_id, tenant_context
from tenants.errors import DomainError
from tenants.models import ApiKey, Membership, Tenant
from tenants.rescoring import scoring_mark_dirty

# --- Batches from partner systems -------------------------------------------------------------


@dataclass
class ItemResult:
    index: int
    status: str  # "created" | "duplicate" | "rejected"
    id: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"index": self.index, "status": self.status, "id": self.id, "errors": self.errors}


def ingest_summary(results: Iterable[ItemResult]) -> dict[str, Any]:
    """The API's answer to a batch: every item's result and the count of each status."""
    results = list(results)
    counts = {status: 0 for status in ("created", "duplicate", "rejected")}
    for result in results:
        counts[result.status] += 1
    return {"results": [r.as_dict() for r in results], **counts}


_MISSING = object()


# Where a signal's rollup counters sort (see _insert_rows); links sort the same way.
_ROLLUP_ORDER = ('"measure_id"', '"promise_id"', '"touchpoint_id"', '"occurred_at"')


def _link_order(promise: Promise, row: dict[str, Any]) -> tuple:
    touchpoint = row.get("touchpoint")
    return (promise.pk, touchpoint.pk if touchpoint is not None else 0, row["occurred_at"])


def _insert_rows(model: type[Signal], rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` (field name → value) in one ``INSERT ... SELECT FROM unnest(...)``.

    The bulk path of ingest: one statement with one array parameter per column, built
    straight from the validated values. ``bulk_create`` would instantiate a model per row and
    compile every field of every row, which costs more than the insert itself for batches
    of 1,000. Rows pass the same row-level security policy and audit trigger as any insert
    (the tenant must be the active one).

    Ids are drawn in the order of ``rows`` and come back in that order, while the rows are
    written sorted by their rollup key (measure or promise, touchpoint, instant): the rollup
    triggers (``metrics/migrations/0008_row_rollup_triggers.py``) lock counter rows in the
    order a statement writes its rows, so concurrent batches of one tenant take them in one
    order and wait for each other, never in a cycle.
    """
    tenant_id = require_tenant_id()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns, selects, constants, arrays = [], [], [], []
    for f in fields:
        if f.name == "tenant":
            values = [tenant_id]
        elif getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            columns.append(connection.ops.quote_name(f.column))
            selects.append("now()")
            continue
        else:
            default = f.get_default() if f.has_default() else None
            values = [row.get(f.name, row.get(f.attname, _MISSING)) for row in rows]
            values = [default if v is _MISSING else v for v in values]
            if f.is_relation:
                values = [v.pk if isinstance(v, models.Model) else v for v in values]
        is_json = f.get_internal_type() == "JSONField"
        if is_json:
            values = [None if v is None else json.dumps(v) for v in values]
        db_type = "text" if is_json else f.db_type(connection)
        cast = "::jsonb" if is_json else ""
        columns.append(connection.ops.quote_name(f.column))
        if all(v == values[0] and type(v) is type(values[0]) for v in values):
            # The same for every row (tenant, source, channel…): one parameter, not an array.
            selects.append(f"%s::{db_type}{cast}")
            constants.append(values[0])
        else:
            alias = f"c{len(arrays)}"
            selects.append(f"{alias}{cast}")
            arrays.append((alias, f"{db_type}[]", values))
    unnest = ", ".join(f"%s::{array_type}" for _, array_type, _ in arrays) or "ARRAY[NULL]"
    aliases = ", ".join(alias for alias, _, _ in arrays) or "c0"
    table = connection.ops.quote_name(model._meta.db_table)
    names = [f"v{i}" for i in range(len(columns))]
    order = [f"v{columns.index(c)}" for c in _ROLLUP_ORDER if c in columns] or ["id"]
    # Only names and types from the model's own metadata are spliced in; values are parameters.
    # The inner query draws the ids in the order of the rows (OFFSET 0 keeps it a subquery
    # evaluated before the outer sort); the outer one writes them in rollup-key order.
    sql = (
        f"INSERT INTO {table} (id, {', '.join(columns)}) "  # noqa: S608
        f"SELECT id, {', '.join(names)} FROM ("
        f"SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id, "
        + ", ".join(f"{select} AS {name}" for select, name in zip(selects, names, strict=True))
        + f" FROM unnest({unnest}) AS u({aliases}) OFFSET 0) AS r "
        f"ORDER BY {', '.join(order)} RETURNING id"
    )
    if not arrays:  # every column identical: unnest one placeholder row per row instead
        sql = sql.replace("unnest(ARRAY[NULL])", "generate_series(1, %s)")
        params = [model._meta.db_table, *constants, len(rows)]
    else:
        params = [model._meta.db_table, *constants, *(values for _, _, values in arrays)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        # Drawn in the order of the rows: ascending ids are the rows' order.
        return sorted(row_id for (row_id,) in cursor.fetchall())


def signals_ingest(
    *, tenant: Tenant, kind: str, items: list[Any], source: ApiKey | Membership
) -> list[ItemResult]:
    """Validate each of ``items`` on its own and write the valid ones; one result per item, in order.

    ``kind``: ``stories``, ``survey_responses`` or ``service_events``. ``source``: the API key,
    or the member who uploaded a CSV import. Runs in ``tenant``'s context. Atomic; holds a row
    lock on ``source`` until the transaction ends (:func:`feedback.locks.row_lock`). Queries: a constant
    number, whatever the batch size.
    """
    if kind not in KINDS:
        raise DomainError(f"Unknown signal kind {kind!r}; use one of: {', '.join(KINDS)}.", field="kind")
    if len(items) > MAX_BATCH_ITEMS:
        raise DomainError(f"At most {MAX_BATCH_ITEMS} items per request; split the batch.", field="items")
    source_kind, source_id = source_of(source)
    model = MODELS[kind]
    now = timezone.now()
    with tenant_context(tenant), transaction.atomic():
        lookups = Lookups.for_items(kind, items)
        results: list[ItemResult] = []
        valid: list[tuple[ItemResult, dict[str, Any], list[Promise]]] = []
        for index, data in enumerate(items):
            result = ItemResult(index=index, status="rejected")
            results.append(result)
            if not isinstance(data, dict):
                result.errors = {"non_field_errors": ["Each item must be a JSON object."]}
                continue
            promises: list[Promise] = []
            if kind == "stories":
                item = Item(data, STORY_FIELDS)
                values, promises = story_values(item, lookups, now)
            elif kind == "survey_responses":
                item = Item(data, SURVEY_FIELDS)
                values = survey_response_values(item, lookups, now)
            else:
                item = Item(data, EVENT_FIELDS)
                values = service_event_values(item, lookups, now)
            if item.errors:
                result.errors = item.errors
                continue
            valid.append((result, values, promises))

        row_lock(source)  # the API key or the member
        external_ids = {values["external_id"] for _, values, _ in valid if values["external_id"] is not None}
        known: dict[str, int] = {}
        if external_ids:
            known = dict(
                model.objects.filter(
                    source_kind=source_kind, source_id=source_id, external_id__in=external_ids
                ).values_list("external_id", "id")
            )
        new_rows: list[tuple[ItemResult, Any, list[Promise]]] = []
        first_in_batch: dict[str, ItemResult] = {}
        for result, values, promises in valid:
            external_id = values["external_id"]
            if external_id is not None and external_id in known:
                result.status, result.id = "duplicate", known[external_id]
                continue
            if external_id is not None and external_id in first_in_batch:
                # Repeated within this batch: the first occurrence is the one written.
                result.status = "duplicate"
                continue
            if external_id is not None:
                first_in_batch[external_id] = result
            extra = {"channel": Story.Channel.API} if kind == "stories" else {}
            row = {"source_kind": source_kind, "source_id": source_id, **values, **extra}
            new_rows.append((result, row, promises))
        if new_rows:
            ids = _insert_rows(model, [row for _, row, _ in new_rows])
            for (result, _, _), row_id in zip(new_rows, ids, strict=True):
                result.status, result.id = "created", row_id
            # In rollup-key order, like the signals (see _insert_rows).
            links = sorted(
                (
                    (_link_order(promise, row), result.id, promise)
                    for result, row, promises in new_rows
                    for promise in promises
                ),
                key=lambda link: link[:2],
            )
            links = [
                StoryPromise(tenant=tenant, story_id=story_id, promise=promise)
                for _, story_id, promise in links
            ]
            if links:
                StoryPromise.objects.bulk_create(links)
                escalations_auto_from_stories(
                    tenant=tenant, story_ids=[result.id for result, _, _ in new_rows]
                )
            transaction.on_commit(lambda: scoring_mark_dirty(tenant.pk))
        for result, values, _ in valid:
            if result.status == "duplicate" and result.id is None:
                result.id = first_in_batch[values["external_id"]].id
    return results


# --- Idempotency-Key --------------------------------------------------------------------------


class IdempotencyKeyReused(DomainError):
    """The Idempotency-Key was already used for a different request."""


@dataclass(frozen=True)
class IngestAnswer:
    status: int
    body: dict[str, Any]
    replayed: bool = False


def request_fingerprint(*, method: str, path: str, data: Any) -> str:
    """SHA-256 of the request, independent of key order and whitespace in the JSON body."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def signals_ingest_request(
    *,
    tenant: Tenant,
    kind: str,
    items: list[Any],
    source: ApiKey,
    idempotency_key: str | None = None,
    fingerprint: str = "",
) -> IngestAnswer:
    """:func:`signals_ingest` for one API request, answered once per ``idempotency_key``.

    With a key: the first request's answer is stored with its ``fingerprint``; a later request
    with the same key and fingerprint gets the stored answer (``replayed``) and writes nothing;
    one with another fingerprint raises :class:`IdempotencyKeyReused`. The status is 422 when
    every item was rejected (nothing stored), else 200. Concurrent requests
    of one API key queue on its row lock (:func:`feedback.locks.row_lock`), so exactly one of them does
    the work and the others replay its answer. Two API keys of the tenant sending the same key
    at once: the second one's record collides on the unique key, its work is rolled back and
    it replays the first one's answer.
    """
    try:
        with tenant_context(tenant), transaction.atomic():
            if idempotency_key:
                row_lock(source)  # the API key or the member
                record = IdempotencyRecord.objects.filter(key=idempotency_key).first()
                if record is not None:
                    return _idempotent_replay(
                        record, idempotency_key=idempotency_key, fingerprint=fingerprint
                    )
            body = ingest_summary(signals_ingest(tenant=tenant, kind=kind, items=items, source=source))
            # Nothing stored and nothing already there: the request as a whole failed.
            status = 422 if body["rejected"] == len(items) else 200
            if idempotency_key:
                IdempotencyRecord.objects.create(
                    tenant=tenant,
                    key=idempotency_key,
                    api_key=source,
                    request_hash=fingerprint,
                    response_status=status,
                    response_body=body,
                )
    except IntegrityError as error:
        if not idempotency_key or _violated_constraint(error) != "idempotency_record_unique_key":
            raise
        with tenant_context(tenant):
            record = IdempotencyRecord.objects.get(key=idempotency_key)
        return _idempotent_replay(record, idempotency_key=idempotency_key, fingerprint=fingerprint)
    return IngestAnswer(status=status, body=body)


def _idempotent_replay(record: IdempotencyRecord, *, idempotency_key: str, fingerprint: str) -> IngestAnswer:
    if record.request_hash != fingerprint:
        raise IdempotencyKeyReused(
            f"The Idempotency-Key {idempotency_key!r} was already used for a different request; "
            "use a new key for a new request.",
            field="Idempotency-Key",
            code="idempotency_key_reused",
        )
    return IngestAnswer(status=record.response_status, body=record.response_body, replayed=True)


def _violated_constraint(error: IntegrityError) -> str | None:
    diag = getattr(error.__cause__, "diag", None)
    return getattr(diag, "constraint_name", None)
