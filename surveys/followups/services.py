"""Writes of follow-ups: opened with an unhappy answer, told its reason and the customer's
contact, assigned and closed. Each is atomic and runs in the tenant's context; the audit
trigger records every change (never the contact, see the migration)."""

from __future__ import annotations

import datetime as dt
import re
from textwrap import shorten
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from feedback.escalations.mail import department_managers, member_address
from surveys.models import (
    CONTACT_EMAIL_MAX,
    CONTACT_PHONE_MAX,
    OUTCOME_NOTE_MAX,
    FollowUp,
    Survey,
)
from tenants.calendars.selectors import clock_deadline, clock_reminder_at
from tenants.context import tenant_context
from tenants.delivery.services import Email, outbox_enqueue
from tenants.errors import DomainError
from tenants.models import Membership, Tenant
from tenants.sites import tenant_url
from tenants.validation import text_problem
from tenants.webhooks.services import webhook_event_enqueue

# A phone number as people write it: an optional +, digits, spaces, dots, dashes and brackets,
# with 6 to 15 digits (E.164 allows 15).
PHONE_CHARACTERS = re.compile(r"\+?[0-9 ().\-/]+")
PHONE_DIGITS = (6, 15)


def followup_summary(followup: FollowUp) -> str:
    """E.g. "Unhappy answer: NPS 3 at Returns — Customer Service: “Nobody called back”"."""
    sentence = (
        f"Unhappy answer: {followup.measure_key.upper()} {followup.score} at {followup.touchpoint.name}"
        f" — {followup.department.name}"
    )
    return f"{sentence}: “{shorten(followup.reason, 200)}”" if followup.reason else sentence


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def followup_event_data(followup: FollowUp) -> dict:
    """What a webhook receiver is told of a follow-up; never the customer's contact, only
    whether they agreed to be contacted."""
    return {
        "followup": {
            "id": followup.pk,
            "survey": {"id": followup.survey_id, "name": followup.survey.name},
            "response_id": followup.response_id,
            "department": {"id": followup.department_id, "name": followup.department.name},
            "touchpoint": {"id": followup.touchpoint_id, "name": followup.touchpoint.name},
            "measure": followup.measure_key,
            "score": followup.score,
            "reason": followup.reason,
            "consented": followup.consented_at is not None,
            "status": followup.status,
            "due_at": _iso(followup.due_at),
            "created_at": _iso(followup.created_at),
        }
    }


def followup_open(
    *, tenant: Tenant, survey: Survey, response_id: int, score: int, language: str = ""
) -> FollowUp | None:
    """Open the follow-up of a new answer of ``survey`` when ``score`` is unhappy (else None).

    Call it in the transaction that stores the answer: the follow-up and its ``followup.created``
    event are stored with it or not at all. Idempotent per answer (``response_id`` is unique in
    the tenant): the answer's follow-up is returned when it exists."""
    if not survey.is_unhappy(score):
        return None
    with tenant_context(tenant), transaction.atomic():
        existing = FollowUp.objects.filter(response_id=response_id).first()
        if existing is not None:
            return existing
        hours, business, percent = Tenant.objects.values_list(
            "followup_due_hours", "business_hours_clocks", "clock_reminder_percent"
        ).get(pk=tenant.pk)
        now = timezone.now()
        # In business hours of the department's calendar (else the company's) when the tenant
        # counts them, else plain hours.
        tenant.business_hours_clocks, tenant.clock_reminder_percent = business, percent
        due_at = clock_deadline(
            tenant=tenant, department=survey.department_id, start=now, duration=dt.timedelta(hours=hours)
        )
        # The reminder before the due time, counted like the clock (None: the tenant sends none).
        reminder_at = clock_reminder_at(tenant=tenant, department=survey.department_id, start=now, due=due_at)
        followup = FollowUp(
            tenant=tenant,
            survey=survey,
            response_id=response_id,
            department_id=survey.department_id,
            touchpoint_id=survey.touchpoint_id,
            measure_key=survey.measure.key,
            score=score,
            language=language,
            due_at=due_at,
            reminder_at=reminder_at,
        )
        followup.save()
        followup = FollowUp.objects.select_related("survey", "department", "touchpoint").get(pk=followup.pk)
        webhook_event_enqueue(
            tenant=tenant,
            event_type="followup.created",
            data=followup_event_data(followup),
            path=f"/followups/{followup.pk}/",
            summary=followup_summary(followup),
        )
    return followup


def followup_add_reason(*, tenant: Tenant, response_id: int, reason: str) -> int:
    """Give the answer's follow-up (if it has one without a reason) the customer's reason,
    in the caller's transaction. Returns how many follow-ups took it (0 or 1)."""
    with tenant_context(tenant):
        return FollowUp.objects.filter(response_id=response_id, reason="").update(reason=reason)


def followup_for_answer(*, tenant: Tenant, response_id: int) -> FollowUp | None:
    with tenant_context(tenant):
        return FollowUp.objects.filter(response_id=response_id).first()


