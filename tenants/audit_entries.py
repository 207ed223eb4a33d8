"""The audit trail as people read it: one sentence per entry, with names and local times.

The trail stores what happened in the database's terms — model labels, column names, ids and
raw values. :func:`audit_entries` turns a page of it into sentences ("Anna Schmidt changed the
promise “Hassle-free returns”: status from Draft to In review.") in two queries however long
the page: one for the people who acted, one for the names of the objects it names.

Each model says how the trail names it, with class attributes read here (like
``audit_exempt``): ``audit_noun`` ("promise", or a (singular, plural) pair), ``audit_name``
(the lookups whose values name a row, e.g. ``("title",)``) and, for a name made of several
values, a static method ``audit_named(*values) -> str``. A model without them is named by its
verbose name and id. Runs in the tenant's context (the lookups use the tenant managers).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from django.apps import apps
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Func, TextField, Value
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from tenants.audit import INGEST_ACTION, SECURITY_ACTIONS
from tenants.models import AuditEvent, Membership
from tenants.permissions import ACTIONS
from tenants.text import SYSTEM_ACTOR, shorten

# Housekeeping: rows the system rewrites on a timer or per request, which say nothing about
# the tenant's data. The audit log leaves them out unless asked to show them.
HOUSEKEEPING_MODELS = ("tenants.TenantHeartbeat", "feedback.IdempotencyRecord", "metrics.DurationThreshold")
# An update that changes only these columns is housekeeping too (a key's last use, an import's heartbeat).
HOUSEKEEPING_COLUMNS = ("last_used_at", "heartbeat_at", "updated_at")
# Columns every row has or that change with every write: never worth a phrase.
_UNSPOKEN_COLUMNS = {"id", "tenant_id", "updated_at"}
CHANGES_INLINE = 3  # an update names at most this many changes in its sentence

_CHANNELS = {
    "api": "",
    "csv_import": " from a CSV import",
    "csv": " from a CSV import",
    "web_form": " through the web form",
    "hosted_survey": " through a hosted survey",
}


@dataclass(frozen=True)
class _Kind:
    """How the trail names one model's rows."""

    label: str
    model: type[models.Model] | None
    noun: str
    plural: str
    lookups: tuple[str, ...]
    named: Callable[..., str] | None

    def phrase(self, values: Iterable[Any]) -> str:
        values = list(values)
        if self.named is not None:
            return self.named(*values)
        first = next((v for v in values if v not in (None, "")), None)
        return "" if first is None else f"“{shorten(str(first), 80)}”"

    def column_field(self, column: str) -> models.Field | None:
        if self.model is None:
            return None
        return next((f for f in self.model._meta.concrete_fields if f.column == column), None)


@cache
def audit_kind(label: str) -> _Kind:
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        name = label.rpartition(".")[2].lower()
        return _Kind(label, None, name, f"{name}s", (), None)
    noun = getattr(model, "audit_noun", str(model._meta.verbose_name))
    singular, plural = noun if isinstance(noun, tuple) else (noun, f"{noun}s")
    return _Kind(
        label,
        model,
        singular,
        plural,
        tuple(getattr(model, "audit_name", ())),
        getattr(model, "audit_named", None),
    )


def audit_object_choices() -> list[tuple[str, str]]:
    """The kinds of objects the trail records, for the log's filter: ``(label, "Promises")``
    (housekeeping is shown or hidden as a whole, by its own switch)."""
    choices = []
    for model in apps.get_models():
        label = model._meta.label
        if (
            hasattr(model, "audit_noun")
            and not getattr(model, "audit_exempt", "")
            and label not in HOUSEKEEPING_MODELS
        ):
            kind = audit_kind(label)
            choices.append((kind.label, kind.plural[:1].upper() + kind.plural[1:]))
    return sorted(choices, key=lambda c: c[1])


# --- Reading a page ---------------------------------------------------------------------------


@dataclass
class AuditEntry:
    """One entry of the trail as a person reads it."""

    event: AuditEvent
    who: str  # "Anna Schmidt", "API key “CRM”", "cxgov (automatic)"
    sentence: str
    changes: list[str] = field(default_factory=list)  # every change as a phrase (updates)
    housekeeping: bool = False

    @property
    def occurred_at(self) -> datetime:
        return self.event.occurred_at

    @property
    def more_changes(self) -> bool:
        return len(self.changes) > CHANGES_INLINE


def is_housekeeping(event: AuditEvent) -> bool:
    if event.model in HOUSEKEEPING_MODELS:
        return True
    changed = set(event.changes or {}) - {"id", "tenant_id"}
    return event.action == "update" and bool(changed) and changed <= set(HOUSEKEEPING_COLUMNS)


def audit_entries(events: Iterable[AuditEvent]) -> list[AuditEntry]:
    """Sentences for ``events`` (a page of the trail): one query for the members who acted and
    one for the names of every object the page names, whatever the number of entries."""
    events = list(events)
    people = _people(events)
    names = _names(events)
    return [_entry(event, people, names) for event in events]


