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

import csv
import hashlib
import io
import json
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import structlog
from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django_fsm import can_proceed

from feedback.models import (
    EXTERNAL_ID_MAX,
    OPEN_ESCALATION_STATES,
    STORY_TEXT_MAX,
    SURVEY_SCORE_RANGES,
    Escalation,
    EscalationEntry,
    EscalationEvidence,
    EscalationSettings,
    EscalationSeverity,
    EscalationState,
    IdempotencyRecord,
    ServiceEvent,
    Signal,
    SignalImport,
    SourceKind,
    Story,
    StoryPromise,
    SurveyResponse,
)
from feedback.sentiment import sentiment_score
from promises.models import Measure, Promise
from promises.selectors import measure_list
from tenants.context import require_tenant_id, tenant_context
from tenants.csvexport import csv_text
from tenants.errors import DomainError
from tenants.models import ApiKey, Department, Membership, MembershipDepartment, Tenant, Touchpoint
from tenants.outbox import Email, outbox_enqueue
from tenants.permissions import can
from tenants.rescoring import scoring_mark_dirty
from tenants.validation import (
    SMALLINT_RANGE,
    duration_problem,
    instant_problem,
    integer_problem,
    parse_instant,
    text_problem,
)

logger = structlog.get_logger("cxgov.feedback")

MAX_BATCH_ITEMS = 1000
SEGMENT_MAX_KEYS = 20
SEGMENT_MAX_CHARS = 2000

KINDS = ("stories", "survey_responses", "service_events")
_MODELS = {"stories": Story, "survey_responses": SurveyResponse, "service_events": ServiceEvent}


# --- Stories from the web form ----------------------------------------------------------------


def story_create(
    *,
    tenant: Tenant,
    text: str,
    occurred_at: datetime,
    touchpoint: Touchpoint,
    source: Membership | ApiKey,
    channel: str = Story.Channel.WEB_FORM,
    promises: Sequence[Promise] = (),
    department: Department | None = None,
    segment: str = "",
    severity: str = Story.Severity.MEDIUM,
    external_id: str | None = None,
) -> Story:
    """Log one story; its sentiment is computed here (runs in ``tenant``'s context).

    A story with the ``external_id`` of one the same source already logged is not created
    again: the stored story is returned unchanged.
    """
    if problem := instant_problem("occurred_at", occurred_at):
        raise DomainError(problem, field="occurred_at")
    with tenant_context(tenant), transaction.atomic():
        source_kind, source_id = _source(source)
        if external_id is not None:
            existing = Story.objects.filter(
                source_kind=source_kind, source_id=source_id, external_id=external_id
            ).first()
            if existing is not None:
                return existing
        story = Story(
            tenant=tenant,
            text=text.strip(),
            occurred_at=occurred_at,
            touchpoint=touchpoint,
            department=department,
            segment=segment.strip(),
            severity=severity,
            channel=channel,
            source_kind=source_kind,
            source_id=source_id,
            external_id=external_id,
            sentiment=sentiment_score(text),
        )
        story.full_clean()
        story.save()
        StoryPromise.objects.bulk_create(  # in promise order: see _insert_rows
            StoryPromise(tenant=tenant, story=story, promise=p)
            for _, p in sorted({p.pk: p for p in promises}.items())
        )
        escalations_auto_from_stories(tenant=tenant, story_ids=[story.pk])
        transaction.on_commit(lambda: scoring_mark_dirty(tenant.pk))
        return story


def _source(source: Membership | ApiKey) -> tuple[str, int]:
    if isinstance(source, ApiKey):
        return SourceKind.API_KEY, source.pk
    return SourceKind.MEMBER, source.pk


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


@dataclass
class _Lookups:
    """The tenant's slugs and keys, read once per batch (never once per item)."""

    touchpoints: dict[str, Touchpoint]
    promises: dict[str, Promise]
    departments: dict[str, Department]
    measures: dict[str, Measure]

    @classmethod
    def for_items(cls, kind: str, items: list[Any]) -> _Lookups:
        dicts = [item for item in items if isinstance(item, dict)]
        touchpoint_slugs = {i["touchpoint"] for i in dicts if _lookup_text(i.get("touchpoint"))}
        touchpoints = {t.slug: t for t in Touchpoint.objects.filter(slug__in=touchpoint_slugs)}
        if len(touchpoints) < len(touchpoint_slugs):
            # Some slug is unknown: the error lists the valid ones, so read them all.
            touchpoints = {t.slug: t for t in Touchpoint.objects.order_by("position", "id")}
        promises: dict[str, Promise] = {}
        departments: dict[str, Department] = {}
        measures: dict[str, Measure] = {}
        if kind == "stories":
            promise_slugs = {
                s
                for i in dicts
                if isinstance(i.get("promises"), list)
                for s in i["promises"]
                if _lookup_text(s)
            }
            if promise_slugs:
                promises = {p.slug: p for p in Promise.objects.filter(slug__in=promise_slugs)}
            department_slugs = {i["department"] for i in dicts if isinstance(i.get("department"), str)}
            if department_slugs:
                departments = {d.slug: d for d in Department.objects.order_by("name")}
        else:
            measures = {m.key: m for m in measure_list()}
        return cls(touchpoints, promises, departments, measures)


def _lookup_text(value: Any) -> bool:
    """A string that can be looked up at all (NUL cannot be sent to PostgreSQL)."""
    return isinstance(value, str) and text_problem("", value) is None


