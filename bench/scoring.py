"""What a full score recompute costs on the rollups against the raw signals, and what the
rollups cost on ingest.

Runs, in one process, on a database of its own (``cxgov_bench_scoring``, or ``--database``; created and migrated
with Django's test-database machinery, dropped at the end; a leftover one from an interrupted
run is replaced), side by side:

1. full recompute for tenant ``main`` (``--responses`` survey responses and ``--events``
   service events, 8 touchpoints, 20 active commitments mixing ``nps``/``csat``/``ces`` and
   three duration measures with two thresholds each, windows of 30/90/180/365 days, signals
   spread over 400 days): (a) ``scores_compute(source="rollup")``, the production path;
   (b) ``scores_compute(source="raw")``; (c) a hand-written ``GROUP BY measure_id,
   touchpoint_id`` with ``count(*) FILTER (…)`` per window (and threshold) over the raw
   signals, combined per commitment in Python. The counts of (a), (b) and (c) must be equal
   (the run fails otherwise). Medians of ``--repeats`` interleaved runs after a warm-up.
   Ratios: (c) ÷ (a) (goal ≥ 20) and (b) ÷ (c) (goal ≤ 1.5).
2. rollup upkeep on ingest: ``--ingest-batches`` batches of ``--batch`` items per signal kind
   through ``feedback.ingest.services.signals_ingest``, alternating batch by batch between the
   rollup triggers enabled and disabled (``ALTER TABLE … DISABLE TRIGGER metrics_rollup`` as
   the owner; re-enabled and the rollups rebuilt afterwards).
   Goal: ≤ 20 % added. The Redis "dirty" mark is replaced by a no-op (same in both modes).
3. tenant independence: tenant ``solo`` with ``--independence-rows`` responses (and a fifth
   as many events) recomputed while the database holds as many rows of another tenant, then
   ``--others-factor`` times as many; the two states alternate twice (the extra rows loaded,
   deleted, loaded again) and each state's time is the mean of its turns' medians (of five
   times ``--repeats``: milliseconds each). Goal: the second ÷ the first ≤ 1.2, both paths.
4. curves: recompute time against the tenant's size (``--curve-rows`` tenants plus ``main``)
   and against the number of active commitments of ``main`` (``--curve-commitments``).

Signals are generated in PostgreSQL (``INSERT … SELECT generate_series``) as the owner, with
the audit trigger off for the load only (synthetic history; the rollup triggers fire as on
any insert), then ``VACUUM ANALYZE``.

    DEBUG=false .venv/bin/python -m bench.scoring [--responses 1000000 --events 200000 --repeats 5]
        [--database cxgov_bench_scoring]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from unittest import mock

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cxgov.settings.dev")

import django  # noqa: E402

django.setup()

import psycopg  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F  # noqa: E402

from bench.owner import owner_conninfo  # noqa: E402
from feedback.ingest import items as ingest_items  # noqa: E402
from feedback.ingest import services as ingest_services  # noqa: E402
from metrics.engine import Terms, commitment_score, scores_compute, signal_counts, terms_at  # noqa: E402
from metrics.rollups import rollups_rebuild, thresholds_register  # noqa: E402
from promises.commitments.services import measure_create, measures_ensure_builtin  # noqa: E402
from promises.models import Commitment, CommitmentVersion, Measure, Promise  # noqa: E402
from tenants.context import require_tenant_id, tenant_context  # noqa: E402
from tenants.models import Tenant, Touchpoint  # noqa: E402
from tenants.services import (  # noqa: E402
    api_key_create,
    api_key_revoke,
    department_create,
    tenant_create,
    touchpoint_create,
)

BENCH_DB = "cxgov_bench_scoring"
SLUG_PREFIX = "bench-scoring-"
TOUCHPOINTS = 8
WINDOWS = (30, 90, 180, 365)
HISTORY_DAYS = 400
# Duration measures: (key, unit, the two thresholds commitments use, the longest generated duration).
DURATIONS = (
    ("first_response", "hours", (3600, 4 * 3600), 8 * 3600),
    ("refund_processing", "days", (3 * 86400, 5 * 86400), 10 * 86400),
    ("ticket_resolution", "days", (86400, 2 * 86400), 4 * 86400),
)
SURVEY_KEYS = ("nps", "csat", "ces")
TARGETS = {"nps": Decimal(30), "csat": Decimal(80), "ces": Decimal("5.5")}
DURATION_TARGET = Decimal(85)
MAX_COMMITMENTS = 40
SIGNAL_TABLES = ("feedback_surveyresponse", "feedback_serviceevent")
INDEPENDENCE_TURNS = 2


@dataclass
class Bench:
    """A tenant of the bench: its ids, and which of its commitments exist (all 40)."""

    tenant: Tenant
    survey_measures: list[int]  # nps, csat, ces
    duration_measures: list[int]
    touchpoints: list[int]
    commitments: list[int]  # in creation order; the first ``active`` ones count


# --- Setup --------------------------------------------------------------------------------------


def _spec(i: int) -> tuple[str, int, int | None, int | None]:
    """Commitment ``i``: (measure key, window days, touchpoint index or None, threshold)."""
    keys = [*SURVEY_KEYS, *(d[0] for d in DURATIONS)]
    key = keys[i % len(keys)]
    window = WINDOWS[(i + i // len(keys)) % len(WINDOWS)]
    touchpoint = None if i % 5 == 4 else i % TOUCHPOINTS
    threshold = None
    for d_key, _, thresholds, _ in DURATIONS:
        if d_key == key:
            threshold = thresholds[(i // len(keys)) % 2]
    return key, window, touchpoint, threshold


def _setup(name: str, at: datetime) -> Bench:
    """A tenant with 8 touchpoints, the duration measures, 5 active promises of 8 commitments each."""
    slug = f"{SLUG_PREFIX}{name}"
    tenant = tenant_create(slug=slug, name=slug)
    department = department_create(tenant=tenant, name="Operations")
    measures_ensure_builtin(tenant=tenant)
    for key, unit, _, _ in DURATIONS:
        measure_create(tenant=tenant, key=key, name=key.replace("_", " ").title(), unit=unit)
    touchpoints = [touchpoint_create(tenant=tenant, name=f"Touchpoint {k}").pk for k in range(TOUCHPOINTS)]
    since = at - timedelta(days=HISTORY_DAYS + 100)
    with tenant_context(tenant):
        measures = {m.key: m for m in Measure.objects.all()}
        promises = [
            Promise.objects.create(
                tenant=tenant,
                kind=Promise.Kind.CUSTOMER,
                slug=f"promise-{p}",
                title=f"Promise {p}",
                statement="What customers can expect.",
                owner=department,
                status=Promise.Status.ACTIVE,
                activated_at=since,
            )
            for p in range(MAX_COMMITMENTS // 8)
        ]
        commitments = []
        for i in range(MAX_COMMITMENTS):
            key, window, touchpoint, threshold = _spec(i)
            commitment = Commitment.objects.create(
                tenant=tenant,
                promise=promises[i % len(promises)],
                measure=measures[key],
                touchpoint_id=None if touchpoint is None else touchpoints[touchpoint],
                created_at=since,
            )
            CommitmentVersion.objects.create(
                tenant=tenant,
                commitment=commitment,
                number=1,
                target=TARGETS.get(key, DURATION_TARGET),
                threshold_seconds=threshold,
                window_days=window,
                weight=Decimal(1 + i % 3),
                effective_from=since,
                created_at=since,
            )
            commitments.append(commitment.pk)
        thresholds_register()  # before the load: the triggers count the thresholds as rows arrive
    bench = Bench(
        tenant,
        [measures[k].pk for k in SURVEY_KEYS],
        [measures[d[0]].pk for d in DURATIONS],
        touchpoints,
        commitments,
    )
    _activate(bench, 20)
    return bench


def _activate(bench: Bench, active: int) -> None:
    """Let the first ``active`` commitments count (the others get an empty effective period)."""
    with tenant_context(bench.tenant):
        versions = CommitmentVersion.objects.filter(commitment_id__in=bench.commitments)
        versions.filter(commitment_id__in=bench.commitments[:active]).update(effective_to=None)
        versions.exclude(commitment_id__in=bench.commitments[:active]).update(
            effective_to=F("effective_from")
        )


_SURVEY_LOAD = """
INSERT INTO feedback_surveyresponse
    (tenant_id, occurred_at, source_kind, source_id, external_id, created_at,
     measure_id, score, touchpoint_id, segment, respondent_ref, comment)
