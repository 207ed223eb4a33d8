"""Ways of sending a survey besides its link: the score pages behind the e-mail snippet, the
page to embed in a frame, and the staff's list of personalised links.

- ``/s/<token>/score/<n>/`` (and ``/s/l/<token>/score/<n>/`` for a personalised link) is where
  a score button of the e-mail snippet leads: the chosen score and one button that stores it
  (a POST to the question page). A GET never stores anything: mail scanners and prefetchers
  open every link of an e-mail, and would otherwise answer for the customer.
- ``/s/<token>/embed/`` is the question page without the page's header, allowed in a frame
  of the web sites listed on the survey (``Survey.embed_origins``; none listed: cxgov's own
  pages only). Its next pages (reason, contact, thank-you) carry ``embed=1`` and stay
  frameable. ``/s/l/<token>/embed/`` is the same for a personalised link, framed by the sites
  of the link's survey; an answered, expired or withdrawn link says so inside the frame. A
  browser sends no SameSite=Lax cookie with a form in a third-party frame, so these public
  pages take their POST without the CSRF cookie: a forged POST could only do what anyone
  holding the address can do anyway, answer once more (a personalised link: its one answer),
  under the same rate limit and nonce.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from surveys import selectors, services, views
from surveys.models import Survey, SurveyLink
from surveys.snippet import survey_link_url
from surveys.text import LANGUAGE_CODES, survey_question_worded
from tenants.errors import DomainError
from tenants.permissions import action_required

EMBED_FLAG = "embed"
LINKS_PER_PAGE = 50


# --- The score pages of the e-mail snippet ------------------------------------------------------


def _confirm(request: HttpRequest, survey: Survey, lang: str, score: int, question_path: str) -> HttpResponse:
    question_url = f"{question_path}?{urlencode({'lang': lang})}"
    context = {
        "survey": survey,
        "lang": lang,
        "languages": [(code, views.LANGUAGE_NAMES[code]) for code in LANGUAGE_CODES],
        "path": request.path,
        "question": survey_question_worded(survey=survey, company=request.tenant.name),
        "score": score,
        "nonce": secrets.token_urlsafe(16),
        "action": question_url,
        "change_url": question_url,
    }
    return render(request, "surveys/public/confirm.html", context)


@action_required("survey.answer")
@require_GET
@views.public_page
def survey_score(request, survey: Survey, lang: str, score: int):
    """The score chosen in the e-mail, with one button that stores it; a score off the scale
    shows the question instead."""
    low, high = survey.score_range
    if not low <= score <= high:
        return redirect(f"{reverse('survey_page', args=[survey.token])}?{urlencode({'lang': lang})}")
    return _confirm(request, survey, lang, score, reverse("survey_page", args=[survey.token]))


@action_required("survey.answer")
@require_GET
def survey_link_score(request: HttpRequest, token: str, score: int):
    """The score chosen in a personalised e-mail. A link that takes no answer (answered,
    expired, withdrawn, closed, unknown) says so exactly as its question page does."""
    link = selectors.survey_link_for_token(token=token)
    if (
        link is None
        or services.survey_link_state(link) != "open"
        or not link.survey.is_active
        or not link.survey.score_range[0] <= score <= link.survey.score_range[1]
    ):
        return views.survey_link_page(request, token)
    lang = views._language(request)
    with translation.override(lang), views._visitor(request):
        response = _confirm(request, link.survey, lang, score, reverse("survey_link_page", args=[link.token]))
        response["Content-Language"] = lang
        response["Cache-Control"] = "no-store"
    return response


# --- The embeddable page -------------------------------------------------------------------------


def survey_of_token(token: str) -> Survey | None:
    return selectors.survey_for_token(token=token)


def survey_of_link_token(token: str) -> Survey | None:
    link = selectors.survey_link_for_token(token=token)
    return link.survey if link is not None else None


def embeddable(view, *, always: bool = False, survey_of: Callable[[str], Survey | None] = survey_of_token):
    """``view`` (a public page taking a ``token``: the survey's, or with ``survey_of`` another
    one that leads to a survey, such as a personalised link's), allowed in a frame of the
    survey's listed web sites when embedded (``always``, or ``?embed=1``); its redirects to the
    next public page stay embedded. Not embedded, it is the page it was, CSRF check included.
    A token of no survey (of another tenant, say) is framed by cxgov's own pages only."""
    protected = csrf_protect(view)

    @csrf_exempt
    @functools.wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs):
        if not (always or request.GET.get(EMBED_FLAG) == "1"):
            return protected(request, token, **kwargs)
        request.survey_embedded = True
        response = view(request, token, **kwargs)
        location = response.get("Location", "")
        if location.startswith("/s/") and f"{EMBED_FLAG}=1" not in location:
            response["Location"] = f"{location}{'&' if '?' in location else '?'}{EMBED_FLAG}=1"
        response.xframe_options_exempt = True
        survey = survey_of(token)
        response._csp_replace = {"frame-ancestors": ["'self'", *(survey.embed_origins if survey else [])]}
        return response

    return wrapped


# --- Staff: the personalised links of a survey ---------------------------------------------------


@action_required("survey.manage")
@require_GET
def survey_links(request, pk: int):
    """A page of the survey's personalised links, newest first, filtered by state and respondent."""
    survey = views._survey_or_404(request, pk)
    state = request.GET.get("state", "")
    if state not in selectors.LINK_FILTER_STATES:
        state = ""
    respondent = request.GET.get("respondent", "").strip()[:120]
    links = selectors.survey_link_list(survey=survey, state=state, respondent=respondent)
    page = Paginator(links, LINKS_PER_PAGE).get_page(request.GET.get("page"))
    filters = urlencode(
        {key: value for key, value in (("state", state), ("respondent", respondent)) if value}
    )
    rows = [
        (
            link,
            services.survey_link_state(link),
            survey_link_url(tenant=request.tenant, link=link),
            survey_link_url(tenant=request.tenant, link=link, embed=True),
        )
        for link in page.object_list
    ]
    return render(
        request,
        "surveys/console/links.html",
        {
            "survey": survey,
            "page": page,
            "rows": rows,
            "state": state,
            "respondent": respondent,
            "states": selectors.LINK_FILTER_STATES,
            "filters": filters,
        },
    )


@action_required("survey.manage")
@require_POST
def survey_link_revoke(request, pk: int, link_id: int):
    survey = views._survey_or_404(request, pk)
    link = SurveyLink.objects.filter(survey_id=survey.pk, pk=link_id).first()
    if link is None:
        raise Http404("No such link of this survey.")
    try:
        services.survey_link_revoke(tenant=request.tenant, link=link)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"The link of {link.respondent_ref} is withdrawn: it takes no answer now.")
    back = request.POST.get("next", "")
    if not back.startswith(reverse("survey_links", args=[survey.pk])):
        back = reverse("survey_links", args=[survey.pk])
    return redirect(back)
