"""The e-mails of the escalation workflow: who gets them and what they say, queued in the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from feedback.escalations.models import Escalation
from tenants.delivery.services import Email, outbox_enqueue
from tenants.models import Membership, MembershipDepartment, Tenant
from tenants.sites import tenant_url

ESCALATION_MAIL_KIND = "escalation"


def escalation_mail(
    tenant: Tenant,
    escalation: Escalation,
    *,
    key: str,
    to: Iterable[tuple[str, str]],
    subject: str,
    text: str,
) -> int:
    """Queue one e-mail per ``(recipient id, address)`` in the outbox, once per ``key``."""
    link = tenant_url(tenant, f"/escalations/{escalation.pk}/")
    body = (
        f"{text}\n\nEscalation: {escalation.title}\nSeverity: {escalation.get_severity_display()}\n{link}\n"
    )
    return outbox_enqueue(
        kind=ESCALATION_MAIL_KIND,
        emails=[
            Email(
                dedupe_key=f"escalation:{escalation.pk}:{key}:{recipient}",
                to=address,
                subject=f"[cxgov] {subject}",
                text=body,
            )
            for recipient, address in dict(to).items()
        ],
    )


def department_managers(department_id: int) -> list[tuple[str, str]]:
    rows = MembershipDepartment.objects.filter(
        department_id=department_id,
        membership__role=Membership.Role.MANAGER,
        membership__is_active=True,
        membership__user__is_active=True,
    ).values_list("membership_id", "membership__user__email")
    return [(str(member_id), email) for member_id, email in rows]


def tenant_admins() -> list[tuple[str, str]]:
    rows = Membership.objects.filter(
        role=Membership.Role.ADMIN, is_active=True, user__is_active=True
    ).values_list("pk", "user__email")
    return [(str(member_id), email) for member_id, email in rows]


def member_address(member: Membership | None) -> list[tuple[str, str]]:
    if member is None or not member.is_active:
        return []
    return [(str(member.pk), member.user.email)]
