"""Sign-in per tenant (django-allauth): MFA for admins, throttling, and the security events."""

import pytest
import redis
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.conf import settings
from django.contrib.sessions.backends.cache import SessionStore
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tenants.auth import THROTTLED_MESSAGE
from tenants.context import Actor, actor_context, tenant_context
from tenants.models import AuditEvent, Membership, Touchpoint, User
from tests.conftest import TEST_PASSWORD, client_for, enrol_totp


def totp_code(secret: str) -> str:
    counter = list(yield_hotp_counters_from_time())[len(list(yield_hotp_counters_from_time())) // 2]
    return format_hotp_value(hotp_value(secret, counter))


def sign_in(client, email: str, password: str = TEST_PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def events(tenant, action: str) -> list[AuditEvent]:
    with tenant_context(tenant):
        return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_member_signs_in_with_email_and_password(tenant):
    client = client_for("acme")
    response = sign_in(client, "Employee@Acme.test")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200
    [event] = events(tenant, "login.succeeded")
    with tenant_context(tenant):
        membership = Membership.objects.get(user__email="employee@acme.test")
    assert (event.actor_kind, event.actor_id, event.category) == ("member", membership.pk, "security")


def test_sessions_live_in_redis_not_in_the_database(tenant):
    client = client_for("acme")
    assert sign_in(client, "employee@acme.test").status_code == 302
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    with tenant_context(tenant):
        user = User.objects.get(email="employee@acme.test")
    assert SessionStore(session_key=session_key).load()["_auth_user_id"] == str(user.pk)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM django_session")
        assert cursor.fetchone() == (0,)
    assert client.get("/").status_code == 200
    # Signing out removes it from Redis: the cookie no longer signs anyone in.
    client.post("/accounts/logout/")
    assert not SessionStore().exists(session_key)


def test_wrong_password_and_unknown_email_get_the_same_answer(tenant):
    wrong_password = sign_in(client_for("acme"), "employee@acme.test", "not-the-password")
    unknown_email = sign_in(client_for("acme"), "nobody@acme.test", "not-the-password")
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert wrong_password.context["form"].errors == unknown_email.context["form"].errors
    assert "not correct" in str(wrong_password.context["form"].errors)
    assert [e.detail["email"] for e in events(tenant, "login.failed")] == [
        "employee@acme.test",
        "nobody@acme.test",
    ]


def test_too_many_attempts_blocks_with_a_message_that_says_what_to_do(tenant):
    client = client_for("acme")
    for _ in range(5):
        assert "not correct" in sign_in(client, "employee@acme.test", "wrong-password-x").content.decode()
    blocked = sign_in(client, "employee@acme.test")  # even the right password, for now
    text = blocked.content.decode()
    assert blocked.status_code == 200
    assert "Too many sign-in attempts" in text and "try again in 5 minutes" in text
    assert "reset your password" in text
    assert THROTTLED_MESSAGE.split("—")[0].strip() in text
    assert not User.objects.get(email="employee@acme.test").last_login
    assert len(events(tenant, "login.throttled")) == 1
    # An unknown e-mail address is blocked the same way.
    for _ in range(5):
        sign_in(client, "ghost@acme.test", "wrong-password-x")
    assert "Too many sign-in attempts" in sign_in(client, "ghost@acme.test").content.decode()


def test_a_stranger_s_wrong_passwords_do_not_lock_the_owner_out(tenant):
    """Failed sign-ins count per address *and* source: five wrong passwords from source A block
    A (with the clear message), while the owner, from source B, signs in with the right one."""
    stranger = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="203.0.113.7")
    owner = Client(HTTP_HOST="acme.localhost", REMOTE_ADDR="198.51.100.20")
    for _ in range(6):
        sign_in(stranger, "employee@acme.test", "wrong-password-x")
    assert "Too many sign-in attempts" in sign_in(stranger, "employee@acme.test").content.decode()

    signed = sign_in(owner, "employee@acme.test")
    assert signed.status_code == 302 and signed["Location"] == "/"
    assert owner.get("/").status_code == 200
    assert User.objects.get(email="employee@acme.test").last_login is not None
    [succeeded] = events(tenant, "login.succeeded")
    assert succeeded.detail["email"] == "employee@acme.test"

    # The stranger is still throttled, even with the right password, and told what to do.
    still = sign_in(stranger, "employee@acme.test").content.decode()
    assert "Too many sign-in attempts" in still and "reset your password" in still
    assert "_auth_user_id" not in stranger.session
    assert len(events(tenant, "login.throttled")) == 3


def test_throttle_counters_live_in_redis_shared_by_all_processes(tenant):
    sign_in(client_for("acme"), "employee@acme.test", "wrong-password-x")
    location = settings.CACHES["default"]["LOCATION"]
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    assert any(b"login_failed" in key for key in redis.Redis.from_url(location).keys("*"))


def test_admin_without_mfa_is_sent_to_enrol_before_anything_else(transactional_db, tenant):
    client = client_for("acme")
    assert sign_in(client, "admin@acme.test").status_code == 302
    for path in ("/", "/accounts/email/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/2fa/totp/activate/")
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = page.context["form"].secret
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302
    user = User.objects.get(email="admin@acme.test")
    assert set(Authenticator.objects.filter(user=user).values_list("type", flat=True)) >= {"totp"}
    assert client.get("/").status_code == 200
    assert [e.detail["type"] for e in events(tenant, "mfa.enrolled")] == ["totp", "recovery_codes"]


def test_admin_with_mfa_signs_in_with_password_then_totp(tenant):
    secret = enrol_totp(User.objects.get(email="admin@acme.test"))
    client = client_for("acme")
    response = sign_in(client, "admin@acme.test")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/authenticate")
    assert client.get("/").status_code == 302  # not signed in yet
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    assert wrong.status_code == 200
    assert client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)}).status_code == 302
    assert client.get("/").status_code == 200
    assert len(events(tenant, "login.succeeded")) == 1


