"""Serializers of the partner endpoints of hosted surveys (personalised links)."""

from __future__ import annotations

from django.urls import reverse
from rest_framework import serializers

from surveys.models import LINK_DEFAULT_DAYS, LINK_MAX_DAYS, LINK_RESPONDENT_REF_MAX, SurveyLink
from surveys.services import survey_link_state
from tenants.api_base import JsonTypedInput
from tenants.sites import tenant_url


def survey_link_url(link: SurveyLink) -> str:
    return tenant_url(link.tenant, reverse("survey_link_page", args=[link.token]))


class SurveyLinkMintSerializer(JsonTypedInput, serializers.Serializer):
    respondent_ref = serializers.CharField(
        max_length=LINK_RESPONDENT_REF_MAX,
        help_text="Your system's reference of the respondent (e.g. a customer number); the answer "
        "carries it, and the pause between two links of one respondent counts by it.",
    )
    segment = serializers.DictField(
        required=False,
        help_text='Attributes the answer carries, as in ingest (flat, e.g. {"plan": "pro", "channel": "email"}).',
    )
    expires_in_days = serializers.IntegerField(
        required=False,
        default=LINK_DEFAULT_DAYS,
        min_value=1,
        max_value=LINK_MAX_DAYS,
        help_text=f"Days the link takes its answer; 1 to {LINK_MAX_DAYS}, {LINK_DEFAULT_DAYS} unless given.",
    )


class SurveyLinkSerializer(serializers.ModelSerializer):
    survey = serializers.IntegerField(source="survey_id", read_only=True)
    url = serializers.SerializerMethodField(help_text="The link to send the respondent.")
    state = serializers.SerializerMethodField(help_text="open, answered, revoked or expired.")

    class Meta:
        model = SurveyLink
        fields = [
            "id",
            "survey",
            "url",
            "token",
            "respondent_ref",
            "segment",
            "state",
            "expires_at",
            "created_at",
            "revoked_at",
            "answered_at",
        ]
        read_only_fields = fields

    def get_url(self, obj: SurveyLink) -> str:
        return survey_link_url(obj)

    def get_state(self, obj: SurveyLink) -> str:
        return survey_link_state(obj)
