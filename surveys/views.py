"""Pages of hosted surveys: the staff's (list, create, change, share) and the customers' public page.

Staff pages need ``survey.manage``: admins manage every survey, managers those of their
departments. A survey of another tenant answers 404 like a missing one.

The public page (``/s/<token>/``) needs no sign-in (``survey.answer``): the token is looked up
only inside the tenant of the address, so another tenant's token is "not found". One question
per screen, plain HTML forms (no JavaScript needed), in the customer's language: the score
(stored the moment it is sent), then the reason (added to that same answer through a signed
token), then the thank-you. Answers are counted per survey and source address (429 past the
limit) and a filled-in honeypot is thanked and dropped (``surveys.abuse``).
"""

from __future__ import annotations

import contextlib
import functools
import io
import secrets
from dataclasses import dataclass

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from surveys import abuse, selectors, services
from surveys.followups.services import followup_consent, followup_for_answer
from surveys.forms import (
    ContactForm,
    ReasonForm,
    ScoreForm,
    SurveyCreateForm,
    SurveyEditForm,
    origins_from,
    wording_from,
    wording_initial,
)
from surveys.models import Survey, SurveyLink
from surveys.snippet import survey_email_snippet
from surveys.text import LANGUAGE_CODES, survey_language, survey_question
from tenants.context import Actor, actor_context
from tenants.errors import DomainError
from tenants.formonce import send_once
from tenants.forms import add_service_error
from tenants.permissions import action_required, enforce
from tenants.sites import tenant_url

GET_POST = require_http_methods(["GET", "POST"])
LANGUAGE_NAMES = {"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español"}


# --- Staff --------------------------------------------------------------------------------------


def _survey_or_404(request: HttpRequest, pk: int) -> Survey:
    survey = selectors.survey_get(pk=pk)
    if survey is None:
        raise Http404("No such survey.")
    enforce(request, "survey.manage", survey)
    return survey


def survey_public_url(survey: Survey) -> str:
    return tenant_url(survey.tenant, reverse("survey_page", args=[survey.token]))


def _fields(data: dict) -> dict:
    return {
        "name": data["name"],
        "touchpoint": data["touchpoint"],
        "department": data["department"],
        "measure": data["measure"],
        "promise": data["promise"],
        "asks_reason": data["asks_reason"],
        "asks_consent": data["asks_consent"],
        "thank_you": data["thank_you"],
        "unhappy_at_most": data["unhappy_at_most"],
        "wording": wording_from(data),
        "embed_origins": origins_from(data["embed_origins"]),
    }


@action_required("survey.manage")
@require_GET
def survey_list(request):
    surveys = list(selectors.survey_list(membership=request.membership))
    return render(request, "surveys/console/list.html", {"surveys": surveys})


