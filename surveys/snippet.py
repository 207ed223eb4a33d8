"""The e-mail snippet of a survey: its question with one link per score, to paste into an e-mail.

Mail clients drop style sheets and scripts and block remote images, so the snippet is a table
with inline styles and plain links, nothing else. Each link opens the score's page
(``/s/<token>/score/<n>/``, or ``/s/l/<token>/score/<n>/`` for a personalised link), which
shows the chosen score with one button that stores it: a GET never stores an answer, because
mail scanners and link prefetchers open every link of an e-mail before the customer does (see
``docs/surveys.md``). The addresses of a personalised link (its page, its page to frame) are
built here too, for the API and the staff's list of links.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from surveys.models import Survey, SurveyLink
from surveys.text import survey_question_worded
from tenants.models import Tenant
from tenants.sites import tenant_url


@dataclass(frozen=True)
class Snippet:
    language: str
    html: str
    score_urls: list[tuple[int, str]]


def survey_score_url(*, survey: Survey, score: int, language: str, link: SurveyLink | None = None) -> str:
    """The address that opens the score's page of the survey (or of the personalised ``link``)."""
    if link is None:
        path = reverse("survey_score", args=[survey.token, score])
    else:
        path = reverse("survey_link_score", args=[link.token, score])
    return tenant_url(survey.tenant, f"{path}?lang={language}")


def survey_link_url(*, tenant: Tenant, link: SurveyLink, embed: bool = False) -> str:
    """The address of the personalised ``link`` (of ``tenant``, passed so that a list of links
    reads no tenant per link): its page, or with ``embed`` its page to show in a frame."""
    return tenant_url(
        tenant, reverse("survey_link_embed" if embed else "survey_link_page", args=[link.token])
    )


def survey_email_snippet(*, survey: Survey, language: str, link: SurveyLink | None = None) -> Snippet:
    """The snippet of ``survey`` (or of one personalised ``link`` of it) in ``language``."""
    low, high = survey.score_range
    urls = [
        (score, survey_score_url(survey=survey, score=score, language=language, link=link))
        for score in range(low, high + 1)
    ]
    with translation.override(language):
        question = survey_question_worded(survey=survey, company=survey.tenant.name)
        html = render_to_string(
            "surveys/email/snippet.html",
            {"question": question, "urls": urls, "columns": len(urls), "lang": language},
        )
    return Snippet(language=language, html=html.strip(), score_urls=urls)
