"""Department digests, the writes: rendering, sending through the outbox, settings and subscriptions.

- Sending (:func:`digest_send_department`): the :class:`~metrics.models.Digest` row and every
  recipient's outbox message are written in **one** transaction; the unique (department,
  period) makes a retried or duplicated task a no-op, and the outbox's dedupe key
  ``digest:<department>:<period>:<recipient>`` keeps one message per recipient. Delivery is
  the outbox's (:mod:`tenants.delivery.services`): one connection per batch, row-locked sends,
  retries with backoff.
- Cost: the e-mail is rendered and its CSS inlined once per department, then only the signed
  unsubscribe link differs per recipient.

What a digest shows, when it is due and who receives it: :mod:`metrics.digests.selectors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import css_inline
from django.core import signing
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from metrics.digests.selectors import (
    OUTBOX_KIND,
    DigestData,
    Period,
    digest_data,
    digest_recipients,
    digest_schedule,
    period_next,
)
from metrics.models import DepartmentDigest, Digest, DigestOptOut, DigestSettings, DigestSubscriber
from tenants.delivery.models import OutboxBody
from tenants.delivery.services import Body, Email, outbox_enqueue
from tenants.errors import DomainError
from tenants.models import Department, Membership, Tenant

UNSUBSCRIBE_SALT = "cxgov.digests.unsubscribe"
UNSUBSCRIBE_PLACEHOLDER = "cxgov-digest-unsubscribe-placeholder"
_INLINER = css_inline.CSSInliner(load_remote_stylesheets=False)


# --- Rendering (no database access) -----------------------------------------------------------


@dataclass(frozen=True)
class RenderedDigest:
    subject: str
    text: str  # with UNSUBSCRIBE_PLACEHOLDER where the recipient's link goes
    html: str  # CSS inlined; same placeholder

    def for_recipient(self, unsubscribe_url: str) -> tuple[str, str]:
        return OutboxBody.filled(self.text, self.html, {UNSUBSCRIBE_PLACEHOLDER: unsubscribe_url})


def digest_render(data: DigestData) -> RenderedDigest:
    """Subject, plain text and HTML (CSS inlined, no remote images) of a department's digest."""
    context = {
        "tenant": data.tenant,
        "period": {"label": data.period.label, "start": data.period.start, "end": data.period.end},
        "core": data.core,
        "slice": data.slice,
        "base_url": data.base_url,
        "preferences_url": f"{data.base_url}/digests/preferences/",
        "unsubscribe_url": UNSUBSCRIBE_PLACEHOLDER,
    }
    subject = f"{data.tenant['name']} · {data.slice['department']['name']} digest · {data.period.label}"
    with timezone.override(ZoneInfo(data.tenant["time_zone"])):
        text = render_to_string("metrics/digest/email.txt", context)
        html = _INLINER.inline(render_to_string("metrics/digest/email.html", context))
    return RenderedDigest(subject=subject, text=text, html=html)


def unsubscribe_token(payload: dict[str, int]) -> str:
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=False)


def unsubscribe_url(base_url: str, payload: dict[str, int]) -> str:
    return f"{base_url}/digests/unsubscribe/{unsubscribe_token(payload)}/"


def digest_emails(*, data: DigestData, rendered: RenderedDigest, outbox_prefix: str) -> list[Email]:
    """One e-mail per recipient; the digest itself is stored once, each e-mail fills in its
    recipient's unsubscribe link."""
    emails = []
    list_id = f"<{data.slice['department']['slug']}.{data.tenant['slug']}.digests.cxgov>"
    body = Body(key=f"{outbox_prefix}body", text=rendered.text, html=rendered.html)
    for recipient in data.recipients:
        link = unsubscribe_url(data.base_url, recipient.token)
        emails.append(
            Email(
                dedupe_key=f"{outbox_prefix}{recipient.key}",
                to=recipient.email,
                subject=rendered.subject,
                body=body,
                fill={UNSUBSCRIBE_PLACEHOLDER: link},
                headers={
                    "List-Id": list_id,
                    "List-Unsubscribe": f"<{link}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    "Auto-Submitted": "auto-generated",
                },
            )
        )
    return emails


# --- Sending ----------------------------------------------------------------------------------


def digest_outbox_prefix(*, department_id: int, period: Period) -> str:
    return f"digest:{department_id}:{period.key}:"


def digest_send_department(
    *, tenant: Tenant, department: Department, period: Period, now: datetime | None = None
) -> Digest | None:
    """Make ``department``'s digest for ``period`` and queue one e-mail per recipient.

    Idempotent: returns ``None`` (and queues nothing) when the digest of this (department,
    period) exists already. The log row and the outbox messages commit together, and
    delivery starts after commit. Runs in ``tenant``'s context.
    """
    prefix = digest_outbox_prefix(department_id=department.pk, period=period)
    with transaction.atomic():
        try:
            with transaction.atomic():
                digest = Digest.objects.create(
                    department=department,
                    period_key=period.key,
                    period_start=period.start,
                    period_end=period.end,
                    period_label=period.label,
                    outbox_prefix=prefix,
                )
        except IntegrityError:  # made already (a retried or duplicated task): nothing more to do
            return None
        data = digest_data(tenant=tenant, department=department, period=period, now=now)
        data.recipients = digest_recipients(department=department)
        emails = digest_emails(data=data, rendered=digest_render(data), outbox_prefix=prefix)
        outbox_enqueue(kind=OUTBOX_KIND, emails=emails)
        digest.recipients = len(emails)
        digest.save(update_fields=["recipients"])
    return digest


