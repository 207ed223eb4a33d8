"""Score runs, snapshots, quarter ends and breach events.

A *run* (:class:`ScoreRun`) is one computation of every score of a tenant as of an instant,
stored whole (the dashboards read the newest) and split into one :class:`ScoreSnapshot` per
scope (the history API and the quarterly trend read those). After each recompute or daily
run the result is compared with the previous one and breaches become :class:`BreachEvent`.

Only one run per tenant at a time: :func:`scores_run` takes a transaction-level advisory
lock and gives up (returns ``None``) when another run holds it, so the caller can retry.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import structlog
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from feedback.escalations.mail import department_managers, tenant_admins
from feedback.escalations.proposals import escalation_propose_from_breach
from metrics import engine
from metrics.current_scores import current_scores_forget, current_scores_refresh
from metrics.models import BreachEvent, Scope, ScoreRun, ScoreSnapshot, ScoringLock
from metrics.selectors import CommitmentNames, commitment_names, score_run_result_at
from tenants.delivery.services import Email, outbox_enqueue
from tenants.models import Department, Tenant
from tenants.sites import tenant_url
from tenants.text import shorten
from tenants.webhooks.services import webhook_event_enqueue

logger = structlog.get_logger("cxgov.metrics")

SCORE_DROP_MAIL_KIND = "score_drop"
RECOMPUTE_RETENTION = timedelta(days=30)


class ScoringBusy(Exception):
    """Another run of the tenant holds the lock; try again shortly."""


# --- Quarters ---------------------------------------------------------------------------------


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_label(end: datetime, tz: ZoneInfo) -> str:
    """``2026 Q3`` for the quarter that ends at ``end`` (the first instant of the next one)."""
    last_day = (end.astimezone(tz) - timedelta(seconds=1)).date()
    return f"{last_day.year} Q{(last_day.month - 1) // 3 + 1}"


def quarter_ends(*, tenant: Tenant, before: datetime, count: int) -> list[datetime]:
    """The ends of the ``count`` quarters completed before ``before``, oldest first.

    A quarter ends at midnight of the first day of the next quarter, in the tenant's time zone.
    """
    tz = ZoneInfo(tenant.time_zone)
    start = quarter_start(before.astimezone(tz).date())
    ends = []
    for _ in range(count):
        ends.append(datetime(start.year, start.month, 1, tzinfo=tz).astimezone(UTC))
        start = quarter_start(start - timedelta(days=1))
    return sorted(ends)


# --- Runs -------------------------------------------------------------------------------------


def _try_lock() -> bool:
    """Lock the tenant's :class:`ScoringLock` row until the transaction ends, unless another run
    holds it (then ``False`` at once). The row is created by the tenant's first run."""
    if ScoringLock.objects.select_for_update(skip_locked=True).exists():
        return True
    if ScoringLock.objects.exists():
        return False  # another run holds it
    # The first run: a concurrent first run's insert makes this one wait until that run ends,
    # and then the row is free.
    ScoringLock.objects.bulk_create([ScoringLock()], ignore_conflicts=True)
    return ScoringLock.objects.select_for_update(skip_locked=True).exists()


def _snapshots(run: ScoreRun) -> list[ScoreSnapshot]:
    result = run.result

    def snap(scope: str, scope_id: int | None, values: dict[str, Any], n: int | None = None) -> ScoreSnapshot:
        return ScoreSnapshot(
            run=run,
            kind=run.kind,
            as_of=run.as_of,
            scope=scope,
            scope_id=scope_id,
            score=values.get("score"),
            delivery_rate=values.get("delivery_rate"),
            n=n,
            values=values,
        )

    snapshots = [snap(Scope.TENANT, None, result["tenant"])]
    snapshots += [snap(Scope.PROMISE, p["id"], p) for p in result["promises"]]
    snapshots += [snap(Scope.COMMITMENT, c["id"], c, c["n"]) for c in result["commitments"]]
    snapshots += [snap(Scope.DEPARTMENT, d["id"], d) for d in result["departments"]]
    snapshots += [snap(Scope.TOUCHPOINT, t["id"], t) for t in result["touchpoints"]]
    return snapshots