SELECT %(tenant)s, %(at)s - (random() * %(days)s - 1) * interval '1 day', 'api_key', 0, NULL, now(),
       (%(measures)s::bigint[])[m + 1],
       CASE m WHEN 0 THEN floor(random() * 11) WHEN 1 THEN 1 + floor(random() * 5)
              ELSE 1 + floor(random() * 7) END,
       CASE WHEN random() < 0.1 THEN NULL
            ELSE (%(touchpoints)s::bigint[])[1 + floor(random() * %(tps)s)::int] END,
       '{}'::jsonb, '', ''
  FROM (SELECT floor(random() * 3)::int AS m FROM generate_series(1, %(n)s)) g
"""

_EVENT_LOAD = """
INSERT INTO feedback_serviceevent
    (tenant_id, occurred_at, source_kind, source_id, external_id, created_at,
     measure_id, duration_seconds, touchpoint_id)
SELECT %(tenant)s, %(at)s - (random() * %(days)s - 1) * interval '1 day', 'api_key', 0, NULL, now(),
       (%(measures)s::bigint[])[m + 1], floor(random() * random() * (%(longest)s::bigint[])[m + 1]),
       (%(touchpoints)s::bigint[])[1 + floor(random() * %(tps)s)::int]
  FROM (SELECT floor(random() * %(kinds)s)::int AS m FROM generate_series(1, %(n)s)) g
