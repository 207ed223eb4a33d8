"""Serializers of the partner endpoints of hosted surveys (personalised links)."""

from __future__ import annotations

from rest_framework import serializers

from surveys.models import LINK_DEFAULT_DAYS, LINK_MAX_DAYS, LINK_RESPONDENT_REF_MAX, SurveyLink
from surveys.services import BULK_MINT_MAX, BulkMintResult, survey_link_state
from surveys.snippet import survey_link_url
from tenants.api_base import JsonTypedInput


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
    embed_url = serializers.SerializerMethodField(
        help_text="The same link's page to show in a frame on a web site the survey lists "
        '(`<iframe src="…">`); its one answer is the link\'s.'
    )
    state = serializers.SerializerMethodField(help_text="open, answered, revoked or expired.")

    class Meta:
        model = SurveyLink
        fields = [
            "id",
            "survey",
            "url",
            "embed_url",
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
        return survey_link_url(tenant=obj.tenant, link=obj)

    def get_embed_url(self, obj: SurveyLink) -> str:
        return survey_link_url(tenant=obj.tenant, link=obj, embed=True)

    def get_state(self, obj: SurveyLink) -> str:
        return survey_link_state(obj)


class SurveyLinkBulkMintSerializer(serializers.Serializer):
    """Only for the schema: the body is checked item by item by the service."""

    items = SurveyLinkMintSerializer(
        many=True,
        help_text=f"Up to {BULK_MINT_MAX} respondents, each as for one link. A bad item is rejected "
        "with its errors and the others go on.",
    )


class BulkMintItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in `items`, from 0.")
    status = serializers.ChoiceField(choices=["created", "suppressed", "rejected"])
    respondent_ref = serializers.CharField(required=False)
    link = SurveyLinkSerializer(required=False, help_text="The new link (created).")
    detail = serializers.CharField(required=False, help_text="Why no link was minted (suppressed).")
    ask_again_at = serializers.DateTimeField(
        required=False, help_text="From when the respondent may be asked again (suppressed)."
    )
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Messages per field (rejected).",
    )


class BulkMintResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    suppressed = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = BulkMintItemResultSerializer(many=True)


def bulk_mint_summary(results: list[BulkMintResult]) -> dict:
    """The answer to a bulk mint: counts per status, and one result per item in order."""
    counts = {"created": 0, "suppressed": 0, "rejected": 0}
    rows = []
    for result in results:
        counts[result.status] += 1
        row: dict = {"index": result.index, "status": result.status}
        if result.respondent_ref:
            row["respondent_ref"] = result.respondent_ref
        if result.status == "created":
            row["link"] = SurveyLinkSerializer(result.link).data
        elif result.status == "suppressed":
            row["detail"] = result.message
            row["ask_again_at"] = result.ask_again_at.isoformat()
        else:
            row["errors"] = result.errors
        rows.append(row)
    return {**counts, "results": rows}


class SurveyLinkSnippetSerializer(serializers.Serializer):
    language = serializers.CharField(help_text="en, de, fr or es.")
    state = serializers.CharField(help_text="The link's state: open, answered, revoked or expired.")
    html = serializers.CharField(
        help_text="The HTML to paste into the e-mail: a table with inline styles, one link per score."
    )
    score_urls = serializers.ListField(
        child=serializers.DictField(), help_text='One {"score", "url"} per score, lowest first.'
    )