class _Item:
    """Reads one item's fields, collecting an error per field instead of stopping at the first.

    Every value passes the shared rules of :mod:`tenants.validation` (the web form and the CSV
    import read through the same rules), so a value that PostgreSQL or Python would refuse
    later is rejected here, as this item's error, before the batch is written.
    """

    def __init__(self, data: dict[str, Any], allowed: Iterable[str]):
        self.data = data
        self.errors: dict[str, list[str]] = {}
        unknown = sorted(set(data) - set(allowed))
        for name in unknown:
            # The answer is stored as JSON for idempotent replays: a name PostgreSQL cannot hold
            # (NUL, a lone surrogate) is named by its escaped form instead.
            shown = name if _lookup_text(name) else ascii(name)
            self.error(shown, f"Unknown field {shown!r}; the fields are: {', '.join(sorted(allowed))}.")

    def error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def text(self, name: str, *, max_length: int, required: bool = False) -> str:
        value = self.data.get(name)
        if value is None:
            if required:
                self.error(name, f"{name} is required.")
            return ""
        if not isinstance(value, str):
            self.error(name, f"{name} must be a string.")
            return ""
        value = value.strip()
        if problem := text_problem(name, value):
            self.error(name, problem)
        elif required and not value:
            self.error(name, f"{name} cannot be empty.")
        elif len(value) > max_length:
            self.error(name, f"{name} is {len(value)} characters long; keep it to at most {max_length}.")
        return value

    def external_id(self) -> str | None:
        value = self.data.get("external_id")
        if value is None:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or not value.strip():
            self.error("external_id", "external_id must be a non-empty string (or left out).")
            return None
        if len(value) > EXTERNAL_ID_MAX:
            self.error(
                "external_id", f"external_id is too long; keep it to at most {EXTERNAL_ID_MAX} characters."
            )
            return None
        if problem := text_problem("external_id", value):
            self.error("external_id", problem)
            return None
        return value

    def integer(self, name: str) -> int | None:
        value = self.data.get(name)
        if value is None:
            self.error(name, f"{name} is required.")
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not value.is_integer())
        ):
            self.error(name, f"{name} must be a whole number, not {_shown(value)}.")
            return None
        return int(value)

    def occurred_at(self, now: datetime) -> datetime | None:
        value = self.data.get("occurred_at")
        if value is None or value == "":
            self.error("occurred_at", "occurred_at is required: when it happened, e.g. 2026-03-01T14:30:00Z.")
            return None
        parsed = parse_instant(value) if _lookup_text(value) else None
        if parsed is None:
            self.error(
                "occurred_at",
                f"occurred_at {_shown(value)} is not a date and time; use ISO 8601, e.g. 2026-03-01T14:30:00Z.",
            )
            return None
        if problem := instant_problem("occurred_at", parsed, now=now):
            self.error("occurred_at", problem)
            return None
        return parsed

    def touchpoint(self, lookups: _Lookups, *, required: bool) -> Touchpoint | None:
        value = self.data.get("touchpoint")
        if value is None or value == "":
            if required:
                self.error("touchpoint", "touchpoint is required: the slug of where it happened.")
            return None
        if not isinstance(value, str):
            self.error("touchpoint", "touchpoint must be a touchpoint's slug (a string).")
            return None
        if problem := text_problem("touchpoint", value):
            self.error("touchpoint", problem)
            return None
        touchpoint = lookups.touchpoints.get(value)
        if touchpoint is None:
            slugs = ", ".join(lookups.touchpoints) or "none defined yet"
            self.error("touchpoint", f"Unknown touchpoint {value!r}; choose one of: {slugs}.")
        return touchpoint

    def measure(self, lookups: _Lookups, *, kind: str) -> Measure | None:
        value = self.data.get("measure")
        fitting = [key for key, m in lookups.measures.items() if m.kind == kind]
        if value is None or value == "":
            self.error(
                "measure", f"measure is required; choose one of: {', '.join(fitting) or 'none defined yet'}."
            )
            return None
        measure = lookups.measures.get(value) if isinstance(value, str) else None
        if measure is None or measure.kind != kind:
            what = "survey" if kind == Measure.Kind.SURVEY else "duration"
            self.error(
                "measure",
                f"Unknown {what} measure {value!r}; choose one of: {', '.join(fitting) or 'none defined yet'}.",
            )
            return None
        return measure


def _shown(value: Any) -> str:
    """A value quoted in an error message, cut short (a message never echoes a whole body)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


_STORY_FIELDS = (
    "text",
    "occurred_at",
    "touchpoint",
    "promises",
    "department",
    "segment",
    "severity",
    "external_id",
)
_SURVEY_FIELDS = (
    "measure",
    "score",
    "occurred_at",
    "touchpoint",
    "segment",
    "respondent_ref",
    "comment",
    "external_id",
)
_EVENT_FIELDS = ("measure", "duration_seconds", "occurred_at", "touchpoint", "external_id")


def _story_from(item: _Item, lookups: _Lookups, now: datetime) -> tuple[dict[str, Any], list[Promise]]:
    text = item.text("text", max_length=STORY_TEXT_MAX, required=True)
    values: dict[str, Any] = {
        "text": text,
        "occurred_at": item.occurred_at(now),
        "touchpoint": item.touchpoint(lookups, required=True),
        "segment": item.text("segment", max_length=120),
        "external_id": item.external_id(),
    }
    severity = item.data.get("severity", Story.Severity.MEDIUM)
    if severity not in Story.Severity.values:
        item.error("severity", f"severity {severity!r} is not one of: {', '.join(Story.Severity.values)}.")
    values["severity"] = severity
    department = None
    if item.data.get("department") not in (None, ""):
        slug = item.data["department"]
        department = lookups.departments.get(slug) if isinstance(slug, str) else None
        if department is None:
            slugs = ", ".join(lookups.departments) or "none defined yet"
            item.error("department", f"Unknown department {slug!r}; choose one of: {slugs}.")
    values["department"] = department
    promises: list[Promise] = []
    slugs = item.data.get("promises", [])
    if not isinstance(slugs, list) or not all(isinstance(s, str) for s in slugs):
        item.error("promises", "promises must be a list of promise slugs.")
    else:
        for slug in dict.fromkeys(slugs):
            promise = lookups.promises.get(slug)
            if promise is None:
                item.error("promises", f"Unknown promise {slug!r}: there is no promise with this slug.")
            else:
                promises.append(promise)
    if not item.errors:
        values["sentiment"] = sentiment_score(text)
    return values, promises


def _survey_response_from(item: _Item, lookups: _Lookups, now: datetime) -> dict[str, Any]:
    measure = item.measure(lookups, kind=Measure.Kind.SURVEY)
    score = item.integer("score")
    if score is not None and (problem := integer_problem("score", score, low=0, high=SMALLINT_RANGE[1])):
        item.error("score", problem)
    elif measure is not None and score is not None:
        low, high = SURVEY_SCORE_RANGES[measure.key]
        if not low <= score <= high:
            item.error("score", f"{measure.key} score {score} is outside {low}…{high}.")
    segment = item.data.get("segment", {})
    if segment is None:
        segment = {}
    if not isinstance(segment, dict):
        item.error("segment", 'segment must be an object of attributes, e.g. {"plan": "pro"}.')
    elif len(segment) > SEGMENT_MAX_KEYS or len(json.dumps(segment)) > SEGMENT_MAX_CHARS:
        item.error(
            "segment",
            f"segment is too large; keep it to {SEGMENT_MAX_KEYS} attributes and {SEGMENT_MAX_CHARS} characters.",
        )
    elif any(isinstance(v, dict | list) for v in segment.values()):
        item.error("segment", "segment values must be strings, numbers, booleans or null (no nesting).")
    else:
        for key, value in segment.items():
            texts = [("a segment key", key)] + (
                [(f"segment value of {key!r}", value)] if isinstance(value, str) else []
            )
            problems = [p for name, text in texts if (p := text_problem(name, text))]
            if problems:
                item.error("segment", problems[0])
                break
    return {
        "measure": measure,
        "score": score,
        "occurred_at": item.occurred_at(now),
        "touchpoint": item.touchpoint(lookups, required=False),
        "segment": segment,
        "respondent_ref": item.text("respondent_ref", max_length=120),
        "comment": item.text("comment", max_length=STORY_TEXT_MAX),
        "external_id": item.external_id(),
    }


def _service_event_from(item: _Item, lookups: _Lookups, now: datetime) -> dict[str, Any]:
    duration = item.integer("duration_seconds")
    if duration is not None and (problem := duration_problem("duration_seconds", duration)):
        item.error("duration_seconds", problem)
    return {
        "measure": item.measure(lookups, kind=Measure.Kind.DURATION),
        "duration_seconds": duration,
        "occurred_at": item.occurred_at(now),
        "touchpoint": item.touchpoint(lookups, required=True),
        "external_id": item.external_id(),
    }


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


def _row_lock(obj: models.Model) -> None:
    """Queue behind every other transaction holding ``obj``'s row lock, until commit or rollback.

    A row lock, not an advisory lock: on a sharded database an advisory lock binds only the
    node it was taken on, while a row lock is taken on the shard holding the row, which every
    node's transaction goes through. ``FOR NO KEY UPDATE`` blocks no insert that references
    the row.
    """
    list(type(obj).objects.filter(pk=obj.pk).select_for_update(no_key=True).values_list("pk"))


def signals_ingest(
    *, tenant: Tenant, kind: str, items: list[Any], source: ApiKey | Membership
) -> list[ItemResult]:
    """Validate each of ``items`` on its own and write the valid ones; one result per item, in order.

    ``kind``: ``stories``, ``survey_responses`` or ``service_events``. ``source``: the API key,
    or the member who uploaded a CSV import. Runs in ``tenant``'s context. Atomic; holds a row
    lock on ``source`` until the transaction ends (:func:`_row_lock`). Queries: a constant
    number, whatever the batch size.
    """
    if kind not in KINDS:
        raise DomainError(f"Unknown signal kind {kind!r}; use one of: {', '.join(KINDS)}.", field="kind")
    if len(items) > MAX_BATCH_ITEMS:
        raise DomainError(f"At most {MAX_BATCH_ITEMS} items per request; split the batch.", field="items")
    source_kind, source_id = _source(source)
    model = _MODELS[kind]
    now = timezone.now()
    with tenant_context(tenant), transaction.atomic():
        lookups = _Lookups.for_items(kind, items)
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
                item = _Item(data, _STORY_FIELDS)
                values, promises = _story_from(item, lookups, now)
            elif kind == "survey_responses":
                item = _Item(data, _SURVEY_FIELDS)
                values = _survey_response_from(item, lookups, now)
            else:
                item = _Item(data, _EVENT_FIELDS)
                values = _service_event_from(item, lookups, now)
            if item.errors:
                result.errors = item.errors
                continue
            valid.append((result, values, promises))

        _row_lock(source)  # the API key or the member
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
    of one API key queue on its row lock (:func:`_row_lock`), so exactly one of them does
    the work and the others replay its answer. Two API keys of the tenant sending the same key
    at once: the second one's record collides on the unique key, its work is rolled back and
    it replays the first one's answer.
    """
    try:
        with tenant_context(tenant), transaction.atomic():
            if idempotency_key:
                _row_lock(source)  # the API key or the member
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


