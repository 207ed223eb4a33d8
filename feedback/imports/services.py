"""CSV imports (admins): the template, the upload, a resumable run in chunks that creates new
rows and corrects re-imported ones, the sweep of stalled runs."""

from __future__ import annotations

import csv
import io
import re
import time
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import structlog
from django.db import transaction
from django.utils import timezone

from feedback.imports.enqueue import signal_import_run_later
from feedback.imports.models import SignalImport
from feedback.ingest.items import MAX_BATCH_ITEMS
from feedback.ingest.services import signals_ingest
from feedback.signals.models import story_text_problem
from tenants.context import tenant_context
from tenants.csvexport import csv_text
from tenants.errors import DomainError
from tenants.models import ApiKey, Membership, Tenant
from tenants.webhooks.services import webhook_event_enqueue

# --- CSV import (admins) ----------------------------------------------------------------------

# The documented columns of each import, in template order; the required ones must be in the header.
logger = structlog.get_logger("cxgov.feedback")

IMPORT_COLUMNS: dict[str, tuple[str, ...]] = {
    "stories": (
        "external_id", "text", "occurred_at", "touchpoint", "promises", "department", "segment", "severity",
    ),
    "survey_responses": (
        "external_id", "measure", "score", "occurred_at", "touchpoint", "respondent_ref", "comment",
    ),
    "service_events": (
        "external_id", "measure", "duration_seconds", "outcome", "value", "occurred_at", "touchpoint",
    ),
}  # fmt: skip
# The fact column comes with the measure's kind: each row is checked against its measure.
IMPORT_REQUIRED: dict[str, tuple[str, ...]] = {
    "stories": ("external_id", "text", "occurred_at", "touchpoint"),
    "survey_responses": ("external_id", "measure", "score", "occurred_at"),
    "service_events": ("external_id", "measure", "occurred_at", "touchpoint"),
}
IMPORT_EXAMPLES: dict[str, tuple[str, ...]] = {
    "stories": (
        "story-0001", "The courier left the parcel in the rain.", "2026-03-01T14:30:00+01:00", "delivery",
        "on-time-delivery", "", "retail", "high",
    ),
    "survey_responses": (
        "resp-0001", "nps", "9", "2026-03-01T14:30:00+01:00", "delivery", "cust-123", "Quick and friendly.",
    ),
}  # fmt: skip
# Service events: one template per measure kind, with that kind's fact column only.
EVENT_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "duration": (
        ("external_id", "measure", "duration_seconds", "occurred_at", "touchpoint"),
        ("refund-0001", "refund_processing", "86400", "2026-03-01T14:30:00+01:00", "delivery"),
    ),
    "rate": (
        ("external_id", "measure", "outcome", "occurred_at", "touchpoint"),
        ("contact-0001", "first_contact_resolution", "true", "2026-03-01T14:30:00+01:00", "support"),
    ),
    "average": (
        ("external_id", "measure", "value", "occurred_at", "touchpoint"),
        ("review-0001", "review_stars", "4", "2026-03-01T14:30:00+01:00", "website"),
    ),
}
IMPORT_INTEGER_COLUMNS = frozenset({"score", "duration_seconds"})
IMPORT_BOOLEAN_COLUMNS = frozenset({"outcome"})
# A story's promises: their slugs in one cell, separated by spaces, commas or semicolons.
IMPORT_LIST_COLUMNS = frozenset({"promises"})
_LIST_SEPARATORS = re.compile(r"[\s,;]+")
_BOOLEANS = {"true": True, "false": False}
IMPORT_MAX_BYTES = 20 * 1024 * 1024
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")
_IMPORT_MAX_DIGITS = 40


def signal_import_template(*, kind: str, measure_kind: str = "duration") -> str:
    """The CSV template of an import kind: the header and one example row. Service events have
    one per measure kind (``duration``, ``rate``, ``average``), with that kind's fact column."""
    if kind == "service_events":
        return csv_text(list(EVENT_TEMPLATES[measure_kind]))
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
    *,
    tenant: Tenant,
    kind: str,
    content: str,
    actor: Membership | None,
    file_name: str = "",
    api_key: ApiKey | None = None,
) -> SignalImport:
    """Store an uploaded CSV and queue its processing (after commit). Checks the header only;
    rows are checked one by one when the import runs. An upload by API key has no member
    ``actor`` but its ``api_key``: the rows become that key's signals, and the audit trail names
    the key (from the request)."""
    if (actor is None) == (api_key is None):
        raise ValueError("An import is uploaded by a member or by an API key, exactly one.")
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
            tenant=tenant,
            kind=kind,
            content=content,
            file_name=file_name[:255],
            created_by=actor,
            api_key=api_key,
        )
        transaction.on_commit(
            lambda: signal_import_run_later(tenant_id=tenant.pk, import_id=signal_import.pk)
        )
    return signal_import


