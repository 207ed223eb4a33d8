"""Writing signals: one story from the web form, and batches from partner systems.

Batch ingest (:func:`signals_ingest`) validates every item on its own, then writes the valid
ones in one ``INSERT … SELECT FROM unnest(…)``; the number of queries does not grow with the
batch. Each item is answered ``created``, ``duplicate`` (same source and ``external_id`` as a
stored signal: nothing changes) or ``rejected`` (with the errors per field; nothing is written
for it).

Exactly-once per ``external_id`` rests on the unique key ``(tenant, source_kind, source_id,
external_id)`` alone: the insert is ``ON CONFLICT DO NOTHING … RETURNING``, and what it does not
return was already there (or was written at the same moment by a concurrent batch, whose commit
the insert waits for): those items are duplicates and their stored ids are read afterwards.
Batches of one source run side by side; no lock serialises them.

Each write that stores something adds one entry to the audit trail
(:func:`tenants.audit.ingest_event_record`); signal rows themselves are audited only when
updated or deleted.

After a batch that created something, ``tenants.rescoring.scoring_mark_dirty`` flags the tenant;
``metrics.tasks.scores_dispatch`` consumes ``<prefix>:dirty:<tenant_id>`` (one key per tenant, not one task per
signal).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, OperationalError, connection, models, transaction
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
from feedback.signals.models import HostedSurveySource, Signal, SignalSource, SourceKind, source_of
from feedback.stories.models import Story, StoryPromise
from promises.models import Promise
from tenants.audit import actor_of, ingest_event_record
from tenants.context import actor_context, require_tenant_id, tenant_context
from tenants.errors import DomainError
from tenants.models import ApiKey, Tenant
from tenants.rescoring import scoring_mark_dirty

# --- Batches from partner systems -------------------------------------------------------------


@dataclass
class ItemResult:
    index: int
    status: str  # "created" | "duplicate" | "rejected"; with on_existing="update": "updated" | "unchanged"
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


# Signal tables whose rollups a bulk insert adds once for the statement, not row by row
# (``metrics/migrations/0013_rollups_per_statement.py``): while the setting holds the
# tenant's id, the row triggers skip its inserts, and ``metrics_rollups_add`` counts them.
_ROLLUPS_BY_STATEMENT = ("feedback_surveyresponse", "feedback_serviceevent")
_ROLLUPS_BY_STATEMENT_SQL = "SET LOCAL cxgov.rollups_by_statement = {tenant}"
_ROLLUPS_ADD_SQL = (
    "SELECT metrics_rollups_add(%s, %s, %s::bigint[], %s::bigint[], %s::timestamptz[], %s::smallint[],"
    " %s::bigint[], %s::boolean[], %s::numeric[])"
)

# Where a signal's rollup counters sort (see _insert_rows); links sort the same way.
_ROLLUP_ORDER = ('"measure_id"', '"promise_id"', '"touchpoint_id"', '"occurred_at"')


def _link_order(promise: Promise, row: dict[str, Any]) -> tuple:
    touchpoint = row.get("touchpoint")
    return (promise.pk, touchpoint.pk if touchpoint is not None else 0, row["occurred_at"])


def _insert_rows(
    model: type[Signal], rows: list[dict[str, Any]], then: Callable[[list[int | None]], None] | None = None
) -> list[int | None]:
    """Insert ``rows`` (field name → value) in one ``INSERT ... SELECT FROM unnest(...)``; the
    id of each row, ``None`` for a row whose ``external_id`` its source had already stored.

    The bulk path of ingest: one statement with one array parameter per column, built
    straight from the validated values. ``bulk_create`` would instantiate a model per row and
    compile every field of every row, which costs more than the insert itself for batches
    of 1,000. Rows pass the same row-level security policy as any insert (the tenant must be
    the active one). ``ON CONFLICT DO NOTHING`` on the source's unique ``external_id``: a row
    stored before is skipped, and a row a concurrent transaction is writing makes this one
    wait for it to end (committed: skipped; rolled back: inserted).

    Ids are drawn in the order of ``rows``, while the rows are written sorted by their rollup
    key (measure or promise, touchpoint, instant), then ``external_id``: the rollup triggers
    (``metrics/migrations/0008_row_rollup_triggers.py``) lock counter rows in the order a
    statement writes its rows, and the unique index's entries are claimed in that order too,
    so concurrent batches of one tenant take both in one order and wait for each other, never
    in a cycle. Survey responses and service events are counted into the rollups once for the
    statement (``metrics_rollups_add``, grouped, in the same key order) instead of by the row
    triggers: one upsert per counter row rather than one per signal.

    ``then(ids)`` runs once the ids are known; for survey responses and service events its
    statements go to the server with the rollups' (one round trip for all).
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
        first = values[0]
        if all(v == first and type(v) is type(first) for v in values):
            # The same for every row (tenant, source, channel…): one parameter, not an array.
            selects.append(f"%s::{db_type}{cast}")
            constants.append(first)
        else:
            alias = f"c{len(arrays)}"
            selects.append(f"{alias}{cast}")
            arrays.append((alias, f"{db_type}[]", values))
    unnest = ", ".join(f"%s::{array_type}" for _, array_type, _ in arrays) or "ARRAY[NULL]"
    aliases = ", ".join(alias for alias, _, _ in arrays) or "c0"
    table = connection.ops.quote_name(model._meta.db_table)
    names = [f"v{i}" for i in range(len(columns))]
    order_columns = (*_ROLLUP_ORDER, '"external_id"')
    order = [f"v{columns.index(c)}" for c in order_columns if c in columns] or ["id"]
    unique = ", ".join(f'"{c}"' for c in ("tenant_id", "source_kind", "source_id", "external_id"))
    # Only names and types from the model's own metadata are spliced in; values are parameters.
    # The inner query draws the ids in the order of the rows (OFFSET 0 keeps it a subquery
    # evaluated before the outer sort); the outer one writes them in rollup-key order.
    sql = (
        f"INSERT INTO {table} (id, {', '.join(columns)}) "  # noqa: S608
        f"SELECT id, {', '.join(names)} FROM ("
        f"SELECT nextval(pg_get_serial_sequence(%s, 'id')) AS id, "
        + ", ".join(f"{select} AS {name}" for select, name in zip(selects, names, strict=True))
        + f" FROM unnest({unnest}) AS u({aliases}) OFFSET 0) AS r "
        f"ORDER BY {', '.join(order)} "
        f'ON CONFLICT ({unique}) WHERE "external_id" IS NOT NULL DO NOTHING RETURNING id, "external_id"'
    )
    if not arrays:  # every column identical: unnest one placeholder row per row instead
        sql = sql.replace("unnest(ARRAY[NULL])", "generate_series(1, %s)")
        params = [model._meta.db_table, *constants, len(rows)]
    else:
        params = [model._meta.db_table, *constants, *(values for _, _, values in arrays)]
    by_statement = model._meta.db_table in _ROLLUPS_BY_STATEMENT
    with connection.cursor() as cursor:
        if by_statement:
            # The row triggers skip these rows; their counters are added once below.
            with connection.connection.pipeline():
                cursor.execute(_ROLLUPS_BY_STATEMENT_SQL.format(tenant=int(tenant_id)))
                cursor.execute(sql, params)
        else:
            cursor.execute(sql, params)
        returned = cursor.fetchall()
        by_external_id = {external_id: row_id for row_id, external_id in returned if external_id is not None}
        # Rows without an external_id are always inserted; drawn in the order of the rows, their
        # ascending ids are their order.
        anonymous = iter(sorted(row_id for row_id, external_id in returned if external_id is None))
        ids = [
            next(anonymous) if row.get("external_id") is None else by_external_id.get(row["external_id"])
            for row in rows
        ]
        if by_statement:
            stored = [row for row, row_id in zip(rows, ids, strict=True) if row_id is not None]
            with connection.connection.pipeline():
                if stored:
                    cursor.execute(
                        _ROLLUPS_ADD_SQL, [model._meta.db_table, tenant_id, *_rollup_columns(stored)]
                    )
                cursor.execute(_ROLLUPS_BY_STATEMENT_SQL.format(tenant="''"))
                if then is not None:
                    then(ids)
        elif then is not None:
            then(ids)
    return ids