# --- CSV import (admins) ----------------------------------------------------------------------

# The documented columns of each import, in template order; the required ones must be in the header.
IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "survey_responses": (
        "external_id", "measure", "score", "occurred_at", "touchpoint", "respondent_ref", "comment",
    ),
    "service_events": ("external_id", "measure", "duration_seconds", "occurred_at", "touchpoint"),
}  # fmt: skip
IMPORT_REQUIRED: dict[str, tuple[str, ...]] = {
    "survey_responses": ("external_id", "measure", "score", "occurred_at"),
    "service_events": ("external_id", "measure", "duration_seconds", "occurred_at", "touchpoint"),
}
IMPORT_EXAMPLES: dict[str, tuple[str, ...]] = {
    "survey_responses": (
        "resp-0001", "nps", "9", "2026-03-01T14:30:00+01:00", "delivery", "cust-123", "Quick and friendly.",
    ),
    "service_events": ("refund-0001", "refund_processing", "86400", "2026-03-01T14:30:00+01:00", "delivery"),
}  # fmt: skip
IMPORT_INTEGER_COLUMNS = frozenset({"score", "duration_seconds"})
IMPORT_MAX_BYTES = 20 * 1024 * 1024
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")
_IMPORT_MAX_DIGITS = 40


def signal_import_template(*, kind: str) -> str:
    """The CSV template of an import kind: the header and one example row."""
    return csv_text([IMPORT_COLUMNS[kind], IMPORT_EXAMPLES[kind]])


def _import_header_check(kind: str, content: str) -> None:
    header = next(csv.reader(io.StringIO(content)), None)
    if not header or not any(name.strip() for name in header):
        raise DomainError(
            "The file is empty; start from the template: a header row, then one row per item.", field="file"
        )
    names = [name.strip() for name in header]
    unknown = [name for name in names if name not in IMPORT_COLUMNS[kind]]
    if unknown:
        raise DomainError(
            f"Unknown column(s) {', '.join(unknown)}; the columns are: {', '.join(IMPORT_COLUMNS[kind])}.",
            field="file",
        )
    missing = [name for name in IMPORT_REQUIRED[kind] if name not in names]
    if missing:
        raise DomainError(
            f"The header lacks the required column(s) {', '.join(missing)}; download the template to see them.",
            field="file",
        )


def signal_import_create(
    *, tenant: Tenant, kind: str, content: str, actor: Membership, file_name: str = ""
) -> SignalImport:
    """Store an uploaded CSV and queue its processing (after commit). Checks the header only;
    rows are checked one by one when the import runs."""
    if kind not in IMPORT_COLUMNS:
        raise DomainError(
            f"Unknown import kind {kind!r}; use one of: {', '.join(IMPORT_COLUMNS)}.", field="kind"
        )
    if (nul := content.find("\x00")) != -1:
        line = content.count("\n", 0, nul) + 1
        raise DomainError(
            f"The file contains a NUL character on line {line}, so it is not a plain CSV text file "
            "(often a spreadsheet saved in another format, or UTF-16). Open it in your spreadsheet, "
            "save it as “CSV UTF-8”, and upload that file.",
            field="file",
        )
    if len(content.encode()) > IMPORT_MAX_BYTES:
        raise DomainError(
            f"The file is larger than {IMPORT_MAX_BYTES // (1024 * 1024)} MB; split it into several imports.",
            field="file",
        )
    _import_header_check(kind, content)
    with tenant_context(tenant), transaction.atomic():
        signal_import = SignalImport.objects.create(
            tenant=tenant, kind=kind, content=content, file_name=file_name[:255], created_by=actor
        )
        transaction.on_commit(lambda: _signal_import_enqueue(tenant.pk, signal_import.pk))
    return signal_import


