"""Writes for measures and commitments (SLAs): defining and changing duration, rate and average measures, adding, changing,
ending and deleting commitments, and starting or stopping their versions' effective dates
when the promise is activated or retired.

The rules every promise write follows (tenant, ``at``, refusals) are in ``promises.rules``.
A commitment's numbers live in versions: a draft's single version is edited in place and
counts nowhere; from activation on, a change closes the open version and opens the next at
the same instant, so scores of any earlier instant still use the old numbers.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Q

from promises.commitments.models import (
    BENCHMARK_LABEL_MAX,
    BENCHMARKS_PER_MEASURE,
    BUILTIN_MEASURES,
    SCALE_MAX_DIGITS,
    SCALE_PLACES,
    Commitment,
    CommitmentVersion,
    Measure,
    MeasureBenchmark,
)
from promises.commitments.selectors import commitments_open
from promises.models import Promise
from promises.rules import (
    clean,
    decimal_value,
    fmt_number,
    lock_promise,
    moment,
    not_before,
    own,
    own_actor,
    quoted,
    refuse,
    rescore,
    weight_value,
)
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import Membership, Tenant, Touchpoint
from tenants.validation import decimal_problem, text_problem

MAX_WINDOW_DAYS = 730
MEASURE_KEY_RE = re.compile(r"^[a-z0-9](?:[a-z0-9_-]{0,48}[a-z0-9])?$")

# --- Measures --------------------------------------------------------------------------------


@transaction.atomic
def measures_ensure_builtin(*, tenant: Tenant) -> list[Measure]:
    """Create the tenant's missing built-in measures (``nps``, ``csat``, ``ces``,
    ``story_sentiment``). Idempotent and safe to run concurrently; one query when all exist."""
    with tenant_context(tenant):
        existing = set(Measure.objects.filter(is_builtin=True).values_list("key", flat=True))
        missing = [m for key, m in BUILTIN_MEASURES.items() if key not in existing]
        if missing:
            Measure.objects.bulk_create(
                [
                    Measure(
                        key=m.key,
                        name=m.name,
                        kind=m.kind,
                        unit="",
                        perspective=Measure.Perspective.PERCEIVED,
                        is_builtin=True,
                    )
                    for m in missing
                ],
                ignore_conflicts=True,
            )
        return list(Measure.objects.filter(is_builtin=True))


KIND_EXAMPLES = {
    "duration": "refund_processing, the time a refund takes",
    "rate": "first_contact_resolution, the share of contacts resolved at the first contact",
    "average": "review_stars, the mean star rating on a declared scale such as 1 to 5",
}


def _choice(value: Any, choices: type[models.TextChoices], *, field: str, what: str) -> str:
    if value not in choices.values:
        raise DomainError(f"{what} must be one of: {', '.join(choices.values)}; got {value!r}.", field=field)
    return value


def _scale_bound(value: Any, *, field: str) -> Decimal:
    number = decimal_value(value, field=field, label=field)
    if problem := decimal_problem(field, number, max_digits=SCALE_MAX_DIGITS, places=SCALE_PLACES):
        raise DomainError(problem, field=field)
    return number


def _measure_shape(
    *,
    kind: Any,
    unit: Any,
    direction: Any,
    perspective: Any,
    scale_min: Any,
    scale_max: Any,
) -> dict[str, Any]:
    """Validate what a tenant-defined measure declares; returns the fields normalised.

    ``unit`` belongs to durations, ``scale_min``/``scale_max`` to averages; a field of another
    kind is an error naming it. The perspective defaults to ``operational`` (durations, rates)
    or ``perceived`` (averages); a duration measure is always operational.
    """
    kinds = [str(k) for k in Measure.TENANT_KINDS]
    if kind not in kinds:
        raise DomainError(
            f"kind must be one of: {', '.join(kinds)} (e.g. "
            + "; ".join(f"{k}: {KIND_EXAMPLES[k]}" for k in kinds)
            + f"); got {kind!r}.",
            field="kind",
        )
    direction = _choice(
        direction or Measure.Direction.HIGHER_IS_BETTER,
        Measure.Direction,
        field="direction",
        what="direction",
    )
    default_perspective = (
        Measure.Perspective.PERCEIVED if kind == "average" else Measure.Perspective.OPERATIONAL
    )
    perspective = _choice(
        perspective or default_perspective, Measure.Perspective, field="perspective", what="perspective"
    )
    if kind == "duration":
        _check_unit(unit)
        if perspective != Measure.Perspective.OPERATIONAL:
            raise DomainError(
                "A duration measure is operational (the company's own clock); leave perspective out "
                "or set it to operational.",
                field="perspective",
            )
    elif unit not in (None, ""):
        raise DomainError(
            f"unit belongs to duration measures; a {kind} measure takes none: remove unit.", field="unit"
        )
    lo = hi = None
    if kind == "average":
        for name, bound in (("scale_min", scale_min), ("scale_max", scale_max)):
            if bound in (None, ""):
                raise DomainError(
                    f"An average measure declares its scale: set {name} (e.g. scale_min 1 and "
                    "scale_max 5 for star ratings).",
                    field=name,
                )
        lo, hi = _scale_bound(scale_min, field="scale_min"), _scale_bound(scale_max, field="scale_max")
        if not lo < hi:
            raise DomainError(
                f"scale_min ({fmt_number(lo)}) must be below scale_max ({fmt_number(hi)}).", field="scale_max"
            )
    else:
        for name, bound in (("scale_min", scale_min), ("scale_max", scale_max)):
            if bound not in (None, ""):
                raise DomainError(
                    f"{name} belongs to average measures; a {kind} measure has the fixed scale 0 to 100 "
                    f"(%): remove {name}.",
                    field=name,
                )
    return {
        "kind": kind,
        "unit": unit if kind == "duration" else "",
        "direction": direction,
        "perspective": perspective,
        "scale_min": lo,
        "scale_max": hi,
    }


@transaction.atomic
def measure_create(
    *,
    tenant: Tenant,
    key: str,
    name: str,
    kind: str = Measure.Kind.DURATION,
    unit: str = "",
    direction: str = "",
    perspective: str = "",
    scale_min: Any = None,
    scale_max: Any = None,
) -> Measure:
    """Define a measure of the tenant: a duration (``refund_processing`` in days: the share of
    service events handled within a commitment's threshold), a rate (``first_contact_resolution``:
    the share of events with a true outcome) or an average (``review_stars`` on 1 to 5: the mean
    value of the events)."""
    measures_ensure_builtin(tenant=tenant)
    key = (key or "").strip().lower()
    name = (name or "").strip()
    with tenant_context(tenant):
        if key in BUILTIN_MEASURES:
            raise DomainError(
                f"{key!r} is a built-in measure; choose another key for your measure.", field="key"
            )
        if not MEASURE_KEY_RE.fullmatch(key):
            raise DomainError(
                "A measure key is 1 to 50 lowercase letters, digits, '_' or '-', starting and ending "
                f"with a letter or digit (e.g. first_response); got {key!r}.",
                field="key",
            )
        if Measure.objects.filter(key=key).exists():
            raise DomainError(
                f"A measure with the key {key!r} already exists; choose another key.", field="key"
            )
        if not name:
            raise DomainError("Give the measure a name, e.g. 'Refund processing time'.", field="name")
        shape = _measure_shape(
            kind=kind,
            unit=unit,
            direction=direction,
            perspective=perspective,
            scale_min=scale_min,
            scale_max=scale_max,
        )
        measure = Measure(key=key, name=name, **shape)
        clean(measure)
        measure.save()
        return measure


def _check_unit(unit: str) -> None:
    if unit not in Measure.Unit.values:
        raise DomainError(
            f"A duration measure needs the unit its thresholds are shown in: {' or '.join(Measure.Unit.values)}; "
            f"got {unit!r}.",
            field="unit",
        )


SHAPE_FIELDS = ("kind", "unit", "direction", "perspective", "scale_min", "scale_max")
# What a commitment counting now depends on: these cannot change under it.
SCORING_FIELDS = {"kind": "kind", "direction": "direction", "scale_min": "scale", "scale_max": "scale"}


@transaction.atomic
def measure_update(
    *,
    tenant: Tenant,
    measure: Measure,
    name: str | None = None,
    unit: str | None = None,
    kind: str | None = None,
    direction: str | None = None,
    perspective: str | None = None,
    scale_min: Any = None,
    scale_max: Any = None,
) -> Measure:
    """Change a tenant-defined measure; arguments left as None stay.

    The key never changes (partner systems send it); built-in measures cannot be changed. A
    measure in use by a commitment of an active promise keeps its kind, direction and scale
    (those would change what its scores mean; measure something else with a new measure). Its
    kind does not change once service events carry its facts, nor its scale while a value lies
    outside the new one.
    """
    own(measure, tenant, what="measure", field="measure")
    with tenant_context(tenant):
        measure = Measure.objects.select_for_update().get(pk=measure.pk)
        if measure.is_builtin:
            raise DomainError(f"{measure.name} is a built-in measure and cannot be changed.", field="measure")
        if name is not None:
            if not name.strip():
                raise DomainError("Give the measure a name.", field="name")
            measure.name = name.strip()
        given = {
            "kind": kind,
            "unit": unit,
            "direction": direction,
            "perspective": perspective,
            "scale_min": scale_min,
            "scale_max": scale_max,
        }
        new_kind = kind if kind is not None else measure.kind
        merged = {f: getattr(measure, f) if given[f] is None else given[f] for f in SHAPE_FIELDS}
        if new_kind != measure.kind:
            # The old kind's own fields go with it unless given again.
            for f in ("unit", "scale_min", "scale_max"):
                if given[f] is None:
                    merged[f] = None
            if given["perspective"] is None:
                merged["perspective"] = ""
        shape = _measure_shape(**merged)
        changed = [f for f in SCORING_FIELDS if shape[f] != getattr(measure, f)]
        if changed:
            _check_unused(measure, sorted({SCORING_FIELDS[f] for f in changed}), shape)
        for f, value in shape.items():
            setattr(measure, f, value)
        clean(measure)
        measure.save(update_fields=["name", *SHAPE_FIELDS])
        return measure


# --- Benchmarks ------------------------------------------------------------------------------

BENCHMARK_SOURCE_MAX = 200


def _scale_text(measure: Measure) -> str:
    lo, hi = measure.scale
    unit = " %" if measure.is_percent else ""
    return f"{fmt_number(lo)}{unit} to {fmt_number(hi)}{unit}"


def _benchmark_fields(
    measure: Measure, *, label: Any, value: Any, source: Any, where: str = ""
) -> dict[str, Any]:
    """A benchmark's label, value and source, checked and normalised. ``where`` prefixes each
    message ("Benchmark 2: ") when several are given at once."""
    label = str(label if label is not None else "").strip()
    source = str(source if source is not None else "").strip()
    if not label:
        raise DomainError(f"{where}Give the benchmark a label, e.g. Industry average.", field="label")
    if len(label) > BENCHMARK_LABEL_MAX:
        raise DomainError(
            f"{where}A benchmark's label is at most {BENCHMARK_LABEL_MAX} characters; this one has {len(label)}.",
            field="label",
        )
    if len(source) > BENCHMARK_SOURCE_MAX:
        raise DomainError(
            f"{where}A benchmark's source is at most {BENCHMARK_SOURCE_MAX} characters; this one has {len(source)}.",
            field="source",
        )
    for name, text in (("label", label), ("source", source)):
        if problem := text_problem(f"{where}The {name}", text):
            raise DomainError(problem, field=name)
    if value is None or str(value).strip() == "":
        raise DomainError(
            f"{where}Give the benchmark's value on the {measure.name} scale ({_scale_text(measure)}).",
            field="value",
        )
    number = decimal_value(value, field="value", label=f"{where}The value")
    if problem := decimal_problem(
        f"{where}The value", number, max_digits=SCALE_MAX_DIGITS, places=SCALE_PLACES
    ):
        raise DomainError(problem, field="value")
    lo, hi = measure.scale
    if not lo <= number <= hi:
        raise DomainError(
            f"{where}The value {fmt_number(number)} lies outside the {measure.name} scale "
            f"({_scale_text(measure)}); give a value on that scale.",
            field="value",
        )
    return {"label": label, "value": number, "source": source}


def _lock_measure(measure: Measure, tenant: Tenant) -> Measure:
    own(measure, tenant, what="measure", field="measure")
    return Measure.objects.select_for_update().get(pk=measure.pk)


@transaction.atomic
def benchmark_set(
    *, tenant: Tenant, measure: Measure, label: str, value: Any, source: str = ""
) -> MeasureBenchmark:
    """Add a benchmark to ``measure``, or change the value and source of the one with the same
    label (labels compare without case). Locks the measure row."""
    with tenant_context(tenant):
        measure = _lock_measure(measure, tenant)
        fields = _benchmark_fields(measure, label=label, value=value, source=source)
        benchmark = MeasureBenchmark.objects.filter(measure=measure, label__iexact=fields["label"]).first()
        if benchmark is None:
            if MeasureBenchmark.objects.filter(measure=measure).count() >= BENCHMARKS_PER_MEASURE:
                raise DomainError(
                    f"{measure.name} already has {BENCHMARKS_PER_MEASURE} benchmarks, the most a measure "
                    "can have; remove one first.",
                    field="label",
                )
            benchmark = MeasureBenchmark(measure=measure)
        for name, field_value in fields.items():
            setattr(benchmark, name, field_value)
        clean(benchmark, exclude=["measure"])
        benchmark.save()
        return benchmark


@transaction.atomic
def benchmark_remove(*, tenant: Tenant, benchmark: MeasureBenchmark) -> None:
    own(benchmark, tenant, what="benchmark", field="benchmark")
    with tenant_context(tenant):
        MeasureBenchmark.objects.filter(pk=benchmark.pk).delete()


@transaction.atomic
def benchmarks_replace(
    *, tenant: Tenant, measure: Measure, benchmarks: list[dict[str, Any]]
) -> list[MeasureBenchmark]:
    """Make ``benchmarks`` (each ``{"label", "value", "source"?}``) the measure's whole list:
    those with a known label are changed where they differ, new ones added, the rest removed.
    Nothing is written when one of them is refused. Locks the measure row."""
    with tenant_context(tenant):
        measure = _lock_measure(measure, tenant)
        if len(benchmarks) > BENCHMARKS_PER_MEASURE:
            raise DomainError(
                f"A measure has at most {BENCHMARKS_PER_MEASURE} benchmarks; {len(benchmarks)} were given.",
                field="benchmarks",
            )
        wanted: dict[str, dict[str, Any]] = {}
        for i, item in enumerate(benchmarks, start=1):
            fields = _benchmark_fields(
                measure,
                label=item.get("label"),
                value=item.get("value"),
                source=item.get("source", ""),
                where=f"Benchmark {i}: ",
            )
            key = fields["label"].lower()
            if key in wanted:
                raise DomainError(
                    f"Benchmark {i}: the label {fields['label']!r} is given twice; each benchmark of a "
                    "measure needs its own label.",
                    field="label",
                )
            wanted[key] = fields
        existing = {b.label.lower(): b for b in MeasureBenchmark.objects.filter(measure=measure)}
        gone = [b.pk for key, b in existing.items() if key not in wanted]
        if gone:
            MeasureBenchmark.objects.filter(pk__in=gone).delete()
        for key, fields in wanted.items():
            benchmark = existing.get(key) or MeasureBenchmark(measure=measure)
            if benchmark.pk and all(getattr(benchmark, n) == v for n, v in fields.items()):
                continue
            for name, field_value in fields.items():
                setattr(benchmark, name, field_value)
            try:
                with transaction.atomic():
                    benchmark.save()
            except IntegrityError:
                # Two labels the database's case folding takes for one (Python's did not).
                raise DomainError(
                    f"The label {fields['label']!r} is the same as another one apart from its letters' case; "
                    "give each benchmark of a measure its own label.",
                    field="label",
                ) from None
        return list(MeasureBenchmark.objects.filter(measure=measure).order_by("label", "id"))


def _check_unused(measure: Measure, what: list[str], shape: dict[str, Any]) -> None:
    in_use = (
        Commitment.objects.filter(
            measure=measure, ended_at__isnull=True, promise__status=Promise.Status.ACTIVE
        )
        .select_related("promise")
        .order_by("promise__title", "id")
    )
    first = in_use.first()
    if first is not None:
        raise DomainError(
            f"{measure.name} is in use by a commitment of the active promise {quoted(first.promise)}, so its "
            f"{' and '.join(what)} cannot change (its scores would change meaning). End that commitment "
            "first, or define a new measure.",
            field="kind" if "kind" in what else ("direction" if "direction" in what else "scale_min"),
        )
    if shape["kind"] != measure.kind and measure.service_events.exists():
        fact = Measure.FACTS[measure.kind]
        raise DomainError(
            f"{measure.name} already has service events carrying {fact}, so its kind cannot change; "
            "define a new measure for the new kind.",
            field="kind",
        )
    if shape["kind"] == measure.kind == Measure.Kind.AVERAGE:
        outside = measure.service_events.filter(
            Q(value__lt=shape["scale_min"]) | Q(value__gt=shape["scale_max"])
        ).exists()
        if outside:
            raise DomainError(
                f"{measure.name} has service events with values outside {fmt_number(shape['scale_min'])} to "
                f"{fmt_number(shape['scale_max'])}; choose a scale that holds every recorded value.",
                field="scale_min",
            )
    drafts = Commitment.objects.filter(measure=measure, ended_at__isnull=True).prefetch_related("versions")
    lo, hi = shape["scale_min"], shape["scale_max"]
    for commitment in drafts:
        current = commitment.current_version
        if current is None:
            continue
        if shape["kind"] != measure.kind or (lo is not None and not lo <= current.target <= hi):
            raise DomainError(
                f"{measure.name} is measured by a commitment of the draft {quoted(commitment.promise)} whose "
                "target (or threshold) would no longer fit; change or delete that commitment first.",
                field="kind" if shape["kind"] != measure.kind else "scale_min",
            )


# --- Commitments -----------------------------------------------------------------------------

TERM_FIELDS = ("target", "threshold_seconds", "window_days", "min_sample", "weight")


def _terms(
    *,
    measure: Measure,
    target: Any,
    threshold_seconds: Any,
    window_days: Any,
    min_sample: Any,
    weight: Any,
) -> dict[str, Any]:
    """Validate a commitment's numbers against its measure; returns them normalised."""
    lo, hi = measure.scale
    target = decimal_value(target, field="target", label="The target")
    if not lo <= target <= hi:
        raise DomainError(
            f"{measure.name} target {fmt_number(target)} is outside the scale "
            f"{fmt_number(lo)}\N{HORIZONTAL ELLIPSIS}{fmt_number(hi)}; choose a target between "
            f"{fmt_number(lo)} and {fmt_number(hi)}.",
            field="target",
        )
    if target.normalize().as_tuple().exponent < -3:
        raise DomainError("The target takes at most 3 decimal places.", field="target")
    if measure.is_duration:
        if threshold_seconds in (None, ""):
            raise DomainError(
                f"{measure.name} is a duration measure: set threshold_seconds, the time within which a "
                "case counts as on time (e.g. 432000 for 5 days); the target is the share of cases "
                "within it, in %.",
                field="threshold_seconds",
            )
        if isinstance(threshold_seconds, bool) or not isinstance(threshold_seconds, int):
            raise DomainError(
                f"threshold_seconds must be a whole number of seconds; got {threshold_seconds!r}.",
                field="threshold_seconds",
            )
        if not 0 < threshold_seconds <= 2**31 - 1:
            raise DomainError(
                f"threshold_seconds must be a positive number of seconds; got {threshold_seconds}.",
                field="threshold_seconds",
            )
    elif threshold_seconds not in (None, ""):
        raise DomainError(
            f"{measure.name} is a {measure.get_kind_display().lower()} measure and takes no threshold; "
            "remove threshold_seconds (thresholds belong to duration measures such as first_response).",
            field="threshold_seconds",
        )
    else:
        threshold_seconds = None
    if (
        isinstance(window_days, bool)
        or not isinstance(window_days, int)
        or not 1 <= window_days <= MAX_WINDOW_DAYS
    ):
        raise DomainError(
            f"window_days must be a whole number of days from 1 to {MAX_WINDOW_DAYS}; got {window_days!r}.",
            field="window_days",
        )
    if isinstance(min_sample, bool) or not isinstance(min_sample, int) or min_sample < 1:
        raise DomainError(
            f"min_sample must be a whole number of at least 1; got {min_sample!r}.", field="min_sample"
        )
    return {
        "target": target,
        "threshold_seconds": threshold_seconds,
        "window_days": window_days,
        "min_sample": min_sample,
        "weight": weight_value(weight, what="commitment"),
    }