def _rollup_columns(rows: list[dict[str, Any]]) -> list[list[Any]]:
    """The stored rows' values ``metrics_rollups_add`` counts, one list per column."""

    def pk(value):
        return value.pk if isinstance(value, models.Model) else value

    return [
        [pk(row.get("measure")) for row in rows],
        [pk(row.get("touchpoint")) for row in rows],
        [row["occurred_at"] for row in rows],
        *([row.get(name) for row in rows] for name in ("score", "duration_seconds", "outcome", "value")),
    ]


_CHANNELS = {
    SourceKind.API_KEY: "api",
    SourceKind.MEMBER: "csv_import",
    SourceKind.HOSTED_SURVEY: "hosted_survey",
}
# A story's channel by its sender (the web form writes its stories itself: stories.services).
_STORY_CHANNELS = {
    SourceKind.API_KEY: Story.Channel.API,
    SourceKind.MEMBER: Story.Channel.CSV,
    SourceKind.HOSTED_SURVEY: Story.Channel.API,
}
# What a correction may change: every value an item carries but its identity (external_id).
_NOT_UPDATED = frozenset({"external_id", "source_kind", "source_id", "channel"})


def _stored_value(value: Any) -> Any:
    return value.pk if isinstance(value, models.Model) else value


def _signals_update(
    *,
    tenant: Tenant,
    model: type[Signal],
    source: SignalSource,
    source_kind: str,
    source_id: int,
    items: dict[str, tuple[ItemResult, dict[str, Any], list[Promise]]],
) -> None:
    """Compare items with the signals their source stored under the same ``external_id``, and
    update those whose values differ (in the caller's transaction). Answers each item
    ``unchanged`` or ``updated``, with the stored id.

    The stored rows are locked (``FOR UPDATE``, in id order) before they are compared, so two
    imports correcting one row take turns and the second compares with what the first wrote;
    a retried chunk finds its rows already corrected and answers ``unchanged``: nothing is
    counted twice. Queries: a constant number per batch (a read, one ``UPDATE`` for all changed
    rows; for stories also their links: one delete, one insert).

    Each updated row is audited by the table's UPDATE trigger (old and new values, the sender
    as actor). Rollups: the survey-response and service-event row triggers take the old row
    out and put the new one in (``metrics/migrations/0015_imports_rollups_on_update.py``). A
    story counts through its promise links, whose trigger reads the story: the links of a
    changed story are deleted before it is updated (counted out with the old values) and
    written again after (counted in with the new ones and the new promises). Scores are
    marked for recomputation after commit, like new signals.
    """
    stored = {
        signal.external_id: signal
        for signal in model.objects.select_for_update(of=("self",))
        .filter(source_kind=source_kind, source_id=source_id, external_id__in=list(items))
        .order_by("pk")
    }
    is_story = model is Story
    links: dict[int, set[int]] = {}
    if is_story and stored:
        for story_id, promise_id in StoryPromise.objects.filter(
            story_id__in=[signal.pk for signal in stored.values()]
        ).values_list("story_id", "promise_id"):
            links.setdefault(story_id, set()).add(promise_id)
    changed: list[Signal] = []
    changed_fields: set[str] = set()
    relink: list[tuple[Signal, list[Promise]]] = []
    for external_id, (result, row, promises) in items.items():
        signal = stored[external_id]
        result.id = signal.pk
        differs = []
        for name, value in row.items():
            if name in _NOT_UPDATED:
                continue
            field = model._meta.get_field(name)
            if getattr(signal, field.attname) != _stored_value(value):
                differs.append(field)
        promises_differ = is_story and links.get(signal.pk, set()) != {p.pk for p in promises}
        if not differs and not promises_differ:
            result.status = "unchanged"
            continue
        result.status = "updated"
        for field in differs:
            setattr(signal, field.attname, _stored_value(row[field.name]))
            changed_fields.add(field.name)
        changed.append(signal)
        if is_story:
            relink.append((signal, promises))
    if not changed:
        return
    with actor_context(actor_of(source.actor if isinstance(source, HostedSurveySource) else source)):
        if relink:
            StoryPromise.objects.filter(story_id__in=[story.pk for story, _ in relink]).delete()
        if changed_fields:
            model.objects.filter(tenant_id=tenant.pk).bulk_update(changed, sorted(changed_fields))
        if relink:
            new_links = sorted(
                (
                    ((promise.pk, story.touchpoint_id or 0, story.occurred_at), story.pk, promise)
                    for story, promises in relink
                    for promise in promises
                ),
                key=lambda link: link[:2],
            )
            StoryPromise.objects.bulk_create(
                [
                    StoryPromise(tenant=tenant, story_id=story_id, promise=promise)
                    for _, story_id, promise in new_links
                ]
            )
    transaction.on_commit(lambda: scoring_mark_dirty(tenant.pk))