def _signal_import_enqueue(tenant_id: int, import_id: int) -> None:
    from feedback.tasks import signal_import_run as task  # tasks import this module

    task.delay(tenant_id, import_id)


def _import_rows(kind: str, content: str) -> Iterable[tuple[int, dict[str, Any] | None, str | None]]:
    """``(line, item, problem)`` per data row: the API item of the row, or why it cannot be one."""
    reader = csv.DictReader(io.StringIO(content))
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if None in row:
            yield start, None, "This row has more values than the header has columns."
            continue
        if not any((value or "").strip() for value in row.values()):
            continue  # blank line
        item: dict[str, Any] = {}
        problem = None
        for name, value in row.items():
            value = (value or "").strip()
            if not value:
                continue
            if name in IMPORT_INTEGER_COLUMNS and _WHOLE_NUMBER.match(value):
                if len(value) > _IMPORT_MAX_DIGITS:
                    # Python refuses to parse thousands of digits; no column takes a number that long.
                    problem = f"{name} is a {len(value.lstrip('+-'))}-digit number; no {name} is that large."
                    break
                item[name] = int(value)
            else:
                item[name] = value
        if problem is not None:
            yield start, None, problem
            continue
        if "external_id" not in item:
            yield start, None, "external_id is empty; every row needs one so that a re-import skips it."
            continue
        yield start, item, None


def signal_import_run(
    *, tenant: Tenant, signal_import: SignalImport, time_budget: float | None = None
) -> SignalImport:
    """Feed the import's rows to :func:`signals_ingest`, ``MAX_BATCH_ITEMS`` rows per transaction,
    from the first row not stored yet.

    Each chunk's rows, the import's progress (rows done, counts, report) and its heartbeat
    commit in one transaction, under a row lock on the import. So a run killed anywhere
    (``kill -9``, a lost database connection) resumes exactly after the last committed chunk,
    and two runs of one import (a resume racing a slow run) take turns chunk by chunk: no row
    is lost or stored twice, and the counts add up. The source of the rows is the member who
    uploaded the file: a re-import by them of the same file finds every row a duplicate.

    ``time_budget`` (seconds): with work left after it, the run queues its own continuation
    and returns, so no single task runs much longer than that (the broker's visibility
    timeout relies on it, see docs/operations.md). A finished import is left as it is.
    """
    started = time.monotonic()
    with tenant_context(tenant):
        rows = list(_import_rows(signal_import.kind, signal_import.content))
        while True:
            with transaction.atomic():
                current = _import_locked(signal_import.pk)
                if current is None or current.status in (
                    SignalImport.Status.DONE,
                    SignalImport.Status.FAILED,
                ):
                    return current or signal_import
                _import_chunk(tenant=tenant, signal_import=current, rows=rows)
            if current.status != SignalImport.Status.RUNNING:
                return current
            if time_budget is not None and time.monotonic() - started >= time_budget:
                logger.info(
                    "import continues in a new task", import_id=current.pk, rows=current.processed_rows
                )
                _signal_import_enqueue(tenant.pk, current.pk)
                return current


def _import_locked(import_id: int) -> SignalImport | None:
    """The import row, locked until the transaction ends (``of=self``: not the uploader's row)."""
    return (
        SignalImport.objects.select_for_update(of=("self",))
        .select_related("created_by")
        .filter(pk=import_id)
        .first()
    )


def _import_chunk(
    *, tenant: Tenant, signal_import: SignalImport, rows: list[tuple[int, dict[str, Any] | None, str | None]]
) -> None:
    """Store the next chunk of ``rows`` and the progress, in the caller's transaction."""
    changes: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if signal_import.status == SignalImport.Status.QUEUED:
        changes.update(status=SignalImport.Status.RUNNING, total_rows=len(rows))
    source = signal_import.created_by
    if source is None:
        changes.update(
            status=SignalImport.Status.FAILED,
            error="The member who uploaded this file no longer exists; upload it again.",
            finished_at=timezone.now(),
        )
        _import_update(signal_import, **changes)
        return
    start = signal_import.processed_rows
    chunk = rows[start : start + MAX_BATCH_ITEMS]
    counts = {"created": 0, "duplicate": 0, "rejected": 0}
    report: list[dict[str, Any]] = []
    for line, item, problem in chunk:
        if item is None:
            counts["rejected"] += 1
            report.append({"line": line, "external_id": "", "errors": {"row": [problem]}})
    sendable = [(line, item) for line, item, _ in chunk if item is not None]
    if sendable:
        results = signals_ingest(
            tenant=tenant, kind=signal_import.kind, items=[item for _, item in sendable], source=source
        )
        for (line, item), result in zip(sendable, results, strict=True):
            counts[result.status] += 1
            if result.status == "rejected":
                report.append(
                    {"line": line, "external_id": item.get("external_id", ""), "errors": result.errors}
                )
    processed = start + len(chunk)
    changes.update(
        processed_rows=processed,
        created_count=signal_import.created_count + counts["created"],
        duplicate_count=signal_import.duplicate_count + counts["duplicate"],
        rejected_count=signal_import.rejected_count + counts["rejected"],
    )
    if report:  # chunks come in file order: the report stays sorted by line
        changes["report"] = [*signal_import.report, *sorted(report, key=lambda entry: entry["line"])]
    if processed >= len(rows):
        changes.update(status=SignalImport.Status.DONE, finished_at=timezone.now())
    _import_update(signal_import, **changes)


def signal_imports_resume_stalled(*, tenant: Tenant, stale_after: timedelta) -> list[int]:
    """Queue again the tenant's unfinished imports whose heartbeat is older than ``stale_after``
    (their worker died, or their task was lost); returns their ids.

    An import a run holds right now (its row is locked) is skipped. The heartbeat of each
    re-queued import is set to now, so the next sweeps leave it to its new task for another
    ``stale_after``. A resume that races a run still alive is harmless: see
    :func:`signal_import_run`.
    """
    with tenant_context(tenant), transaction.atomic():
        stalled = list(
            SignalImport.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[SignalImport.Status.QUEUED, SignalImport.Status.RUNNING],
                heartbeat_at__lt=timezone.now() - stale_after,
            )
            .order_by("heartbeat_at")
            .values_list("id", flat=True)
        )
        if stalled:
            SignalImport.objects.filter(pk__in=stalled).update(heartbeat_at=timezone.now())
            for import_id in stalled:
                logger.warning("stalled import queued again", import_id=import_id)
                transaction.on_commit(
                    lambda import_id=import_id: _signal_import_enqueue(tenant.pk, import_id)
                )
    return stalled