# Why a row cannot be an item: a sentence about the row, or (its external_id, errors per field).
RowProblem = str | tuple[str, dict[str, list[str]]]


def _import_rows(kind: str, content: str) -> Iterable[tuple[int, dict[str, Any] | None, RowProblem | None]]:
    """``(line, item, problem)`` per data row: the API item of the row, or why it cannot be one."""
    reader = csv.DictReader(io.StringIO(content))
    reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
    line = reader.line_num
    seen: dict[str, int] = {}  # external_id → its first line
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
            elif name in IMPORT_BOOLEAN_COLUMNS and value.lower() in _BOOLEANS:
                item[name] = _BOOLEANS[value.lower()]
            elif name in IMPORT_LIST_COLUMNS:
                item[name] = [slug for slug in _LIST_SEPARATORS.split(value) if slug]
            else:
                item[name] = value
        if problem is not None:
            yield start, None, problem
            continue
        if "external_id" not in item:
            yield start, None, "external_id is empty; every row needs one, so that a re-import finds it."
            continue
        if (first := seen.get(item["external_id"])) is not None:
            repeated = (
                f"external_id {item['external_id']!r} is already on line {first}; each row needs its own "
            )
            yield start, None, repeated + "external_id (to correct a row, change it on its line)."
            continue
        seen[item["external_id"]] = start
        if (
            kind == "stories"
            and isinstance(item.get("text"), str)
            and (problem := story_text_problem(item["text"]))
        ):
            # The web form's rule for a story a person wrote (the API takes any text).
            yield start, None, (item["external_id"], {"text": [problem]})
            continue
        yield start, item, None


def signal_import_run(
    *, tenant: Tenant, signal_import: SignalImport, time_budget: float | None = None
) -> SignalImport:
    """Feed the import's rows to :func:`signals_ingest`, ``MAX_BATCH_ITEMS`` rows per transaction,
    from the first row not stored yet. A row whose ``external_id`` the uploader stored before
    corrects that signal when its values differ (``updated``) and is skipped otherwise
    (``unchanged``): see ``on_existing="update"``.

    Each chunk's rows, the import's progress (rows done, counts, report) and its heartbeat
    commit in one transaction, under a row lock on the import. So a run killed anywhere
    (``kill -9``, a lost database connection) resumes exactly after the last committed chunk,
    and two runs of one import (a resume racing a slow run) take turns chunk by chunk: no row
    is lost or stored twice, and the counts add up (a chunk run again after a crash finds its
    rows stored with its values: nothing new is counted, since the progress committed with
    them). The source of the rows is the member who uploaded the file: a re-import by them of
    the same file finds every row unchanged.

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
                signal_import_run_later(tenant_id=tenant.pk, import_id=current.pk)
                return current


def _import_locked(import_id: int) -> SignalImport | None:
    """The import row, locked until the transaction ends (``of=self``: not the uploader's row),
    with the uploader (named in the audit entry of each chunk)."""
    return (
        SignalImport.objects.select_for_update(of=("self",))
        .select_related("created_by__user", "api_key")
        .filter(pk=import_id)
        .first()
    )


def _import_chunk(
    *,
    tenant: Tenant,
    signal_import: SignalImport,
    rows: list[tuple[int, dict[str, Any] | None, RowProblem | None]],
) -> None:
    """Store the next chunk of ``rows`` and the progress, in the caller's transaction."""
    changes: dict[str, Any] = {"heartbeat_at": timezone.now()}
    if signal_import.status == SignalImport.Status.QUEUED:
        changes.update(status=SignalImport.Status.RUNNING, total_rows=len(rows))
    source = signal_import.created_by or signal_import.api_key
    if source is None:
        changes.update(
            status=SignalImport.Status.FAILED,
            error="The member or API key that uploaded this file no longer exists; upload it again.",
            finished_at=timezone.now(),
        )
        _import_update(tenant, signal_import, **changes)
        return
    start = signal_import.processed_rows
    chunk = rows[start : start + MAX_BATCH_ITEMS]
    counts = {"created": 0, "updated": 0, "unchanged": 0, "rejected": 0}
    report: list[dict[str, Any]] = []
    for line, item, problem in chunk:
        if item is None:
            counts["rejected"] += 1
            external_id, errors = ("", {"row": [problem]}) if isinstance(problem, str) else problem
            report.append({"line": line, "external_id": external_id, "errors": errors})
    sendable = [(line, item) for line, item, _ in chunk if item is not None]
    if sendable:
        results = signals_ingest(
            tenant=tenant,
            kind=signal_import.kind,
            items=[item for _, item in sendable],
            source=source,
            audit={"import_id": signal_import.pk, "first_line": chunk[0][0], "last_line": chunk[-1][0]},
            on_existing="update",
        )
        for (line, item), result in zip(sendable, results, strict=True):
            # "duplicate" (repeated in one batch) cannot happen: _import_rows rejects repeats.
            counts["unchanged" if result.status == "duplicate" else result.status] += 1
            if result.status == "rejected":
                report.append(
                    {"line": line, "external_id": item.get("external_id", ""), "errors": result.errors}
                )
    processed = start + len(chunk)
    changes.update(
        processed_rows=processed,
        created_count=signal_import.created_count + counts["created"],
        updated_count=signal_import.updated_count + counts["updated"],
        unchanged_count=signal_import.unchanged_count + counts["unchanged"],
        rejected_count=signal_import.rejected_count + counts["rejected"],
    )
    if report:  # chunks come in file order: the report stays sorted by line
        changes["report"] = [*signal_import.report, *sorted(report, key=lambda entry: entry["line"])]
    if processed >= len(rows):
        changes.update(status=SignalImport.Status.DONE, finished_at=timezone.now())
    _import_update(tenant, signal_import, **changes)


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
                    lambda import_id=import_id: signal_import_run_later(
                        tenant_id=tenant.pk, import_id=import_id
                    )
                )
    return stalled