def contact_problems(*, consent: bool, email: str, phone: str) -> dict[str, str]:
    """What is wrong with a customer's contact (field → message, in the active language)."""
    if not consent:
        return {}
    problems: dict[str, str] = {}
    if not email and not phone:
        message = _("To be contacted, give your e-mail address or your phone number (or both).")
        return {"email": message, "phone": message}
    if email:
        try:
            validate_email(email)
        except ValidationError:
            problems["email"] = _("Enter your e-mail address in the form name@example.com.")
        if len(email) > CONTACT_EMAIL_MAX:
            problems["email"] = _("This e-mail address is too long; check it.")
    if phone:
        digits = sum(c.isdigit() for c in phone)
        if (
            len(phone) > CONTACT_PHONE_MAX
            or not PHONE_CHARACTERS.fullmatch(phone)
            or not PHONE_DIGITS[0] <= digits <= PHONE_DIGITS[1]
        ):
            problems["phone"] = _("Enter your phone number with digits only (6 to 15), e.g. +49 30 1234567.")
    return problems


def followup_consent(
    *, tenant: Tenant, survey: Survey, response_id: int, consent: bool, email: str = "", phone: str = ""
) -> FollowUp | None:
    """Record the customer's answer to "may we contact you?" on the follow-up of their answer.

    Without consent nothing is stored (and any contact sent along is dropped). With consent, an
    e-mail address or a phone number (or both) is required and checked; the follow-up keeps
    them. Only once: a follow-up that already has a consent keeps it. Returns the follow-up
    (None when the answer has none: it was not unhappy)."""
    email, phone = (email or "").strip(), (phone or "").strip()
    if not consent:
        return followup_for_answer(tenant=tenant, response_id=response_id)
    if problems := contact_problems(consent=consent, email=email, phone=phone):
        field, message = next(iter(problems.items()))
        raise DomainError(message, field=field)
    with tenant_context(tenant), transaction.atomic():
        followup = (
            FollowUp.objects.select_for_update().filter(response_id=response_id, survey_id=survey.pk).first()
        )
        if followup is None or followup.consented_at is not None:
            return followup
        followup.consented_at = timezone.now()
        followup.contact_email = email
        followup.contact_phone = phone
        followup.save(update_fields=["consented_at", "contact_email", "contact_phone", "updated_at"])
    return followup


def _own(followup: FollowUp, tenant: Tenant) -> None:
    if followup is None or followup.pk is None or followup.tenant_id != tenant.pk:
        raise DomainError("Unknown follow-up.", field="followup", code="not_found")


def followup_owner_candidates(*, followup: FollowUp):
    """Who may own a follow-up: active admins, and active managers and employees of its department."""
    return (
        Membership.objects.filter(is_active=True)
        .filter(
            Q(role=Membership.Role.ADMIN)
            | Q(
                role__in=[Membership.Role.MANAGER, Membership.Role.EMPLOYEE],
                departments=followup.department_id,
            )
        )
        .select_related("user")
        .distinct()
        .order_by("user__first_name", "user__last_name", "user__email")
    )


def followup_assign(*, tenant: Tenant, followup: FollowUp, owner: Membership | None) -> FollowUp:
    """Give the open follow-up an owner (None: nobody), for the inbox and the API alike. The
    owner is an active admin, or an active manager or employee of the follow-up's department;
    a closed follow-up keeps its owner (``code="closed"``). The audit trigger records the change
    with the request's actor."""
    _own(followup, tenant)
    with tenant_context(tenant), transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if locked.status == FollowUp.Status.CLOSED:
            raise DomainError(
                f"This follow-up was closed on {locked.closed_at:%Y-%m-%d %H:%M} UTC; "
                "a closed follow-up keeps its owner.",
                field="owner",
                code="closed",
            )
        if owner is not None and (
            owner.tenant_id != tenant.pk
            or not followup_owner_candidates(followup=locked).filter(pk=owner.pk).exists()
        ):
            raise DomainError(
                f"{owner.user.email} cannot own this follow-up: its owner is an active admin, "
                f"or an active manager or employee of {followup.department.name}.",
                field="owner",
            )
        locked.owner = owner
        locked.save(update_fields=["owner", "updated_at"])
    followup.owner = owner
    return followup


def followup_close(
    *, tenant: Tenant, followup: FollowUp, outcome: str, note: str = "", closed_by: Membership | None = None
) -> FollowUp:
    """Close an open follow-up with its outcome (contacted, resolved, could not reach) and a
    note. A closed follow-up cannot be closed again (``code="closed"``)."""
    _own(followup, tenant)
    if outcome not in FollowUp.Outcome.values:
        raise DomainError(
            "Choose the outcome: contacted, resolved or could not reach "
            "(in the API: contacted, resolved, could_not_reach).",
            field="outcome",
        )
    note = (note or "").strip()
    if problem := text_problem("note", note):
        raise DomainError(problem, field="note")
    if len(note) > OUTCOME_NOTE_MAX:
        raise DomainError(
            f"The note is {len(note)} characters long; keep it to at most {OUTCOME_NOTE_MAX}.", field="note"
        )
    if not note:
        raise DomainError(
            "Write a note on what was done, e.g. “Called her, refund sent” or “Called twice, no answer”.",
            field="note",
        )
    with tenant_context(tenant), transaction.atomic():
        locked = FollowUp.objects.select_for_update().get(pk=followup.pk)
        if locked.status == FollowUp.Status.CLOSED:
            raise DomainError(
                f"This follow-up was already closed on {locked.closed_at:%Y-%m-%d %H:%M} UTC.",
                field="outcome",
                code="closed",
            )
        locked.status = FollowUp.Status.CLOSED
        locked.outcome = outcome
        locked.note = note
        locked.closed_by = closed_by
        locked.closed_at = timezone.now()
        locked.full_clean(exclude=["survey", "department", "touchpoint", "owner", "closed_by"])
        locked.save(update_fields=["status", "outcome", "note", "closed_by", "closed_at", "updated_at"])
    for attr in ("status", "outcome", "note", "closed_by", "closed_at"):
        setattr(followup, attr, getattr(locked, attr))
    return followup