def signal_import_fail(*, tenant: Tenant, signal_import: SignalImport, error: str) -> SignalImport:
    """Mark an import failed (the rows written by finished chunks stay: a re-import skips them)."""
    with tenant_context(tenant):
        return _import_update(
            signal_import, status=SignalImport.Status.FAILED, error=error, finished_at=timezone.now()
        )


def _import_update(signal_import: SignalImport, **changes: Any) -> SignalImport:
    for name, value in changes.items():
        setattr(signal_import, name, value)
    signal_import.save(update_fields=list(changes))
    return signal_import


def signal_import_rejected_csv(*, signal_import: SignalImport) -> Iterable[list[str]]:
    """The rejected rows as CSV rows: line, external_id, field, reason (one row per reason)."""
    yield ["line", "external_id", "field", "reason"]
    for entry in signal_import.report:
        for name, reasons in entry["errors"].items():
            for reason in reasons:
                yield [str(entry["line"]), str(entry["external_id"]), name, reason]


# --- Escalations ------------------------------------------------------------------------------
#
#   proposed ──approve──▶ approved ──start──▶ in_progress ──resolve──▶ resolved ──close──▶ closed
#       └──reject (reason)──▶ rejected            resolved ──reopen (reason)──▶ in_progress
#
# Every transition locks the row (SELECT … FOR UPDATE), checks the state and then who acts
# (tenants.permissions), writes a timeline entry and enqueues its e-mails in the outbox, all in
# one transaction: of two managers approving at once, the second finds it approved already.

ESCALATION_MAIL_KIND = "escalation"
_VERBS = {
    "approve": "approved",
    "reject": "rejected",
    "start": "moved to in progress",
    "resolve": "resolved",
    "reopen": "reopened",
    "close": "closed",
}
_TRANSITION_ACTIONS = {
    "approve": "escalation.decide",
    "reject": "escalation.decide",
    "start": "escalation.work",
    "resolve": "escalation.work",
    "reopen": "escalation.close",
    "close": "escalation.close",
}
AUTO_BREACH_KINDS = {
    "commitment_not_met": EscalationSeverity.HIGH,
    "hidden_breach": EscalationSeverity.MEDIUM,
}


class EscalationRefused(DomainError):
    """The actor may not do this to this escalation (mapped to 403); ``code`` says why."""

    def __init__(self, message: str, *, code: str = "forbidden"):
        super().__init__(message, code=code)


class EscalationStateConflict(DomainError):
    """The escalation is not in a state that allows the transition (mapped to 409)."""

    def __init__(self, message: str):
        super().__init__(message, code="invalid_transition")


Actorish = Membership | ApiKey | None


def escalation_settings_get(*, tenant: Tenant) -> EscalationSettings:
    """The tenant's escalation settings; the defaults (unsaved) when an admin never changed them."""
    with tenant_context(tenant):
        return EscalationSettings.objects.first() or EscalationSettings(tenant=tenant)


def escalation_settings_update(*, tenant: Tenant, actor: Membership, **values: Any) -> EscalationSettings:
    """Change the tenant's escalation settings (admins; the view checks the action)."""
    with tenant_context(tenant), transaction.atomic():
        current = EscalationSettings.objects.select_for_update().first() or EscalationSettings(tenant=tenant)
        for name, value in values.items():
            setattr(current, name, value)
        current.full_clean()
        current.save()
        return current


def _actor_parts(actor: Actorish) -> tuple[str, Membership | None, str]:
    if isinstance(actor, Membership):
        return Escalation.ProposerKind.MEMBER, actor, actor.user.get_full_name() or actor.user.email
    if isinstance(actor, ApiKey):
        return Escalation.ProposerKind.API_KEY, None, f"API key {actor.name}"
    return Escalation.ProposerKind.SYSTEM, None, "cxgov (automatic)"


def _entry(escalation: Escalation, actor: Actorish, kind: str, **fields: Any) -> EscalationEntry:
    actor_kind, member, label = _actor_parts(actor)
    return EscalationEntry.objects.create(
        escalation=escalation, kind=kind, actor_kind=actor_kind, actor=member, actor_label=label, **fields
    )


def _page_url(tenant: Tenant, path: str) -> str:
    domain = settings.CXGOV_BASE_DOMAIN
    scheme = "http" if domain == "localhost" else "https"
    return f"{scheme}://{tenant.slug}.{domain}{path}"


def _escalation_mail(
    tenant: Tenant,
    escalation: Escalation,
    *,
    key: str,
    to: Iterable[tuple[str, str]],
    subject: str,
    text: str,
) -> int:
    """Queue one e-mail per ``(recipient id, address)`` in the outbox, once per ``key``."""
    link = _page_url(tenant, f"/escalations/{escalation.pk}/")
    body = (
        f"{text}\n\nEscalation: {escalation.title}\nSeverity: {escalation.get_severity_display()}\n{link}\n"
    )
    return outbox_enqueue(
        kind=ESCALATION_MAIL_KIND,
        emails=[
            Email(
                dedupe_key=f"escalation:{escalation.pk}:{key}:{recipient}",
                to=address,
                subject=f"[cxgov] {subject}",
                text=body,
            )
            for recipient, address in dict(to).items()
        ],
    )


def _department_managers(department_id: int) -> list[tuple[str, str]]:
    rows = MembershipDepartment.objects.filter(
        department_id=department_id,
        membership__role=Membership.Role.MANAGER,
        membership__is_active=True,
        membership__user__is_active=True,
    ).values_list("membership_id", "membership__user__email")
    return [(str(member_id), email) for member_id, email in rows]


def _tenant_admins() -> list[tuple[str, str]]:
    rows = Membership.objects.filter(
        role=Membership.Role.ADMIN, is_active=True, user__is_active=True
    ).values_list("pk", "user__email")
    return [(str(member_id), email) for member_id, email in rows]


def _member_address(member: Membership | None) -> list[tuple[str, str]]:
    if member is None or not member.is_active:
        return []
    return [(str(member.pk), member.user.email)]


def _open_duplicate(promise: Promise | None, touchpoint: Touchpoint | None) -> Escalation | None:
    if promise is None or touchpoint is None:
        return None
    return (
        Escalation.objects.select_for_update()
        .filter(promise=promise, touchpoint=touchpoint, state__in=OPEN_ESCALATION_STATES)
        .order_by("proposed_at", "id")
        .first()
    )


