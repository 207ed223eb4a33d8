"""Serializers describing the signal ingest endpoints in the OpenAPI schema.

Validation of the items themselves happens in :mod:`feedback.services` (one item at a time,
with every error per field), so a bad item rejects only itself. These classes document the
shapes; like :mod:`tenants.api`, this module never imports ``rest_framework.views``.
"""

from __future__ import annotations

from rest_framework import serializers

from feedback.models import EXTERNAL_ID_MAX, STORY_TEXT_MAX, Story
from feedback.services import MAX_BATCH_ITEMS

_EXTERNAL_ID_HELP = (
    "Your id for this item. Sending an item with an id this API key already sent answers "
    "`duplicate` and changes nothing."
)
_OCCURRED_AT_HELP = "When it happened, ISO 8601 with a time zone; at most 5 minutes in the future."


class StoryItemSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=STORY_TEXT_MAX, help_text="What happened.")
    occurred_at = serializers.DateTimeField(help_text=_OCCURRED_AT_HELP)
    touchpoint = serializers.SlugField(help_text="Slug of the touchpoint where it happened.")
    promises = serializers.ListField(
        child=serializers.SlugField(), required=False, help_text="Slugs of the promises it touches."
    )
    department = serializers.SlugField(required=False, help_text="Slug of the department concerned.")
    segment = serializers.CharField(max_length=120, required=False, help_text="Customer segment.")
    severity = serializers.ChoiceField(choices=Story.Severity.choices, required=False, default="medium")
    external_id = serializers.CharField(
        max_length=EXTERNAL_ID_MAX, required=False, help_text=_EXTERNAL_ID_HELP
    )


class SurveyResponseItemSerializer(serializers.Serializer):
    measure = serializers.ChoiceField(choices=["nps", "csat", "ces"], help_text="The survey measure.")
    score = serializers.IntegerField(help_text="NPS 0–10, CSAT 1–5, CES 1–7.")
    occurred_at = serializers.DateTimeField(help_text=_OCCURRED_AT_HELP)
    touchpoint = serializers.SlugField(required=False, help_text="Slug of the touchpoint surveyed.")
    segment = serializers.DictField(
        required=False, help_text='Up to 20 flat attributes, e.g. {"plan": "pro"}.'
    )
    respondent_ref = serializers.CharField(
        max_length=120, required=False, help_text="Pseudonymous reference."
    )
    comment = serializers.CharField(max_length=STORY_TEXT_MAX, required=False)
    external_id = serializers.CharField(
        max_length=EXTERNAL_ID_MAX, required=False, help_text=_EXTERNAL_ID_HELP
    )


class ServiceEventItemSerializer(serializers.Serializer):
    measure = serializers.SlugField(help_text="Key of one of the tenant's duration measures.")
    duration_seconds = serializers.IntegerField(min_value=0, help_text="How long the case took.")
    occurred_at = serializers.DateTimeField(help_text=_OCCURRED_AT_HELP)
    touchpoint = serializers.SlugField(help_text="Slug of the touchpoint.")
    external_id = serializers.CharField(
        max_length=EXTERNAL_ID_MAX, required=False, help_text=_EXTERNAL_ID_HELP
    )


def batch_serializer(item: type[serializers.Serializer], name: str) -> type[serializers.Serializer]:
    return type(
        name,
        (serializers.Serializer,),
        {
            "items": serializers.ListField(
                child=item(),
                max_length=MAX_BATCH_ITEMS,
                help_text=f"Up to {MAX_BATCH_ITEMS} items. A single item may also be sent as the whole body.",
            ),
            "__doc__": "A batch of items (or one item as the whole body, without `items`).",
        },
    )


class ItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in the request.")
    # A plain string, not a choice field: an enum named "status" would collide with the
    # promise and sign-off status enums in the schema.
    status = serializers.CharField(help_text="`created`, `duplicate` (nothing changed) or `rejected`.")
    id = serializers.IntegerField(allow_null=True, help_text="The stored signal (also for a duplicate).")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Rejected items only: the messages per field.",
    )


class IngestResultSerializer(serializers.Serializer):
    results = ItemResultSerializer(many=True, help_text="One result per item, in request order.")
    created = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = serializers.IntegerField()
