"""Forms of hosted surveys: the admin's survey form, and the two questions of the public page.

The survey form offers only the tenant's own rows (another tenant's id is "not a valid
choice"), and a manager only their own departments. The public forms carry the honeypot field
(``surveys.abuse.HONEYPOT_FIELD``) and, for the score, the page's random ``nonce``.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from promises.commitments.selectors import measure_list
from promises.models import Measure, Promise
from surveys.abuse import HONEYPOT_FIELD
from surveys.followups.services import contact_problems
from surveys.models import (
    CONTACT_EMAIL_MAX,
    CONTACT_PHONE_MAX,
    SURVEY_MEASURES,
    THANK_YOU_MAX,
    WORDING_FIELDS,
    WORDING_LANGUAGES,
    WORDING_MAX,
    unhappy_rule_problem,
)
from surveys.services import NONCE_MAX, REASON_MAX
from tenants.formonce import FormTokenMixin
from tenants.models import Department, Membership, Touchpoint

LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish"}
WORDING_LABELS = {"question": "Question", "reason": "Reason question", "thank_you": "Thank-you text"}
WORDING_HELP = {
    "question": "Empty: the standard question of the measure, translated.",
    "reason": "Empty: “What is the main reason for your score?”, translated.",
    "thank_you": "Empty: the thank-you text above, else a standard thank-you, translated.",
}


class SurveyForm(forms.Form):
    name = forms.CharField(
        max_length=120,
        help_text="How the survey is named in cxgov, e.g. “Returns counter”; customers never see it.",
        error_messages={"required": "Give the survey a name, e.g. “Returns counter”."},
    )
    touchpoint = forms.ModelChoiceField(
        queryset=None,  # set per request: the tenant is only known then
        help_text="Where customers answer it: the answers count for this touchpoint.",
        error_messages={
            "required": "Choose the touchpoint the survey asks about.",
            "invalid_choice": "That touchpoint does not exist (any more); choose one from the list.",
        },
    )
    department = forms.ModelChoiceField(
        queryset=None,
        help_text="The department responsible for what customers answer here.",
        error_messages={
            "required": "Choose the department responsible for the answers.",
            "invalid_choice": "Choose one of your departments from the list.",
        },
    )
    measure = forms.ModelChoiceField(
        queryset=None,
        to_field_name="key",
        help_text="NPS asks how likely customers are to recommend you (0–10); CSAT how satisfied "
        "they were (1–5); CES how easy it was (1–7).",
        error_messages={
            "required": "Choose what the survey measures: NPS, CSAT or CES.",
            "invalid_choice": "A hosted survey asks NPS, CSAT or CES; choose one of these.",
        },
    )
    promise = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="— no promise —",
        help_text="Optional: the promise the answers speak about.",
        error_messages={
            "invalid_choice": "That promise does not exist (any more); choose one from the list."
        },
    )
    asks_reason = forms.BooleanField(
        required=False,
        initial=True,
        label="Ask for the reason",
        help_text="After the score: “What is the main reason for your score?”.",
    )
    asks_consent = forms.BooleanField(
        required=False,
        label="Ask for consent to be contacted",
        help_text="After an unhappy answer, ask whether the customer agrees to be contacted; only if "
        "they say yes, they give an e-mail address or a phone number, kept with the follow-up.",
    )
    unhappy_at_most = forms.IntegerField(
        required=False,
        label="Follow-up for scores up to",
        help_text="An answer with this score or lower opens a follow-up for the department. Empty: the "
        "standard rule (NPS 0–6, CSAT 1–2, CES 1–2).",
        error_messages={
            "invalid": "Enter a whole score (e.g. 6 for NPS), or leave it empty for the standard rule."
        },
    )
    thank_you = forms.CharField(
        required=False,
        max_length=THANK_YOU_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Thank-you text",
        help_text="Shown once the customer has answered. Empty: a standard thank-you in their language.",
    )

    embed_origins = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Web sites that may embed it",
        help_text="One https address per line, e.g. https://shop.example.com: these sites may show the "
        "survey's embeddable page in a frame. None: no other site may.",
    )

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        # Own wording per language: empty keeps the standard text in the visitor's language.
        for code in WORDING_LANGUAGES:
            for key in WORDING_FIELDS:
                self.fields[wording_field(code, key)] = forms.CharField(
                    required=False,
                    max_length=WORDING_MAX[key],
                    widget=forms.Textarea(attrs={"rows": 2}) if key == "thank_you" else forms.TextInput,
                    label=f"{WORDING_LABELS[key]} ({LANGUAGE_NAMES[code]})",
                    help_text=WORDING_HELP[key],
                )
        self.fields["touchpoint"].queryset = Touchpoint.objects.order_by("position", "id")
        departments = Department.objects.order_by("name")
        if membership.role != Membership.Role.ADMIN:
            departments = departments.filter(pk__in=membership.departments.values("pk"))
        self.fields["department"].queryset = departments
        measure_list()  # creates the tenant's built-in measures on first use
        self.fields["measure"].queryset = Measure.objects.filter(
            kind=Measure.Kind.SURVEY, key__in=SURVEY_MEASURES
        ).order_by("key")
        self.fields["promise"].queryset = Promise.objects.exclude(status=Promise.Status.RETIRED).order_by(
            "title"
        )

    def clean(self):
        data = super().clean()
        measure, rule = data.get("measure"), data.get("unhappy_at_most")
        if measure is not None and rule is not None and (problem := unhappy_rule_problem(measure.key, rule)):
            self.add_error("unhappy_at_most", problem)
        return data


def wording_field(code: str, key: str) -> str:
    return f"wording_{code}_{key}"


def wording_initial(wording: dict) -> dict[str, str]:
    """The form's initial values of a survey's ``wording``."""
    return {
        wording_field(code, key): (wording.get(code) or {}).get(key, "")
        for code in WORDING_LANGUAGES
        for key in WORDING_FIELDS
    }


def wording_from(cleaned_data: dict) -> dict:
    """The ``wording`` the form's fields give (empty texts left out)."""
    wording: dict[str, dict[str, str]] = {}
    for code in WORDING_LANGUAGES:
        for key in WORDING_FIELDS:
            if text := (cleaned_data.get(wording_field(code, key)) or "").strip():
                wording.setdefault(code, {})[key] = text
    return wording


