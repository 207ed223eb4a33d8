"""The one permission table: every action a person or a partner system can take, and who may.

Views, templates and the API all ask :func:`can`. Every view and API endpoint names its
action (``@action_required("...")``, ``ActionRequiredMixin.action`` or an API view's
``actions`` map); :class:`DefaultDenyMiddleware` refuses any view that names none, and a test
walks every URL pattern to prove that none is left unnamed. ``docs/permissions.md`` is
generated from this table (``manage.py permissions_doc``) and a test keeps it in step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.http import Http404, HttpRequest

from tenants.models import ApiKey, Membership

ADMIN = Membership.Role.ADMIN
MANAGER = Membership.Role.MANAGER
EMPLOYEE = Membership.Role.EMPLOYEE
VIEWER = Membership.Role.VIEWER
EVERYONE = frozenset({ADMIN, MANAGER, EMPLOYEE, VIEWER})
ADMINS = frozenset({ADMIN})


@dataclass(frozen=True)
class Rule:
    description: str
    roles: frozenset[str] = frozenset()  # web: member roles allowed
    scopes: frozenset[str] = frozenset()  # API: a key needs one of these scopes
    condition: Callable[[Any, Any], bool] | None = field(default=None, compare=False)
    condition_text: str = ""
    reauthenticate: bool = False  # a fresh password or TOTP (within 5 minutes) is demanded
    public: bool = False  # reachable without signing in (sign-in flows, probes)


def _not_self(membership: Membership, target: Any) -> bool:
    return target is None or getattr(target, "pk", None) != membership.pk


def _department_ids(membership: Membership) -> frozenset[int]:
    """The member's departments, read once per membership object (a page asks many times)."""
    cached = getattr(membership, "_cxgov_department_ids", None)
    if cached is None:
        cached = frozenset(membership.departments.values_list("pk", flat=True))
        membership._cxgov_department_ids = cached
    return cached


def _manages(membership: Membership, escalation: Any) -> bool:
    if membership.role == ADMIN:
        return True
    return membership.role == MANAGER and escalation.department_id in _department_ids(membership)


def _manages_department_of(membership: Membership, target: Any) -> bool:
    """Admins: anything; managers: what belongs to one of their departments (``department_id``)."""
    if target is None:
        return True
    return _manages(membership, target)


def _action_planner(membership: Membership, target: Any) -> bool:
    """Admins: any action; managers: actions of a department they belong to (``department_id``)."""
    if target is None:
        return True
    return _manages(membership, target)


def _action_owner_or_planner(membership: Membership, action: Any) -> bool:
    if action is None:
        return True
    return action.owner_id == membership.pk or _manages(membership, action)


def _escalation_decider(membership: Membership, escalation: Any) -> bool:
    if escalation is None:
        return True
    return _manages(membership, escalation) and escalation.proposed_by_id != membership.pk


def _escalation_worker(membership: Membership, escalation: Any) -> bool:
    if escalation is None:
        return True
    return escalation.owner_id == membership.pk or _manages(membership, escalation)


def _followup_worker(membership: Membership, followup: Any) -> bool:
    if followup is None:
        return True
    return followup.owner_id == membership.pk or _manages(membership, followup)


def _escalation_closer(membership: Membership, escalation: Any) -> bool:
    if escalation is None:
        return True
    return escalation.proposed_by_id == membership.pk or _escalation_worker(membership, escalation)


