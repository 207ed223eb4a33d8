"""One ingest item: every field checked against :mod:`tenants.validation`, every error kept per field.

The API batches and the CSV import rows pass through :class:`Item`; a bad item rejects only itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from feedback.ingest.lookups_cache import ingest_lookups_keep, ingest_lookups_rank
from feedback.sentiment import sentiment_score
from feedback.signals.models import (
    EXTERNAL_ID_MAX,
    STORY_TEXT_MAX,
    SURVEY_SCORE_RANGES,
    ServiceEvent,
    SurveyResponse,
)
from feedback.stories.models import Story
from promises.commitments.models import BUILTIN_MEASURES, SCALE_MAX_DIGITS, SCALE_PLACES
from promises.commitments.selectors import measure_list
from promises.models import Measure, Promise
from tenants.context import require_tenant_id
from tenants.models import Department, Touchpoint
from tenants.validation import (
    SMALLINT_RANGE,
    decimal_problem,
    duration_problem,
    instant_problem,
    integer_problem,
    parse_instant,
    text_problem,
)

MAX_BATCH_ITEMS = 1000
SEGMENT_MAX_KEYS = 20
SEGMENT_MAX_CHARS = 2000

KINDS = ("stories", "survey_responses", "service_events")
MODELS = {"stories": Story, "survey_responses": SurveyResponse, "service_events": ServiceEvent}


@dataclass
class Lookups:
    """The tenant's slugs and keys, read once per batch (never once per item)."""

    touchpoints: dict[str, Touchpoint]
    promises: dict[str, Promise]
    departments: dict[str, Department]
    measures: dict[str, Measure]

    @classmethod
    def for_items(
        cls,
        kind: str,
        items: list[Any],
        kept: tuple[dict[str, Touchpoint], dict[str, Measure]] | None = None,
    ) -> Lookups:
        """``kept``: the tenant's touchpoints and measures read with the API key
        (:mod:`feedback.ingest.lookups_cache`), used when they name every slug and key the items
        name; otherwise (and for stories) the tables are read, and a survey response's or
        service event's read is kept for the next requests."""
        dicts = [item for item in items if isinstance(item, dict)]
        touchpoint_slugs = {i["touchpoint"] for i in dicts if _lookup_text(i.get("touchpoint"))}
        if kind != "stories":
            return cls._signal_lookups(dicts, touchpoint_slugs, kept)
        touchpoints = {t.slug: t for t in Touchpoint.objects.filter(slug__in=touchpoint_slugs)}
        if len(touchpoints) < len(touchpoint_slugs):
            # Some slug is unknown: the error lists the valid ones, so read them all.
            touchpoints = {t.slug: t for t in Touchpoint.objects.order_by("position", "id")}
        promises: dict[str, Promise] = {}
        departments: dict[str, Department] = {}
        promise_slugs = {
            s for i in dicts if isinstance(i.get("promises"), list) for s in i["promises"] if _lookup_text(s)
        }
        if promise_slugs:
            promises = {p.slug: p for p in Promise.objects.filter(slug__in=promise_slugs)}
        department_slugs = {i["department"] for i in dicts if isinstance(i.get("department"), str)}
        if department_slugs:
            departments = {d.slug: d for d in Department.objects.order_by("name")}
        return cls(touchpoints, promises, departments, {})

    @classmethod
    def _signal_lookups(
        cls,
        dicts: list[dict],
        touchpoint_slugs: set[str],
        kept: tuple[dict[str, Touchpoint], dict[str, Measure]] | None,
    ) -> Lookups:
        measure_keys = {i["measure"] for i in dicts if isinstance(i.get("measure"), str)}
        if kept is not None and touchpoint_slugs <= kept[0].keys() and measure_keys <= kept[1].keys():
            all_touchpoints, measures = kept
            return cls({s: all_touchpoints[s] for s in touchpoint_slugs}, {}, {}, measures)
        rank = ingest_lookups_rank()  # before the read: a change recorded later outranks it
        all_touchpoints = {t.slug: t for t in Touchpoint.objects.order_by("position", "id")}
        measures = {m.key: m for m in Measure.objects.order_by("-is_builtin", "key")}
        if sum(m.is_builtin for m in measures.values()) < len(BUILTIN_MEASURES):
            measures = {m.key: m for m in measure_list()}  # creates the missing built-ins
        ingest_lookups_keep(
            tenant_id=require_tenant_id(), rank=rank, touchpoints=all_touchpoints, measures=measures
        )
        touchpoints = {s: all_touchpoints[s] for s in touchpoint_slugs if s in all_touchpoints}
        if len(touchpoints) < len(touchpoint_slugs):
            touchpoints = all_touchpoints  # some slug is unknown: the error lists the valid ones
        return cls(touchpoints, {}, {}, measures)