FOLLOWUP_MAIL_KIND = "followup"


def followup_clock_run(*, tenant: Tenant) -> int:
    """One scan of the tenant's follow-up clock (the beat task runs it): the reminders whose time
    has come, then the notices of follow-ups that became overdue. Returns how many follow-ups
    were told."""
    return followup_reminders_send(tenant=tenant) + followup_overdue_notices_send(tenant=tenant)


def _clock_rows(condition: Q):
    """The follow-ups matching ``condition``, locked for this scan (rows another transaction
    holds are left to the next scan), with what their e-mails name."""
    return (
        FollowUp.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("survey", "department", "touchpoint", "owner__user")
        .filter(condition)
        .order_by("id")
    )


def followup_reminders_send(*, tenant: Tenant) -> int:
    """Send the reminders of open follow-ups whose time has come (the follow-up clock's task runs
    it); returns how many follow-ups were reminded.

    A reminder goes to the follow-up's owner, else to its department's managers, once the
    tenant's share of the clock has passed (``Tenant.clock_reminder_percent``). Each is sent
    once: the row is locked and its ``reminder_at`` emptied in the transaction that queues the
    e-mail (whose key names the follow-up and its due time). A closed or overdue follow-up gets
    none."""
    with tenant_context(tenant), transaction.atomic():
        now = timezone.now()
        sent = 0
        for followup in _clock_rows(Q(reminder_at__lte=now)):
            if followup.status == FollowUp.Status.OPEN and followup.due_at > now:
                sent += _clock_mail(tenant, followup, "reminder") > 0
            followup.reminder_at = None
            followup.save(update_fields=["reminder_at", "updated_at"])
    return sent


def followup_overdue_notices_send(*, tenant: Tenant) -> int:
    """Tell the owner of each open follow-up that became overdue (else its department's
    managers) that it is; returns how many follow-ups were told.

    Once per due time: the row is locked and ``overdue_notified_at`` set in the transaction that
    queues the e-mail, whose key names the follow-up and its due time. A notice sent before the
    current due time (the due time was moved later) no longer counts, so the follow-up is told
    again once that one passes. A closed follow-up gets none."""
    with tenant_context(tenant), transaction.atomic():
        now = timezone.now()
        told = 0
        overdue = Q(status=FollowUp.Status.OPEN, due_at__lte=now) & (
            Q(overdue_notified_at__isnull=True) | Q(overdue_notified_at__lt=F("due_at"))
        )
        for followup in _clock_rows(overdue):
            told += _clock_mail(tenant, followup, "overdue") > 0
            followup.overdue_notified_at = now
            followup.save(update_fields=["overdue_notified_at", "updated_at"])
    return told


# The follow-up clock's e-mails: subject and first line, with the due time filled in.
_CLOCK_MAILS = {
    "reminder": (
        "Reminder: follow-up due {due}",
        "This follow-up is due {due}; contact the customer and close it with the outcome.",
    ),
    "overdue": (
        "Overdue: follow-up was due {due}",
        "This follow-up was due {due} and is still open; contact the customer now and close it "
        "with the outcome.",
    ),
}


def _clock_mail(tenant: Tenant, followup: FollowUp, kind: str) -> int:
    """Queue the ``kind`` e-mail (reminder, overdue) about ``followup`` to its owner, else its
    department's managers, each once: the key names the follow-up, the kind, its due time and
    the recipient."""
    to = member_address(followup.owner) or department_managers(followup.department_id)
    due = f"{timezone.localtime(followup.due_at, ZoneInfo(tenant.time_zone)):%Y-%m-%d %H:%M %Z}"
    subject, lead = (text.format(due=due) for text in _CLOCK_MAILS[kind])
    link = tenant_url(tenant, f"/followups/{followup.pk}/")
    summary = followup_summary(followup)
    return outbox_enqueue(
        kind=FOLLOWUP_MAIL_KIND,
        emails=[
            Email(
                dedupe_key=f"followup:{followup.pk}:{kind}:{followup.due_at.isoformat()}:{recipient}",
                to=address,
                subject=f"[cxgov] {subject}: {shorten(summary, 100)}",
                text=f"{lead}\n\n{summary}\n{link}\n",
            )
            for recipient, address in dict(to).items()
        ],
    )
