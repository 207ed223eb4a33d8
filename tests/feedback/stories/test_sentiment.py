"""Sentiment (feedback.sentiment), stored on every story when it is written."""

from __future__ import annotations

from django.utils import timezone

from feedback.sentiment import sentiment_score
from feedback.stories.models import Story
from tenants.context import tenant_context
from tenants.models import Membership, Touchpoint


def test_negative_and_positive_texts_score_with_the_right_sign():
    assert sentiment_score("Terrible, the refund took weeks") < -0.2
    assert sentiment_score("Lovely quick delivery") > 0.2
    assert sentiment_score("") == 0.0


def test_story_create_stores_sentiment_and_links(signals, django_capture_on_commit_callbacks):
    from feedback.stories.services import story_create
    from promises.models import Promise

    with tenant_context(signals):
        employee = Membership.objects.get(user__email="employee@acme.test")
        touchpoint = Touchpoint.objects.get(slug="delivery")
        promise = Promise.objects.get(slug="fast-refunds")
    story = story_create(
        tenant=signals,
        text="  Terrible, the refund took weeks ",
        occurred_at=timezone.now(),
        touchpoint=touchpoint,
        source=employee,
        promises=[promise, promise],
        severity="high",
    )
    with tenant_context(signals):
        stored = Story.objects.get(pk=story.pk)
        assert stored.text == "Terrible, the refund took weeks"
        assert stored.sentiment < 0
        assert (stored.channel, stored.source_kind, stored.source_id) == ("web_form", "member", employee.pk)
        assert list(stored.promises.values_list("slug", flat=True)) == ["fast-refunds"]


def test_story_create_with_a_known_external_id_returns_the_stored_story(signals):
    from feedback.stories.services import story_create

    with tenant_context(signals):
        employee = Membership.objects.get(user__email="employee@acme.test")
        touchpoint = Touchpoint.objects.get(slug="delivery")
    kwargs = {"tenant": signals, "occurred_at": timezone.now(), "touchpoint": touchpoint, "source": employee}
    first = story_create(text="Lovely quick delivery", external_id="form-1", **kwargs)
    again = story_create(text="Changed text", external_id="form-1", **kwargs)
    assert again.pk == first.pk
    with tenant_context(signals):
        assert Story.objects.get().text == "Lovely quick delivery"