"""

LOAD_CHUNK = 250_000


@contextmanager
def _owner():
    with psycopg.connect(owner_conninfo(), autocommit=True) as owner:
        yield owner


# ``--rebuild-rollups``: load (and delete) with the rollup triggers off, then rebuild the tenant's
# rollups in one pass — the same rollups, many times faster than a trigger per row.
REBUILD_ROLLUPS = False


@contextmanager
def _rollups_rebuilt(owner: psycopg.Connection, bench: Bench, rebuild: bool):
    """With ``rebuild``, the block runs with the rollup triggers off and the tenant's rollups are
    rebuilt afterwards; otherwise the triggers keep them, row by row."""
    if not rebuild:
        yield
        return
    for table in SIGNAL_TABLES:
        owner.execute(f"ALTER TABLE {table} DISABLE TRIGGER metrics_rollup")
    try:
        yield
    finally:
        for table in SIGNAL_TABLES:
            owner.execute(f"ALTER TABLE {table} ENABLE TRIGGER metrics_rollup")
    with tenant_context(bench.tenant):
        rollups_rebuild()


def _load(
    owner: psycopg.Connection,
    bench: Bench,
    at: datetime,
    responses: int,
    events: int,
    *,
    rebuild: bool | None = None,
) -> None:
    """Generate ``responses`` survey responses and ``events`` service events for ``bench``'s tenant
    (occurred_at uniform over the 400 days before ``at`` and the day after it)."""
    with _rollups_rebuilt(owner, bench, REBUILD_ROLLUPS if rebuild is None else rebuild):
        _load_rows(owner, bench, at, responses, events)


def _load_rows(owner: psycopg.Connection, bench: Bench, at: datetime, responses: int, events: int) -> None:
    common = {
        "tenant": bench.tenant.pk,
        "at": at,
        "days": HISTORY_DAYS + 1,
        "touchpoints": bench.touchpoints,
        "tps": len(bench.touchpoints),
    }
    for table, sql, total, extra in (
        ("feedback_surveyresponse", _SURVEY_LOAD, responses, {"measures": bench.survey_measures}),
        (
            "feedback_serviceevent",
            _EVENT_LOAD,
            events,
            {
                "measures": bench.duration_measures,
                "longest": [d[3] for d in DURATIONS],
                "kinds": len(DURATIONS),
            },
        ),
    ):
        owner.execute(f"ALTER TABLE {table} DISABLE TRIGGER cxgov_audit")
        try:
            for start in range(0, total, LOAD_CHUNK):
                owner.execute(sql, {**common, **extra, "n": min(LOAD_CHUNK, total - start)})
        finally:
            owner.execute(f"ALTER TABLE {table} ENABLE TRIGGER cxgov_audit")


def _vacuum(owner: psycopg.Connection) -> None:
    """Vacuum and analyze what a load wrote, then a checkpoint: measurements must not share the
    machine with the flushing of the load's dirty pages (on 2 cores, everything slows down)."""
    for table in (
        *SIGNAL_TABLES,
        "metrics_surveyrollup",
        "metrics_serviceeventrollup",
        "metrics_serviceeventwithinrollup",
        "metrics_surveymonthrollup",
        "metrics_serviceeventmonthrollup",
        "metrics_serviceeventwithinmonthrollup",
    ):
        owner.execute(f"VACUUM ANALYZE {table}")
    owner.execute("CHECKPOINT")