def digest_preview(
    *, tenant: Tenant, department: Department, now: datetime | None = None
) -> tuple[Period, RenderedDigest]:
    """The next digest of ``department`` as it would look now (nothing is stored or sent)."""
    now = now or timezone.now()
    period = period_next(tenant=tenant, schedule=digest_schedule(tenant=tenant), now=now)
    data = digest_data(tenant=tenant, department=department, period=period, now=now)
    return period, digest_render(data)


# --- Settings, subscriptions and unsubscribing ------------------------------------------------


def digest_settings_update(
    *, tenant: Tenant, is_enabled: bool, cadence: str, weekday: int, send_hour: int
) -> DigestSettings:
    with transaction.atomic():
        schedule = DigestSettings.objects.select_for_update().first() or DigestSettings(tenant=tenant)
        schedule.is_enabled, schedule.cadence = is_enabled, cadence
        schedule.weekday, schedule.send_hour = weekday, send_hour
        schedule.full_clean()
        schedule.save()
    return schedule


def department_digest_set(*, tenant: Tenant, department: Department, is_enabled: bool) -> DepartmentDigest:
    switch, _ = DepartmentDigest.objects.update_or_create(
        department=department, defaults={"is_enabled": is_enabled}
    )
    return switch


def digest_subscriber_add(
    *, tenant: Tenant, department: Department, email: str, added_by: Membership | None = None
) -> DigestSubscriber:
    email = email.strip().lower()
    validate_email(email)
    with transaction.atomic():
        existing = DigestSubscriber.objects.filter(department=department, email__iexact=email).first()
        if existing is not None:
            if existing.is_active:
                raise DomainError(f"{email} already receives the {department.name} digest.", field="email")
            existing.is_active = True
            existing.save(update_fields=["is_active"])
            return existing
        return DigestSubscriber.objects.create(department=department, email=email, added_by=added_by)


def digest_subscriber_remove(*, tenant: Tenant, subscriber: DigestSubscriber) -> None:
    subscriber.delete()


def digest_preferences_set(*, tenant: Tenant, membership: Membership, subscribed_ids: set[int]) -> None:
    """Subscribe ``membership`` to the digests of ``subscribed_ids`` among their departments, out of the rest."""
    with transaction.atomic():
        mine = set(Department.objects.filter(members=membership).values_list("pk", flat=True))
        DigestOptOut.objects.filter(membership=membership, department_id__in=mine & subscribed_ids).delete()
        DigestOptOut.objects.bulk_create(  # the unique (membership, department) keeps repeats out
            [DigestOptOut(membership=membership, department_id=d) for d in sorted(mine - subscribed_ids)],
            ignore_conflicts=True,
        )


@dataclass(frozen=True)
class Unsubscribed:
    department: Department
    email: str


def _unsubscribe_target(
    *, tenant: Tenant, token: str
) -> tuple[Department, Membership | None, DigestSubscriber | None]:
    """Resolve a signed unsubscribe token within ``tenant``; raises ``DomainError`` when invalid."""
    invalid = DomainError(
        "This unsubscribe link is not valid. Sign in and use your digest preferences instead."
    )
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise invalid from None
    if not isinstance(payload, dict) or payload.get("t") != tenant.pk:
        raise invalid
    department = Department.objects.filter(pk=payload.get("d")).first()
    if department is None:
        raise invalid
    if "m" in payload:
        membership = Membership.objects.select_related("user").filter(pk=payload["m"]).first()
        if membership is None:
            raise invalid
        return department, membership, None
    subscriber = DigestSubscriber.objects.filter(pk=payload.get("s"), department=department).first()
    if subscriber is None:
        raise invalid
    return department, None, subscriber


def digest_unsubscribe_check(*, tenant: Tenant, token: str) -> Unsubscribed:
    department, membership, subscriber = _unsubscribe_target(tenant=tenant, token=token)
    return Unsubscribed(department, membership.user.email if membership else subscriber.email)


def digest_unsubscribe(*, tenant: Tenant, token: str) -> Unsubscribed:
    """Stop the digest the signed ``token`` was sent for (idempotent; no sign-in needed)."""
    with transaction.atomic():
        department, membership, subscriber = _unsubscribe_target(tenant=tenant, token=token)
        if membership is not None:
            DigestOptOut.objects.get_or_create(membership=membership, department=department)
            return Unsubscribed(department, membership.user.email)
        subscriber.is_active = False
        subscriber.save(update_fields=["is_active"])
        return Unsubscribed(department, subscriber.email)
