"""Sign-in on a tenant's subdomain (django-allauth), and its security events.

Only active members of the tenant whose subdomain is being visited can sign in there; for
anybody else the answer is exactly the one for a wrong password.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.signals import authentication_step_completed, user_logged_in
from allauth.mfa.signals import authenticator_added, authenticator_removed
from django.core.exceptions import ValidationError
from django.dispatch import receiver

from tenants.audit import security_event_record
from tenants.context import Actor, current_tenant_id
from tenants.selectors import membership_for_user

THROTTLED_MESSAGE = (
    "Too many sign-in attempts — try again in 5 minutes, or reset your password with "
    "the “Forgot your password?” link below."
)


class TenantMemberBackend(AuthenticationBackend):
    """allauth's e-mail + password check, limited to members of the active tenant."""

    def authenticate(self, request, **credentials):
        user = super().authenticate(request, **credentials)
        if user is None or current_tenant_id() is None or membership_for_user(user=user) is None:
            return None
        return user


class AccountAdapter(DefaultAccountAdapter):
    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "too_many_login_attempts": THROTTLED_MESSAGE,
    }

    def is_open_for_signup(self, request) -> bool:
        # People join a tenant by invitation from its admins, never by signing up.
        return False

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        """Count failed sign-ins per e-mail address *and* source address.

        allauth counts them per address alone, so five wrong passwords from anywhere locked the
        owner out for five minutes: anyone who knew an address could keep its owner out. Per
        address and source, a guesser locks out only itself; guessing from many sources is
        bounded by the per-source limit (ACCOUNT_RATE_LIMITS "30/5m/ip"). allauth uses this key
        to count (``pre_authenticate``), to undo a success's count and to forget the failures
        after a password reset, so all three stay per source.
        """
        per_address = super()._get_login_attempts_cache_key(request, **credentials)
        return f"{per_address}:{self.get_client_ip(request)}"

    def pre_authenticate(self, request, **credentials):
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            security_event_record(action="login.throttled", detail={"email": _attempted_email(credentials)})
            raise

    def authentication_failed(self, request, **credentials):
        security_event_record(action="login.failed", detail={"email": _attempted_email(credentials)})


def _attempted_email(credentials: dict) -> str:
    return str(credentials.get("email") or credentials.get("username") or "")[:254].lower()


def _member_actor(request) -> Actor | None:
    membership = getattr(request, "membership", None) if request is not None else None
    if membership is None and request is not None and request.user.is_authenticated and current_tenant_id():
        membership = membership_for_user(user=request.user)
    if membership is None:
        return None
    return Actor(kind="member", id=membership.pk, label=membership.user.email)


@receiver(user_logged_in)
def _record_login(sender, request, user, **kwargs):
    security_event_record(
        action="login.succeeded", detail={"email": user.email}, actor=_member_actor(request)
    )


@receiver(authentication_step_completed)
def _count_sign_in_as_reauthentication(sender, request, **kwargs) -> None:
    """A password (or TOTP) just entered to sign in is as good as re-entering it.

    allauth asks for re-authentication before sensitive actions unless the person
    re-authenticated within ACCOUNT_REAUTHENTICATION_TIMEOUT, and does not count the sign-in
    itself. Our rule is "a password or TOTP entered within the last 5 minutes", so every
    completed authentication step counts.
    """
    records = request.session.get(AUTHENTICATION_METHODS_SESSION_KEY)
    if isinstance(records, list) and records:
        request.session[AUTHENTICATION_METHODS_SESSION_KEY] = [
            *records[:-1],
            {**records[-1], "reauthenticated": True},
        ]


@receiver(authenticator_added)
def _record_mfa_enrolled(sender, request, user, authenticator, **kwargs):
    security_event_record(
        action="mfa.enrolled",
        detail={"email": user.email, "type": authenticator.type},
        actor=_member_actor(request),
    )


@receiver(authenticator_removed)
def _record_mfa_removed(sender, request, user, authenticator, **kwargs):
    security_event_record(
        action="mfa.removed",
        detail={"email": user.email, "type": authenticator.type},
        actor=_member_actor(request),
    )
