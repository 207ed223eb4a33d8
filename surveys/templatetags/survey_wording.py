"""``{{ survey|worded:"reason" }}``: the survey's own text in the page's language, or ""."""

from __future__ import annotations

from django import template
from django.utils.translation import get_language

from surveys.text import DEFAULT_LANGUAGE

register = template.Library()


@register.filter
def worded(survey, field: str) -> str:
    if survey is None:
        return ""
    return survey.worded(field, get_language() or DEFAULT_LANGUAGE)