# --- The three ways to the numbers --------------------------------------------------------------

SURVEY_COLUMNS = (  # (count name, aggregate, extra condition)
    ("n", "count(*)", ""),
    ("promoters", "count(*)", " AND score >= 9"),
    ("detractors", "count(*)", " AND score <= 6"),
    ("satisfied", "count(*)", " AND score >= 4"),
    ("score_sum", "sum(score)", ""),
)
COUNT_NAMES = {
    "nps": ("n", "promoters", "detractors"),
    "csat": ("n", "satisfied"),
    "ces": ("n", "score_sum"),
    "duration": ("n", "within"),
}


def _names(t: Terms) -> tuple[str, ...]:
    return COUNT_NAMES["duration" if t.measure_kind == "duration" else t.measure_key]


def hand_counts(terms: list[Terms], at: datetime) -> dict[int, dict[str, int]]:
    """The counts every commitment needs, by one ``GROUP BY measure_id, touchpoint_id`` per signal
    table over the raw rows, one ``FILTER`` column per window (and threshold), summed in Python."""
    survey = [t for t in terms if t.measure_kind == "survey"]
    duration = [t for t in terms if t.measure_kind == "duration"]
    tenant_id = require_tenant_id()
    groups: dict[tuple[str, int, int | None], dict[Any, int]] = {}
    with connection.cursor() as cursor:
        if survey:
            windows = sorted({t.window_days for t in survey})
            keys, columns, params = [], [], []
            for w in windows:
                for name, aggregate, predicate in SURVEY_COLUMNS:
                    keys.append((w, name))
                    columns.append(f"{aggregate} FILTER (WHERE occurred_at > %s{predicate})")
                    params.append(at - timedelta(days=w))
            cursor.execute(
                f"SELECT measure_id, touchpoint_id, {', '.join(columns)} FROM feedback_surveyresponse"  # noqa: S608
                " WHERE tenant_id = %s AND occurred_at > %s AND occurred_at <= %s GROUP BY measure_id, touchpoint_id",
                [*params, tenant_id, at - timedelta(days=windows[-1]), at],
            )
            for measure_id, touchpoint_id, *values in cursor.fetchall():
                groups[("survey", measure_id, touchpoint_id)] = {
                    key: int(v or 0) for key, v in zip(keys, values, strict=True)
                }
        if duration:
            keys = sorted(
                {(t.window_days, 0) for t in duration}
                | {(t.window_days, t.threshold_seconds) for t in duration}
            )
            columns, params = [], []
            for w, threshold in keys:
                if threshold:
                    columns.append("count(*) FILTER (WHERE occurred_at > %s AND duration_seconds <= %s)")
                    params += [at - timedelta(days=w), threshold]
                else:
                    columns.append("count(*) FILTER (WHERE occurred_at > %s)")
                    params.append(at - timedelta(days=w))
            cursor.execute(
                f"SELECT measure_id, touchpoint_id, {', '.join(columns)} FROM feedback_serviceevent"  # noqa: S608
                " WHERE tenant_id = %s AND occurred_at > %s AND occurred_at <= %s GROUP BY measure_id, touchpoint_id",
                [*params, tenant_id, at - timedelta(days=max(w for w, _ in keys)), at],
            )
            for measure_id, touchpoint_id, *values in cursor.fetchall():
                groups[("duration", measure_id, touchpoint_id)] = dict(zip(keys, values, strict=True))
    counts: dict[int, dict[str, int]] = {}
    for t in terms:
        mine = dict.fromkeys(_names(t), 0)
        for (kind, measure_id, touchpoint_id), values in groups.items():
            if measure_id != t.measure_id or (
                t.touchpoint_id is not None and touchpoint_id != t.touchpoint_id
            ):
                continue
            if kind == "survey":
                for name in mine:
                    mine[name] += values[(t.window_days, name)]
            else:
                mine["n"] += values[(t.window_days, 0)]
                mine["within"] += values[(t.window_days, t.threshold_seconds)]
        counts[t.commitment_id] = mine
    return counts