def _editable_commitments(promise: Promise, doing: str) -> None:
    if promise.status not in (Promise.Status.DRAFT, Promise.Status.ACTIVE):
        raise refuse(promise, doing, "a draft or an active promise")


@transaction.atomic
def commitment_create(
    *,
    tenant: Tenant,
    promise: Promise,
    measure: Measure,
    target: Decimal | int | str,
    touchpoint: Touchpoint | None = None,
    threshold_seconds: int | None = None,
    window_days: int = 90,
    min_sample: int = 5,
    weight: Decimal | int | str = Decimal(1),
    actor: Membership | None = None,
    at: datetime | None = None,
) -> Commitment:
    """Add a commitment to a customer promise (draft or active).

    On a draft its version counts nowhere until activation; on an active promise it counts
    from ``at`` (default now). No touchpoint means signals from every touchpoint count.
    """
    measures_ensure_builtin(tenant=tenant)
    now = moment(at)
    with tenant_context(tenant):
        lock_promise(promise, tenant)
        own(measure, tenant, what="measure", field="measure")
        if touchpoint is not None:
            own(touchpoint, tenant, what="touchpoint", field="touchpoint")
        own_actor(actor, tenant)
        _editable_commitments(promise, "add a commitment to")
        if promise.kind != Promise.Kind.CUSTOMER:
            raise DomainError(
                "Commitments belong to customer promises; a brand promise is measured through the "
                "customer promises that activate it.",
                field="promise",
            )
        terms = _terms(
            measure=measure,
            target=target,
            threshold_seconds=threshold_seconds,
            window_days=window_days,
            min_sample=min_sample,
            weight=weight,
        )
        active = promise.status == Promise.Status.ACTIVE
        if active:
            not_before(now, promise.activated_at, "the activation")
        commitment = Commitment.objects.create(
            promise=promise, measure=measure, touchpoint=touchpoint, created_by=actor, created_at=now
        )
        CommitmentVersion.objects.create(
            commitment=commitment,
            number=1,
            effective_from=now if active else None,
            created_by=actor,
            created_at=now,
            **terms,
        )
        if active:
            rescore(tenant.pk)
        return commitment


