"""Forms of the digest pages: they parse input only; the services in ``metrics.digests.services`` decide."""

from __future__ import annotations

from django import forms

from metrics.models import DigestSettings

HOURS = [(h, f"{h:02d}:00") for h in range(24)]


class DigestSettingsForm(forms.Form):
    is_enabled = forms.BooleanField(required=False, label="Send department digests")
    cadence = forms.ChoiceField(choices=DigestSettings.Cadence.choices)
    weekday = forms.TypedChoiceField(
        choices=DigestSettings.Weekday.choices, coerce=int, label="Weekday", help_text="For weekly digests."
    )
    send_hour = forms.TypedChoiceField(
        choices=HOURS, coerce=int, label="Send at", help_text="In the company's time zone."
    )


class DepartmentDigestForm(forms.Form):
    is_enabled = forms.BooleanField(required=False, label="Send this department's digest")


class SubscriberForm(forms.Form):
    email = forms.EmailField(
        label="Add an extra subscriber", help_text="Any e-mail address, e.g. a shared mailbox."
    )


class PreferencesForm(forms.Form):
    departments = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Send me the digest of",
    )

    def __init__(self, *args, choices: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].choices = choices