def hand_compute(at: datetime) -> list[tuple[int, int, Any, Any]]:
    """(c): the commitments' numbers from :func:`hand_counts` — (id, n, actual, score)."""
    terms = terms_at(at)
    counts = hand_counts(terms, at)
    out = []
    for t in terms:
        c = commitment_score(t, counts[t.commitment_id])
        out.append((t.commitment_id, c.n, c.actual, c.score))
    return out


def _check(bench: Bench, at: datetime) -> int:
    """Compare the counts of the three paths and the engine's output; returns commitments checked."""
    with tenant_context(bench.tenant):
        terms = terms_at(at)
        hand = hand_counts(terms, at)
        for source in ("rollup", "raw"):
            engine = signal_counts(terms, at, source=source)
            for t in terms:
                got = {name: engine.get(t.commitment_id, {}).get(name, 0) for name in _names(t)}
                if got != hand[t.commitment_id]:
                    raise AssertionError(
                        f"{bench.tenant.slug}: commitment {t.commitment_id} ({t.measure_key}, {t.window_days} d): "
                        f"engine {source} {got} != hand-written SQL {hand[t.commitment_id]}"
                    )
            result = scores_compute(tenant=bench.tenant, at=at, source=source)
            mine = {cid: (n, actual, score) for cid, n, actual, score in hand_compute(at)}
            for c in result["commitments"]:
                n, actual, score = mine[c["id"]]
                expected = (n, _round(actual) if score is not None else None, _round(score))
                if (c["n"], c["actual"], c["score"]) != expected:
                    raise AssertionError(
                        f"{bench.tenant.slug}: commitment {c['id']}: engine {source} "
                        f"{(c['n'], c['actual'], c['score'])} != hand-written SQL {expected}"
                    )
        return len(terms)


def _round(value: Decimal | None) -> float | None:
    return None if value is None else float(value.quantize(Decimal("0.01"), rounding="ROUND_HALF_UP"))