@transaction.atomic
def commitment_update(
    *,
    tenant: Tenant,
    commitment: Commitment,
    target: Decimal | int | str | None = None,
    threshold_seconds: int | None = None,
    window_days: int | None = None,
    min_sample: int | None = None,
    weight: Decimal | int | str | None = None,
    actor: Membership | None = None,
    at: datetime | None = None,
) -> Commitment:
    """Change a commitment's numbers; arguments left as None stay.

    Draft promise: the version is edited in place. Active promise: the open version closes at
    ``at`` (``effective_to``) and the next opens at the same instant (``effective_from``), so
    scores of any earlier instant still use the old numbers. No change, no new version.
    """
    now = moment(at)
    own(commitment, tenant, what="commitment", field="commitment")
    with tenant_context(tenant):
        promise = lock_promise(commitment.promise, tenant)
        own_actor(actor, tenant)
        _editable_commitments(promise, "change a commitment of")
        if commitment.ended_at is not None:
            raise DomainError(
                f"This commitment ended on {commitment.ended_at:%Y-%m-%d}; add a new commitment instead.",
                field="commitment",
            )
        current = CommitmentVersion.objects.select_for_update().get(
            commitment=commitment, effective_to__isnull=True
        )
        given = {
            "target": target,
            "threshold_seconds": threshold_seconds,
            "window_days": window_days,
            "min_sample": min_sample,
            "weight": weight,
        }
        merged = {f: getattr(current, f) if given[f] is None else given[f] for f in TERM_FIELDS}
        terms = _terms(measure=commitment.measure, **merged)
        if all(terms[f] == getattr(current, f) for f in TERM_FIELDS):
            return _fresh(commitment)
        if current.effective_from is None:
            # The promise has never been active: this version has never counted anywhere.
            for field, value in terms.items():
                setattr(current, field, value)
            current.save(update_fields=list(TERM_FIELDS))
        else:
            not_before(now, current.effective_from, f"the current version {current.number}")
            current.effective_to = now
            current.save(update_fields=["effective_to"])
            CommitmentVersion.objects.create(
                commitment=commitment,
                number=current.number + 1,
                effective_from=now,
                created_by=actor,
                created_at=now,
                **terms,
            )
            rescore(tenant.pk)
        return _fresh(commitment)