ACTIONS: dict[str, Rule] = {
    # Platform and sign-in flows
    "platform.probe": Rule("Health and readiness probes", public=True),
    "platform.home": Rule("Platform landing page and a tenant's entry page", public=True),
    "platform.icon": Rule(
        "The site's icon (/favicon.ico, which browsers ask for on every site)", public=True
    ),
    "account.sign_in": Rule(
        "Sign in, sign out, reset a forgotten password, accept an invitation", public=True
    ),
    "account.manage_own": Rule(
        "Own account: password, two-factor authentication, recovery codes, sessions", roles=EVERYONE
    ),
    "api.docs": Rule("Read the API schema and its interactive documentation", public=True),
    # Tenant structure
    "tenant.view": Rule(
        "See the tenant: name, departments, touchpoints (the journey)",
        roles=EVERYONE,
        scopes=frozenset(s.value for s in ApiKey.Scope),
    ),
    "tenant.settings.view": Rule(
        "Read the tenant's settings: name, time zone, score, survey, follow-up, clock and drift-alert settings",
        roles=ADMINS,
        scopes=frozenset({"tenant:settings"}),
    ),
    "tenant.settings.edit": Rule(
        "Change the tenant's name, time zone, survey, follow-up, clock and drift-alert settings",
        roles=ADMINS,
        scopes=frozenset({"tenant:settings"}),
    ),
    "department.view": Rule(
        "List departments", roles=EVERYONE, scopes=frozenset({"promises:read", "promises:write"})
    ),
    "department.manage": Rule(
        "Create, rename and delete departments", roles=ADMINS, scopes=frozenset({"promises:write"})
    ),
    "touchpoint.view": Rule(
        "List touchpoints", roles=EVERYONE, scopes=frozenset({"promises:read", "promises:write"})
    ),
    "touchpoint.manage": Rule(
        "Create, edit, reorder and delete touchpoints; mark moments of truth",
        roles=ADMINS,
        scopes=frozenset({"promises:write"}),
    ),
    # People
    "member.view": Rule("List members, their roles and departments", roles=ADMINS),
    "member.invite": Rule("Invite a person by e-mail with a role and departments", roles=ADMINS),
    "member.change_role": Rule(
        "Change a member's role or departments",
        roles=ADMINS,
        condition=_not_self,
        condition_text="not their own membership",
        reauthenticate=True,
    ),
    "member.deactivate": Rule(
        "Deactivate or reactivate a member",
        roles=ADMINS,
        condition=_not_self,
        condition_text="not their own membership",
        reauthenticate=True,
    ),
    # Partner systems
    "api_key.view": Rule("List API keys (never their secrets)", roles=ADMINS),
    "api_key.create": Rule("Create an API key (its secret is shown once)", roles=ADMINS, reauthenticate=True),
    "api_key.revoke": Rule("Revoke an API key", roles=ADMINS),
    "calendar.view": Rule(
        "See the business calendars: opening hours, public holidays and closed dates",
        roles=ADMINS,
        scopes=frozenset({"escalations:read", "escalations:write"}),
    ),
    "calendar.manage": Rule(
        "Change the business calendar and the departments' own calendars",
        roles=ADMINS,
        scopes=frozenset({"escalations:write"}),
    ),
    "webhook.view": Rule(
        "List webhook endpoints and their delivery logs (never their secrets)",
        roles=ADMINS,
        scopes=frozenset({"webhooks:read", "webhooks:write"}),
    ),
    "webhook.create": Rule(
        "Register a webhook endpoint (its signing secret is shown once)",
        roles=ADMINS,
        scopes=frozenset({"webhooks:write"}),
        reauthenticate=True,
    ),
    "webhook.rotate_secret": Rule(
        "Give a webhook endpoint a new signing secret (shown once; the old one signs too for 24 hours)",
        roles=ADMINS,
        scopes=frozenset({"webhooks:write"}),
        reauthenticate=True,
    ),
    "webhook.manage": Rule(
        "Change, turn off or delete a webhook endpoint; send a test event or a delivery again",
        roles=ADMINS,
        scopes=frozenset({"webhooks:write"}),
    ),
    # Record
    "audit.view": Rule("Read the audit trail", roles=ADMINS),
    # Promises
    "promise.view": Rule(
        "See the promise registry, a promise's commitments, sign-offs, versions and history",
        roles=EVERYONE,
        scopes=frozenset({"promises:read", "promises:write"}),
    ),
    "promise.edit": Rule(
        "Create promises, edit their wording and departments, add and change commitments",
        roles=frozenset({ADMIN, MANAGER}),
        scopes=frozenset({"promises:write"}),
    ),
    "promise.submit": Rule(
        "Submit a draft promise for sign-off by its departments",
        roles=frozenset({ADMIN, MANAGER}),
        scopes=frozenset({"promises:write"}),
    ),
    "promise.sign_off": Rule(
        "Approve a promise in review, or request changes with a comment, for a department",
        roles=frozenset({MANAGER}),
        condition_text="people only; a manager of the department asked",
    ),
    "promise.activate_override": Rule(
        "Activate a promise in review over missing sign-offs, with a written reason",
        roles=ADMINS,
        scopes=frozenset({"promises:write"}),
        condition_text="API keys: only once every department has approved",
    ),
    "promise.retire": Rule(
        "Retire an active promise (its commitments stop counting)",
        roles=frozenset({ADMIN, MANAGER}),
        scopes=frozenset({"promises:write"}),
    ),
    "measure.view": Rule(
        "List measures (built-in, duration, rate and average measures)",
        roles=EVERYONE,
        scopes=frozenset({"promises:read", "promises:write"}),
    ),
    "measure.manage": Rule(
        "Add and change duration, rate and average measures",
        roles=ADMINS,
        scopes=frozenset({"promises:write"}),
    ),
    "measure.benchmarks": Rule(
        "Set the benchmark values each measure is compared against",
        roles=ADMINS,
        scopes=frozenset({"promises:write"}),
    ),
    # Signals
    "feedback.ingest": Rule(
        "Push stories, survey responses and service events (single or in batches)",
        scopes=frozenset({"feedback:write"}),
    ),
    "feedback.read": Rule(
        "List stories, survey responses and service events (filtered, a page at a time)",
        scopes=frozenset({"promises:read", "feedback:write"}),
    ),
    "story.log": Rule("Log a customer story", roles=frozenset({EMPLOYEE, MANAGER, ADMIN})),
    "story.view_own": Rule("See the stories one logged", roles=frozenset({EMPLOYEE, MANAGER, ADMIN})),
    "story.view_all": Rule("See, filter and export every story", roles=frozenset({MANAGER, ADMIN})),
    "signal.import": Rule(
        "Import stories, survey responses and service events from a CSV file (a re-imported row corrects its signal)",
        roles=ADMINS,
        scopes=frozenset({"feedback:write"}),
    ),
    "signal.import_view": Rule(
        "Read CSV imports: their status and counts of created, updated, unchanged and rejected rows",
        scopes=frozenset({"promises:read", "feedback:write"}),
    ),
    # Hosted surveys
    "survey.manage": Rule(
        "Create, change and share hosted surveys (their link, QR code, e-mail snippet and frame); see their answers; list and withdraw their personalised links",
        roles=frozenset({MANAGER, ADMIN}),
        condition=_manages_department_of,
        condition_text="a manager: only surveys of the departments they belong to",
    ),
    "survey.link": Rule(
        "Mint personalised links of a hosted survey (one answer each, with an expiry) and revoke them",
        scopes=frozenset({"surveys:write"}),
    ),
    "survey.answer": Rule(
        "Answer a hosted survey on its public page (no sign-in)",
        public=True,
        condition_text="the link's token names an active survey of the tenant whose address it is opened on",
    ),
    # Follow-ups of unhappy survey answers
    "followup.view": Rule(
        "See follow-ups of unhappy survey answers (the inbox, one follow-up with the customer's "
        "contact if they agreed to be contacted)",
        roles=frozenset({EMPLOYEE, MANAGER, ADMIN}),
        scopes=frozenset({"followups:read", "followups:write"}),
        condition=_followup_worker,
        condition_text="an admin: all; a manager: their departments'; an employee: those they own",
    ),
    "followup.assign": Rule(
        "Assign a follow-up to an owner",
        roles=frozenset({MANAGER, ADMIN}),
        scopes=frozenset({"followups:write"}),
        condition=_manages_department_of,
        condition_text="a manager: only follow-ups of the departments they belong to",
    ),
    "followup.close": Rule(
        "Close a follow-up with its outcome (contacted, resolved, could not reach) and a note",
        roles=frozenset({EMPLOYEE, MANAGER, ADMIN}),
        scopes=frozenset({"followups:write"}),
        condition=_followup_worker,
        condition_text="the owner, a manager of the follow-up's department, or an admin",
    ),
    # Alignment scores
    "scores.view": Rule(
        "See alignment scores: overview, promise and department dashboards, journey map, breach events, "
        "measures over time",
        roles=EVERYONE,
        scopes=frozenset({"scores:read"}),
    ),
    "scores.settings": Rule("Change the perception-gap threshold of hidden-breach flags", roles=ADMINS),
    # Escalations
    "escalation.view_own": Rule(
        "See the escalations raised from one's own stories or proposed by oneself",
        roles=frozenset({EMPLOYEE, MANAGER, ADMIN}),
    ),
    "escalation.view_all": Rule(
        "See, filter and export every escalation; the manager's inbox",
        roles=frozenset({MANAGER, ADMIN}),
        scopes=frozenset({"escalations:read", "escalations:write"}),
    ),
    "escalation.propose": Rule(
        'Propose an escalation ("escalate this story")',
        roles=frozenset({EMPLOYEE, MANAGER, ADMIN}),
        scopes=frozenset({"escalations:write"}),
    ),
    "escalation.decide": Rule(
        "Approve (assigning an owner) or reject a proposed escalation",
        roles=frozenset({MANAGER, ADMIN}),
        condition=_escalation_decider,
        condition_text="people only; a manager of the responsible department or an admin; never their own proposal",
    ),
    "escalation.work": Rule(
        "Move an approved escalation to in progress and resolve it with a resolution note",
        roles=frozenset({EMPLOYEE, MANAGER, ADMIN}),
        scopes=frozenset({"escalations:write"}),
        condition=_escalation_worker,
        condition_text="the owner, a manager of the responsible department, or an admin",
    ),
    "escalation.close": Rule(
        "Close a resolved escalation, or reopen it with a reason",
        roles=frozenset({EMPLOYEE, MANAGER, ADMIN}),
        scopes=frozenset({"escalations:write"}),
        condition=_escalation_closer,
        condition_text="the proposer, the owner, a manager of the responsible department, or an admin",
    ),
    "escalation.comment": Rule(
        "Comment on an escalation one can see", roles=frozenset({EMPLOYEE, MANAGER, ADMIN})
    ),
    "escalation.settings": Rule(
        "Change the automatic proposal rules and the clocks of escalations", roles=ADMINS
    ),
    # Action plans
    "action.view": Rule(
        "See action plans: the list of actions, those of a promise, an escalation or a breach",
        roles=EVERYONE,
        scopes=frozenset({"actions:read", "actions:write"}),
    ),
    "action.plan": Rule(
        "Plan an action (about a promise, an escalation or a breach event) and change any of its fields",
        roles=frozenset({MANAGER, ADMIN}),
        scopes=frozenset({"actions:write"}),
        condition=_action_planner,
        condition_text="a manager: only actions of the departments they belong to",
    ),
    "action.update": Rule(
        "Update an action's status and notes",
        roles=frozenset({EMPLOYEE, MANAGER, ADMIN}),
        scopes=frozenset({"actions:write"}),
        condition=_action_owner_or_planner,
        condition_text="the action's owner, a manager of its department, or an admin",
    ),
    # Department digests
    "digest.preferences": Rule("Choose which of one's departments' digests one receives", roles=EVERYONE),
    "digest.unsubscribe": Rule(
        "Unsubscribe from a department digest with the signed link of its e-mail (no sign-in)",
        public=True,
        condition_text="the link's signature names the member or subscriber, the department and the tenant",
    ),
    "digest.manage": Rule(
        "Digest schedule, departments on/off, extra subscribers, preview, log of sent digests and failed sends",
        roles=ADMINS,
    ),
}


