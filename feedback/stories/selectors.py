"""Reads of stories for the pages: with what a list shows, whose they are, who wrote them."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from feedback.sentiment import sentiment_label
from feedback.signals.models import SourceKind
from feedback.stories.models import Story, StoryPromise
from tenants.models import Membership


def story_rows() -> QuerySet[Story]:
    """Stories with what a list shows, in a constant number of queries."""
    promise_links = StoryPromise.objects.select_related("promise").order_by("promise__title")
    return Story.objects.select_related("touchpoint", "department").prefetch_related(
        Prefetch("promise_links", queryset=promise_links)
    )


def stories_of(membership: Membership) -> Q:
    """The stories ``membership`` logged."""
    return Q(source_kind=SourceKind.MEMBER, source_id=membership.pk)


def with_authors(stories: list[Story]) -> list[Story]:
    """Set ``author`` (the member who logged it, or None for API/CSV) on each story, in one query."""
    ids = {s.source_id for s in stories if s.source_kind == SourceKind.MEMBER}
    members = {m.pk: m for m in Membership.objects.select_related("user").filter(pk__in=ids)} if ids else {}
    for story in stories:
        story.author = members.get(story.source_id) if story.source_kind == SourceKind.MEMBER else None
        story.sentiment_label = sentiment_label(story.sentiment)
    return stories