def _fresh(commitment: Commitment) -> Commitment:
    # Forget prefetched versions: current_version must see the change.
    getattr(commitment, "_prefetched_objects_cache", {}).pop("versions", None)
    return commitment


@transaction.atomic
def commitment_end(
    *, tenant: Tenant, commitment: Commitment, actor: Membership | None = None, at: datetime | None = None
) -> Commitment:
    """Stop a commitment of an active promise counting from ``at`` on (its versions are kept).

    A commitment of a draft has never counted: delete it with :func:`commitment_delete`.
    """
    now = moment(at)
    own(commitment, tenant, what="commitment", field="commitment")
    with tenant_context(tenant):
        promise = lock_promise(commitment.promise, tenant)
        own_actor(actor, tenant)
        if promise.status == Promise.Status.DRAFT:
            raise DomainError(
                "This commitment belongs to a draft and has never counted; delete it instead of ending it.",
                field="commitment",
            )
        if promise.status != Promise.Status.ACTIVE:
            raise refuse(promise, "end a commitment of", "an active promise")
        if commitment.ended_at is not None:
            raise DomainError(
                f"This commitment already ended on {commitment.ended_at:%Y-%m-%d}.", field="commitment"
            )
        current = CommitmentVersion.objects.select_for_update().get(
            commitment=commitment, effective_to__isnull=True
        )
        not_before(now, current.effective_from, f"the current version {current.number}")
        current.effective_to = now
        current.save(update_fields=["effective_to"])
        commitment.ended_at = now
        commitment.save(update_fields=["ended_at"])
        rescore(tenant.pk)
        return _fresh(commitment)