def scores_run(*, tenant: Tenant, kind: str, at: datetime | None = None) -> ScoreRun | None:
    """Compute and store every score of ``tenant`` as of ``at`` (default now).

    Returns the run, or ``None`` when another run of this tenant holds the lock. Recompute and
    daily runs are compared with the previous such run to record breach events. The API's
    kept current scores (:mod:`metrics.current_scores`) are dropped at once and replaced with
    the newest run after commit.
    """
    at = at or timezone.now()
    with transaction.atomic():
        if not _try_lock():
            return None
        started = time.perf_counter()
        result = engine.scores_compute(tenant=tenant, at=at, source="rollup")
        run = ScoreRun.objects.create(
            kind=kind,
            source=ScoreRun.Source.ROLLUP,
            as_of=at,
            result=result,
            duration_ms=round(1000 * (time.perf_counter() - started)),
        )
        ScoreSnapshot.objects.bulk_create(_snapshots(run))
        if kind != ScoreRun.Kind.QUARTER_END:
            previous = (
                ScoreRun.objects.filter(
                    kind__in=[ScoreRun.Kind.RECOMPUTE, ScoreRun.Kind.DAILY], as_of__lte=at
                )
                .exclude(pk=run.pk)
                .order_by("-as_of", "-id")
                .first()
            )
            breaches_detect(run=run, previous=previous)
        current_scores_forget(tenant_id=tenant.pk)
        transaction.on_commit(lambda: current_scores_refresh(tenant=tenant))
    logger.info("scores computed", kind=kind, as_of=at.isoformat(), ms=run.duration_ms)
    return run


def scores_daily(*, tenant: Tenant, now: datetime | None = None) -> list[ScoreRun]:
    """The daily snapshot (as of today's midnight UTC) and any missing quarter-end snapshots.

    Idempotent: a snapshot that exists is not taken again. Raises :class:`ScoringBusy` when
    another run holds the lock (the caller retries). Also prunes recompute runs older
    than 30 days (daily and quarter-end runs are kept).
    """
    now = now or timezone.now()
    runs = []
    ends = quarter_ends(tenant=tenant, before=now, count=4)
    taken = set(
        ScoreRun.objects.filter(kind=ScoreRun.Kind.QUARTER_END, as_of__in=ends).values_list(
            "as_of", flat=True
        )
    )
    for end in ends:
        if end not in taken:
            runs.append(_run_or_busy(tenant=tenant, kind=ScoreRun.Kind.QUARTER_END, at=end))
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if not ScoreRun.objects.filter(kind=ScoreRun.Kind.DAILY, as_of=midnight).exists():
        runs.append(_run_or_busy(tenant=tenant, kind=ScoreRun.Kind.DAILY, at=midnight))
    pruned, _ = ScoreRun.objects.filter(
        kind=ScoreRun.Kind.RECOMPUTE, as_of__lt=now - RECOMPUTE_RETENTION
    ).delete()
    if pruned:
        current_scores_forget(tenant_id=tenant.pk)
    return runs


def _run_or_busy(*, tenant: Tenant, kind: str, at: datetime) -> ScoreRun:
    run = scores_run(tenant=tenant, kind=kind, at=at)
    if run is None:
        raise ScoringBusy(f"Another scoring run of {tenant.slug} is in progress.")
    return run


# --- Breach events ----------------------------------------------------------------------------


