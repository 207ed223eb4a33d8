"""Survey comments get a sentiment score where they are stored, and ``manage.py
survey_comment_sentiment`` scores those stored before, audited, tenant by tenant."""

from __future__ import annotations

import io

from django.core.management import call_command

from feedback.ingest.services import signals_ingest
from feedback.signals.models import SurveyResponse
from promises.models import Measure
from tenants.context import tenant_context
from tenants.models import AuditEvent
from tests.feedback.conftest import signal_setup


def response(**overrides):
    return {
        "measure": "csat",
        "score": 4,
        "occurred_at": "2026-01-05T10:00:00Z",
        "touchpoint": "delivery",
        **overrides,
    }


def ingest(tenant, key, kind, items):
    return [r.as_dict() for r in signals_ingest(tenant=tenant, kind=kind, items=items, source=key.api_key)]


def test_ingest_scores_a_comment_and_leaves_a_score_without_one_unscored(signals, api_key):
    results = ingest(
        signals,
        api_key,
        "survey_responses",
        [
            response(comment="Still waiting for my refund, nobody answers."),
            response(comment="Rückerstattung nach zwei Tagen, super."),
            response(),
        ],
    )
    assert [r["status"] for r in results] == ["created"] * 3
    with tenant_context(signals):
        complaint, praise, bare = SurveyResponse.objects.order_by("id")
    assert complaint.comment_sentiment < -0.05 < 0.05 < praise.comment_sentiment
    assert bare.comment_sentiment is None


def _old_comments(tenant, texts: list[str]) -> list[int]:
    """Answers stored before comments were scored: a comment, no score."""
    with tenant_context(tenant):
        csat = Measure.objects.get(key="csat")
        rows = SurveyResponse.objects.bulk_create(
            SurveyResponse(
                measure=csat,
                score=3,
                occurred_at="2026-01-05T10:00:00Z",
                source_kind="api_key",
                source_id=1,
                comment=text,
            )
            for text in texts
        )
    return [r.pk for r in rows]


def test_the_command_scores_old_comments_once_audited_in_every_tenant(tenant, other_tenant):
    signal_setup(tenant)
    signal_setup(other_tenant)
    ours = _old_comments(
        tenant, ["Le remboursement est arrivé en deux jours, parfait.", "", "Waste of time."]
    )
    theirs = _old_comments(other_tenant, ["Mi paquete nunca llegó."])
    out = io.StringIO()
    call_command("survey_comment_sentiment", stdout=out)
    assert "3 comments scored in all." in out.getvalue()
    with tenant_context(tenant):
        scores = dict(SurveyResponse.objects.filter(pk__in=ours).values_list("pk", "comment_sentiment"))
        [entry, _] = AuditEvent.objects.filter(action="update", model="feedback.SurveyResponse")
        assert entry.actor_label == "manage.py survey_comment_sentiment"
    assert scores[ours[0]] > 0.05 and scores[ours[2]] < -0.05
    assert scores[ours[1]] is None  # no comment, nothing to score
    with tenant_context(other_tenant):
        assert SurveyResponse.objects.get(pk=theirs[0]).comment_sentiment < -0.05
    # Again: nothing left to score, nothing changed.
    out = io.StringIO()
    call_command("survey_comment_sentiment", "--tenant", "acme", stdout=out)
    assert out.getvalue().strip() == "0 comments scored in all."