def rule_for(action: str) -> Rule:
    try:
        return ACTIONS[action]
    except KeyError:
        raise LookupError(f"Unknown action {action!r}: add it to tenants.permissions.ACTIONS") from None


def can(principal: Membership | ApiKey | None, action: str, target: Any = None) -> bool:
    """May ``principal`` (a member or an API key, in the active tenant) do ``action`` (on ``target``)?"""
    rule = rule_for(action)
    if rule.public:
        return True
    if isinstance(principal, Membership):
        allowed = principal.is_active and principal.role in rule.roles
    elif isinstance(principal, ApiKey):
        allowed = bool(rule.scopes.intersection(principal.scopes))
    else:
        return False
    if allowed and rule.condition is not None and isinstance(principal, Membership):
        allowed = rule.condition(principal, target)
    return allowed


def view_actions(view: Callable) -> set[str]:
    """The actions a URL's view names, however it was written.

    Function views: ``@action_required``; class views: ``cxgov_action``; API views:
    ``cxgov_action`` or ``cxgov_actions`` (a map from method or viewset action to action).
    """
    actions: set[str] = set()
    for candidate in (view, getattr(view, "view_class", None), getattr(view, "cls", None)):
        if candidate is None:
            continue
        if action := getattr(candidate, "cxgov_action", None):
            actions.add(action)
        actions.update(getattr(candidate, "cxgov_actions", {}).values())
    for action in actions:
        rule_for(action)
    return actions