def origins_from(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class SurveyCreateForm(FormTokenMixin, SurveyForm):
    pass


class SurveyEditForm(SurveyForm):
    is_active = forms.BooleanField(
        required=False,
        label="Active",
        help_text="Takes answers. An inactive survey's link tells customers it is closed.",
    )


class _PublicForm(forms.Form):
    # The honeypot: hidden from people (and from screen readers), tempting for robots.
    website = forms.CharField(required=False, max_length=200)

    def is_robot(self) -> bool:
        return bool((self.data.get(HONEYPOT_FIELD) or "").strip())


class ScoreForm(_PublicForm):
    score = forms.IntegerField(
        error_messages={
            "required": _("Choose a score."),
            "invalid": _("Choose a score."),
        }
    )
    nonce = forms.CharField(max_length=NONCE_MAX)


class ReasonForm(_PublicForm):
    reason = forms.CharField(
        required=False,
        max_length=REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={
            "max_length": _("Keep your answer to at most %(limit_value)d characters (it has %(show_value)d).")
        },
    )


class ContactForm(_PublicForm):
    """May the company contact the customer? First yes or no (``step`` "choose"); after a yes,
    the e-mail address and phone number (``step`` "details"), at least one of them."""

    CHOOSE, DETAILS = "choose", "details"

    consent = forms.ChoiceField(
        choices=[("yes", "yes"), ("no", "no")],
        error_messages={
            "required": _("Choose whether we may contact you."),
            "invalid_choice": _("Choose whether we may contact you."),
        },
    )
    step = forms.ChoiceField(choices=[(CHOOSE, CHOOSE), (DETAILS, DETAILS)], required=False)
    email = forms.CharField(
        required=False,
        max_length=CONTACT_EMAIL_MAX,
        error_messages={"max_length": _("This e-mail address is too long; check it.")},
    )
    phone = forms.CharField(
        required=False,
        max_length=CONTACT_PHONE_MAX,
        error_messages={
            "max_length": _("Enter your phone number with digits only (6 to 15), e.g. +49 30 1234567.")
        },
    )

    def clean(self):
        data = super().clean()
        if data.get("consent") == "yes" and data.get("step") == self.DETAILS:
            problems = contact_problems(
                consent=True, email=(data.get("email") or "").strip(), phone=(data.get("phone") or "").strip()
            )
            for field, message in problems.items():
                if field not in self.errors:
                    self.add_error(field, message)
        data.setdefault("step", self.CHOOSE)
        if not data.get("step"):
            data["step"] = self.CHOOSE
        return data
