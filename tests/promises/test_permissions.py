"""Role × action and scope × action for the promise actions, against the issue's rules."""

import pytest

from tenants.models import ApiKey, Membership
from tenants.permissions import can

# action → (roles allowed, scopes allowed)
EXPECTED = {
    "promise.view": ({"admin", "manager", "employee", "viewer"}, {"promises:read", "promises:write"}),
    "promise.edit": ({"admin", "manager"}, {"promises:write"}),
    "promise.submit": ({"admin", "manager"}, {"promises:write"}),
    "promise.sign_off": ({"manager"}, set()),  # people only
    "promise.activate_override": ({"admin"}, {"promises:write"}),
    "promise.retire": ({"admin", "manager"}, {"promises:write"}),
    "measure.view": ({"admin", "manager", "employee", "viewer"}, {"promises:read", "promises:write"}),
    "measure.manage": ({"admin"}, {"promises:write"}),
}


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("role", Membership.Role.values)
def test_role_matrix(role, action):
    assert can(Membership(role=role, is_active=True), action) is (role in EXPECTED[action][0])


@pytest.mark.parametrize("action", sorted(EXPECTED))
@pytest.mark.parametrize("scope", ApiKey.Scope.values)
def test_scope_matrix(scope, action):
    assert can(ApiKey(scopes=[scope]), action) is (scope in EXPECTED[action][1])