def _by_id(items: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {item["id"]: item for item in items}


def _num(x: float | None) -> str:
    """A score for a sentence: at most 2 decimals, no trailing zeros (80, 79.4, 94.44)."""
    return "—" if x is None else f"{x:.2f}".rstrip("0").rstrip(".")


def _window_peaks(run: ScoreRun, window: timedelta) -> dict[tuple[str, int | None], float]:
    """The highest tenant, department and promise scores of the recompute and daily runs
    within ``window`` before ``run`` (one query on the snapshots' scope index)."""
    rows = (
        ScoreSnapshot.objects.filter(
            scope__in=[Scope.TENANT, Scope.DEPARTMENT, Scope.PROMISE],
            kind__in=[ScoreRun.Kind.RECOMPUTE, ScoreRun.Kind.DAILY],
            as_of__gte=run.as_of - window,
            as_of__lt=run.as_of,
            score__isnull=False,
        )
        .values("scope", "scope_id")
        .annotate(peak=Max("score"))
    )
    return {(row["scope"], row["scope_id"]): row["peak"] for row in rows}


def breaches_detect(*, run: ScoreRun, previous: ScoreRun | None) -> list[BreachEvent]:
    """Record new breaches of ``run`` against ``previous`` and resolve the ones that cleared.

    - a commitment that was met and is now not met;
    - a promise newly flagged hidden breach;
    - the tenant's, a department's or a promise's score down by the tenant's
      ``score_drop_points`` (5 unless changed) from its highest value within the last
      ``score_drop_window_days`` (7) or from the previous run: a slow slide counts as much as a
      sudden fall. It is e-mailed to the score's owners and sent as ``score.dropped``.

    At most one open event per (kind, scope, scope id) (a database constraint): a breach that
    persists is one event; seeing the same transition twice records it once.
    """
    now, prev = run.result, (previous.result if previous else None)
    prev_commitments = _by_id(prev["commitments"]) if prev else {}
    prev_promises = _by_id(prev["promises"]) if prev else {}
    prev_departments = _by_id(prev["departments"]) if prev else {}
    promises = _by_id(now["promises"])
    new: list[BreachEvent] = []
    resolved: list[Q] = []

    def event(kind: str, scope: str, scope_id: int | None, title: str, **fields: Any) -> None:
        new.append(
            BreachEvent(
                kind=kind, scope=scope, scope_id=scope_id, title=title, run=run, as_of=run.as_of, **fields
            )
        )

    names: CommitmentNames | None = None
    for c in now["commitments"]:
        was = prev_commitments.get(c["id"], {}).get("status")
        promise = promises.get(c["promise_id"], {})
        if c["status"] == "not_met" and was == "met":
            names = names or commitment_names()
            event(
                BreachEvent.Kind.COMMITMENT_NOT_MET,
                Scope.COMMITMENT,
                c["id"],
                f"{names.phrase(c)} is no longer met for “{promise.get('title', c['promise'])}”: "
                f"{_num(c['actual'])} against a target of {c.get('target_label') or _num(c['target'])}",
                promise_id=c["promise_id"],
                commitment_id=c["id"],
                department_id=promise.get("owner_id"),
                previous_value=prev_commitments[c["id"]]["actual"],
                current_value=c["actual"],
                details={"commitment": c, "previous": prev_commitments[c["id"]]},
            )
        elif c["status"] == "met":
            resolved.append(Q(kind=BreachEvent.Kind.COMMITMENT_NOT_MET, scope_id=c["id"]))

    for p in now["promises"]:
        was_flagged = "hidden_breach" in prev_promises.get(p["id"], {}).get("flags", [])
        if "hidden_breach" in p["flags"] and not was_flagged:
            event(
                BreachEvent.Kind.HIDDEN_BREACH,
                Scope.PROMISE,
                p["id"],
                f"Hidden breach of “{p['title']}”: operations score {_num(p['operational_score'])}, "
                f"customers {_num(p['perceived_score'])} (gap {_num(p['perception_gap'])} points)",
                promise_id=p["id"],
                department_id=p["owner_id"],
                previous_value=prev_promises.get(p["id"], {}).get("perception_gap"),
                current_value=p["perception_gap"],
                details={"promise": p},
            )
        elif "hidden_breach" not in p["flags"]:
            resolved.append(Q(kind=BreachEvent.Kind.HIDDEN_BREACH, scope_id=p["id"]))

    # Drift: a score that fell by the tenant's threshold from its highest value within the
    # window (or from the previous run, however long ago) is a drop; one open event per scope
    # is one episode, over once the score is back above that highest value minus the threshold.
    tenant = run.tenant
    points = float(tenant.score_drop_points)
    peaks = _window_peaks(run, timedelta(days=tenant.score_drop_window_days))
    prev_scores = {(Scope.TENANT, None): (prev or {}).get("tenant", {}).get("score")}
    prev_scores |= {(Scope.DEPARTMENT, i): d.get("score") for i, d in prev_departments.items()}
    prev_scores |= {(Scope.PROMISE, i): p.get("score") for i, p in prev_promises.items()}
    drops = [(Scope.TENANT, None, "The alignment score", now["tenant"], None, None)]
    drops += [
        (Scope.DEPARTMENT, d["id"], f"{d['name']}'s score", d, d["id"], None) for d in now["departments"]
    ]
    drops += [
        # A promise's drop names the promise by its scope id only: ``promise_id`` would make it
        # one of the promise's open breaches and cap its band, which a drift alert does not.
        (Scope.PROMISE, p["id"], f"The score of “{p['title']}”", p, p.get("owner_id"), None)
        for p in now["promises"]
    ]
    current: dict[tuple[str, int | None], float | None] = {}
    for scope, scope_id, label, cur, department_id, promise_id in drops:
        after = current[(scope, scope_id)] = cur.get("score")
        candidates = [
            v for v in (peaks.get((scope, scope_id)), prev_scores.get((scope, scope_id))) if v is not None
        ]
        before = max(candidates) if candidates else None
        # Scores have 2 decimals; rounding the float difference keeps a drop of exactly N.00 a drop.
        if before is not None and after is not None and round(before - after, 2) >= points:
            was = (prev_departments if scope == Scope.DEPARTMENT else prev_promises).get(scope_id, {})
            event(
                BreachEvent.Kind.SCORE_DROP,
                scope,
                scope_id,
                f"{label} dropped {_num(before - after)} points, from {_num(before)} to {_num(after)}",
                department_id=department_id,
                promise_id=promise_id,
                previous_value=before,
                current_value=after,
                details={
                    "before": prev["tenant"] if scope == Scope.TENANT and prev else was,
                    "after": cur,
                    "threshold_points": points,
                    "window_days": tenant.score_drop_window_days,
                },
            )
    for e in BreachEvent.objects.filter(kind=BreachEvent.Kind.SCORE_DROP, resolved_at__isnull=True):
        score = current.get((e.scope, e.scope_id))
        if score is not None and e.previous_value is not None and round(e.previous_value - score, 2) < points:
            resolved.append(Q(pk=e.pk))

    if resolved:
        condition = Q()
        for q in resolved:
            condition |= q
        BreachEvent.objects.filter(condition, resolved_at__isnull=True).update(resolved_at=timezone.now())
    # The open-event constraint turns a repeat into nothing.
    created = BreachEvent.objects.bulk_create(new, ignore_conflicts=True)
    # This run's new events may open escalations (feedback's rules; proposed once per event).
    # The event keeps the escalation it opened or joined: its page shows how far that has come.
    for e in BreachEvent.objects.filter(run=run).select_related("commitment") if new else ():
        proposal = escalation_propose_from_breach(
            tenant=run.tenant,
            breach_event_id=e.pk,
            kind=e.kind,
            title=e.title,
            department_id=e.department_id,
            promise_id=e.promise_id,
            touchpoint_id=e.commitment.touchpoint_id if e.commitment else None,
            previous_value=e.previous_value,
            current_value=e.current_value,
            details=e.details,
        )
        if proposal is not None and e.escalation_id != proposal.escalation.pk:
            BreachEvent.objects.filter(pk=e.pk).update(escalation=proposal.escalation)
        _breach_webhook(run.tenant, e, proposal.escalation.pk if proposal is not None else e.escalation_id)
        if e.kind == BreachEvent.Kind.SCORE_DROP:
            _score_drop_mail(run.tenant, e)
    return created


# --- Reading ----------------------------------------------------------------------------------


def scores_at(*, tenant: Tenant, at: datetime | None = None) -> dict[str, Any]:
    """Scores as of ``at`` (default now), computed: from the rollups and the commitment versions
    effective then, at a cost that does not grow with the tenant's history (the raw path, the
    reference the rollups are checked against, reads every signal in the longest window).

    A past instant that a stored run was taken at is answered from that run (a snapshot keeps
    what was known then); the API's current scores are the latest run (:mod:`metrics.api_urls`).
    """
    if at is not None and (stored := score_run_result_at(at)) is not None:
        return stored
    return engine.scores_compute(tenant=tenant, at=at or timezone.now(), source="rollup")


def _breach_webhook(tenant: Tenant, event: BreachEvent, escalation_id: int | None) -> None:
    """``breach.detected`` for the endpoints that asked for it, linking to the escalation it
    opened or joined (else the scores overview)."""
    webhook_event_enqueue(
        tenant=tenant,
        event_type="breach.detected",
        data={
            "breach": {
                "id": event.pk,
                "kind": event.kind,
                "scope": event.scope,
                "scope_id": event.scope_id,
                "title": event.title,
                "promise_id": event.promise_id,
                "commitment_id": event.commitment_id,
                "department_id": event.department_id,
                "previous_value": event.previous_value,
                "current_value": event.current_value,
                "as_of": event.as_of.isoformat() if event.as_of else None,
                "escalation_id": escalation_id,
            }
        },
        path=f"/escalations/{escalation_id}/" if escalation_id else "/",
        summary=f"Breach detected: {event.title}." + (" An escalation follows it." if escalation_id else ""),
    )
    if event.kind == BreachEvent.Kind.SCORE_DROP:
        _score_drop_webhook(tenant, event)


def _score_drop_webhook(tenant: Tenant, event: BreachEvent) -> None:
    """``score.dropped``: the alignment score, a department's or a promise's score fell by the
    tenant's threshold or more (see :func:`breaches_detect`); links to that score's page."""
    department = Department.objects.filter(pk=event.department_id).first() if event.department_id else None
    webhook_event_enqueue(
        tenant=tenant,
        event_type="score.dropped",
        data={
            "score": {
                "breach_id": event.pk,
                "scope": event.scope,
                "department": {"id": department.pk, "name": department.name} if department else None,
                "promise_id": event.scope_id if event.scope == Scope.PROMISE else None,
                "title": event.title,
                "previous_value": event.previous_value,
                "current_value": event.current_value,
                "as_of": event.as_of.isoformat() if event.as_of else None,
            }
        },
        path=_score_drop_path(event, department),
        summary=f"Score dropped: {event.title}.",
    )


def _score_drop_path(event: BreachEvent, department: Department | None) -> str:
    if event.scope == Scope.PROMISE and event.scope_id:
        return f"/promises/{event.scope_id}/"
    return f"/scores/departments/{department.slug}/" if department else "/scores/"


def _score_drop_mail(tenant: Tenant, event: BreachEvent) -> int:
    """E-mail a drop to the score's owners, once per episode (the key names the event): the
    managers of the department (for a promise, of the department that owns it), else — for the
    alignment score or a promise without an owning department with managers — the tenant admins."""
    recipients = department_managers(event.department_id) if event.department_id else []
    if not recipients:
        recipients = tenant_admins()
    department = Department.objects.filter(pk=event.department_id).first() if event.department_id else None
    link = tenant_url(tenant, _score_drop_path(event, department))
    details = event.details or {}
    text = (
        f"{event.title}.\n\n"
        f"cxgov compares each score with its highest value of the last {details.get('window_days', 7)} days; "
        f"a fall of {_num(details.get('threshold_points'))} points or more is an alert, sent once until the "
        f"score is back within that distance.\n\n{link}\n"
    )
    return outbox_enqueue(
        kind=SCORE_DROP_MAIL_KIND,
        emails=[
            Email(
                dedupe_key=f"score-drop:{event.pk}:{member_id}",
                to=address,
                subject=f"[cxgov] Score dropped: {shorten(event.title, 150)}",
                text=text,
            )
            for member_id, address in dict(recipients).items()
        ],
    )