@action_required("survey.manage")
@GET_POST
def survey_create(request):
    form = SurveyCreateForm(request.POST or None, membership=request.membership)

    def create():
        try:
            survey = services.survey_create(
                tenant=request.tenant, created_by=request.membership, **_fields(form.cleaned_data)
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
            return None
        messages.success(request, f"Survey “{survey.name}” created. Share its link or print its QR code.")
        url = reverse("survey_detail", args=[survey.pk])
        return url, redirect(url)

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    return render(request, "surveys/console/form.html", {"form": form, "survey": None})


@action_required("survey.manage")
@require_GET
def survey_detail(request, pk: int):
    survey = _survey_or_404(request, pk)
    results = selectors.survey_results(survey=survey)
    snippet_lang = request.GET.get("snippet_lang", "en")
    if snippet_lang not in LANGUAGE_CODES:
        snippet_lang = "en"
    return render(
        request,
        "surveys/console/detail.html",
        {
            "survey": survey,
            "results": results,
            "public_url": survey_public_url(survey),
            "embed_url": tenant_url(survey.tenant, reverse("survey_embed", args=[survey.token])),
            "snippet": survey_email_snippet(survey=survey, language=snippet_lang),
            "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGE_CODES],
            "link_count": selectors.survey_link_count(survey=survey),
        },
    )


@action_required("survey.manage")
@GET_POST
def survey_edit(request, pk: int):
    survey = _survey_or_404(request, pk)
    initial = {
        "name": survey.name,
        "touchpoint": survey.touchpoint_id,
        "department": survey.department_id,
        "measure": survey.measure.key,
        "promise": survey.promise_id,
        "asks_reason": survey.asks_reason,
        "asks_consent": survey.asks_consent,
        "thank_you": survey.thank_you,
        "unhappy_at_most": survey.unhappy_at_most,
        "is_active": survey.is_active,
        "embed_origins": "\n".join(survey.embed_origins),
        **wording_initial(survey.wording),
    }
    form = SurveyEditForm(request.POST or None, initial=initial, membership=request.membership)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_update(
                tenant=request.tenant,
                survey=survey,
                is_active=form.cleaned_data["is_active"],
                **_fields(form.cleaned_data),
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
        else:
            messages.success(request, f"Survey “{survey.name}” saved.")
            return redirect("survey_detail", pk=survey.pk)
    return render(request, "surveys/console/form.html", {"form": form, "survey": survey})


@action_required("survey.manage")
@require_GET
def survey_qr(request, pk: int, kind: str):
    """The QR code of the survey's link, as a PNG (print, receipts) or an SVG (any size)."""
    survey = _survey_or_404(request, pk)
    code = segno.make(survey_public_url(survey), error="m")
    buffer = io.BytesIO()
    filename = f"survey-{survey.pk}-qr.{kind}"
    if kind == "png":
        code.save(buffer, kind="png", scale=10, border=4)
        content_type = "image/png"
    else:
        code.save(buffer, kind="svg", scale=10, border=4, title=f"QR code: {survey.name}")
        content_type = "image/svg+xml"
    response = HttpResponse(buffer.getvalue(), content_type=content_type)
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- The public page --------------------------------------------------------------------------

ANONYMOUS = Actor(kind="anonymous", label="hosted survey")


def _language(request: HttpRequest) -> str:
    return survey_language(
        requested=request.GET.get("lang"), accept_language=request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    )


def _with_lang(url: str, lang: str) -> str:
    return f"{url}?{urlencode({'lang': lang})}"


def _visitor(request: HttpRequest):
    """The public pages run on a company's address only, and a visitor who is not signed in is
    "anonymous" in the audit trail (a member stays themself)."""
    if request.tenant is None:
        raise Http404("This page exists only on a company's address.")
    return actor_context(ANONYMOUS) if request.membership is None else contextlib.nullcontext()


def _unknown(request: HttpRequest, lang: str) -> HttpResponse:
    return _message(
        request,
        lang,
        None,
        title=_("This survey does not exist"),
        text=_("Check the link you were given; it may have been mistyped or cut short."),
        status=404,
    )


def public_page(view=None, *, closed_too: bool = False):
    """Resolve the survey of the token inside the address's tenant, pick the language, and run
    the view in it, as an anonymous visitor (the audit trail's actor). Unknown token: 404; an
    inactive survey: 404 saying it is closed (unless ``closed_too``)."""
    if view is None:
        return functools.partial(public_page, closed_too=closed_too)

    @functools.wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs):
        lang = _language(request)
        with translation.override(lang), _visitor(request):
            survey = selectors.survey_for_token(token=token)
            if survey is None:
                response = _unknown(request, lang)
            elif not survey.is_active and not closed_too:
                response = _message(
                    request,
                    lang,
                    survey,
                    title=_("This survey is closed"),
                    text=_("It takes no more answers. Thank you for wanting to tell us."),
                    status=404,
                )
            else:
                response = view(request, survey, lang, **kwargs)
            response["Content-Language"] = lang
            response["Cache-Control"] = "no-store"
        return response

    return wrapped


def _context(request: HttpRequest, survey: Survey | None, lang: str, **extra) -> dict:
    return {
        "survey": survey,
        "lang": lang,
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGE_CODES],
        "path": request.path,
        **extra,
    }


def _message(request, lang, survey, *, title: str, text: str, status: int) -> HttpResponse:
    return render(
        request,
        "surveys/public/message.html",
        _context(request, survey, lang, title=title, text=text),
        status=status,
    )


@dataclass(frozen=True)
class Flow:
    """Where the pages after the score live: under the survey's public token for its anonymous
    link, under the link's own token for a personalised link (whose answer must never lead to
    the survey's anonymous token)."""

    survey: Survey
    lang: str
    link: SurveyLink | None = None

    def url(self, step: str, answer: str | None = None) -> str:
        name, token = (
            (f"survey_{step}", self.survey.token)
            if self.link is None
            else (f"survey_link_{step}", self.link.token)
        )
        return _with_lang(reverse(name, args=[token, answer] if answer else [token]), self.lang)

    def thanks(self) -> str:
        return self.url("thanks")


def _wants_contact(request: HttpRequest, survey: Survey, response_id: int) -> bool:
    """Ask "may we contact you?" only of an unhappy answer (one with a follow-up, which is where
    the contact is kept) of a survey that asks it, and only until it was answered."""
    if not survey.asks_consent:
        return False
    followup = followup_for_answer(tenant=request.tenant, response_id=response_id)
    return followup is not None and followup.consented_at is None


