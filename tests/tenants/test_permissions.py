"""The permission table: its content, its documentation, and that every URL names an action."""

from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tenants.models import ApiKey, Membership
from tenants.permissions import ACTIONS, allauth_action, can, view_actions

ROLES = Membership.Role.values
ADMIN_ONLY = {
    "tenant.settings.view",
    "tenant.settings.edit",
    "department.manage",
    "touchpoint.manage",
    "member.view",
    "member.invite",
    "member.change_role",
    "member.deactivate",
    "api_key.view",
    "api_key.create",
    "api_key.revoke",
    "audit.view",
}
EVERY_MEMBER = {"tenant.view", "department.view", "touchpoint.view", "account.manage_own"}
PUBLIC = {"platform.probe", "platform.home", "platform.icon", "account.sign_in", "api.docs"}
# action → scopes that grant it to an API key (nothing else does)
API_SCOPES = {
    "tenant.view": set(ApiKey.Scope.values),
    "department.view": {"promises:read", "promises:write"},
    "touchpoint.view": {"promises:read", "promises:write"},
    "department.manage": {"promises:write"},
    "touchpoint.manage": {"promises:write"},
    "tenant.settings.view": {"tenant:settings"},
    "tenant.settings.edit": {"tenant:settings"},
}
TENANT_ACTIONS = ADMIN_ONLY | EVERY_MEMBER | PUBLIC


def _patterns(resolvers, prefix=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def test_every_url_pattern_names_an_action():
    unnamed = [
        route
        for route, pattern in _patterns(get_resolver().url_patterns)
        if not view_actions(pattern.callback)
        and allauth_action(pattern.callback, SimpleNamespace(url_name=pattern.name)) is None
    ]
    assert unnamed == [], "every view must name its action in tenants.permissions.ACTIONS"


def test_docs_permissions_md_matches_the_table():
    call_command("permissions_doc", "--check")


@pytest.mark.parametrize("action", sorted(TENANT_ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(role, action):
    membership = Membership(role=role, is_active=True)
    expected = action in PUBLIC or action in EVERY_MEMBER or (action in ADMIN_ONLY and role == "admin")
    assert can(membership, action) is expected


@pytest.mark.parametrize("action", sorted(TENANT_ACTIONS))
@pytest.mark.parametrize("scope", ApiKey.Scope.values)
def test_api_scope_matrix(scope, action):
    key = ApiKey(scopes=[scope])
    expected = action in PUBLIC or scope in API_SCOPES.get(action, set())
    assert can(key, action) is expected


def test_inactive_members_and_nobody_may_do_nothing_but_public_things():
    for action in TENANT_ACTIONS - PUBLIC:
        assert not can(Membership(role="admin", is_active=False), action)
        assert not can(None, action)


def test_admins_cannot_change_or_deactivate_themselves():
    admin = Membership(pk=1, role="admin", is_active=True)
    assert not can(admin, "member.change_role", admin)
    assert not can(admin, "member.deactivate", admin)
    assert can(admin, "member.change_role", Membership(pk=2, role="viewer"))


def test_the_table_has_no_action_the_matrix_does_not_know():
    tenants_actions = {
        name
        for name in ACTIONS
        if name.split(".")[0]
        in {"platform", "account", "api", "tenant", "department", "touchpoint", "member", "api_key", "audit"}
    }
    assert tenants_actions == TENANT_ACTIONS


@pytest.fixture
def closed_view_urls(settings):
    settings.ROOT_URLCONF = "tests.tenants.unnamed_urls"


def test_a_view_that_names_no_action_is_closed(member_clients, closed_view_urls):
    response = member_clients["admin"].get("/unnamed/")
    assert response.status_code == 404
    assert b"secret" not in response.content
    assert Client(HTTP_HOST="acme.localhost").get("/unnamed/").status_code == 404