# django-allauth's own views (sign-in, password reset, two-factor, re-authentication) are
# named here by URL name, since their code is not ours to decorate.
ALLAUTH_SIGN_IN_URLS = frozenset(
    {
        "account_login",
        "account_logout",
        "account_signup",
        "account_reset_password",
        "account_reset_password_done",
        "account_reset_password_from_key",
        "account_reset_password_from_key_done",
        "account_inactive",
        "account_confirm_email",
        "account_email_verification_sent",
        "account_login_code_confirm",
        "account_request_login_code",
        "account_confirm_login_code",
        "account_confirm_password_reset_code",
        "mfa_authenticate",
        "mfa_trust",
    }
)


def allauth_action(view: Callable, resolver_match) -> str | None:
    """The action of a django-allauth view, or None for any other view."""
    module = getattr(getattr(view, "view_class", view), "__module__", "")
    if not module.startswith("allauth."):
        return None
    name = getattr(resolver_match, "url_name", None)
    return "account.sign_in" if name in ALLAUTH_SIGN_IN_URLS else "account.manage_own"


def action_required(action: str):
    """Function views: name the action, check it, and answer 'not found' when denied."""
    rule_for(action)

    def decorate(view):
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            enforce(request, action)
            return view(request, *args, **kwargs)

        wrapped.cxgov_action = action
        return wrapped

    return decorate