def _after_score(request: HttpRequest, flow: Flow, response_id: int) -> HttpResponse:
    survey = flow.survey
    if survey.asks_reason or _wants_contact(request, survey, response_id):
        token = services.answer_token(tenant=request.tenant, survey=survey, response_id=response_id)
        return redirect(flow.url("reason" if survey.asks_reason else "contact", token))
    return redirect(flow.thanks())


def _too_many(request, lang, survey) -> HttpResponse:
    response = _message(
        request,
        lang,
        survey,
        title=_("Too many answers"),
        text=_(
            "This survey has received many answers from your connection. Please try again in a few minutes."
        ),
        status=429,
    )
    response["Retry-After"] = str(settings.CXGOV_SURVEY_WINDOW_SECONDS)
    return response


@action_required("survey.answer")
@GET_POST
@public_page
def survey_page(request, survey: Survey, lang: str):
    """The question: one tap on a score stores the answer."""
    return _question(request, survey, lang)


def _question(request, survey: Survey, lang: str, link=None) -> HttpResponse:
    """The question page of ``survey``; with a personalised ``link``, its one answer."""
    form = ScoreForm(request.POST or None)
    status = 200
    flow = Flow(survey, lang, link)
    if request.method == "POST":
        if form.is_robot():
            return redirect(flow.thanks())
        if not abuse.answer_allowed(survey, abuse.source_address(request)):
            return _too_many(request, lang, survey)
        if form.is_valid():
            fields = {
                "score": form.cleaned_data["score"],
                "nonce": form.cleaned_data["nonce"],
                "language": lang,
            }
            try:
                if link is None:
                    answer = services.survey_answer(tenant=request.tenant, survey=survey, **fields)
                else:
                    answer = services.survey_link_answer(tenant=request.tenant, link=link, **fields)
            except DomainError as error:
                if error.code in LINK_STATES:
                    return _link_message(request, lang, survey, error.code)
                add_service_error(form, error)
            else:
                return _after_score(request, flow, answer.response_id)
        status = 400
    low, high = survey.score_range
    question = survey_question(
        measure_key=survey.measure.key, company=request.tenant.name, touchpoint=survey.touchpoint.name
    )
    return render(
        request,
        "surveys/public/question.html",
        _context(
            request,
            survey,
            lang,
            form=form,
            question=question,
            scores=range(low, high + 1),
            low=low,
            high=high,
            nonce=secrets.token_urlsafe(16),
        ),
        status=status,
    )


def _link_states() -> dict[str, tuple[str, str, int]]:
    """What a personalised link that takes no answer says: title, text and status, by its state."""
    return {
        "answered": (
            _("You have already answered"),
            _("This link takes one answer, and yours is in. Thank you for telling us."),
            409,
        ),
        "expired": (
            _("This link has expired"),
            _("It could be answered for a limited time only, and that time is over. Thank you all the same."),
            410,
        ),
        "revoked": (
            _("This link was withdrawn"),
            _("The company that sent it no longer takes answers through it. Thank you all the same."),
            410,
        ),
    }


LINK_STATES = ("answered", "expired", "revoked")


def _link_message(request, lang, survey, state: str) -> HttpResponse:
    title, text, status = _link_states()[state]
    return _message(request, lang, survey, title=title, text=text, status=status)


@action_required("survey.answer")
@GET_POST
def survey_link_page(request: HttpRequest, token: str):
    """The question of a personalised link (minted over the API): one answer, which carries the
    link's respondent and segment. Answered, expired or withdrawn, the link says so."""
    lang = _language(request)
    with translation.override(lang), _visitor(request):
        link = selectors.survey_link_for_token(token=token)
        if link is None:
            response = _unknown(request, lang)
        elif (state := services.survey_link_state(link)) != "open":
            response = _link_message(request, lang, link.survey, state)
        elif not link.survey.is_active:
            response = _message(
                request,
                lang,
                link.survey,
                title=_("This survey is closed"),
                text=_("It takes no more answers. Thank you for wanting to tell us."),
                status=404,
            )
        else:
            response = _question(request, link.survey, lang, link=link)
        response["Content-Language"] = lang
        response["Cache-Control"] = "no-store"
    return response


