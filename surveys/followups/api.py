"""Serializers and filters of the follow-up endpoints."""

from __future__ import annotations

from django import forms
from django_filters import rest_framework as filters
from rest_framework import serializers

from surveys.models import OUTCOME_NOTE_MAX, FollowUp
from tenants.api_base import JsonTypedInput


class IdFilter(filters.NumberFilter):
    """A row's id: a whole number that fits the column (not a decimal)."""

    field_class = forms.IntegerField


class FollowUpFilter(filters.FilterSet):
    status = filters.ChoiceFilter(
        choices=FollowUp.Status.choices,
        help_text="Only open or only closed follow-ups.",
        error_messages={"invalid_choice": "%(value)s is not a status; use open or closed."},
    )
    department = filters.CharFilter(field_name="department__slug", help_text="Responsible department (slug).")
    survey = IdFilter(
        field_name="survey_id",
        min_value=1,
        max_value=2**63 - 1,
        help_text="Only follow-ups of this survey (id).",
        error_messages={
            "invalid": "survey is a survey's id, a whole number.",
            "min_value": "survey is a survey's id, a whole number from 1.",
            "max_value": "survey is a survey's id; this one is too large.",
        },
    )

    class Meta:
        model = FollowUp
        fields = ["status", "department", "survey"]


class FollowUpSerializer(serializers.ModelSerializer):
    survey = serializers.IntegerField(source="survey_id", read_only=True)
    department = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    touchpoint = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    measure = serializers.CharField(source="measure_key", read_only=True, help_text="nps, csat or ces.")
    reason = serializers.CharField(
        read_only=True, help_text="The customer's reason for their score (may be empty)."
    )
    consented = serializers.SerializerMethodField(help_text="Whether the customer agreed to be contacted.")
    contact = serializers.SerializerMethodField(
        help_text="The customer's e-mail and phone (either may be empty): only when they agreed to be contacted, else null."
    )
    owner = serializers.SerializerMethodField(help_text="The owner's e-mail address, or null.")
    status = serializers.CharField(read_only=True, help_text="open or closed.")
    outcome = serializers.CharField(
        read_only=True, help_text="contacted, resolved or could_not_reach once closed; empty while open."
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "survey",
            "response_id",
            "department",
            "touchpoint",
            "measure",
            "score",
            "reason",
            "language",
            "consented",
            "contact",
            "owner",
            "status",
            "outcome",
            "note",
            "due_at",
            "created_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_consented(self, obj: FollowUp) -> bool:
        return obj.consented_at is not None

    def get_contact(self, obj: FollowUp) -> dict[str, str] | None:
        if obj.consented_at is None:
            return None
        return {"email": obj.contact_email, "phone": obj.contact_phone}

    def get_owner(self, obj: FollowUp) -> str | None:
        return obj.owner.user.email if obj.owner_id else None


class FollowUpCloseSerializer(JsonTypedInput, serializers.Serializer):
    outcome = serializers.ChoiceField(
        choices=FollowUp.Outcome.values,
        help_text="contacted, resolved or could_not_reach.",
        error_messages={
            "invalid_choice": "{input} is not an outcome; use contacted, resolved or could_not_reach."
        },
    )
    note = serializers.CharField(
        max_length=OUTCOME_NOTE_MAX, help_text="What was done, e.g. “Called her, refund sent”."
    )


class FollowUpAssignSerializer(JsonTypedInput, serializers.Serializer):
    owner = serializers.EmailField(
        allow_null=True,
        max_length=254,
        help_text="E-mail of the new owner: an active admin, or an active manager or employee of the "
        "follow-up's department; null: nobody.",
        error_messages={"required": "Send owner: a member's e-mail, or null for nobody."},
    )
