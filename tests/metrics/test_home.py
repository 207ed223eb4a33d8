"""The home page: one per role. An employee's stories and what became of them; a manager's
decisions, overdue escalations, sign-offs and promises at risk; an admin's set-up checklist and
the tenant's health; the company's scores for everyone. Each section says what to do when it is
empty, and a page takes the same number of queries however many rows its lists hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.escalations.models import Escalation
from feedback.escalations.proposals import escalation_propose_from_story
from feedback.escalations.services import escalation_settings_update
from feedback.imports.models import SignalImport
from feedback.stories.models import Story
from feedback.stories.services import story_create
from metrics.models import ScoreRun
from metrics.services import scores_run
from promises.commitments.services import commitment_create
from promises.models import Promise, PromiseContributor
from promises.services import promise_create
from promises.signoffs.services import promise_submit
from tenants.context import tenant_context
from tenants.delivery.models import OutboxMessage
from tenants.models import ApiKey, Department, Membership, Touchpoint, User
from tenants.services import api_key_create, member_add, tenant_create, touchpoint_create
from tests.conftest import TEST_PASSWORD, client_for, enrol_totp, signed_in
from tests.metrics.conftest import Scoring

ROLES = Membership.Role.values


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def section(page: str, element_id: str) -> str:
    """The HTML of the section (or nav) with ``element_id``; "" when the page has none."""
    found = re.search(rf'<(section|nav)[^>]*\bid="{element_id}".*?</\1>', page, re.S)
    return found.group(0) if found else ""


def count(page: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}">(\d+)<', page)
    return found.group(1) if found else ""


@dataclass
class Home:
    scoring: Scoring
    employee: Membership
    manager: Membership
    returns_promise: Promise
    delivery_promise: Promise
    in_review: Promise
    escalated: Story
    late: Story
    quiet: Story


def _at_risk(scoring: Scoring, slug: str, title: str, *, touchpoint: Touchpoint, contributors=()) -> Promise:
    """An active promise of Operations whose CSAT commitment is not met (40 % against 80 %)."""
    promise = scoring.promise(slug, title=title, contributors=contributors)
    scoring.commitment(promise, "csat", target="80", touchpoint=touchpoint)
    scoring.surveys(
        "csat", [5, 4, 2, 1, 1, 2, 3, 5, 1, 2], at=timezone.now() - timedelta(days=4), touchpoint=touchpoint
    )
    return promise


def _story(home_or_scoring, author: Membership, text_: str, touchpoint: Touchpoint, promises=()) -> Story:
    scoring = getattr(home_or_scoring, "scoring", home_or_scoring)
    return story_create(
        tenant=scoring.tenant,
        text=text_,
        occurred_at=timezone.now() - timedelta(hours=2),
        touchpoint=touchpoint,
        source=author,
        promises=list(promises),
    )


def _escalate(
    scoring: Scoring, story: Story, author: Membership, title: str, *, overdue: bool = False
) -> Escalation:
    escalation = escalation_propose_from_story(
        tenant=scoring.tenant, story=story, actor=author, severity="high", title=title, department=scoring.cs
    ).escalation
    if overdue:
        Escalation.objects.filter(pk=escalation.pk).update(
            decision_due_at=timezone.now() - timedelta(hours=3)
        )
    return escalation


def _in_review(scoring: Scoring, title: str, touchpoint: Touchpoint) -> Promise:
    promise = promise_create(
        tenant=scoring.tenant,
        kind="customer",
        title=title,
        statement="We say when we come.",
        owner=scoring.cs,
    )
    commitment_create(
        tenant=scoring.tenant,
        promise=promise,
        measure=scoring.measures["csat"],
        target=Decimal(80),
        touchpoint=touchpoint,
    )
    return promise_submit(tenant=scoring.tenant, promise=promise)


@pytest.fixture
def home(scoring) -> Home:
    """In acme: two promises at risk (Hassle-free returns, shared with Customer Service; On-time
    delivery, Operations alone), three stories of the employee — one escalated, one escalated and
    overdue, one not —, a promise of Customer Service waiting for sign-off, and a score run."""
    tenant = scoring.tenant
    # Only what the test arranges is proposed: no escalation from the breaches of the run.
    admin = Membership.objects.get(user__email="admin@acme.test")
    escalation_settings_update(tenant=tenant, actor=admin, auto_from_breaches=False, auto_from_stories=False)
    employee = Membership.objects.select_related("user").get(user__email="employee@acme.test")
    returns = _at_risk(
        scoring,
        "hassle-free-returns",
        "Hassle-free returns",
        touchpoint=scoring.returns,
        contributors=(scoring.cs,),
    )
    delivery = _at_risk(scoring, "on-time-delivery", "On-time delivery", touchpoint=scoring.delivery)
    escalated = _story(
        scoring, employee, "The returns label never came and nobody answered.", scoring.returns, [returns]
    )
    late = _story(scoring, employee, "The driver left the parcel in the rain.", scoring.delivery)
    quiet = _story(scoring, employee, "The refund was quick, thank you.", scoring.returns, [returns])
    _escalate(scoring, escalated, employee, "Returns label never came")
    _escalate(scoring, late, employee, "Parcel left in the rain", overdue=True)
    in_review = _in_review(scoring, "Clear delivery slots", scoring.delivery)
    scores_run(tenant=tenant, kind=ScoreRun.Kind.RECOMPUTE)
    return Home(
        scoring=scoring,
        employee=employee,
        manager=Membership.objects.get(user__email="manager@acme.test"),
        returns_promise=returns,
        delivery_promise=delivery,
        in_review=in_review,
        escalated=escalated,
        late=late,
        quiet=quiet,
    )


# --- Employee -------------------------------------------------------------------------------------


def test_an_employee_sees_their_stories_and_what_became_of_them(home, member_clients):
    _story(home, home.manager, "A story the manager logged.", home.scoring.returns)
    page = text(member_clients["employee"].get("/"))

    stories = section(page, "stories")
    assert 'href="/stories/new/"' in stories and "Log a story" in stories
    for story in (home.escalated, home.late, home.quiet):
        assert story.text in stories
    assert "A story the manager logged." not in stories
    escalated = re.search(rf'id="story-{home.escalated.pk}".*?</li>', stories, re.S).group(0)
    assert "Counts towards" in escalated and "Hassle-free returns" in escalated
    assert "Escalated:" in escalated and "Returns label never came" in escalated
    assert 'data-state="proposed"' in escalated
    late = re.search(rf'id="story-{home.late.pk}".*?</li>', stories, re.S).group(0)
    assert "Linked to no promise." in late and "Parcel left in the rain" in late
    quiet = re.search(rf'id="story-{home.quiet.pk}".*?</li>', stories, re.S).group(0)
    assert "Not escalated." in quiet and f'href="/stories/{home.quiet.pk}/escalate/"' in quiet
    assert "All my stories (3)" in stories

    # The company's scores beside them; nothing of a manager's or an admin's.
    assert "Company scores" in section(page, "scores")
    for other in ("home-counts", "awaiting", "overdue", "sign-offs", "at-risk", "setup", "health"):
        assert section(page, other) == "", other
    assert "Signed in as employee@acme.test, employee in Customer Service." in page
    User.objects.filter(email="employee@acme.test").update(first_name="Erin", last_name="Employee")
    page = text(member_clients["employee"].get("/"))
    assert "Signed in as Erin Employee (employee@acme.test), employee in Customer Service." in page


def test_an_employee_without_stories_is_told_what_to_do(member_clients):
    page = text(member_clients["employee"].get("/"))
    stories = section(page, "stories")
    assert "You have not logged a story yet." in stories and 'href="/stories/new/"' in stories
    assert "No scores yet." in section(page, "scores")


def test_an_employee_sees_the_escalations_they_own(home, member_clients):
    escalation = Escalation.objects.get(title="Returns label never came")
    Escalation.objects.filter(pk=escalation.pk).update(
        state="approved", owner=home.employee, resolution_due_at=timezone.now() + timedelta(days=2)
    )
    owned = section(text(member_clients["employee"].get("/")), "owned")
    assert "Mine to resolve" in owned and "Returns label never came" in owned


# --- Manager --------------------------------------------------------------------------------------


def test_a_manager_sees_decisions_overdue_sign_offs_and_promises_at_risk(home, member_clients):
    page = text(member_clients["manager"].get("/"))

    counts = section(page, "home-counts")
    assert count(counts, "awaiting-count") == "2"
    assert count(counts, "overdue-count") == "1"
    assert count(counts, "sign-offs-count") == "1"
    assert count(counts, "at-risk-count") == "1"
    assert count(counts, "owned-count") == "0"

    awaiting = section(page, "awaiting")
    for escalation in Escalation.objects.all():
        assert f'id="escalation-{escalation.pk}"' in awaiting and escalation.title in awaiting
    assert awaiting.count(">Approve</button>") == 2
    assert 'name="next" value="/"' in awaiting  # without JavaScript the decision comes back here
    overdue = section(page, "overdue")
    assert "Parcel left in the rain" in overdue and "Returns label never came" not in overdue
    assert "Overdue" in overdue
    sign_offs = section(page, "sign-offs")
    assert (
        "Clear delivery slots" in sign_offs and f'href="/promises/{home.in_review.pk}/sign-off/"' in sign_offs
    )
    at_risk = section(page, "at-risk")
    assert "My departments&#x27; promises at risk" in at_risk or "My departments' promises at risk" in at_risk
    assert 'href="/scores/promises/hassle-free-returns/"' in at_risk
    assert "On-time delivery" not in at_risk  # Operations' alone, not Customer Service's
    assert "You own no open escalation." in section(page, "owned")
    assert "My stories" in section(page, "stories")  # managers log stories too
    assert section(page, "setup") == "" and section(page, "health") == ""


def test_a_managers_empty_home_says_what_to_expect(member_clients):
    page = text(member_clients["manager"].get("/"))
    assert count(page, "awaiting-count") == "0"
    assert "Nothing awaits your decision." in section(page, "awaiting")
    assert "Nothing is overdue." in section(page, "overdue")
    assert "No promise waits for your sign-off." in section(page, "sign-offs")
    assert "No scores yet." in section(page, "at-risk")
    assert "You own no open escalation." in section(page, "owned")


def test_a_manager_of_no_department_is_told_so(home, tenant):
    member_add(tenant=tenant, email="newcomer@acme.test", role="manager", password=TEST_PASSWORD)
    page = text(signed_in("acme", "newcomer@acme.test").get("/"))
    assert "You manage no department yet" in section(page, "at-risk")
    assert "Nothing awaits your decision." in section(page, "awaiting")


def test_a_manager_without_promises_at_risk_reads_that_none_is(home, member_clients):
    # Customer Service no longer shares Hassle-free returns: both promises at risk are Operations'.
    PromiseContributor.objects.filter(promise=home.returns_promise).delete()
    at_risk = section(text(member_clients["manager"].get("/")), "at-risk")
    assert "No promise of Customer Service is at risk in the latest scores." in at_risk


# --- Admin ----------------------------------------------------------------------------------------


def _steps(page: str) -> dict[str, str]:
    return dict(re.findall(r'id="setup-(\w+)" data-done="(yes|no)"', section(page, "setup")))


def test_a_new_tenant_shows_its_admin_every_step_to_do(db):
    tenant = tenant_create(slug="initech", name="Initech", time_zone="Europe/Berlin")
    member_add(tenant=tenant, email="founder@initech.test", role="admin", password=TEST_PASSWORD)
    enrol_totp(User.objects.get(email="founder@initech.test"))
    page = text(signed_in("initech", "founder@initech.test").get("/"))
    assert _steps(page) == {k: "no" for k in ("departments", "touchpoints", "members", "promise", "api_key")}
    setup = section(page, "setup")
    assert "0 of 5 steps done." in setup
    for url in (
        "/admin/departments/",
        "/admin/touchpoints/",
        "/admin/members/invite/",
        "/promises/new/",
        "/admin/api-keys/new/",
    ):
        assert f'href="{url}"' in setup
    assert section(page, "health") == ""  # nothing to watch yet


def test_the_checklist_gives_way_to_the_tenants_health_once_set_up(member_clients, tenant):
    admin_client = member_clients["admin"]
    page = text(admin_client.get("/"))
    assert _steps(page) == {
        "departments": "yes",
        "touchpoints": "yes",
        "members": "yes",
        "promise": "no",
        "api_key": "no",
    }
    assert "3 of 5 steps done." in section(page, "setup")
    with tenant_context(tenant):
        department = Department.objects.get(slug="customer-service")
    promise_create(
        tenant=tenant, kind="customer", title="Fast refunds", statement="Within a week.", owner=department
    )
    key = api_key_create(tenant=tenant, name="Survey tool", scopes=["feedback:write"])

    page = text(admin_client.get("/"))
    assert section(page, "setup") == ""
    assert "All is well" in section(page, "health")

    # A revoked key is no key: the step is to do again.
    with tenant_context(tenant):
        ApiKey.objects.filter(pk=key.api_key.pk).update(revoked_at=timezone.now())
    assert _steps(text(admin_client.get("/")))["api_key"] == "no"


def _health_problems(tenant, now, *, n: int = 1) -> None:
    """Keys expiring soon, failed imports and e-mails not delivered (``n`` of each), and their
    harmless look-alikes that must not be listed."""
    for i in range(n):
        api_key_create(
            tenant=tenant, name=f"Helpdesk {i}", scopes=["feedback:write"], expires_at=now + timedelta(days=3)
        )
    api_key_create(
        tenant=tenant, name="Far off", scopes=["feedback:write"], expires_at=now + timedelta(days=40)
    )
    revoked = api_key_create(
        tenant=tenant, name="Revoked", scopes=["feedback:write"], expires_at=now + timedelta(days=2)
    )
    with tenant_context(tenant):
        ApiKey.objects.filter(pk=revoked.api_key.pk).update(revoked_at=now)
        for i in range(n):
            SignalImport.objects.create(
                kind="survey_responses",
                file_name=f"march-{i}.csv",
                content="x",
                status="failed",
                error="Bad header.",
            )
        SignalImport.objects.create(
            kind="survey_responses", file_name="april.csv", content="x", status="done"
        )
        old = SignalImport.objects.create(
            kind="survey_responses", file_name="ancient.csv", content="x", status="failed"
        )
        SignalImport.objects.filter(pk=old.pk).update(created_at=now - timedelta(days=40))
        for i in range(n):
            OutboxMessage.objects.create(
                kind="escalation",
                dedupe_key=f"e:{i}",
                to_email=f"lost{i}@acme.test",
                subject=f"Escalation {i} approved",
                message_id=f"<{i}@cxgov>",
                status="failed",
                attempts=8,
                last_error="Connection refused",
            )
        OutboxMessage.objects.create(
            kind="digest",
            dedupe_key="d:1",
            to_email="retry@acme.test",
            subject="Weekly digest",
            message_id="<d1@cxgov>",
            status="pending",
            attempts=2,
            last_error="Timeout",
        )
        OutboxMessage.objects.create(
            kind="digest", dedupe_key="d:2", to_email="fine@acme.test", subject="Delivered digest",
            message_id="<d2@cxgov>", status="sent", attempts=1,
        )  # fmt: skip


def test_the_admin_sees_what_needs_care(member_clients, tenant):
    _health_problems(tenant, timezone.now())
    health = section(text(member_clients["admin"].get("/")), "health")
    assert "API key expiring within 14 days" in health and "Helpdesk 0" in health
    assert "Far off" not in health and "Revoked" not in health
    assert "march-0.csv" in health and "april.csv" not in health and "ancient.csv" not in health
    assert (
        "Escalation 0 approved" in health
        and "lost0@acme.test" in health
        and "given up after 8 attempts" in health
    )
    assert "Weekly digest" in health and "failed 2 times, trying again" in health
    assert "Delivered digest" not in health


def test_an_admin_also_decides_every_departments_escalations_and_logs_stories(home, member_clients):
    page = text(member_clients["admin"].get("/"))
    assert count(page, "awaiting-count") == "2"
    at_risk = section(page, "at-risk")
    assert (
        "Promises at risk" in at_risk and "Hassle-free returns" in at_risk and "On-time delivery" in at_risk
    )
    assert "My stories" in section(page, "stories")
    assert section(page, "sign-offs") == ""  # sign-offs are the departments' managers'


# --- Viewer ---------------------------------------------------------------------------------------


def test_a_viewer_sees_the_companys_scores(home, member_clients):
    run = ScoreRun.objects.order_by("-as_of").first()
    runs = ScoreRun.objects.count()
    page = text(member_clients["viewer"].get("/"))
    assert ScoreRun.objects.count() == runs  # the stored run is read, never recomputed
    scores = section(page, "scores")
    assert "How we keep our promises" in scores
    assert f'id="home-score">{run.result["tenant"]["score"]:.2f}<' in scores
    table = re.search(r'<table[^>]*id="home-promises".*?</table>', scores, re.S).group(0)
    assert "Hassle-free returns" in table and "On-time delivery" in table
    for other in ("stories", "home-counts", "awaiting", "at-risk", "setup", "health"):
        assert section(page, other) == "", other


def test_a_viewer_before_the_first_scores(member_clients):
    scores = section(text(member_clients["viewer"].get("/")), "scores")
    assert "No scores yet." in scores


# --- Counts after a decision ---------------------------------------------------------------------


def test_a_decision_redraws_the_counts(home, member_clients):
    client = member_clients["manager"]
    first = Escalation.objects.get(title="Returns label never came")
    response = client.post(
        f"/escalations/{first.pk}/approve/", {"note": "", "next": "/"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "escalation-changed"
    assert '<span id="awaiting-count" hx-swap-oob="innerHTML">1</span>' in response.content.decode()

    counts = text(client.get("/home/counts/", HTTP_HX_REQUEST="true"))
    assert 'id="home-counts"' in counts and "<html" not in counts
    assert count(counts, "awaiting-count") == "1"
    assert count(counts, "owned-count") == "1"
    assert count(counts, "overdue-count") == "1"


def test_a_refused_decision_does_not_ask_for_new_counts(home, member_clients):
    first = Escalation.objects.get(title="Returns label never came")
    response = member_clients["manager"].post(
        f"/escalations/{first.pk}/reject/", {"note": "", "next": "/"}, HTTP_HX_REQUEST="true"
    )
    assert "HX-Trigger" not in response
    assert '<span id="awaiting-count" hx-swap-oob="innerHTML">2</span>' in response.content.decode()


def test_without_javascript_a_decision_on_the_home_page_comes_back_to_it(home, member_clients):
    first = Escalation.objects.get(title="Returns label never came")
    response = member_clients["manager"].post(f"/escalations/{first.pk}/approve/", {"note": "", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"


# --- Tenants stay apart ---------------------------------------------------------------------------


def test_another_tenants_rows_never_reach_the_home_page(home, member_clients, other_tenant):
    with tenant_context(other_tenant):
        employee = Membership.objects.get(user__email="employee@globex.test")
        touchpoint = Touchpoint.objects.get(slug="delivery")
        story = story_create(
            tenant=other_tenant, text="Globex story text.", occurred_at=timezone.now(), touchpoint=touchpoint,
            source=employee,
        )  # fmt: skip
        escalation_propose_from_story(
            tenant=other_tenant, story=story, actor=employee, severity="high", title="Globex escalation",
            department=Department.objects.get(slug="customer-service"),
        )  # fmt: skip
    for role in ROLES:
        page = text(member_clients[role].get("/"))
        assert "Globex" not in page, role
    assert count(text(member_clients["admin"].get("/")), "awaiting-count") == "2"
    # A member of globex is nobody on acme's address, counts included: told so, shown nothing.
    outsider = signed_in("acme", "manager@globex.test").get("/home/counts/")
    assert outsider.status_code == 403
    assert (
        "awaiting" not in outsider.content.decode() and "Globex escalation" not in outsider.content.decode()
    )


def test_the_counts_are_for_members_only(tenant):
    response = client_for("acme").get("/home/counts/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- Queries --------------------------------------------------------------------------------------


def _queries(client, path: str = "/") -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def _more(home: Home, n: int) -> None:
    """``n`` more of every row a home page lists."""
    scoring = home.scoring
    for i in range(n):
        touchpoint = touchpoint_create(tenant=scoring.tenant, name=f"Shop {i}", position=200 + i)
        story = _story(home, home.employee, f"Another story {i}.", touchpoint, [home.returns_promise])
        _escalate(scoring, story, home.employee, f"Another escalation {i}", overdue=i % 2 == 0)
        _at_risk(
            scoring, f"extra-{i}", f"Extra promise {i}", touchpoint=touchpoint, contributors=(scoring.cs,)
        )
        _in_review(scoring, f"Extra review {i}", touchpoint)
    Escalation.objects.filter(title__startswith="Another escalation 1").update(
        state="approved", owner=home.manager, resolution_due_at=timezone.now() + timedelta(days=1)
    )
    _health_problems(scoring.tenant, timezone.now(), n=n)
    scores_run(tenant=scoring.tenant, kind=ScoreRun.Kind.RECOMPUTE)


def test_each_roles_home_takes_a_fixed_number_of_queries(home, member_clients):
    for client in member_clients.values():
        client.get("/")  # what a first request alone does (the session's first read) is not counted
    few = {role: _queries(member_clients[role]) for role in ROLES}
    counts_few = _queries(member_clients["manager"], "/home/counts/")
    _more(home, 7)
    many = {role: _queries(member_clients[role]) for role in ROLES}
    assert many == few
    assert _queries(member_clients["manager"], "/home/counts/") == counts_few
    # The session, the member, then one query per list (its rows and total together; the open
    # follow-ups are one count; employees, managers and admins also see the open actions they own).
    assert many["viewer"] <= 7 and many["employee"] <= 13, many
    assert many["manager"] <= 17 and many["admin"] <= 18, many