def _medians(fns: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median seconds of each function: one warm-up each, then ``repeats`` interleaved rounds
    (the order rotates every round)."""
    names = list(fns)
    for name in names:
        fns[name]()
    samples: dict[str, list[float]] = defaultdict(list)
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            started = time.perf_counter()
            fns[name]()
            samples[name].append(time.perf_counter() - started)
    return {name: statistics.median(samples[name]) for name in names}


def _recompute(bench: Bench, at: datetime, repeats: int, hand: bool = False) -> dict[str, float]:
    with tenant_context(bench.tenant):
        fns: dict[str, Callable[[], Any]] = {
            "rollup": lambda: scores_compute(tenant=bench.tenant, at=at, source="rollup"),
            "raw": lambda: scores_compute(tenant=bench.tenant, at=at, source="raw"),
        }
        if hand:
            fns["hand"] = lambda: hand_compute(at)
        return _medians(fns, repeats)


# --- Ingest ---------------------------------------------------------------------------------------


def _set_rollup_triggers(owner: psycopg.Connection, enabled: bool) -> None:
    action = "ENABLE" if enabled else "DISABLE"
    for table in SIGNAL_TABLES:
        owner.execute(f"ALTER TABLE {table} {action} TRIGGER metrics_rollup")


def _ingest(
    owner: psycopg.Connection, bench: Bench, at: datetime, batches: int, batch: int
) -> dict[str, float]:
    """Seconds per kind and trigger mode for ``batches`` batches of ``batch`` items each."""
    tenant = bench.tenant
    issued = api_key_create(tenant=tenant, name=f"bench {uuid.uuid4().hex[:8]}", scopes=["feedback:write"])
    with tenant_context(tenant):
        slugs = list(Touchpoint.objects.filter(pk__in=bench.touchpoints).values_list("slug", flat=True))
    prefix = f"ingest-{uuid.uuid4().hex[:8]}-"

    def items(kind: str, number: int, mode: str) -> list[dict[str, Any]]:
        out = []
        for i in range(batch):
            k = number * batch + i
            when = (at - timedelta(seconds=(k * 7919) % (7 * 86400))).isoformat()
            item: dict[str, Any] = {
                "occurred_at": when,
                "touchpoint": slugs[k % len(slugs)],
                "external_id": f"{prefix}{kind}-{mode}-{k}",
            }
            if kind == "survey_responses":
                key = SURVEY_KEYS[k % 3]
                item |= {"measure": key, "score": (k % 5) + 1}
            else:
                key, _, _, longest = DURATIONS[k % len(DURATIONS)]
                item |= {"measure": key, "duration_seconds": (k * 104729) % longest}
            out.append(item)
        return out

    seconds: dict[str, float] = defaultdict(float)
    try:
        with mock.patch.object(ingest_services, "scoring_mark_dirty", lambda tenant_id: None):
            for number in range(batches):
                modes = ("on", "off") if number % 2 == 0 else ("off", "on")
                for mode in modes:
                    _set_rollup_triggers(owner, mode == "on")
                    for kind in ("survey_responses", "service_events"):
                        payload = items(kind, number, mode)
                        started = time.perf_counter()
                        results = ingest_services.signals_ingest(
                            tenant=tenant, kind=kind, items=payload, source=issued.api_key
                        )
                        seconds[f"{kind}_{mode}"] += time.perf_counter() - started
                        created = sum(r.status == "created" for r in results)
                        if created != len(payload):
                            bad = next(r for r in results if r.status != "created")
                            raise RuntimeError(f"ingest rejected an item: {bad.errors}")
    finally:
        _set_rollup_triggers(owner, True)
        api_key_revoke(tenant=tenant, api_key=issued.api_key)
        with tenant_context(tenant):
            rollups_rebuild()  # the batches ingested without triggers are counted again
    return dict(seconds)


# --- The run ------------------------------------------------------------------------------------


def run(
    responses: int = 1_000_000,
    events: int = 200_000,
    repeats: int = 5,
    independence_rows: int = 50_000,
    others_factor: int = 20,
    curve_rows: tuple[int, ...] = (10_000, 100_000),
    curve_commitments: tuple[int, ...] = (5, 10, 20, 40),
    ingest_batches: int = 10,
    batch: int = 1000,
) -> dict[str, Any]:
    """Every measurement; raises when the engine's counts differ from the hand-written SQL's."""
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    result: dict[str, Any] = {}
    checked = 0
    with _owner() as owner:
        # 3. Tenant independence first, while the database holds nothing else. The two states
        # alternate (the other tenant's extra rows loaded, then deleted, then loaded again) and
        # each state's time is the mean over its turns: this machine has slower and faster
        # minutes, and one turn each would measure them rather than the other tenant's rows.
        solo = _setup("solo", at)
        crowd = _setup("crowd", at)
        _load(owner, solo, at, independence_rows, independence_rows // 5)
        _load(owner, crowd, at, independence_rows, independence_rows // 5)
        _vacuum(owner)
        checked += _check(solo, at)
        extra = independence_rows * (others_factor - 1)
        marks = {t: owner.execute(f"SELECT max(id) FROM {t}").fetchone()[0] for t in SIGNAL_TABLES}  # noqa: S608
        turns: dict[str, list[dict[str, float]]] = {"alone": [], "crowded": []}
        for turn in range(INDEPENDENCE_TURNS):
            # A few milliseconds each: five times the repeats.
            turns["alone"].append(_recompute(solo, at, repeats * 5))
            _load(owner, crowd, at, extra, extra // 5)
            _vacuum(owner)
            turns["crowded"].append(_recompute(solo, at, repeats * 5))
            checked += _check(solo, at)
            if turn < INDEPENDENCE_TURNS - 1:
                with _rollups_rebuilt(owner, crowd, REBUILD_ROLLUPS):  # or the triggers take them out
                    for table, mark in marks.items():
                        owner.execute(f"DELETE FROM {table} WHERE id > %s", [mark])  # noqa: S608
                _vacuum(owner)
        alone, crowded = (
            {path: statistics.mean(t[path] for t in turns[state]) for path in ("rollup", "raw")}
            for state in ("alone", "crowded")
        )
        result["independence"] = {"alone": alone, "crowded": crowded}

        # 1. The big tenant, and the smaller ones of the size curve.
        main = _setup("main", at)
        _load(owner, main, at, responses, events)
        tiers = []
        for rows in curve_rows:
            tier = _setup(f"rows-{rows}", at)
            _load(owner, tier, at, rows, rows // 5)
            tiers.append((rows, tier))
        _vacuum(owner)
        checked += _check(main, at)
        result["full"] = _recompute(main, at, repeats, hand=True)

        # 4. Curves.
        result["rows_curve"] = []
        for rows, tier in tiers:
            checked += _check(tier, at)
            result["rows_curve"].append((rows, rows // 5, _recompute(tier, at, repeats)))
        result["rows_curve"].append((responses, events, {k: result["full"][k] for k in ("rollup", "raw")}))
        result["commitments_curve"] = []
        for active in curve_commitments:
            _activate(main, active)
            checked += _check(main, at)
            result["commitments_curve"].append((active, _recompute(main, at, repeats, hand=True)))
        _activate(main, 20)

        # 2. Ingest with and without the rollup triggers (last: it adds rows to ``main``).
        result["ingest"] = _ingest(owner, main, at, ingest_batches, batch)
        checked += _check(main, at)
    result["commitments_checked"] = checked
    full, ingest, ind = result["full"], result["ingest"], result["independence"]
    on = ingest["survey_responses_on"] + ingest["service_events_on"]
    off = ingest["survey_responses_off"] + ingest["service_events_off"]
    result["ratios"] = {
        "hand_over_rollup": full["hand"] / full["rollup"],
        "raw_over_hand": full["raw"] / full["hand"],
        "raw_over_rollup": full["raw"] / full["rollup"],
        "ingest_added": on / off - 1,
        "survey_ingest_added": ingest["survey_responses_on"] / ingest["survey_responses_off"] - 1,
        "event_ingest_added": ingest["service_events_on"] / ingest["service_events_off"] - 1,
        "independence_rollup": ind["crowded"]["rollup"] / ind["alone"]["rollup"],
        "independence_raw": ind["crowded"]["raw"] / ind["alone"]["raw"],
    }
    return result


GOALS = {
    "hand_over_rollup": ("≥", 50.0),
    "raw_over_hand": ("≤", 1.5),
    "ingest_added": ("≤", 0.20),
    "independence_rollup": ("≤", 1.2),
    "independence_raw": ("≤", 1.2),
}


def verdicts(ratios: dict[str, float]) -> dict[str, bool]:
    return {
        name: (ratios[name] >= goal if op == "≥" else ratios[name] <= goal)
        for name, (op, goal) in GOALS.items()
    }


def report(r: dict[str, Any], args: argparse.Namespace) -> str:
    ms = lambda s: f"{s * 1000:9.1f}"  # noqa: E731
    full, ratios = r["full"], r["ratios"]
    ok = verdicts(ratios)
    flag = lambda name: "PASS" if ok[name] else "FAIL"  # noqa: E731
    per_batch = lambda key: r["ingest"][key] / args.ingest_batches * 1000  # noqa: E731
    lines = [
        f"full recompute, {args.responses} responses + {args.events} events, 20 commitments "
        f"(median of {args.repeats}, ms):",
        f"  (a) engine, rollups      {ms(full['rollup'])}",
        f"  (b) engine, raw          {ms(full['raw'])}",
        f"  (c) hand-written GROUP BY{ms(full['hand'])}",
        f"  (c) ÷ (a) {ratios['hand_over_rollup']:.1f}× (goal ≥ 50× at 1M) {flag('hand_over_rollup')} · "
        f"(b) ÷ (c) {ratios['raw_over_hand']:.2f}× (goal ≤ 1.5×) {flag('raw_over_hand')} · "
        f"(b) ÷ (a) {ratios['raw_over_rollup']:.1f}×",
        f"ingest, {args.ingest_batches} batches of {args.batch} per kind, ms per batch (triggers on / off):",
        f"  survey responses {per_batch('survey_responses_on'):.1f} / {per_batch('survey_responses_off'):.1f} "
        f"({ratios['survey_ingest_added'] * 100:+.1f} %) · service events {per_batch('service_events_on'):.1f} / "
        f"{per_batch('service_events_off'):.1f} ({ratios['event_ingest_added'] * 100:+.1f} %)",
        f"  added overall {ratios['ingest_added'] * 100:+.1f} % (goal ≤ 20 %) {flag('ingest_added')}",
        f"tenant independence, {args.independence_rows} responses + {args.independence_rows // 5} events; "
        f"others ×1 → ×{args.others_factor} (ms):",
        f"  rollups {ms(r['independence']['alone']['rollup'])} → {ms(r['independence']['crowded']['rollup'])}  "
        f"{ratios['independence_rollup']:.2f}× (goal ≤ 1.2×) {flag('independence_rollup')}",
        f"  raw     {ms(r['independence']['alone']['raw'])} → {ms(r['independence']['crowded']['raw'])}  "
        f"{ratios['independence_raw']:.2f}× (goal ≤ 1.2×) {flag('independence_raw')}",
        "curve: rows per tenant (20 commitments, ms)    rollups       raw   raw÷rollups",
    ]
    for rows, events, t in r["rows_curve"]:
        lines.append(
            f"  {rows:>9} responses + {events:>7} events   {ms(t['rollup'])} {ms(t['raw'])}  {t['raw'] / t['rollup']:8.1f}×"
        )
    lines.append(
        f"curve: commitments ({args.responses} responses, ms)   rollups       raw      hand   raw÷hand"
    )
    for active, t in r["commitments_curve"]:
        lines.append(
            f"  {active:>3} commitments                  {ms(t['rollup'])} {ms(t['raw'])} {ms(t['hand'])}  "
            f"{t['raw'] / t['hand']:8.2f}×"
        )
    lines.append(f"engine = hand-written SQL for all {r['commitments_checked']} commitment checks")
    return "\n".join(lines)


@contextmanager
def bench_database(keep: bool = False, name: str = BENCH_DB):
    """Create (replacing a leftover) and migrate the database ``name`` as the owner, act as the
    application role inside it, drop it afterwards (unless ``keep``: to EXPLAIN queries on it)."""
    settings_dict = connection.settings_dict
    role = settings_dict["OPTIONS"].pop("assume_role", None)
    settings_dict.setdefault("TEST", {})["NAME"] = name
    connection.close()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        if role:
            settings_dict["OPTIONS"]["assume_role"] = role
        connection.close()
        yield
    finally:
        settings_dict["OPTIONS"].pop("assume_role", None)
        connection.close()
        if keep:
            settings_dict["NAME"] = old_name
        else:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--independence-rows", type=int, default=50_000)
    parser.add_argument("--others-factor", type=int, default=20)
    parser.add_argument("--curve-rows", default="10000,100000")
    parser.add_argument("--curve-commitments", default="5,10,20,40")
    parser.add_argument("--ingest-batches", type=int, default=10)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument(
        "--database",
        default=BENCH_DB,
        help=f"the benchmark's own database, created and dropped by the run (default {BENCH_DB})",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (the next run replaces it)")
    parser.add_argument(
        "--rebuild-rollups",
        action="store_true",
        help="load and delete signals with the rollup triggers off, then rebuild each tenant's rollups "
        "in one pass (the same rollups; minutes instead of an hour at 1M rows on 2 cores)",
    )
    args = parser.parse_args()
    global REBUILD_ROLLUPS  # noqa: PLW0603 - a switch of this script's loads
    REBUILD_ROLLUPS = args.rebuild_rollups
    if not 1 <= args.batch <= ingest_items.MAX_BATCH_ITEMS:
        parser.error(f"--batch must be between 1 and {ingest_items.MAX_BATCH_ITEMS}")
    if any(not 1 <= c <= MAX_COMMITMENTS for c in _ints(args.curve_commitments)):
        parser.error(f"--curve-commitments must be between 1 and {MAX_COMMITMENTS}")
    started = time.perf_counter()
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", args.database):
        parser.error("--database must be a lower-case PostgreSQL name (letters, digits, underscores)")
    with bench_database(args.keep, args.database):
        r = run(
            responses=args.responses,
            events=args.events,
            repeats=args.repeats,
            independence_rows=args.independence_rows,
            others_factor=args.others_factor,
            curve_rows=_ints(args.curve_rows),
            curve_commitments=_ints(args.curve_commitments),
            ingest_batches=args.ingest_batches,
            batch=args.batch,
        )
    print(report(r, args))
    print(
        f"(whole run {time.perf_counter() - started:.0f} s, database {args.database} {'kept' if args.keep else 'dropped'}"
        f"{', rollups rebuilt after each load' if args.rebuild_rollups else ''})"
    )


if __name__ == "__main__":
    main()