def _people(events: list[AuditEvent]) -> dict[int, str]:
    ids = {e.actor_id for e in events if e.actor_kind == "member" and e.actor_id is not None}
    if not ids:
        return {}
    rows = Membership.objects.filter(pk__in=ids).values_list(
        "pk", "user__first_name", "user__last_name", "user__email"
    )
    return {pk: person_name(first, last, email) for pk, first, last, email in rows}


def person_name(first: str, last: str, email: str) -> str:
    """A person as the product names them: their name, else their e-mail address."""
    return f"{first} {last}".strip() or email


def _names(events: list[AuditEvent]) -> dict[tuple[str, str], str]:
    """``(model label, id) → phrase`` for every object the page names, in one query."""
    wanted: dict[str, set[str]] = defaultdict(set)
    for event in events:
        if event.category != AuditEvent.Category.DATA or event.action == INGEST_ACTION:
            continue
        kind = audit_kind(event.model)
        if kind.lookups and event.object_id:
            wanted[kind.label].add(event.object_id)
        for column, (before, after) in _change_pairs(event):
            related = _related_kind(kind, column)
            if related is not None and related.lookups:
                wanted[related.label].update(str(v) for v in (before, after) if v is not None)
    # One statement for every kind: each kind's rows as (label, id, [name values as text]).
    parts = []
    for label, ids in sorted(wanted.items()):
        kind = audit_kind(label)
        numeric = sorted(int(i) for i in ids if str(i).isdigit())
        if kind.model is None or not numeric:
            continue
        values = Func(
            *(Cast(F(lookup), output_field=TextField()) for lookup in kind.lookups),
            function="ARRAY",
            template="%(function)s[%(expressions)s]",
            output_field=ArrayField(TextField()),
        )
        parts.append(
            kind.model._default_manager.filter(pk__in=numeric)
            .annotate(audit_label=Value(label, output_field=TextField()), audit_values=values)
            .values_list("audit_label", "pk", "audit_values")
            .order_by()
        )
    if not parts:
        return {}
    rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return {(label, str(pk)): audit_kind(label).phrase(values) for label, pk, values in rows}


def _related_kind(kind: _Kind, column: str) -> _Kind | None:
    model_field = kind.column_field(column)
    if model_field is None or not model_field.is_relation or model_field.related_model is None:
        return None
    return audit_kind(model_field.related_model._meta.label)


def _change_pairs(event: AuditEvent) -> list[tuple[str, tuple[Any, Any]]]:
    pairs = []
    for column, value in (event.changes or {}).items():
        if isinstance(value, list | tuple) and len(value) == 2:
            pairs.append((column, (value[0], value[1])))
        else:
            pairs.append((column, (None, value)))
    return pairs


def _who(event: AuditEvent, people: dict[int, str]) -> str:
    if event.actor_kind == "member":
        return people.get(event.actor_id) or event.actor_label or "A former member"
    if event.actor_kind == "api_key":
        return f"API key “{event.actor_label}”" if event.actor_label else "An API key"
    if event.actor_kind == "system":
        return SYSTEM_ACTOR
    return "Someone not signed in"


def _entry(event: AuditEvent, people: dict[int, str], names: dict[tuple[str, str], str]) -> AuditEntry:
    who = _who(event, people)
    if event.category == AuditEvent.Category.SECURITY:
        return AuditEntry(event, who, _security_sentence(event, who))
    if event.action == INGEST_ACTION:
        return AuditEntry(event, who, _ingest_sentence(event, who))
    kind = audit_kind(event.model)
    name = names.get((kind.label, event.object_id)) or _name_in_row(kind, event) or f"#{event.object_id}"
    the = f"the {kind.noun} {name}"
    housekeeping = is_housekeeping(event)
    if event.action == "insert":
        return AuditEntry(event, who, f"{who} created {the}.", housekeeping=housekeeping)
    if event.action == "delete":
        return AuditEntry(event, who, f"{who} deleted {the}.", housekeeping=housekeeping)
    changes = [
        f"{_field_label(kind, column)} from {_value(kind, column, before, names)} to "
        f"{_value(kind, column, after, names)}"
        for column, (before, after) in _change_pairs(event)
        if column not in _UNSPOKEN_COLUMNS
    ]
    sentence = f"{who} changed {the}"
    if changes:
        shown = "; ".join(changes[:CHANGES_INLINE])
        more = len(changes) - CHANGES_INLINE
        sentence += f": {shown}" + (f"; and {more} more change{'s' if more > 1 else ''}" if more > 0 else "")
    return AuditEntry(event, who, sentence + ".", changes=changes, housekeeping=housekeeping)


def _name_in_row(kind: _Kind, event: AuditEvent) -> str:
    """The name kept in the entry itself: a deleted row's last values, a new row's first."""
    row = {
        column: (after if after is not None else before) for column, (before, after) in _change_pairs(event)
    }
    columns = [lookup for lookup in kind.lookups if "__" not in lookup]
    if kind.named is not None or not columns:
        return ""
    return kind.phrase(row.get(column) for column in columns)


