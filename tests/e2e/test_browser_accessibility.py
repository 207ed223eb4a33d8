"""Accessibility in a real browser: axe-core (WCAG 2.0/2.1 A and AA rules) finds no serious or
critical violation on any staff page, signed in as each role, nor on the pages people see
before they sign in; every focus indicator stands out from what surrounds it (at least 3:1,
WCAG 2.2 non-text contrast); the skip link, once focused, is drawn above the navigation bar.

Every named URL pattern is either visited here or listed in ``NOT_PAGES`` with the reason, so
a new page cannot escape the check."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from playwright.sync_api import expect

from feedback.escalations.models import Escalation
from feedback.escalations.proposals import escalation_propose_from_story
from feedback.imports.services import signal_import_create, signal_import_template
from feedback.stories.models import Story
from feedback.stories.services import story_create
from metrics.actions.models import Action
from metrics.actions.services import action_create
from metrics.demo import seed_demo_signals
from metrics.digests.services import unsubscribe_token
from promises.commitments.models import Measure
from promises.demo import seed_demo_promises
from promises.models import Commitment, Promise
from surveys.followups.services import followup_assign
from surveys.models import FollowUp, Survey, SurveyLink
from surveys.services import (
    answer_token,
    survey_answer,
    survey_create,
    survey_link_answer,
    survey_link_mint,
    survey_link_revoke,
)
from tenants.context import tenant_context
from tenants.demo import DEMO_PASSWORD, DEMO_TENANTS, seed_demo_tenant
from tenants.models import ApiKey, Department, Membership, Tenant, Touchpoint, User
from tenants.services import api_key_create, invitation_create
from tenants.webhooks.models import WebhookEndpoint
from tenants.webhooks.services import webhook_endpoint_create
from tests.conftest import enrol_totp
from tests.tenants.test_auth import totp_code

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
DESKTOP = {"width": 1366, "height": 900}
FOCUS_CONTRAST_MIN = 3.0

# Named URL patterns that are not pages a person reads, with the reason.
NOT_PAGES = {
    "favicon": "an image",
    "healthz": "a health check for the load balancer (plain text)",
    "readyz": "a readiness check for the load balancer (plain text)",
    "api-not-found": "the API's problem+json answer to an unknown path",
    "home_counts": "an htmx fragment of the home page (checked there)",
    "story_export": "a CSV download",
    "escalation_export": "a CSV download",
    "escalation_comment": "POST only (the form is on the escalation page)",
    "escalation_transition": "POST only (the forms are on the escalation page and the inbox)",
    "signal_import_template": "a CSV download",
    "signal_import_status": "an htmx fragment of the import page (checked there)",
    "signal_import_rejected": "a CSV download",
    "console_digest_subscriber_remove": "POST only (the form is on the department's digest page)",
    "console_touchpoint_move": "POST only (the buttons are on the touchpoints page)",
    "console_touchpoint_moment_of_truth": "POST only (the buttons are on the touchpoints page)",
    "console_member_set_active": "POST only (the form is on the member's page)",
    "mfa_download_recovery_codes": "a text file download",
    "account_confirm_login_code": "sign-in by e-mailed code is off (it answers 404)",
    "measure_benchmark_remove": "POST only (the buttons are on the measure's page)",
    "survey_qr_png": "an image (the survey's QR code)",
    "survey_qr_svg": "an image (the survey's QR code)",
    "survey_link_revoke": "POST only (the button is on the survey's links page)",
    "console_webhook_ping": "POST only (the button is on the endpoint's page)",
    "console_calendar_department_remove": "POST only (the button is on the department's calendar page)",
    "console_webhook_redeliver": "POST only (the buttons are in the endpoint's delivery log)",
    "followup_assign": "POST only (the form is on the follow-up's page)",
    "followup_close": "POST only (the form is on the follow-up's page)",
    "api-docs": (
        "Swagger UI's own markup for integrators (third party: its method badges and the buttons it"
        " nests fail axe); not a staff page"
    ),
}
# Documents served under a sandbox policy that runs no script (the digest e-mail's HTML part,
# shown framed in its preview page): axe checks their markup in a blank page instead.
SANDBOXED_PAGES = {"console_digest_preview_email"}
# Pages of someone who signs in with two-factor (the others are shown the page to set it up).
TWO_FACTOR_PAGES = {"mfa_deactivate_totp", "mfa_view_recovery_codes"}
# Seen on the way in: the admin's second sign-in step.
SIGN_IN_PAGES = {"mfa_authenticate"}


def _is_api(route: str, name: str) -> bool:
    """JSON endpoints of the API (they answer JSON or problem+json, never a page)."""
    return route.startswith("api/") and name != "api-docs"


def url_pattern_names() -> dict[str, str]:
    """Every named URL pattern of the site → its route (API endpoints left out: JSON, not pages)."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield pattern.name, prefix + str(pattern.pattern)

    return {name: route for name, route in walk(get_resolver().url_patterns) if not _is_api(route, name)}


