"""Forms of the sign-off pages: a department's decision, and an admin's written reason."""

from __future__ import annotations

from django import forms

from promises.signoffs.models import SignOff
from tenants.models import Department


class SignOffForm(forms.Form):
    DECISIONS = [("approve", "Approve"), ("request_changes", "Request changes")]

    department = forms.ModelChoiceField(queryset=None, empty_label=None)
    # Sent by the button pressed (the form has one button per decision).
    decision = forms.ChoiceField(
        choices=DECISIONS, error_messages={"required": "Choose Approve or Request changes."}
    )
    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when requesting changes: say what needs to change.",
    )

    def __init__(self, *args, sign_offs: list[SignOff], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.filter(
            pk__in=[s.department_id for s in sign_offs]
        ).order_by("name")
        self._only = sign_offs[0].department if len(sign_offs) == 1 else None
        if self._only is not None:
            # One department to decide for: nothing to choose.
            self.fields["department"].widget = forms.HiddenInput()
            self.fields["department"].initial = self._only.pk
            self.fields["department"].required = False

    def clean_department(self):
        return self.cleaned_data.get("department") or self._only


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Why the promise is activated without every sign-off. It is recorded and sent to "
        "the owner's managers.",
    )
