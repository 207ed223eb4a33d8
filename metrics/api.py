"""The scores API's input parsing and the shapes of its answers (for the OpenAPI schema).

Like :mod:`tenants.api`, this module never imports ``rest_framework.views``: the endpoints
live in :mod:`metrics.api_urls`. ``GET /api/v1/scores`` answers the engine's result as it is
(:func:`metrics.engine.scores_compute`); the serializers below only describe it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from metrics.models import Scope, ScoreRun, ScoreSnapshot
from tenants.api_base import QueryInput
from tenants.validation import instant_problem, parse_instant, text_problem

_INSTANT_EXAMPLE = "2026-03-31T22:00:00Z"


@extend_schema_field(OpenApiTypes.DATETIME)
class InstantField(serializers.Field):
    """An ISO 8601 instant with a time zone (``Z`` or an offset), answered in UTC.

    A naive time is refused rather than guessed: the same wall-clock time is a different
    instant in each tenant's time zone.
    """

    default_error_messages = {
        "invalid": f"“{{value}}” is not an ISO 8601 date and time; send e.g. {_INSTANT_EXAMPLE}. "
        "In a URL, write a “+” offset as %2B (or use Z).",
        "naive": f"“{{value}}” has no time zone; add Z or an offset, e.g. {_INSTANT_EXAMPLE}.",
    }

    def to_internal_value(self, data) -> datetime:
        value = str(data).strip()
        parsed = parse_instant(value) if text_problem("", value) is None else None
        if parsed is None:
            self.fail("invalid", value=value[:60])
        if parsed.tzinfo is None:
            self.fail("naive", value=value[:60])
        # Checked before converting: year 1 at +14:00 has no UTC equivalent in Python. Whether
        # the future is allowed is the query's own rule (as_of: no; a range bound: yes).
        if problem := instant_problem(self.field_name, parsed, future=True):
            raise serializers.ValidationError(problem)
        return parsed.astimezone(UTC)

    def to_representation(self, value: datetime) -> str:
        return value.isoformat()


def _not_in_future(field: str, value: datetime | None) -> None:
    if value is not None and value > timezone.now():
        raise serializers.ValidationError(
            {
                field: [
                    f"{value.isoformat()} is in the future; scores exist up to now. "
                    "Leave it out for the scores as of now."
                ]
            }
        )


class ScoresQuerySerializer(QueryInput, serializers.Serializer):
    as_of = InstantField(
        required=False,
        help_text="The instant the scores are computed at, ISO 8601 with a time zone "
        f"(e.g. {_INSTANT_EXAMPLE}); default now. Not in the future.",
    )

    def validate(self, attrs):
        _not_in_future("as_of", attrs.get("as_of"))
        return attrs


class ScoreHistoryQuerySerializer(QueryInput, serializers.Serializer):
    scope = serializers.ChoiceField(
        choices=Scope.choices,
        help_text="Whose scores: the tenant, or one promise, commitment, department or touchpoint.",
        error_messages={
            "required": f"Name the scope: one of {', '.join(Scope.values)}.",
            "invalid_choice": f"“{{input}}” is not a scope; use one of {', '.join(Scope.values)}.",
        },
    )
    id = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="The id of the promise, commitment, department or touchpoint; "
        "leave it out for the tenant scope.",
        error_messages={"invalid": "The id is a whole number, e.g. 42."},
    )
    kind = serializers.ChoiceField(
        choices=ScoreRun.Kind.choices,
        required=False,
        help_text="Only snapshots of this kind, e.g. quarter_end for the quarterly trend.",
        error_messages={
            "invalid_choice": f"“{{input}}” is not a snapshot kind; use one of {', '.join(ScoreRun.Kind.values)}."
        },
    )

    def get_fields(self):
        fields = super().get_fields()
        # ``from`` is a Python keyword, hence added here rather than as a class attribute.
        fields["from"] = InstantField(
            required=False,
            help_text="Only snapshots as of this instant or later (ISO 8601 with a time zone).",
        )
        fields["to"] = InstantField(
            required=False,
            help_text="Only snapshots as of this instant or earlier (ISO 8601 with a time zone).",
        )
        return fields

    def validate(self, attrs):
        scope, scope_id = attrs["scope"], attrs.get("id")
        if scope == Scope.TENANT and scope_id is not None:
            raise serializers.ValidationError({"id": ["The tenant scope has no id; leave id out."]})
        if scope != Scope.TENANT and scope_id is None:
            raise serializers.ValidationError({"id": [f"Give the id of the {scope} whose history you want."]})
        since, until = attrs.get("from"), attrs.get("to")
        if since is not None and until is not None and since > until:
            raise serializers.ValidationError({"to": ["“to” is before “from”; swap them."]})
        return attrs


class ScoreSnapshotSerializer(serializers.ModelSerializer):
    # A plain string in the schema: an enum property named ``kind`` would collide with others.
    kind = serializers.CharField(help_text="What took the snapshot: recompute, daily or quarter_end.")
    values = serializers.JSONField(help_text="Everything the run computed for this scope.")

    class Meta:
        model = ScoreSnapshot
        fields = ["as_of", "kind", "score", "delivery_rate", "n", "values"]


# --- The answer of GET /api/v1/scores (described, not used to render) -------------------------
# An inline schema rather than serializers: no schema component has a ``tenant`` property, as
# no serializer ever accepts one (the answer's ``tenant`` is the key's own tenant's scores).


def _field(kind: str, description: str, **schema) -> dict:
    return {"type": kind, **schema, **({"description": description} if description else {})}


def _number(description: str = "") -> dict:
    return _field("number", description, format="double", nullable=True)


def _integer(description: str = "", nullable: bool = False) -> dict:
    return _field("integer", description, nullable=nullable)


def _string(description: str = "", nullable: bool = False) -> dict:
    return _field("string", description, nullable=nullable)


def _objects(description: str, **properties: dict) -> dict:
    return {
        "type": "array",
        "description": description,
        "items": {"type": "object", "properties": properties, "required": list(properties)},
    }


STATUS = "met, not_met or insufficient_data."

SCORES_SCHEMA = {
    "type": "object",
    "required": ["as_of", "tenant", "promises", "commitments", "departments", "touchpoints"],
    "properties": {
        "as_of": {"type": "string", "format": "date-time", "description": "The instant scored, in UTC."},
        "tenant": {
            "type": "object",
            "description": "The API key's tenant: weighted means over the promises with a score.",
            "properties": {"score": _number("The alignment score, 0–100."), "delivery_rate": _number()},
            "required": ["score", "delivery_rate"],
        },
        "promises": _objects(
            "Active customer promises (and any with a commitment counting at as_of).",
            id=_integer(),
            slug=_string(),
            title=_string(),
            owner_id=_integer("The owning department."),
            weight=_number(),
            score=_number(),
            delivery_rate=_number(),
            operational_score=_number(
                "Weighted mean over the operational commitments (durations, operational rates and averages)."
            ),
            perceived_score=_number(
                "Weighted mean over the perceived commitments (surveys, stories, perceived rates and averages)."
            ),
            perception_gap=_number("operational_score − perceived_score, when both exist."),
            flags={
                "type": "array",
                "items": {"type": "string", "enum": ["hidden_breach", "unseen_delivery"]},
                "description": "hidden_breach: gap ≥ the tenant's threshold; unseen_delivery: gap ≤ −threshold.",
            },
            status=_string(STATUS),
        ),
        "commitments": _objects(
            "Every commitment version counting at as_of.",
            id=_integer(),
            promise=_string("The promise's slug."),
            promise_id=_integer(),
            measure=_string("The measure's key."),
            touchpoint=_string("The touchpoint's slug; null: all touchpoints.", nullable=True),
            actual=_number("A, on the measure's scale; null with insufficient data."),
            n=_integer("Signals in the window."),
            status=_string(STATUS + " insufficient_data: n < min_sample."),
            met={
                "type": "boolean",
                "nullable": True,
                "description": "A ≥ target; lower is better: A ≤ target.",
            },
            score=_number(),
            gap=_number("Shortfall in points of the scale; negative = ahead."),
            kind=_string(
                "operational (duration measures; rate and average measures declared operational) or perceived."
            ),
            target=_number("On the measure's scale; the most that still counts as met when lower is better."),
            direction={
                "type": "string",
                "enum": ["higher_is_better", "lower_is_better"],
                "description": "The measure's direction.",
            },
            target_label=_string('The target as shown: "at least 90 %", "at most 2 %", "at least 4.2".'),
            threshold_seconds=_integer("θ of a duration measure.", nullable=True),
            window_days=_integer(),
            min_sample=_integer(),
            weight=_number(),
            version=_integer("The commitment version that counted at as_of."),
        ),
        "departments": _objects(
            "Every department: weighted means over the scored promises it owns or contributes to.",
            id=_integer(),
            slug=_string(),
            name=_string(),
            score=_number(),
            delivery_rate=_number(),
            promises=_integer("Scored promises counted."),
        ),
        "touchpoints": _objects(
            "Every touchpoint, in journey order: weighted mean over its counted commitments.",
            id=_integer(),
            slug=_string(),
            name=_string(),
            score=_number(),
            commitments=_integer("Counted commitments at this touchpoint."),
        ),
    },
}