class ActionRequiredMixin:
    """Class-based views: ``cxgov_action = "..."``, checked before dispatch."""

    cxgov_action: str = ""

    def dispatch(self, request, *args, **kwargs):
        enforce(request, self.cxgov_action)
        return super().dispatch(request, *args, **kwargs)


def enforce(request: HttpRequest, action: str, target: Any = None) -> None:
    """Raise unless the request's member may do ``action``. Sign-in is asked of anonymous visitors."""
    from tenants.audit import security_event_record

    rule = rule_for(action)
    if rule.public:
        return
    if request.tenant is None:
        raise Http404("This page exists only on a company's address.")
    if not request.user.is_authenticated:
        raise SignInRequired
    if not can(request.membership, action, target):
        security_event_record(action="permission.denied", detail={"action": action, "path": request.path})
        raise PermissionDeniedHere(action)


class SignInRequired(Exception):
    """Handled by :class:`DefaultDenyMiddleware`: redirect to the sign-in page."""


class PermissionDeniedHere(Exception):
    """Handled by :class:`DefaultDenyMiddleware`: a 403 page saying what is missing."""

    def __init__(self, action: str):
        super().__init__(action)
        self.action = action


def permissions_markdown() -> str:
    """``docs/permissions.md``, generated from :data:`ACTIONS` (``manage.py permissions_doc``)."""
    roles = list(Membership.Role.values)
    lines = [
        "# Permissions",
        "",
        "Generated from `tenants/permissions.py` by `manage.py permissions_doc`; a test fails when",
        "this file and the table in the code differ. Every view and API endpoint names one of these",
        "actions; a view that names none is closed (404). Anonymous visitors are sent to sign in (web)",
        "or get 401 (API). *Public* actions need no sign-in; **re-auth** means a password or TOTP",
        "entered within the last 5 minutes is demanded first.",
        "",
        "| action | what | " + " | ".join(roles) + " | API key scopes | condition |",
        "|---|---|" + "---|" * len(roles) + "---|---|",
    ]
    for name, rule in ACTIONS.items():
        marks = ["public" if rule.public else ("yes" if role in rule.roles else "—") for role in roles]
        what = rule.description + (" (**re-auth**)" if rule.reauthenticate else "")
        scopes = ", ".join(f"`{s}`" for s in sorted(rule.scopes)) or "—"
        lines.append(
            f"| `{name}` | {what} | " + " | ".join(marks) + f" | {scopes} | {rule.condition_text or '—'} |"
        )
    lines += [
        "",
        "API keys: a key may do an action when it holds one of the listed scopes; the tenant is",
        "always the key's own. Scopes: "
        + ", ".join(f"`{s}` ({label})" for s, label in ApiKey.Scope.choices)
        + ".",
        "",
    ]
    return "\n".join(lines)