def _attach_stories(escalation: Escalation, stories: Sequence[Story], actor: Actorish) -> int:
    known = set(escalation.evidence.values_list("story_id", flat=True))
    new = [s for s in {s.pk: s for s in stories}.values() if s.pk not in known]
    if not new:
        return 0
    EscalationEvidence.objects.bulk_create(EscalationEvidence(escalation=escalation, story=s) for s in new)
    actor_kind, member, label = _actor_parts(actor)
    EscalationEntry.objects.bulk_create(
        EscalationEntry(
            escalation=escalation,
            kind=EscalationEntry.Kind.EVIDENCE,
            actor_kind=actor_kind,
            actor=member,
            actor_label=label,
            note=f"Story {story.pk}: {story.text[:200]}",
        )
        for story in new
    )
    return len(new)


@dataclass(frozen=True)
class Proposal:
    escalation: Escalation
    merged: bool  # True: the stories joined an open escalation of the same promise and touchpoint


def escalation_propose(
    *,
    tenant: Tenant,
    actor: Actorish,
    title: str,
    severity: str,
    department: Department,
    description: str = "",
    promise: Promise | None = None,
    touchpoint: Touchpoint | None = None,
    stories: Sequence[Story] = (),
    breach_event_id: int | None = None,
    breach: dict[str, Any] | None = None,
    clocks: EscalationSettings | None = None,
) -> Proposal:
    """Propose an escalation, or merge into an open one of the same promise and touchpoint.

    ``actor`` None is the system (automatic proposals). A breach event already escalated is not
    proposed twice (the existing escalation is returned, ``merged``). The department's managers
    are e-mailed (outbox) about a new proposal.
    """
    with tenant_context(tenant), transaction.atomic():
        if isinstance(actor, Membership | ApiKey) and not can(actor, "escalation.propose"):
            raise EscalationRefused("You may not propose escalations; ask a colleague who logs stories.")
        for obj, what in ((department, "department"), (promise, "promise"), (touchpoint, "touchpoint")):
            if obj is not None and obj.tenant_id != tenant.pk:
                raise DomainError(f"Unknown {what}.", field=what)
        if severity not in EscalationSeverity.values:
            raise DomainError(
                f"severity {severity!r} is not one of: {', '.join(EscalationSeverity.values)}.",
                field="severity",
            )
        if breach_event_id is not None:
            existing = Escalation.objects.filter(breach_event_id=breach_event_id).first()
            if existing is not None:
                return Proposal(existing, merged=True)
        # Proposals for one promise queue on its row, so two at once cannot both open one.
        if promise is not None and touchpoint is not None:
            _row_lock(promise)
        duplicate = _open_duplicate(promise, touchpoint)
        if duplicate is not None:
            _attach_stories(duplicate, stories, actor)
            if breach_event_id is not None and duplicate.breach_event_id is None:
                duplicate.breach_event_id, duplicate.breach = breach_event_id, breach or {}
                duplicate.save(update_fields=["breach_event_id", "breach", "updated_at"])
                _entry(duplicate, actor, EscalationEntry.Kind.EVIDENCE, note=(breach or {}).get("title", ""))
            return Proposal(duplicate, merged=True)
        now = timezone.now()
        clocks = clocks or escalation_settings_get(tenant=tenant)
        proposer_kind, member, _ = _actor_parts(actor)
        escalation = Escalation(
            tenant=tenant,
            title=title.strip()[:300],
            description=description.strip(),
            severity=severity,
            department=department,
            promise=promise,
            touchpoint=touchpoint,
            breach_event_id=breach_event_id,
            breach=breach or {},
            proposer_kind=proposer_kind,
            proposed_by=member,
            proposed_by_key=actor if isinstance(actor, ApiKey) else None,
            proposed_at=now,
            decision_due_at=now + timedelta(hours=clocks.decision_hours(severity)),
        )
        escalation.full_clean()
        escalation.save()
        _entry(escalation, actor, EscalationEntry.Kind.TRANSITION, to_state=EscalationState.PROPOSED)
        _attach_stories(escalation, stories, actor)
        managers = [
            m for m in _department_managers(department.pk) if member is None or m[0] != str(member.pk)
        ]
        _escalation_mail(
            tenant,
            escalation,
            key="proposed",
            to=managers,
            subject=f"Escalation awaiting your decision: {escalation.title[:120]}",
            text=f"A {escalation.get_severity_display().lower()} escalation for {department.name} awaits a "
            f"decision by {timezone.localtime(escalation.decision_due_at):%Y-%m-%d %H:%M %Z}.",
        )
        return Proposal(escalation, merged=False)


def escalation_propose_from_story(
    *,
    tenant: Tenant,
    story: Story,
    actor: Actorish,
    severity: str | None = None,
    title: str = "",
    description: str = "",
    department: Department | None = None,
) -> Proposal:
    """"Escalate this story": the story is the evidence; its first promise and its touchpoint
    name the escalation; the department defaults to the story's, else the promise's owner."""  # fmt: skip
    with tenant_context(tenant):
        promise = _story_promise(story, active_only=False)
        department = department or story.department or (promise.owner if promise else None)
        if department is None:
            raise DomainError(
                "Choose the department responsible: this story names none and touches no promise.",
                field="department",
            )
        return escalation_propose(
            tenant=tenant,
            actor=actor,
            title=title or f"Customer story at {story.touchpoint.name}: {story.text[:120]}",
            description=description or story.text,
            severity=severity or _story_severity(story),
            department=department,
            promise=promise,
            touchpoint=story.touchpoint,
            stories=[story],
        )


def _story_promise(story: Story, *, active_only: bool) -> Promise | None:
    promises = (
        Promise.objects.filter(story_links__story=story).select_related("owner").order_by("title", "id")
    )
    if active_only:
        promises = promises.filter(status=Promise.Status.ACTIVE)
    return promises.first()


def _story_severity(story: Story) -> str:
    return EscalationSeverity.HIGH if story.severity == Story.Severity.HIGH else EscalationSeverity.MEDIUM


