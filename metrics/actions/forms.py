"""Forms of the action pages. They parse input only; ``metrics.actions.services`` validates and writes."""

from __future__ import annotations

from django import forms

from metrics.actions.models import NOTES_MAX, TITLE_MAX, ActionStatus
from metrics.actions.services import OWNER_ROLES
from promises.models import Commitment
from tenants.formonce import FormTokenMixin
from tenants.models import Department, Membership


class _MemberChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        name = obj.user.get_full_name()
        return f"{name} ({obj.user.email})" if name else obj.user.email


class _CommitmentChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Commitment) -> str:
        where = obj.touchpoint.name if obj.touchpoint_id else "every touchpoint"
        return f"{obj.measure.name} at {where}"


class ActionForm(forms.Form):
    """Plan an action or change it (a manager of its department or an admin)."""

    title = forms.CharField(max_length=TITLE_MAX, help_text="One line saying what will be done.")
    owner = _MemberChoice(
        queryset=None, help_text="Who carries it out; they are reminded before the due date."
    )
    department = forms.ModelChoiceField(
        queryset=None,
        help_text="One of the owner's departments (an admin without a department may own any).",
    )
    due_on = forms.DateField(
        label="Due date",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Today or later (YYYY-MM-DD).",
        error_messages={"invalid": "Enter the due date as YYYY-MM-DD, e.g. 2026-12-31."},
    )
    commitment = _CommitmentChoice(
        queryset=None,
        required=False,
        empty_label="None",
        help_text="The commitment it should improve: once done, its score before and after is compared.",
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTES_MAX, required=False)

    def __init__(self, *args, promise_id: int | None = None, with_status: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = (
            Membership.objects.filter(is_active=True, user__is_active=True, role__in=OWNER_ROLES)
            .select_related("user")
            .order_by("user__email")
        )
        self.fields["department"].queryset = Department.objects.order_by("name")
        if promise_id:
            self.fields["commitment"].queryset = (
                Commitment.objects.filter(promise_id=promise_id, ended_at__isnull=True)
                .select_related("measure", "touchpoint")
                .order_by("id")
            )
        else:
            del self.fields["commitment"]
        if with_status:
            self.fields["status"] = forms.ChoiceField(choices=ActionStatus.choices)


class ActionCreateForm(FormTokenMixin, ActionForm):
    """A new action: sent twice (a double click), it creates one."""


class ActionProgressForm(forms.Form):
    """The owner's update: status and notes."""

    status = forms.ChoiceField(choices=ActionStatus.choices)
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=NOTES_MAX, required=False)


class ActionFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any status"), *ActionStatus.choices], required=False)
    department = forms.ChoiceField(required=False)
    owner = forms.ChoiceField(required=False)
    overdue = forms.ChoiceField(
        choices=[("", "On time or not"), ("yes", "Overdue only"), ("no", "On time only")], required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.order_by("name").values_list("slug", "name")
        owners = (
            Membership.objects.filter(role__in=OWNER_ROLES)
            .order_by("user__email")
            .values_list("pk", "user__email")
        )
        self.fields["department"].choices = [("", "Any department"), *departments]
        self.fields["owner"].choices = [("", "Anyone"), ("me", "Me"), *((str(pk), e) for pk, e in owners)]

    def filters(self, membership: Membership) -> dict:
        data = self.cleaned_data
        owner = data.get("owner") or ""
        return {
            "status": data.get("status") or "",
            "department": data.get("department") or "",
            "owner": membership.pk if owner == "me" else (int(owner) if owner else None),
            "overdue": {"yes": True, "no": False}.get(data.get("overdue") or ""),
        }