def _lookup_text(value: Any) -> bool:
    """A string that can be looked up at all (NUL cannot be sent to PostgreSQL)."""
    return isinstance(value, str) and text_problem("", value) is None


class Item:
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

    def touchpoint(self, lookups: Lookups, *, required: bool) -> Touchpoint | None:
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

    def measure(self, lookups: Lookups, *, kind: str | tuple[str, ...]) -> Measure | None:
        kinds = (kind,) if isinstance(kind, str) else kind
        value = self.data.get("measure")
        fitting = [key for key, m in lookups.measures.items() if m.kind in kinds]
        if value is None or value == "":
            self.error(
                "measure", f"measure is required; choose one of: {', '.join(fitting) or 'none defined yet'}."
            )
            return None
        measure = lookups.measures.get(value) if isinstance(value, str) else None
        if measure is None or measure.kind not in kinds:
            what = "survey" if kinds == (Measure.Kind.SURVEY,) else "duration, rate or average"
            self.error(
                "measure",
                f"Unknown {what} measure {value!r}; choose one of: {', '.join(fitting) or 'none defined yet'}.",
            )
            return None
        return measure

    def boolean(self, name: str) -> bool | None:
        value = self.data.get(name)
        if value is None:
            self.error(name, f"{name} is required: true or false.")
            return None
        if not isinstance(value, bool):
            self.error(name, f"{name} must be true or false, not {_shown(value)}.")
            return None
        return value

    def decimal(self, name: str) -> Decimal | None:
        """A number (JSON number, or decimal text from a CSV cell) that ``numeric(9, 3)`` holds exactly."""
        value = self.data.get(name)
        if value is None:
            self.error(name, f"{name} is required: a number.")
            return None
        number = None
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        elif isinstance(value, str) and _DECIMAL_TEXT.fullmatch(value.strip()):
            number = Decimal(value.strip())
        if number is None or not number.is_finite():
            self.error(name, f"{name} must be a number, e.g. 4 or 4.5, not {_shown(value)}.")
            return None
        if problem := decimal_problem(name, number, max_digits=SCALE_MAX_DIGITS, places=SCALE_PLACES):
            self.error(name, problem)
            return None
        return number


_DECIMAL_TEXT = re.compile(r"[+-]?(?:\d{1,40}(?:\.\d{0,40})?|\.\d{1,40})")


def _shown(value: Any) -> str:
    """A value quoted in an error message, cut short (a message never echoes a whole body)."""
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


STORY_FIELDS = (
    "text",
    "occurred_at",
    "touchpoint",
    "promises",
    "department",
    "segment",
    "severity",
    "external_id",
)
SURVEY_FIELDS = (
    "measure",
    "score",
    "occurred_at",
    "touchpoint",
    "segment",
    "respondent_ref",
    "comment",
    "external_id",
)
EVENT_FIELDS = ("measure", "duration_seconds", "outcome", "value", "occurred_at", "touchpoint", "external_id")


def story_values(item: Item, lookups: Lookups, now: datetime) -> tuple[dict[str, Any], list[Promise]]:
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