def escalations_auto_from_stories(*, tenant: Tenant, story_ids: Sequence[int]) -> list[Proposal]:
    """The automatic rule for new stories (in the caller's transaction): severity high or
    sentiment at or below the tenant's threshold, touching an active promise → proposed by the
    system, or merged into the open escalation of the same promise and touchpoint."""
    if not story_ids:
        return []
    with tenant_context(tenant):
        rules = escalation_settings_get(tenant=tenant)
        if not rules.auto_from_stories:
            return []
        candidates = (
            Story.objects.filter(pk__in=list(story_ids))
            .filter(Q(severity=Story.Severity.HIGH) | Q(sentiment__lte=rules.story_sentiment_threshold))
            .filter(promise_links__promise__status=Promise.Status.ACTIVE)
            .select_related("touchpoint", "department")
            .prefetch_related(
                Prefetch(
                    "promise_links",
                    queryset=StoryPromise.objects.filter(promise__status=Promise.Status.ACTIVE)
                    .select_related("promise__owner")
                    .order_by("promise__title", "promise__id"),
                    to_attr="active_links",
                )
            )
            .distinct()
            .order_by("id")
        )
        proposals = []
        for story in candidates:
            promise = story.active_links[0].promise  # the first by title, like _story_promise
            proposals.append(
                escalation_propose(
                    tenant=tenant,
                    actor=None,
                    title=f"“{promise.title}” at {story.touchpoint.name}: {story.text[:120]}",
                    description=story.text,
                    severity=_story_severity(story),
                    department=promise.owner,
                    promise=promise,
                    touchpoint=story.touchpoint,
                    stories=[story],
                    clocks=rules,
                )
            )
        return proposals


def escalation_propose_from_breach(
    *,
    tenant: Tenant,
    breach_event_id: int,
    kind: str,
    title: str,
    department_id: int | None,
    promise_id: int | None = None,
    touchpoint_id: int | None = None,
    previous_value: float | None = None,
    current_value: float | None = None,
    details: dict[str, Any] | None = None,
) -> Proposal | None:
    """The automatic rule for a new breach event of the scoring engine (called by
    ``metrics.services.breaches_detect``): a commitment no longer met or a hidden breach with a
    responsible department is proposed by the system, once per breach event."""
    severity = AUTO_BREACH_KINDS.get(kind)
    if severity is None or department_id is None:
        return None
    with tenant_context(tenant):
        rules = escalation_settings_get(tenant=tenant)
        if not rules.auto_from_breaches:
            return None
        department = Department.objects.filter(pk=department_id).first()
        if department is None:
            return None
        promise = Promise.objects.filter(pk=promise_id).first() if promise_id else None
        touchpoint = Touchpoint.objects.filter(pk=touchpoint_id).first() if touchpoint_id else None
        snapshot = {
            "id": breach_event_id,
            "kind": kind,
            "title": title,
            "previous_value": previous_value,
            "current_value": current_value,
            "details": details or {},
        }
        return escalation_propose(
            tenant=tenant,
            actor=None,
            title=title,
            description=title,
            severity=severity,
            department=department,
            promise=promise,
            touchpoint=touchpoint,
            breach_event_id=breach_event_id,
            breach=snapshot,
            clocks=rules,
        )


def _refusal(action: str, actor: Actorish, escalation: Escalation) -> str:
    if isinstance(actor, ApiKey):
        if action == "escalation.decide":
            return "Approval is for people: an API key can never approve or reject an escalation."
        return "This API key lacks the scope escalations:write."
    if actor is None:
        return "No one is acting."
    if action == "escalation.decide":
        if escalation.proposed_by_id == actor.pk:
            return (
                f"You proposed this escalation: another manager of {escalation.department.name} "
                "or an admin must decide on it."
            )
        return f"Only a manager of {escalation.department.name} or an admin can approve or reject this escalation."
    if action == "escalation.work":
        return f"Only the owner, a manager of {escalation.department.name} or an admin can work on this escalation."
    return (
        f"Only the proposer, the owner, a manager of {escalation.department.name} or an admin "
        "can close or reopen this escalation."
    )


def _transition(
    *,
    tenant: Tenant,
    escalation: Escalation,
    actor: Actorish,
    name: str,
    note: str = "",
    note_required: str = "",
    apply=None,
) -> Escalation:
    with tenant_context(tenant), transaction.atomic():
        locked = (
            Escalation.objects.select_for_update(of=("self",))
            .select_related("department", "proposed_by__user", "owner__user")
            .filter(pk=escalation.pk)
            .first()
        )
        if locked is None:
            raise EscalationRefused("No such escalation.", code="not_found")
        method = getattr(locked, name)
        if not can_proceed(method):
            allowed = [t.name for t in locked.get_available_state_transitions()]
            then = f"; from here it can be: {', '.join(_VERBS[a] for a in allowed)}" if allowed else ""
            raise EscalationStateConflict(
                f"This escalation is {locked.get_state_display().lower()}, so it cannot be {_VERBS[name]}{then}."
            )
        if actor is None or not can(actor, _TRANSITION_ACTIONS[name], locked):
            raise EscalationRefused(_refusal(_TRANSITION_ACTIONS[name], actor, locked))
        note = (note or "").strip()
        if note_required and not note:
            raise DomainError(note_required, field="note")
        before = locked.state
        method()
        now = timezone.now()
        if apply is not None:
            apply(locked, now)
        locked.full_clean()
        locked.save()
        _entry(
            locked,
            actor,
            EscalationEntry.Kind.TRANSITION,
            from_state=before,
            to_state=locked.state,
            note=note,
        )
        escalation.__dict__.update(locked.__dict__)
        return locked


def escalation_approve(
    *,
    tenant: Tenant,
    escalation: Escalation,
    actor: Membership,
    owner: Membership | None = None,
    note: str = "",
) -> Escalation:
    """Approve a proposed escalation and assign its owner in the responsible department
    (default: the approving manager; an admin approving must name one if not in it).
    Starts the resolution clock. E-mails the proposer and the owner (outbox)."""

    def apply(e: Escalation, now) -> None:
        chosen = owner or actor
        if (
            chosen.role != Membership.Role.ADMIN
            and not chosen.departments.filter(pk=e.department_id).exists()
        ):
            raise DomainError(
                f"The owner must be a member of {e.department.name}; choose someone in that department.",
                field="owner",
            )
        if not chosen.is_active:
            raise DomainError("The owner must be an active member.", field="owner")
        clocks = escalation_settings_get(tenant=tenant)
        e.owner, e.decided_at = chosen, now
        e.resolution_due_at = now + timedelta(hours=clocks.resolution_hours(e.severity))
        e.overdue_level = 0  # a new clock starts

    with transaction.atomic():  # the approval and its e-mails commit together
        approved = _transition(
            tenant=tenant, escalation=escalation, actor=actor, name="approve", note=note, apply=apply
        )
        with tenant_context(tenant), transaction.atomic():
            entry = _entry(
                approved,
                actor,
                EscalationEntry.Kind.ASSIGNED,
                note=f"Owner: {approved.owner.user.get_full_name() or approved.owner.user.email}",
            )
            _escalation_mail(
                tenant,
                approved,
                key="approved",
                to=_member_address(approved.proposed_by),
                subject=f"Your escalation was approved: {approved.title[:120]}",
                text=f"Approved by {_actor_parts(actor)[2]}." + (f"\nNote: {note}" if note else ""),
            )
            _escalation_mail(
                tenant,
                approved,
                key=f"assigned:{entry.pk}",
                to=_member_address(approved.owner),
                subject=f"You own an escalation: {approved.title[:120]}",
                text="You were assigned this escalation; resolve it by "
                f"{timezone.localtime(approved.resolution_due_at):%Y-%m-%d %H:%M %Z}.",
            )
    return approved