def test_non_admin_roles_are_not_forced_to_enrol(tenant):
    for role in ("manager", "employee", "viewer"):
        client = client_for("acme")
        sign_in(client, f"{role}@acme.test")
        assert client.get("/").status_code == 200


def test_data_changes_are_audited_with_actor_request_id_and_before_after(tenant):
    client = client_for("acme")
    sign_in(client, "employee@acme.test")
    with tenant_context(tenant):
        membership = Membership.objects.get(user__email="employee@acme.test")
    # A change made by this member (a bulk UPDATE: one event per changed row).
    with tenant_context(tenant):
        with actor_context(
            Actor(kind="member", id=membership.pk, label="employee@acme.test"), request_id="req-42"
        ):
            Touchpoint.objects.all().update(is_moment_of_truth=False)
            Touchpoint.objects.create(name="Checkout", slug="checkout", position=99)
        updates = list(AuditEvent.objects.filter(action="update", model="tenants.Touchpoint"))
        insert = AuditEvent.objects.get(
            action="insert",
            model="tenants.Touchpoint",
            object_id__isnull=False,
            changes__name=[None, "Checkout"],
        )
    assert len(updates) == 1  # the one touchpoint that was a moment of truth
    assert updates[0].changes == {"is_moment_of_truth": [True, False]}
    assert (updates[0].actor_kind, updates[0].actor_id, updates[0].request_id) == (
        "member",
        membership.pk,
        "req-42",
    )
    assert insert.actor_label == "employee@acme.test"


def test_the_audit_trail_is_append_only_for_the_application_role(tenant):
    with tenant_context(tenant):
        event = AuditEvent.objects.first()
        assert event is not None
        for statement in (
            "UPDATE tenants_auditevent SET action = 'x' WHERE id = %s",
            "DELETE FROM tenants_auditevent WHERE id = %s",
        ):
            with (
                pytest.raises(DatabaseError, match="append-only"),
                transaction.atomic(),
                connection.cursor() as cursor,
            ):
                cursor.execute(statement, [event.pk])
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(action="x")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
        assert AuditEvent.objects.get(pk=event.pk).action == event.action


def test_password_reset_by_email_on_the_tenant_address(tenant, mailoutbox):
    client = client_for("acme")
    response = client.post("/accounts/password/reset/", {"email": "employee@acme.test"})
    assert response.status_code == 302
    [message] = mailoutbox
    assert message.to == ["employee@acme.test"]
    link = next(word for word in message.body.split() if "/accounts/password/reset/key/" in word)
    assert link.startswith("http://acme.localhost/")
    path = link.removeprefix("http://acme.localhost")
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_password = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else path,
        {"password1": "a-brand-new-passphrase", "password2": "a-brand-new-passphrase"},
    )
    assert set_password.status_code == 302
    assert User.objects.get(email="employee@acme.test").check_password("a-brand-new-passphrase")
    # An address that is not a member's gets the same answer and no e-mail with a link.
    assert (
        client_for("acme").post("/accounts/password/reset/", {"email": "nobody@acme.test"}).status_code == 302
    )
    assert all("/accounts/password/reset/key/" not in m.body for m in mailoutbox[1:])
