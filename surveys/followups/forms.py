"""Forms of the follow-up pages: the inbox's filters, assigning an owner, closing."""

from __future__ import annotations

from django import forms

from surveys.followups.selectors import followup_departments
from surveys.followups.services import followup_owner_candidates
from surveys.models import OUTCOME_NOTE_MAX, FollowUp
from tenants.models import Membership


class FollowUpFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("open", "Open"), ("closed", "Closed"), ("all", "All")],
        initial="open",
        error_messages={"invalid_choice": "Choose open, closed or all."},
    )
    department = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="All my departments",
        error_messages={
            "invalid_choice": "That department does not exist (any more); choose one from the list."
        },
    )

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = followup_departments(membership=membership)
        if membership.role == Membership.Role.ADMIN:
            self.fields["department"].empty_label = "All departments"

    def filters(self) -> dict:
        status = self.cleaned_data.get("status") or "open"
        return {
            "status": "" if status == "all" else status,
            "department": self.cleaned_data.get("department"),
        }


class FollowUpAssignForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=None,
        required=False,
        empty_label="— nobody —",
        error_messages={
            "invalid_choice": "Choose an owner from the list: an admin, or a manager or employee of the department."
        },
    )

    def __init__(self, *args, followup: FollowUp, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = followup_owner_candidates(followup=followup)
        self.fields["owner"].label_from_instance = lambda m: str(m.user)


class FollowUpCloseForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=FollowUp.Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the outcome: contacted, resolved or could not reach.",
            "invalid_choice": "Choose the outcome: contacted, resolved or could not reach.",
        },
    )
    note = forms.CharField(
        max_length=OUTCOME_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done, e.g. “Called her, refund sent” or “Called twice, no answer”.",
        error_messages={
            "required": "Write a note on what was done, e.g. “Called her, refund sent” or “Called twice, no answer”."
        },
    )
