"""Stories: a customer's story, logged by an employee or pushed by a partner, and the promises it touches."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from feedback.signals.models import STORY_TEXT_MAX, Signal, signal_constraints, signal_indexes
from promises.models import Promise
from tenants.keys import TenantForeignKey
from tenants.models import Department, TenantModel, Touchpoint
from tenants.text import shorten


class Story(Signal):
    audit_noun = ("story", "stories")
    audit_name = ("text",)

    class Severity(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"

    class Channel(models.TextChoices):
        WEB_FORM = "web_form", "Web form"
        API = "api", "API"
        CSV = "csv", "CSV import"

    text = models.TextField(max_length=STORY_TEXT_MAX, help_text="What happened, in the customer's words.")
    touchpoint = TenantForeignKey(Touchpoint, on_delete=models.RESTRICT, related_name="stories")
    promises = models.ManyToManyField(Promise, through="StoryPromise", related_name="stories", blank=True)
    department = TenantForeignKey(
        Department, null=True, blank=True, on_delete=models.SET_NULL, related_name="stories"
    )
    segment = models.CharField(max_length=120, blank=True, default="", help_text="Customer segment.")
    severity = models.CharField(max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    channel = models.CharField(max_length=16, choices=Channel.choices)
    sentiment = models.FloatField(help_text="From -1 (negative) to 1 (positive); see feedback.sentiment.")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name_plural = "stories"
        constraints = [
            *signal_constraints("story"),
            models.CheckConstraint(
                condition=Q(sentiment__gte=-1, sentiment__lte=1), name="story_sentiment_range"
            ),
        ]
        indexes = signal_indexes("story")

    def __str__(self) -> str:
        return shorten(self.text, 60)


# Named at module level for the API schema (cxgov.settings SPECTACULAR_SETTINGS enum names).
StorySeverity = Story.Severity


class StoryPromise(TenantModel):
    """A promise a story touches."""

    audit_noun = "story link"
    audit_name = ("story_id", "promise__title")

    story = TenantForeignKey(Story, on_delete=models.CASCADE, related_name="promise_links")
    promise = TenantForeignKey(Promise, on_delete=models.CASCADE, related_name="story_links")

    class Meta:
        constraints = [models.UniqueConstraint("tenant", "story", "promise", name="story_promise_unique")]
        indexes = [models.Index(fields=["tenant", "promise"], name="story_promise_promise_idx")]

    def __str__(self) -> str:
        return f"story {self.story_id} touches promise {self.promise_id}"

    @staticmethod
    def audit_named(story_id: int, promise: str) -> str:
        return f"of story {story_id} to “{promise}”"