@transaction.atomic
def commitment_delete(*, tenant: Tenant, commitment: Commitment) -> None:
    """Remove a commitment of a draft promise (it has never counted, so nothing is lost)."""
    own(commitment, tenant, what="commitment", field="commitment")
    with tenant_context(tenant):
        promise = lock_promise(commitment.promise, tenant)
        if promise.status != Promise.Status.DRAFT:
            raise DomainError(
                f"Only a draft's commitments can be deleted; {quoted(promise)} is "
                f"{promise.get_status_display().lower()}"
                + (
                    ": end the commitment instead, its history is kept."
                    if promise.status == "active"
                    else "."
                ),
                field="commitment",
            )
        commitment.delete()


# --- Effective dates follow the promise's transitions ---------------------------------------
# Called by the transitions themselves, inside their transaction, tenant context and lock on
# the promise row.


def commitments_start_counting(*, promise: Promise, at: datetime) -> None:
    """Activation: the draft versions of the promise's commitments start counting at ``at``."""
    CommitmentVersion.objects.filter(
        commitment__promise=promise,
        commitment__ended_at__isnull=True,
        effective_from__isnull=True,
        effective_to__isnull=True,
    ).update(effective_from=at)


def commitments_stop_counting(*, promise: Promise, at: datetime) -> None:
    """Retirement: every open version of the promise's commitments closes at ``at`` (not
    before the newest of them opened) and its commitments end."""
    open_versions = CommitmentVersion.objects.filter(commitment__promise=promise, effective_to__isnull=True)
    latest = max((v for v in open_versions.values_list("effective_from", flat=True) if v), default=None)
    not_before(at, latest, "the newest commitment version")
    open_versions.update(effective_to=at)
    commitments_open(promise=promise).update(ended_at=at)