def signal_import_fail(*, tenant: Tenant, signal_import: SignalImport, error: str) -> SignalImport:
    """Mark an import failed (the rows written by finished chunks stay: a re-import skips them)."""
    with tenant_context(tenant):
        return _import_update(
            tenant, signal_import, status=SignalImport.Status.FAILED, error=error, finished_at=timezone.now()
        )


def _import_update(tenant: Tenant, signal_import: SignalImport, **changes: Any) -> SignalImport:
    """Save ``changes``; an import that ends here (done or failed) queues ``import.finished``
    in the same transaction."""
    for name, value in changes.items():
        setattr(signal_import, name, value)
    signal_import.save(update_fields=list(changes))
    if changes.get("status") in (SignalImport.Status.DONE, SignalImport.Status.FAILED):
        _import_finished_webhook(tenant, signal_import)
    return signal_import


def _import_finished_webhook(tenant: Tenant, signal_import: SignalImport) -> None:
    """``import.finished``: how many rows were created, updated, unchanged or rejected; links to
    the import's page (its report of rejected rows). ``stored`` and ``duplicates`` are the
    names of ``created`` and ``unchanged`` before imports corrected rows, kept for receivers."""
    webhook_event_enqueue(
        tenant=tenant,
        event_type="import.finished",
        data={
            "import": {
                "id": signal_import.pk,
                "kind": signal_import.kind,
                "file_name": signal_import.file_name,
                "status": signal_import.status,
                "total_rows": signal_import.total_rows,
                "processed_rows": signal_import.processed_rows,
                "created": signal_import.created_count,
                "updated": signal_import.updated_count,
                "unchanged": signal_import.unchanged_count,
                "rejected": signal_import.rejected_count,
                "stored": signal_import.created_count,
                "duplicates": signal_import.unchanged_count,
                "error": signal_import.error,
                "created_at": signal_import.created_at.isoformat(),
                "finished_at": signal_import.finished_at.isoformat() if signal_import.finished_at else None,
            }
        },
        path=f"/signals/import/{signal_import.pk}/",
        summary=_import_summary(signal_import),
    )


def _rows(count: int) -> str:
    return f"{count} row{'' if count == 1 else 's'}"


def _import_summary(signal_import: SignalImport) -> str:
    """E.g. "CSV import finished: responses.csv — 2 rows created, 1 updated, 0 unchanged, 1 rejected."."""
    name = signal_import.file_name or f"import {signal_import.pk}"
    if signal_import.status == SignalImport.Status.FAILED:
        return f"CSV import failed: {name} — {signal_import.error}"
    return (
        f"CSV import finished: {name} — {_rows(signal_import.created_count)} created, "
        f"{signal_import.updated_count} updated, {signal_import.unchanged_count} unchanged, "
        f"{signal_import.rejected_count} rejected."
    )


def signal_import_rejected_csv(*, signal_import: SignalImport) -> Iterable[list[str]]:
    """The rejected rows as CSV rows: line, external_id, field, reason (one row per reason)."""
    yield ["line", "external_id", "field", "reason"]
    for entry in signal_import.report:
        for name, reasons in entry["errors"].items():
            for reason in reasons:
                yield [str(entry["line"]), str(entry["external_id"]), name, reason]