def link_page(view):
    """The pages after a personalised link's score: resolve the link (in any state: it is
    answered by then) inside the address's tenant, and run the view for its survey."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, token: str, **kwargs):
        lang = _language(request)
        with translation.override(lang), _visitor(request):
            link = selectors.survey_link_for_token(token=token)
            if link is None:
                response = _unknown(request, lang)
            else:
                response = view(request, link.survey, lang, link=link, **kwargs)
            response["Content-Language"] = lang
            response["Cache-Control"] = "no-store"
        return response

    return wrapped


def _answer_or_message(request, flow: Flow, answer: str) -> int | HttpResponse:
    """The id of the answer the signed token names (of this survey and, for a personalised
    link, this link's own answer), or the page saying it has expired."""
    try:
        response_id = services.answer_from_token(tenant=request.tenant, survey=flow.survey, token=answer)
        if flow.link is not None and flow.link.response_id != response_id:
            raise DomainError(_("This page belongs to another survey; your score is kept."))
    except DomainError as error:
        return _message(
            request, flow.lang, flow.survey, title=_("This page has expired"), text=error.message, status=404
        )
    return response_id


def _reason(request, survey: Survey, lang: str, answer: str, link: SurveyLink | None = None):
    """The follow-up question: the reason is added to the answer the signed token names."""
    flow = Flow(survey, lang, link)
    response_id = _answer_or_message(request, flow, answer)
    if isinstance(response_id, HttpResponse):
        return response_id
    next_url = flow.url("contact", answer) if _wants_contact(request, survey, response_id) else flow.thanks()
    form = ReasonForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_robot():
            return redirect(flow.thanks())
        if form.is_valid():
            try:
                services.survey_answer_reason(
                    tenant=request.tenant,
                    survey=survey,
                    token=answer,
                    reason=form.cleaned_data["reason"],
                    language=lang,
                )
            except DomainError as error:
                if error.code == "answered":
                    return redirect(next_url)
                add_service_error(form, error)
            else:
                return redirect(next_url)
        status = 400
    return render(
        request,
        "surveys/public/reason.html",
        _context(request, survey, lang, form=form, skip_url=next_url),
        status=status,
    )


def _contact(request, survey: Survey, lang: str, answer: str, link: SurveyLink | None = None):
    """May the company contact the customer about their (unhappy) answer? One question: yes
    leads to the e-mail and phone fields (at least one), no to the thank-you. Nothing is kept
    without a yes, and the contact is kept on the follow-up only, never with the answer."""
    flow = Flow(survey, lang, link)
    response_id = _answer_or_message(request, flow, answer)
    if isinstance(response_id, HttpResponse):
        return response_id
    if not _wants_contact(request, survey, response_id):
        return redirect(flow.thanks())
    form = ContactForm(request.POST or None)
    status = 200
    details = False
    if request.method == "POST":
        if form.is_robot():
            return redirect(flow.thanks())
        if form.is_valid():
            consent = form.cleaned_data["consent"] == "yes"
            if consent and form.cleaned_data["step"] == ContactForm.CHOOSE:
                # The customer said yes: now ask how to reach them.
                form = ContactForm(initial={"consent": "yes", "step": ContactForm.DETAILS})
                details = True
            else:
                try:
                    followup_consent(
                        tenant=request.tenant,
                        survey=survey,
                        response_id=response_id,
                        consent=consent,
                        email=form.cleaned_data["email"],
                        phone=form.cleaned_data["phone"],
                    )
                except DomainError as error:
                    add_service_error(form, error)
                    details, status = True, 400
                else:
                    return redirect(flow.thanks())
        else:
            details = form.data.get("step") == ContactForm.DETAILS
            status = 400
    return render(
        request,
        "surveys/public/contact.html",
        _context(request, survey, lang, form=form, details=details, skip_url=flow.thanks()),
        status=status,
    )


def _thanks(request, survey: Survey, lang: str, link: SurveyLink | None = None):
    return render(request, "surveys/public/thanks.html", _context(request, survey, lang))


@action_required("survey.answer")
@GET_POST
@public_page
def survey_reason(request, survey: Survey, lang: str, answer: str):
    return _reason(request, survey, lang, answer)


@action_required("survey.answer")
@GET_POST
@public_page
def survey_contact(request, survey: Survey, lang: str, answer: str):
    return _contact(request, survey, lang, answer)


@action_required("survey.answer")
@require_GET
@public_page(closed_too=True)
def survey_thanks(request, survey: Survey, lang: str):
    return _thanks(request, survey, lang)


@action_required("survey.answer")
@GET_POST
@link_page
def survey_link_reason(request, survey: Survey, lang: str, link: SurveyLink, answer: str):
    return _reason(request, survey, lang, answer, link=link)


@action_required("survey.answer")
@GET_POST
@link_page
def survey_link_contact(request, survey: Survey, lang: str, link: SurveyLink, answer: str):
    return _contact(request, survey, lang, answer, link=link)


@action_required("survey.answer")
@require_GET
@link_page
def survey_link_thanks(request, survey: Survey, lang: str, link: SurveyLink):
    return _thanks(request, survey, lang, link=link)