def escalation_reject(
    *, tenant: Tenant, escalation: Escalation, actor: Membership, reason: str
) -> Escalation:
    """Reject a proposed escalation with a reason (required). E-mails the proposer."""

    def apply(e: Escalation, now) -> None:
        e.decided_at = now

    with transaction.atomic():
        rejected = _transition(
            tenant=tenant,
            escalation=escalation,
            actor=actor,
            name="reject",
            note=reason,
            note_required="Say why it is rejected: the proposer reads the reason.",
            apply=apply,
        )
        with tenant_context(tenant):
            _escalation_mail(
                tenant,
                rejected,
                key="rejected",
                to=_member_address(rejected.proposed_by),
                subject=f"Your escalation was rejected: {rejected.title[:120]}",
                text=f"Rejected by {_actor_parts(actor)[2]}.\nReason: {reason.strip()}",
            )
    return rejected


def escalation_start(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey, note: str = ""
) -> Escalation:
    """Move an approved escalation to in progress (the owner, a department manager, an admin)."""
    return _transition(tenant=tenant, escalation=escalation, actor=actor, name="start", note=note)


def escalation_resolve(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey, resolution: str
) -> Escalation:
    """Resolve with a resolution note (required); it closes by itself after the tenant's
    ``auto_close_days`` unless reopened."""

    def apply(e: Escalation, now) -> None:
        e.resolved_at, e.resolution = now, resolution.strip()

    return _transition(
        tenant=tenant,
        escalation=escalation,
        actor=actor,
        name="resolve",
        note=resolution,
        note_required="Describe the resolution: what was done about it.",
        apply=apply,
    )


def escalation_reopen(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey, reason: str
) -> Escalation:
    """Reopen a resolved escalation (back to in progress) with a reason (required)."""

    def apply(e: Escalation, now) -> None:
        e.resolved_at = None

    return _transition(
        tenant=tenant,
        escalation=escalation,
        actor=actor,
        name="reopen",
        note=reason,
        note_required="Say why it is reopened.",
        apply=apply,
    )


def escalation_close(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey | None, note: str = ""
) -> Escalation:
    """Close a resolved escalation (the proposer, the owner, a department manager, an admin)."""

    def apply(e: Escalation, now) -> None:
        e.closed_at = now

    return _transition(
        tenant=tenant, escalation=escalation, actor=actor, name="close", note=note, apply=apply
    )


def escalation_comment(
    *, tenant: Tenant, escalation: Escalation, actor: Membership | ApiKey, text: str
) -> EscalationEntry:
    """Add a comment to the timeline (the caller checked that ``actor`` may see the escalation)."""
    text = (text or "").strip()
    if not text:
        raise DomainError("Write the comment first.", field="text")
    if len(text) > STORY_TEXT_MAX:
        raise DomainError(f"Keep the comment to at most {STORY_TEXT_MAX} characters.", field="text")
    with tenant_context(tenant), transaction.atomic():
        if not can(actor, "escalation.comment"):
            raise EscalationRefused("You may not comment on escalations.")
        return _entry(escalation, actor, EscalationEntry.Kind.COMMENT, note=text)


def _system_close(escalation: Escalation) -> None:
    escalation.close()
    escalation.closed_at = timezone.now()
    escalation.save()
    _entry(
        escalation,
        None,
        EscalationEntry.Kind.TRANSITION,
        from_state=EscalationState.RESOLVED,
        to_state=EscalationState.CLOSED,
        note="Closed automatically: resolved and not reopened.",
    )


def escalations_overdue_scan(*, tenant: Tenant) -> dict[str, int]:
    """The clock (beat fans it out per tenant): escalate overdue ones up, close old resolved ones.

    Level 1 (the due time passed) reminds the department's managers; level 2 (the tenant's
    ``admin_after_hours`` later) tells the tenant admins. Each level happens once per clock
    (decision, then resolution) and is recorded on the escalation and its timeline; a second
    scan finds nothing to do. Rows another scan holds are skipped, not waited for.
    """
    counts = {"level_1": 0, "level_2": 0, "closed": 0}
    with tenant_context(tenant), transaction.atomic():
        now = timezone.now()
        clocks = escalation_settings_get(tenant=tenant)
        late = (
            Escalation.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("department")
            .filter(overdue_level__lt=2)
            .filter(
                Q(state=EscalationState.PROPOSED, decision_due_at__lt=now)
                | Q(
                    state__in=[EscalationState.APPROVED, EscalationState.IN_PROGRESS],
                    resolution_due_at__lt=now,
                )
            )
            .order_by("id")
        )
        admins = None
        managers: dict[int, list[tuple[str, str]]] = {}  # per department, read once per scan
        for escalation in late:
            due = escalation.due_at
            level = 2 if now >= due + timedelta(hours=clocks.admin_after_hours) else 1
            clock = "decision" if escalation.state == EscalationState.PROPOSED else "resolution"
            for reached in range(escalation.overdue_level + 1, level + 1):
                if reached == 1:
                    if escalation.department_id not in managers:
                        managers[escalation.department_id] = _department_managers(escalation.department_id)
                    to = managers[escalation.department_id]
                    who = f"the managers of {escalation.department.name}"
                else:
                    admins = _tenant_admins() if admins is None else admins
                    to, who = admins, "the tenant admins"
                _escalation_mail(
                    tenant,
                    escalation,
                    key=f"overdue:{clock}:{reached}",
                    to=to,
                    subject=f"Overdue escalation (level {reached}): {escalation.title[:120]}",
                    text=f"The {clock} was due {timezone.localtime(due):%Y-%m-%d %H:%M %Z} and is overdue.",
                )
                _entry(
                    escalation,
                    None,
                    EscalationEntry.Kind.OVERDUE,
                    level=reached,
                    note=f"The {clock} is overdue (due {due:%Y-%m-%d %H:%M} UTC): {who} were told.",
                )
                counts[f"level_{reached}"] += 1
            escalation.overdue_level = level
            escalation.save(update_fields=["overdue_level", "updated_at"])
        stale = Escalation.objects.select_for_update(skip_locked=True).filter(
            state=EscalationState.RESOLVED, resolved_at__lte=now - timedelta(days=clocks.auto_close_days)
        )
        for escalation in stale.order_by("id"):
            _system_close(escalation)
            counts["closed"] += 1
    return counts