def _json_length_over(segment: dict[str, Any], limit: int) -> bool:
    """``len(json.dumps(segment)) > limit``, without encoding the usual small segment: an
    escape takes at most 12 characters per character (a surrogate pair for one outside the
    Basic Multilingual Plane), so a segment whose texts are short enough cannot exceed it."""
    bound = 2
    for key, value in segment.items():
        if isinstance(value, str):
            bound += 12 * len(value) + 2
        elif isinstance(value, bool | float) or value is None:
            bound += 24  # the longest repr of a double
        elif isinstance(value, int):
            bound += value.bit_length() // 3 + 2  # at least its digits and sign
        else:
            return len(json.dumps(segment)) > limit
        bound += 12 * len(key) + 4
        if bound > limit:
            return len(json.dumps(segment)) > limit
    return False


def segment_problem(segment: Any) -> str | None:
    """What is wrong with a survey response's ``segment`` (an object of flat attributes), or None.

    The one rule of segments, shared by ingest, CSV imports and the links hosted surveys mint."""
    if not isinstance(segment, dict):
        return 'segment must be an object of attributes, e.g. {"plan": "pro"}.'
    if len(segment) > SEGMENT_MAX_KEYS or _json_length_over(segment, SEGMENT_MAX_CHARS):
        return f"segment is too large; keep it to {SEGMENT_MAX_KEYS} attributes and {SEGMENT_MAX_CHARS} characters."
    if any(isinstance(v, dict | list) for v in segment.values()):
        return "segment values must be strings, numbers, booleans or null (no nesting)."
    for key, value in segment.items():
        texts = [("a segment key", key)] + (
            [(f"segment value of {key!r}", value)] if isinstance(value, str) else []
        )
        problems = [p for name, text in texts if (p := text_problem(name, text))]
        if problems:
            return problems[0]
    return None


def survey_response_values(item: Item, lookups: Lookups, now: datetime) -> dict[str, Any]:
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
    if problem := segment_problem(segment):
        item.error("segment", problem)
    comment = item.text("comment", max_length=STORY_TEXT_MAX)
    return {
        "measure": measure,
        "score": score,
        "occurred_at": item.occurred_at(now),
        "touchpoint": item.touchpoint(lookups, required=False),
        "segment": segment,
        "respondent_ref": item.text("respondent_ref", max_length=120),
        "comment": comment,
        "comment_sentiment": sentiment_score(comment) if comment else None,
        "external_id": item.external_id(),
    }


def service_event_values(item: Item, lookups: Lookups, now: datetime) -> dict[str, Any]:
    """An event of a duration, rate or average measure, carrying exactly the fact its kind needs
    (``Measure.FACTS``); a fact of another kind is an error on that field, never ignored."""
    measure = item.measure(lookups, kind=Measure.TENANT_KINDS)
    facts: dict[str, Any] = {"duration_seconds": None, "outcome": None, "value": None}
    if measure is not None:
        needed = Measure.FACTS[measure.kind]
        for fact in facts:
            if fact != needed and item.data.get(fact) is not None:
                item.error(
                    fact,
                    f"{measure.key} is a {measure.kind} measure: its events carry {needed}, not {fact}; "
                    f"remove {fact}.",
                )
        if needed == "duration_seconds":
            duration = item.integer("duration_seconds")
            if duration is not None and (problem := duration_problem("duration_seconds", duration)):
                item.error("duration_seconds", problem)
            facts["duration_seconds"] = duration
        elif needed == "outcome":
            facts["outcome"] = item.boolean("outcome")
        else:
            value = item.decimal("value")
            lo, hi = measure.scale
            if value is not None and not lo <= value <= hi:
                item.error(
                    "value",
                    f"{measure.key} value {value.normalize():f} is outside its scale "
                    f"{lo.normalize():f}…{hi.normalize():f}; send a value on the measure's scale.",
                )
            facts["value"] = value
    return {
        "measure": measure,
        **facts,
        "occurred_at": item.occurred_at(now),
        "touchpoint": item.touchpoint(lookups, required=True),
        "external_id": item.external_id(),
    }