def _field_label(kind: _Kind, column: str) -> str:
    model_field = kind.column_field(column)
    if model_field is None:
        return column.replace("_", " ")
    return str(model_field.verbose_name)


def _value(kind: _Kind, column: str, raw: Any, names: dict[tuple[str, str], str]) -> str:
    """A stored value as words: a choice's label, a related object's name, a local time."""
    if raw is None or raw == "":
        return "nothing"
    model_field = kind.column_field(column)
    if model_field is not None and model_field.is_relation:
        related = _related_kind(kind, column)
        name = names.get((related.label, str(raw))) if related is not None else None
        return name or f"#{raw}"
    if model_field is not None and model_field.choices:
        return str(dict(model_field.flatchoices).get(raw, raw))
    if isinstance(raw, bool):
        return "yes" if raw else "no"
    if isinstance(model_field, models.DateTimeField) and isinstance(raw, str):
        moment = parse_datetime(raw)
        if moment is not None:
            return f"{timezone.localtime(moment):%-d %b %Y, %H:%M}"
    if isinstance(model_field, models.DateField) and isinstance(raw, str):
        day = parse_date(raw[:10])
        if isinstance(day, date):
            return f"{day:%-d %b %Y}"
    if isinstance(raw, list):
        return ", ".join(str(v) for v in raw) or "nothing"
    return f"“{shorten(str(raw), 60)}”" if isinstance(raw, str) else str(raw)


# --- Signals received and security events -----------------------------------------------------


def _ingest_sentence(event: AuditEvent, who: str) -> str:
    """"API key “CRM” added 1,000 survey responses (#101–#1100)."."""  # fmt: skip
    detail = event.detail or {}
    kind = audit_kind(event.model)
    count = int(detail.get("count") or 0)
    what = f"a {kind.noun}" if count == 1 else f"{count:,} {kind.plural}"
    ids = f"#{event.object_id}" if "–" not in event.object_id else "#" + event.object_id.replace("–", "–#")
    channel = _CHANNELS.get(detail.get("channel", ""), "")
    if detail.get("first_line") and detail.get("last_line"):
        channel += f" (lines {detail['first_line']:,}–{detail['last_line']:,})"
    return f"{who} added {what} ({ids}){channel}."


def _security_sentence(event: AuditEvent, who: str) -> str:
    d = event.detail or {}
    email = d.get("email", "")
    sentences: dict[str, Callable[[], str]] = {
        "login.succeeded": lambda: f"{who} signed in.",
        "login.failed": lambda: f"A sign-in as {email or 'an unknown address'} failed.",
        "login.throttled": lambda: f"Sign-ins as {email} were blocked after too many attempts.",
        "mfa.enrolled": lambda: f"{who} turned on two-factor authentication.",
        "mfa.removed": lambda: f"{who} turned off two-factor authentication.",
        "permission.denied": lambda: (
            f"{who} was refused “{_permission(d.get('action', ''))}” at {d.get('path', '')}."
        ),
        "member.invited": lambda: f"{who} invited {email} as {_role(d.get('role'))}.",
        "member.joined": lambda: f"{email} accepted the invitation and joined as {_role(d.get('role'))}.",
        "member.role_changed": lambda: (
            f"{who} changed the role of {d.get('member')} from {_role(d.get('from'))} to {_role(d.get('to'))}."
        ),
        "member.deactivated": lambda: f"{who} deactivated {d.get('member')}.",
        "member.reactivated": lambda: f"{who} reactivated {d.get('member')}.",
        "api_key.created": lambda: f"{who} created the API key “{d.get('name')}” ({d.get('key')}…).",
        "api_key.revoked": lambda: f"{who} revoked the API key “{d.get('name')}” ({d.get('key')}…).",
        "api_key.used_after_revocation": lambda: f"The revoked API key {d.get('key')}… was used and refused.",
        "api_key.used_after_expiry": lambda: f"The expired API key {d.get('key')}… was used and refused.",
        "tenant.settings_changed": lambda: f"{who} changed the company settings: {_settings(d)}.",
    }
    if event.action in sentences:
        return sentences[event.action]()
    return f"{who}: {SECURITY_ACTIONS.get(event.action, event.action)}."


def _role(role: Any) -> str:
    return str(dict(Membership.Role.choices).get(role, role or "")).lower()


def _permission(action: str) -> str:
    rule = ACTIONS.get(action)
    return rule.description if rule is not None else action


_SETTINGS = {
    "name": "name",
    "time_zone": "time zone",
    "perception_gap_threshold": "perception-gap threshold",
    "business_hours_clocks": "business-hours clocks",
    "clock_reminder_percent": "reminder before a due time (%)",
    "score_drop_points": "score-drop alert (points)",
    "score_drop_window_days": "score-drop window (days)",
}


def _settings(detail: dict[str, Any]) -> str:
    return "; ".join(
        f"{_SETTINGS.get(name, name.replace('_', ' '))} from “{before}” to “{after}”"
        for name, (before, after) in ((n, v) for n, v in detail.items() if isinstance(v, list | tuple))
    )
