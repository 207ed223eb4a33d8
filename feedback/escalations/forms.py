"""Forms of the escalation pages. They parse input only; the services write."""

from __future__ import annotations

from django import forms

from feedback.escalations.models import EscalationSettings, EscalationSeverity, EscalationState
from feedback.signals.models import STORY_TEXT_MAX
from promises.models import Promise
from tenants.formonce import FormTokenMixin
from tenants.models import Department, Membership

# --- Escalations ------------------------------------------------------------------------------


class EscalateStoryForm(FormTokenMixin, forms.Form):
    """"Escalate this story": what the managers of the department will decide on."""  # fmt: skip

    title = forms.CharField(max_length=300, help_text="One line the managers see in their inbox.")
    severity = forms.ChoiceField(choices=EscalationSeverity.choices, initial=EscalationSeverity.MEDIUM)
    department = forms.ModelChoiceField(queryset=None, label="Responsible department", empty_label=None)
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=STORY_TEXT_MAX,
        required=False,
        help_text="Why it needs a decision; the story is attached as evidence.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = Department.objects.order_by("name")


class EscalationNoteForm(forms.Form):
    """The note of a transition (required for reject, resolve, reopen: the service says so)."""

    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=STORY_TEXT_MAX, required=False
    )
    owner = forms.ModelChoiceField(
        queryset=None, required=False, empty_label="Me", help_text="Who resolves it."
    )

    def __init__(self, *args, department_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Owners come from the responsible department (unknown on the inbox page: "me" only).
        members = Membership.objects.filter(is_active=True, departments__pk=department_id or 0)
        self.fields["owner"].queryset = members.select_related("user").order_by("user__email")


class EscalationCommentForm(forms.Form):
    text = forms.CharField(
        label="Comment", widget=forms.Textarea(attrs={"rows": 2}), max_length=STORY_TEXT_MAX
    )


class EscalationFilterForm(forms.Form):
    state = forms.ChoiceField(choices=[("", "Any state"), *EscalationState.choices], required=False)
    department = forms.ChoiceField(required=False)
    promise = forms.ChoiceField(required=False)
    severity = forms.ChoiceField(choices=[("", "Any severity"), *EscalationSeverity.choices], required=False)
    overdue = forms.ChoiceField(
        choices=[("", "On time or not"), ("yes", "Overdue only"), ("no", "On time only")], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        promises = Promise.objects.order_by("title").values_list("slug", "title")
        departments = Department.objects.order_by("name").values_list("slug", "name")
        self.fields["promise"].choices = [("", "Any promise"), *promises]
        self.fields["department"].choices = [("", "Any department"), *departments]

    def filters(self) -> dict:
        data = self.cleaned_data
        overdue = {"yes": True, "no": False}.get(data.get("overdue") or "")
        return {
            "state": data.get("state") or "",
            "department": data.get("department") or "",
            "promise": data.get("promise") or "",
            "severity": data.get("severity") or "",
            "overdue": overdue,
        }


class EscalationSettingsForm(forms.ModelForm):
    class Meta:
        model = EscalationSettings
        fields = [
            "auto_from_stories",
            "story_sentiment_threshold",
            "auto_from_breaches",
            "critical_decision_hours",
            "critical_resolution_hours",
            "high_decision_hours",
            "high_resolution_hours",
            "medium_decision_hours",
            "medium_resolution_hours",
            "low_decision_hours",
            "low_resolution_hours",
            "admin_after_hours",
            "auto_close_days",
        ]