@dataclass
class DemoObjects:
    """Real objects of the seeded demo tenant, for the pages that show one."""

    tenant: Tenant
    draft: Promise
    in_review: Promise
    active: Promise
    commitment: Commitment
    measure: Measure
    department: Department
    touchpoint: Touchpoint
    member: Membership
    story: Story
    escalation: Escalation
    signal_import_pk: int
    api_key: ApiKey
    invitation_token: str
    unsubscribe_token: str
    survey: Survey
    survey_answer_token: str
    survey_link_token: str
    answered_link_token: str
    answered_link_answer_token: str
    expired_link_token: str
    revoked_link_token: str
    followup: FollowUp
    webhook: WebhookEndpoint
    action: Action


def seed_demo() -> DemoObjects:
    """The acme demo (promises, a year of signals), plus what the demo does not make: an
    escalation, a signal import, an API key and an invitation."""
    tenant = seed_demo_tenant(DEMO_TENANTS[0])
    seed_demo_promises(tenant)
    assert seed_demo_signals(tenant) > 0
    with tenant_context(tenant):
        employee = Membership.objects.select_related("user").get(user__email="employee@acme.example")
        admin = Membership.objects.get(user__email="admin@acme.example")
        department = Department.objects.get(name="Customer Service")
        touchpoint = Touchpoint.objects.get(slug="returns")
        active = Promise.objects.filter(status=Promise.Status.ACTIVE, commitments__isnull=False).first()
        objects = dict(
            draft=Promise.objects.filter(status=Promise.Status.DRAFT).first()
            or Promise.objects.filter(status=Promise.Status.IN_REVIEW).first(),
            in_review=Promise.objects.filter(status=Promise.Status.IN_REVIEW).first(),
            active=active,
            commitment=Commitment.objects.filter(promise=active).first(),
            measure=Measure.objects.filter(is_builtin=False).first() or Measure.objects.first(),
        )
    story = story_create(
        tenant=tenant,
        text="The refund for my return took three weeks and nobody answered my e-mails.",
        occurred_at=timezone.now(),
        touchpoint=touchpoint,
        source=employee,
        department=department,
    )
    proposal = escalation_propose_from_story(
        tenant=tenant, story=story, actor=employee, severity="high", title="Refunds three weeks late"
    )
    signal_import = signal_import_create(
        tenant=tenant,
        kind="survey_responses",
        content=signal_import_template(kind="survey_responses"),
        actor=admin,
        file_name="surveys.csv",
    )
    api_key_create(tenant=tenant, name="Helpdesk", scopes=["feedback:write"], created_by=admin)
    tokens = []
    invitation_create(
        tenant=tenant,
        email="new.colleague@acme.example",
        role="employee",
        invited_by=admin,
        accept_url=lambda token: tokens.append(token) or f"/invitations/{token}/",
    )
    with tenant_context(tenant):
        escalation = Escalation.objects.get(pk=proposal.escalation.pk)
        api_key = ApiKey.objects.get(name="Helpdesk")
        csat = Measure.objects.get(key="csat")
    survey = survey_create(
        tenant=tenant,
        name="Returns desk",
        touchpoint=touchpoint,
        department=department,
        measure=csat,
        asks_consent=True,
    )
    # An unhappy answer: it opens a follow-up, and its pages ask for consent to be contacted.
    answer = survey_answer(tenant=tenant, survey=survey, score=2, nonce="accessibility-check")
    answered_link = survey_link_mint(tenant=tenant, survey=survey, respondent_ref="crm-4712")
    link_answer = survey_link_answer(tenant=tenant, link=answered_link, score=1, nonce="accessibility-link")
    # Links that take no answer any more, for the pages that say so.
    revoked_link = survey_link_mint(tenant=tenant, survey=survey, respondent_ref="crm-4713")
    survey_link_revoke(tenant=tenant, link=revoked_link)
    expired_link = survey_link_mint(tenant=tenant, survey=survey, respondent_ref="crm-4714")
    with tenant_context(tenant):
        SurveyLink.objects.filter(pk=expired_link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        followup = FollowUp.objects.select_related("department").get(response_id=answer.response_id)
    # Owned by the employee, who sees it (and may close it); a viewer is refused.
    followup = followup_assign(tenant=tenant, followup=followup, owner=employee)
    webhook = webhook_endpoint_create(
        tenant=tenant,
        url="https://hooks.acme.example/cxgov",
        events=["escalation.approved"],
        description="CRM",
    ).endpoint
    assert all(objects.values()), objects
    with tenant_context(tenant):
        owners_department = employee.departments.order_by("pk").first()
    action = action_create(
        tenant=tenant,
        actor=admin,
        title="Call back every refund request within a day",
        owner=employee,
        department=owners_department,
        due_on=timezone.localdate() + timedelta(days=7),
        promise=objects["active"],
        commitment=objects["commitment"],
    )
    return DemoObjects(
        tenant=tenant,
        department=department,
        touchpoint=touchpoint,
        member=employee,
        story=story,
        escalation=escalation,
        signal_import_pk=signal_import.pk,
        api_key=api_key,
        invitation_token=tokens[0],
        unsubscribe_token=unsubscribe_token({"t": tenant.pk, "d": department.pk, "m": employee.pk}),
        survey=survey,
        survey_link_token=survey_link_mint(tenant=tenant, survey=survey, respondent_ref="crm-4711").token,
        webhook=webhook,
        survey_answer_token=answer_token(tenant=tenant, survey=survey, response_id=answer.response_id),
        answered_link_token=answered_link.token,
        answered_link_answer_token=answer_token(
            tenant=tenant, survey=survey, response_id=link_answer.response_id
        ),
        expired_link_token=expired_link.token,
        revoked_link_token=revoked_link.token,
        followup=followup,
        action=action,
        **objects,
    )


def no_arguments(_objects: DemoObjects) -> dict:
    return {}


# Every staff page visited, by URL name → the arguments of its URL (a real object of the demo
# where the page shows one).
STAFF_PAGES: dict[str, Callable[[DemoObjects], dict]] = {
    # Promises, measures, commitments, sign-offs.
    "promise_registry": no_arguments,
    "promise_create": no_arguments,
    "promise_detail": lambda o: {"pk": o.active.pk},
    "promise_edit": lambda o: {"pk": o.draft.pk},
    "promise_retire": lambda o: {"pk": o.active.pk},
    "promise_measures": no_arguments,
    "promise_measure_edit": lambda o: {"key": o.measure.key},
    "promise_commitment_create": lambda o: {"pk": o.draft.pk},
    "promise_commitment_edit": lambda o: {"pk": o.active.pk, "commitment_pk": o.commitment.pk},
    "promise_my_sign_offs": no_arguments,
    "promise_submit": lambda o: {"pk": o.draft.pk},
    "promise_sign_off": lambda o: {"pk": o.in_review.pk},
    "promise_activate": lambda o: {"pk": o.in_review.pk},
    # Scores.
    "scores_overview": no_arguments,
    "scores_promise": lambda o: {"slug": o.active.slug},
    "scores_department": lambda o: {"slug": o.department.slug},
    "scores_journey": no_arguments,
    "measures": no_arguments,
    "measure_page": lambda o: {"key": "nps"},
    # Hosted surveys (staff pages).
    "survey_list": no_arguments,
    "survey_create": no_arguments,
    "survey_detail": lambda o: {"pk": o.survey.pk},
    "survey_edit": lambda o: {"pk": o.survey.pk},
    # Follow-ups of unhappy answers.
    "followup_list": no_arguments,
    "followup_detail": lambda o: {"pk": o.followup.pk},
    "survey_links": lambda o: {"pk": o.survey.pk},
    # Home, stories, escalations, imports.
    "home": no_arguments,
    "story_list": no_arguments,
    "story_create": no_arguments,
    "my_stories": no_arguments,
    "story_detail": lambda o: {"pk": o.story.pk},
    "story_escalate": lambda o: {"pk": o.story.pk},
    "escalation_list": no_arguments,
    "escalation_inbox": no_arguments,
    "escalation_settings": no_arguments,
    "escalation_detail": lambda o: {"pk": o.escalation.pk},
    "signal_import": no_arguments,
    "signal_import_detail": lambda o: {"pk": o.signal_import_pk},
    # Action plans.
    "action_list": no_arguments,
    "action_create": no_arguments,  # with the promise it is about: QUERIES
    "action_detail": lambda o: {"pk": o.action.pk},
    # Digests.
    "digest_preferences": no_arguments,
    "console_digests": no_arguments,
    "console_digest_log": no_arguments,
    "console_digest_department": lambda o: {"pk": o.department.pk},
    "console_digest_preview": lambda o: {"pk": o.department.pk},
    "console_digest_preview_email": lambda o: {"pk": o.department.pk},
    # The account and the admin console.
    "account": no_arguments,
    "console_settings": no_arguments,
    "console_departments": no_arguments,
    "console_department_edit": lambda o: {"pk": o.department.pk},
    "console_department_delete": lambda o: {"pk": o.department.pk},
    "console_touchpoints": no_arguments,
    "console_touchpoint_edit": lambda o: {"pk": o.touchpoint.pk},
    "console_touchpoint_delete": lambda o: {"pk": o.touchpoint.pk},
    "console_members": no_arguments,
    "console_member_invite": no_arguments,
    "console_member": lambda o: {"pk": o.member.pk},
    "console_api_keys": no_arguments,
    "console_api_key_create": no_arguments,
    "console_api_key_revoke": lambda o: {"pk": o.api_key.pk},
    "console_audit": no_arguments,
    "console_calendar": no_arguments,
    "console_calendar_department": lambda o: {"pk": o.department.pk},
    "console_webhooks": no_arguments,
    "console_webhook_create": no_arguments,
    "console_webhook": lambda o: {"pk": o.webhook.pk},
    "console_webhook_edit": lambda o: {"pk": o.webhook.pk},
    "console_webhook_delete": lambda o: {"pk": o.webhook.pk},
    "console_webhook_rotate_secret": lambda o: {"pk": o.webhook.pk},
    # django-allauth's pages for a signed-in person (the password, two-factor).
    "account_email": no_arguments,
    "account_change_password": no_arguments,
    "account_set_password": no_arguments,
    "account_reauthenticate": no_arguments,
    "account_logout": no_arguments,
    "mfa_index": no_arguments,
    "mfa_reauthenticate": no_arguments,
    "mfa_activate_totp": no_arguments,
    "mfa_deactivate_totp": no_arguments,
    "mfa_view_recovery_codes": no_arguments,
    "mfa_generate_recovery_codes": no_arguments,
}


# Pages that show something only with a query: URL name → the query string.
QUERIES: dict[str, Callable[[DemoObjects], str]] = {
    "action_create": lambda o: f"?promise={o.active.pk}",
}


# The pages someone signed out sees (the others redirect a signed-in person away).
SIGNED_OUT_PAGES: dict[str, Callable[[DemoObjects], dict]] = {
    "account_login": no_arguments,
    "account_signup": no_arguments,
    "account_inactive": no_arguments,
    "account_reset_password": no_arguments,
    "account_reset_password_done": no_arguments,
    # A link that is not (or no longer) valid: the page that says so.
    "account_reset_password_from_key": lambda o: {"uidb36": "1", "key": "set-password-link-used"},
    "account_reset_password_from_key_done": no_arguments,
    "account_email_verification_sent": no_arguments,
    "account_confirm_email": lambda o: {"key": "no-such-confirmation"},
    "invitation_accept": lambda o: {"token": o.invitation_token},
    "digest_unsubscribe": lambda o: {"token": o.unsubscribe_token},
    # A hosted survey's public pages: the question, the reason, the thanks.
    "survey_page": lambda o: {"token": o.survey.token},
    "survey_reason": lambda o: {"token": o.survey.token, "answer": o.survey_answer_token},
    "survey_thanks": lambda o: {"token": o.survey.token},
    "survey_contact": lambda o: {"token": o.survey.token, "answer": o.survey_answer_token},
    "survey_link_page": lambda o: {"token": o.survey_link_token},
    # After a personalised link's answer, its pages stay under the link's token.
    "survey_link_reason": lambda o: {"token": o.answered_link_token, "answer": o.answered_link_answer_token},
    "survey_link_contact": lambda o: {"token": o.answered_link_token, "answer": o.answered_link_answer_token},
    "survey_link_thanks": lambda o: {"token": o.answered_link_token},
    # The e-mail snippet's score pages and the embeddable page.
    "survey_score": lambda o: {"token": o.survey.token, "score": 7},
    "survey_link_score": lambda o: {"token": o.survey_link_token, "score": 7},
    "survey_embed": lambda o: {"token": o.survey.token},
    "survey_link_embed": lambda o: {"token": o.survey_link_token},
}

# More states of public pages, each visited besides the one above: URL name, its arguments, the
# query. A personalised link's page to frame once answered, expired or withdrawn (it says so in
# the frame), and its pages after the score, embedded.
SIGNED_OUT_STATES: list[tuple[str, Callable[[DemoObjects], dict], str]] = [
    ("survey_link_embed", lambda o: {"token": o.answered_link_token}, ""),
    ("survey_link_embed", lambda o: {"token": o.expired_link_token}, ""),
    ("survey_link_embed", lambda o: {"token": o.revoked_link_token}, ""),
    (
        "survey_link_reason",
        lambda o: {"token": o.answered_link_token, "answer": o.answered_link_answer_token},
        "?embed=1",
    ),
    (
        "survey_link_contact",
        lambda o: {"token": o.answered_link_token, "answer": o.answered_link_answer_token},
        "?embed=1",
    ),
    ("survey_link_thanks", lambda o: {"token": o.answered_link_token}, "?embed=1"),
]


def axe_violations(page, where: str) -> list[str]:
    """The serious and critical violations axe finds on the page, one line per element."""
    result = page.evaluate(
        """async (tags) => {
          const result = await axe.run(document, {
            runOnly: {type: "tag", values: tags}, resultTypes: ["violations"],
          });
          return result.violations.map((v) => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
          }));
        }""",
        AXE_TAGS,
    )
    return [
        f"{where}: {violation['id']} ({violation['impact']}) at {node['target']} — {violation['help']}. "
        + " ".join(node["summary"].split())
        for violation in result
        if violation["impact"] in BLOCKING_IMPACTS
        for node in violation["nodes"]
    ]


def sandboxed_violations(page, url: str, where: str) -> list[str]:
    """What axe finds in the markup of a document that may not run scripts where it is served."""
    # Fetched by the signed-in page itself (the browser resolves the tenant's host name).
    status, markup = page.evaluate(
        "async (url) => { const r = await fetch(url); return [r.status, await r.text()]; }", url
    )
    if status == 403:
        return []  # the refusal page is checked where it renders as a page
    if status != 200:
        return [f"{where}: answered {status}"]
    blank = page.context.new_page()
    try:
        blank.set_content(markup)
        blank.add_script_tag(path=str(AXE))
        return axe_violations(blank, where)
    finally:
        blank.close()


def open_page(new_page, **options):
    """A page with axe loaded into every document before the document's own scripts: an init
    script is the browser's, outside the page's Content-Security-Policy."""
    page = new_page(viewport=DESKTOP, **options)
    page.context.add_init_script(path=str(AXE))
    return page


def sign_in(page, base: str, email: str, totp_secret: str | None = None) -> list[str]:
    """Sign in through the form; returns what axe found on the second step, if there is one."""
    page.goto(f"{base}/accounts/login/")
    page.locator("input[name=login]").fill(email)
    page.locator("input[name=password]").fill(DEMO_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    problems = []
    if totp_secret:
        expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
        problems = axe_violations(page, "signing in /accounts/2fa/authenticate/")
        page.locator("input[name=code]").fill(totp_code(totp_secret))
        page.locator("input[name=code]").press("Enter")
    expect(page).to_have_url(f"{base}/")
    return problems


def test_every_url_pattern_is_checked_or_said_not_to_be_a_page():
    """A new page must join the check (or be said not to be one, with the reason)."""
    names = set(url_pattern_names())
    visited = set(STAFF_PAGES) | set(SIGNED_OUT_PAGES) | SIGN_IN_PAGES
    assert visited & set(NOT_PAGES) == set()
    assert names - visited - set(NOT_PAGES) == set(), "URL patterns neither checked nor listed in NOT_PAGES"
    assert (visited | set(NOT_PAGES)) - names == set(), "checked or listed, but there is no such URL pattern"


@pytest.mark.parametrize("role", Membership.Role.values)
def test_every_staff_page_has_no_serious_accessibility_violation(role, new_page, site):
    demo = seed_demo()
    base = site("acme")
    email = f"{role}@acme.example"
    secret = None
    if role == "admin":  # admins sign in with two-factor, and have recovery codes
        secret = enrol_totp(User.objects.get(email=email))
        RecoveryCodes.activate(User.objects.get(email=email))
    page = open_page(new_page)
    problems = sign_in(page, base, email, secret)

    forbidden_checked = False
    for name, arguments in STAFF_PAGES.items():
        path = reverse(name, kwargs=arguments(demo)) + QUERIES.get(name, lambda _o: "")(demo)
        if name in TWO_FACTOR_PAGES and secret is None:
            continue
        if name in SANDBOXED_PAGES:
            problems += sandboxed_violations(page, base + path, f"{role} {name} {path}")
            continue
        response = page.goto(base + path)
        if response.status == 403:
            # One refusal page for all: checked once.
            if forbidden_checked:
                continue
            forbidden_checked = True
        elif response.status != 200:
            problems.append(f"{role} {path}: answered {response.status}")
            continue
        page.wait_for_load_state("load")
        problems += axe_violations(page, f"{role} {name} {path}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


def test_pages_before_signing_in_have_no_serious_accessibility_violation(new_page, site):
    demo = seed_demo()
    base = site("acme")
    page = open_page(new_page)
    problems = []
    visits = [(name, arguments, "") for name, arguments in SIGNED_OUT_PAGES.items()] + SIGNED_OUT_STATES
    for name, arguments, query in visits:
        path = reverse(name, kwargs=arguments(demo)) + query
        response = page.goto(base + path)
        # 409 and 410: a personalised link that takes no answer any more says why.
        if response.status not in (200, 403, 404, 409, 410):
            problems.append(f"{path}: answered {response.status}")
            continue
        problems += axe_violations(page, f"signed out {name} {path}")
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)


# What the focused element shows: the colour of its focus ring (outline, else box-shadow) and
# the opaque colour it is drawn against — the parent's background for a ring outside the
# element, the element's own for one inside it (translucent layers blended as painted).
_FOCUS_RING = """() => {
  const element = document.activeElement;
  if (!element || element === document.body) return null;
  const rgba = (text) => {
    const match = /rgba?\\(([^)]*)\\)/.exec(text || "");
    if (!match) return null;
    const parts = match[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const backdrop = (node) => {
    const layers = [];
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const colour = rgba(getComputedStyle(n).backgroundColor);
      if (colour && colour[3] > 0) {
        layers.push(colour);
        if (colour[3] >= 1) break;
      }
    }
    return layers.reverse().reduce((below, layer) => over(layer, below), [255, 255, 255, 1]);
  };
  const style = getComputedStyle(element);
  let ring = null;
  let inside = false;
  let width = 0;
  if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0) {
    ring = rgba(style.outlineColor);
    width = parseFloat(style.outlineWidth);
    inside = parseFloat(style.outlineOffset) + width <= 0;
  } else if (style.boxShadow && style.boxShadow !== "none") {
    ring = rgba(style.boxShadow);
    const sizes = style.boxShadow.replace(/rgba?\\([^)]*\\)/, "").trim().split(/\\s+/).map(parseFloat);
    width = sizes[3] || 0;
    inside = style.boxShadow.includes("inset");
  }
  const against = backdrop(inside ? element : element.parentElement);
  const label = (element.innerText || element.value || element.getAttribute("aria-label") || element.name || "").trim();
  return {
    element: element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") + " " + JSON.stringify(label.slice(0, 40)),
    ring: ring && ring[3] < 1 ? over(ring, against) : ring,
    width,
    against,
    style: [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(" / "),
  };
}"""


def _luminance(rgb) -> float:
    channels = [c / 255 for c in rgb[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(first, second) -> float:
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def test_contrast_follows_wcag():
    assert round(contrast((0, 0, 0), (255, 255, 255)), 2) == 21.0
    assert round(contrast((13, 110, 253), (255, 255, 255)), 2) == 4.5  # Bootstrap's blue on white


def focus_problems(page, where: str, max_tabs: int = 200) -> list[str]:
    """Tab through the page (from its top) and report each focused element whose focus ring is
    missing or under 3:1 against what surrounds it."""
    problems = []
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    seen = []
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        focused = page.evaluate(_FOCUS_RING)
        if focused is None or (seen and focused["element"] == seen[0]):
            break  # back at the start
        seen.append(focused["element"])
        if focused["ring"] is None or focused["width"] < 1:
            problems.append(f"{where}: {focused['element']} shows no focus ring ({focused['style']})")
            continue
        ratio = contrast(focused["ring"], focused["against"])
        if ratio < FOCUS_CONTRAST_MIN:
            problems.append(
                f"{where}: the focus ring of {focused['element']} is {ratio:.2f}:1 "
                f"({focused['ring']} against {focused['against']})"
            )
    assert len(seen) > 3, f"{where}: the keyboard reached {seen}"
    return problems


def test_focus_rings_stand_out_and_the_skip_link_is_on_top(new_page, site):
    demo = seed_demo()
    base = site("acme")
    secret = enrol_totp(User.objects.get(email="admin@acme.example"))
    page = open_page(new_page)
    sign_in(page, base, "admin@acme.example", secret)

    # The first Tab reaches the skip link, drawn above the navigation bar.
    page.goto(f"{base}/admin/touchpoints/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box and box["width"] > 1 and box["height"] > 1
    on_top = page.evaluate(
        "([x, y]) => { const hit = document.elementFromPoint(x, y); const link = document.activeElement;"
        " return hit === link || link.contains(hit); }",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top, "the skip link is covered"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")

    problems = []
    for path in (
        "/",
        "/admin/touchpoints/",
        "/stories/",
        f"/promises/{demo.active.pk}/",
        f"/escalations/{demo.escalation.pk}/",
        "/escalations/inbox/",
        "/accounts/password/change/",
    ):
        page.goto(base + path)
        problems += focus_problems(page, path)
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems)
