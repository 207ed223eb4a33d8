"""What a customer reads on a survey's public page, in their language.

The standard question of each measure, the words at the two ends of its scale, and the
languages of the public pages. The language comes from the link (``?lang=de``), else from the
browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
DEFAULT_LANGUAGE = "en"


def survey_language(*, requested: str | None, accept_language: str) -> str:
    """``requested`` when it is one of the public pages' languages, else the browser's first
    one that is, else English."""
    if requested and requested.lower() in LANGUAGE_CODES:
        return requested.lower()
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        primary = code.split("-")[0].lower()
        if primary in LANGUAGE_CODES:
            return primary
    return DEFAULT_LANGUAGE


@dataclass(frozen=True)
class Question:
    text: str
    low_label: str
    high_label: str


def survey_question(*, measure_key: str, company: str, touchpoint: str) -> Question:
    """The standard question of ``measure_key`` (nps, csat, ces), in the active language."""
    if measure_key == "nps":
        return Question(
            _("How likely are you to recommend %(company)s to a friend or colleague?") % {"company": company},
            _("Not at all likely"),
            _("Extremely likely"),
        )
    if measure_key == "csat":
        return Question(
            _("How satisfied were you with %(touchpoint)s at %(company)s?")
            % {"touchpoint": touchpoint, "company": company},
            _("Very dissatisfied"),
            _("Very satisfied"),
        )
    return Question(
        _("How easy was it to get what you needed at %(touchpoint)s?") % {"touchpoint": touchpoint},
        _("Very difficult"),
        _("Very easy"),
    )


def survey_question_worded(*, survey, company: str) -> Question:
    """The question of ``survey`` in the active language: its own wording in that language when
    it has one, else the standard question of its measure (the scale's ends stay standard)."""
    standard = survey_question(
        measure_key=survey.measure.key, company=company, touchpoint=survey.touchpoint.name
    )
    own = survey.worded("question", get_language() or DEFAULT_LANGUAGE)
    return Question(own, standard.low_label, standard.high_label) if own else standard