def signals_ingest(
    *,
    tenant: Tenant,
    kind: str,
    items: list[Any],
    source: SignalSource,
    audit: dict[str, Any] | None = None,
    on_existing: str = "skip",
    kept_lookups: tuple[dict, dict] | None = None,
) -> list[ItemResult]:
    """Validate each of ``items`` on its own and write the valid ones; one result per item, in order.

    ``kind``: ``stories``, ``survey_responses`` or ``service_events``. ``source``: the API key,
    the member who uploaded a CSV import, or a hosted survey (answers of its public page). Runs in ``tenant``'s context. Atomic; takes no
    lock of its own (concurrent batches of one source wait only for each other's rows with an
    ``external_id`` both send). What it stores is recorded in one audit entry, with ``audit``
    added to its detail (e.g. the Idempotency-Key, the import). Queries: a constant number,
    whatever the batch size.

    ``on_existing``: what an item whose ``external_id`` the source stored before does. ``skip``
    (the API): nothing, it is a ``duplicate``. ``update`` (CSV imports, which correct): its
    values are compared with the stored signal's under a row lock; the same values answer
    ``unchanged``, other values update the signal in place (``updated``; each updated row is in
    the audit trail with its old and new values, and the rollups follow: see
    :func:`_signals_update`).

    ``kept_lookups``: the tenant's touchpoints and measures as kept
    (:mod:`feedback.ingest.lookups_cache`), read with the API key.
    """
    if kind not in KINDS:
        raise DomainError(f"Unknown signal kind {kind!r}; use one of: {', '.join(KINDS)}.", field="kind")
    if len(items) > MAX_BATCH_ITEMS:
        raise DomainError(f"At most {MAX_BATCH_ITEMS} items per request; split the batch.", field="items")
    if on_existing not in ("skip", "update"):
        raise DomainError(f"Unknown on_existing {on_existing!r}; use skip or update.", field="on_existing")
    source_kind, source_id = source_of(source)
    model = MODELS[kind]
    now = timezone.now()
    # No savepoint of its own inside a caller's transaction (the API request's, an import
    # chunk's): an error fails the caller's transaction anyway, and a savepoint costs two round
    # trips a request.
    with tenant_context(tenant), transaction.atomic(savepoint=False):
        lookups = Lookups.for_items(kind, items, kept_lookups)
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

        new_rows: list[tuple[ItemResult, Any, list[Promise]]] = []
        first_in_batch: dict[str, ItemResult] = {}
        extra = {"channel": _STORY_CHANNELS[source_kind]} if kind == "stories" else {}
        for result, values, promises in valid:
            external_id = values["external_id"]
            if external_id is not None:
                if external_id in first_in_batch:
                    # Repeated within this batch: the first occurrence is the one written.
                    result.status = "duplicate"
                    continue
                first_in_batch[external_id] = result
            row = {"source_kind": source_kind, "source_id": source_id, **values, **extra}
            new_rows.append((result, row, promises))
        created: list[tuple[ItemResult, Any, list[Promise]]] = []
        stored_before: dict[str, ItemResult] = {}
        existing: dict[str, tuple[ItemResult, dict[str, Any], list[Promise]]] = {}
        links_of_stories = kind == "stories"
        audit_source = source.actor if isinstance(source, HostedSurveySource) else source
        audit_detail = {"kind": kind, "channel": _CHANNELS[source_kind], **(audit or {})}

        def audit_write(ids: list[int | None]) -> None:
            ingest_event_record(
                model=model._meta.label,
                ids=[row_id for row_id in ids if row_id is not None],
                source=audit_source,
                detail=audit_detail,
            )

        if new_rows:
            # A story's entry follows its promise links; the other signals' goes with the insert's
            # rollups (one round trip).
            ids = _insert_rows(
                model, [row for _, row, _ in new_rows], then=None if links_of_stories else audit_write
            )
            for (result, row, promises), row_id in zip(new_rows, ids, strict=True):
                if row_id is None:  # the source had sent it before (or a concurrent batch just did)
                    result.status = "duplicate"
                    stored_before[row["external_id"]] = result
                    existing[row["external_id"]] = (result, row, promises)
                else:
                    result.status, result.id = "created", row_id
                    created.append((result, row, promises))
        if existing and on_existing == "update":
            _signals_update(
                tenant=tenant,
                model=model,
                source=source,
                source_kind=source_kind,
                source_id=source_id,
                items=existing,
            )
        elif stored_before:
            # A fresh statement sees what a concurrent batch committed while the insert waited.
            for external_id, row_id in model.objects.filter(
                source_kind=source_kind, source_id=source_id, external_id__in=stored_before
            ).values_list("external_id", "id"):
                stored_before[external_id].id = row_id
        if created:
            # In rollup-key order, like the signals (see _insert_rows).
            links = sorted(
                (
                    (_link_order(promise, row), result.id, promise)
                    for result, row, promises in created
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
                    tenant=tenant, story_ids=[result.id for result, _, _ in created]
                )
            if links_of_stories:
                audit_write([result.id for result, _, _ in created])
            transaction.on_commit(lambda: scoring_mark_dirty(tenant.pk))
        for result, values, _ in valid:
            if result.status == "duplicate" and result.id is None and values["external_id"] in first_in_batch:
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


# A deadlock can only arise between batches of one source that send one external_id with
# different contents at the same moment (their rows then sort differently); PostgreSQL breaks it
# by failing one transaction, which is run again and finds the other's rows stored.
_DEADLOCK_ATTEMPTS = 3


def signals_ingest_request(
    *,
    tenant: Tenant,
    kind: str,
    items: list[Any],
    source: ApiKey,
    idempotency_key: str | None = None,
    fingerprint: str = "",
    kept_lookups: tuple[dict, dict] | None = None,
) -> IngestAnswer:
    """:func:`signals_ingest` for one API request, answered once per ``idempotency_key``.

    With a key: the first request's answer is stored with its ``fingerprint``; a later request
    with the same key and fingerprint gets the stored answer (``replayed``) and writes nothing;
    one with another fingerprint raises :class:`IdempotencyKeyReused`. The status is 422 when
    every item was rejected (nothing stored), else 200. Concurrent requests with one key (of
    one API key or of two) run side by side: the record's unique key ``(tenant, key)`` lets one
    of them store its answer; the other's record collides, its work is rolled back and it
    replays the stored answer. A transaction failed by a deadlock is run again (when this call
    owns the transaction).
    """
    owns_transaction = not connection.in_atomic_block
    attempt = 1
    while True:
        try:
            return _ingest_request_once(
                tenant=tenant,
                kind=kind,
                items=items,
                source=source,
                idempotency_key=idempotency_key,
                fingerprint=fingerprint,
                kept_lookups=kept_lookups,
            )
        except OperationalError as error:
            if not owns_transaction or attempt >= _DEADLOCK_ATTEMPTS or _sqlstate(error) != "40P01":
                raise
            attempt += 1


def _ingest_request_once(
    *,
    tenant: Tenant,
    kind: str,
    items: list[Any],
    source: ApiKey,
    idempotency_key: str | None,
    fingerprint: str,
    kept_lookups: tuple[dict, dict] | None,
) -> IngestAnswer:
    try:
        with tenant_context(tenant), transaction.atomic():
            if idempotency_key:
                record = IdempotencyRecord.objects.filter(key=idempotency_key).first()
                if record is not None:
                    return _idempotent_replay(
                        record, idempotency_key=idempotency_key, fingerprint=fingerprint
                    )
            audit = {"idempotency_key": idempotency_key} if idempotency_key else None
            body = ingest_summary(
                signals_ingest(
                    tenant=tenant,
                    kind=kind,
                    items=items,
                    source=source,
                    audit=audit,
                    kept_lookups=kept_lookups,
                )
            )
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


def _sqlstate(error: Exception) -> str | None:
    return getattr(error.__cause__, "sqlstate", None)
