"""The escalation pages: escalate a story, the manager's inbox (htmx and without JavaScript),
the escalation page, "My stories", filters and CSV export, settings — per role and per tenant."""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.escalations.models import Escalation, EscalationSettings
from tenants.context import tenant_context
from tenants.models import Department, User
from tests.conftest import enrol_totp, make_tenant, signed_in
from tests.factories import tenant_state
from tests.feedback.escalations.test_escalations import member, move, propose, story


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def clients(escalations_world):
    enrol_totp(User.objects.get(email="admin@acme.test"))  # admins must have two-factor sign-in
    return {
        name: signed_in("acme", f"{name}@acme.test")
        for name in ("admin", "manager", "manager2", "employee", "employee2", "logistics", "viewer")
    }


def test_an_employee_escalates_their_story(escalations_world, clients):
    tenant = escalations_world
    logged = story(tenant, promise=False)
    page = text(clients["employee"].get(f"/stories/{logged.pk}/"))
    assert "Escalate this story" in page
    with tenant_context(tenant):
        service = Department.objects.get(slug="customer-service")
    response = clients["employee"].post(
        f"/stories/{logged.pk}/escalate/",
        {
            "title": "Refund stuck",
            "severity": "high",
            "department": service.pk,
            "description": "Three weeks.",
        },
    )
    with tenant_context(tenant):
        escalation = Escalation.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/escalations/{escalation.pk}/"
    assert escalation.proposed_by_id == member(tenant, "employee").pk and escalation.severity == "high"
    page = text(clients["employee"].get(f"/escalations/{escalation.pk}/"))
    assert "Refund stuck" in page and "The refund took three weeks." in page and "→ proposed" not in page
    # A colleague cannot escalate someone else's story (they cannot see it); a viewer may not at all.
    before = tenant_state(tenant)
    assert clients["employee2"].get(f"/stories/{logged.pk}/escalate/").status_code == 404
    assert clients["viewer"].get(f"/stories/{logged.pk}/escalate/").status_code == 403
    again = {"title": "Again", "severity": "high", "department": service.pk, "description": "x"}
    assert clients["employee2"].post(f"/stories/{logged.pk}/escalate/", again).status_code == 404
    assert clients["viewer"].post(f"/stories/{logged.pk}/escalate/", again).status_code == 403
    assert tenant_state(tenant) == before


def test_the_inbox_approves_inline_with_htmx(escalations_world, clients):
    tenant = escalations_world
    escalation = propose(tenant)
    inbox = text(clients["manager"].get("/escalations/inbox/"))
    assert escalation.title in inbox and "Awaiting my decision" in inbox
    response = clients["manager"].post(
        f"/escalations/{escalation.pk}/approve/", {"note": "On it."}, HTTP_HX_REQUEST="true"
    )
    row = text(response)
    assert response.status_code == 200 and 'id="escalation-' in row
    assert "Approved — owner manager@acme.test" in row
    with tenant_context(tenant):
        assert Escalation.objects.get().state == "approved"
    assert escalation.title in text(clients["manager"].get("/escalations/inbox/"))  # now "Mine to resolve"


def test_rejecting_without_a_reason_says_so_inline_and_without_javascript(escalations_world, clients):
    tenant = escalations_world
    escalation = propose(tenant)
    row = text(
        clients["manager"].post(f"/escalations/{escalation.pk}/reject/", {"note": ""}, HTTP_HX_REQUEST="true")
    )
    assert "Say why it is rejected" in row
    response = clients["manager"].post(
        f"/escalations/{escalation.pk}/reject/",
        {"note": "Duplicate of another case.", "next": "/escalations/inbox/"},
    )
    assert response.status_code == 302 and response["Location"] == "/escalations/inbox/"
    with tenant_context(tenant):
        assert Escalation.objects.get().state == "rejected"


def test_the_inbox_holds_only_what_i_may_decide(escalations_world, clients):
    tenant = escalations_world
    own = propose(tenant, by="manager", text="Mine to propose.")
    theirs = propose(tenant, text="Employee's case.")
    manager_inbox = text(clients["manager"].get("/escalations/inbox/"))
    assert theirs.title in manager_inbox and own.title not in manager_inbox
    assert theirs.title not in text(clients["logistics"].get("/escalations/inbox/"))
    # Deciding anyway is refused with the reason; nothing changes.
    before = tenant_state(tenant)
    clients["logistics"].post(f"/escalations/{theirs.pk}/approve/", {"note": ""})
    page = text(clients["logistics"].get(f"/escalations/{theirs.pk}/", follow=True))
    assert "Only a manager of Customer Service or an admin" in page
    clients["manager"].post(f"/escalations/{own.pk}/approve/", {"note": ""})
    assert tenant_state(tenant) == before
    with tenant_context(tenant):
        assert set(Escalation.objects.values_list("state", flat=True)) == {"proposed"}
    assert clients["employee"].get("/escalations/inbox/").status_code == 403


def test_the_owner_resolves_and_the_employee_sees_the_outcome_on_my_stories(escalations_world, clients):
    tenant = escalations_world
    escalation = move(tenant, propose(tenant), "approve", "manager", owner=member(tenant, "employee2"))
    clients["employee2"].post(f"/escalations/{escalation.pk}/start/", {"note": ""})
    clients["employee2"].post(
        f"/escalations/{escalation.pk}/resolve/", {"note": "Refund sent with apologies."}
    )
    with tenant_context(tenant):
        assert Escalation.objects.get().state == "resolved"
    mine = text(clients["employee"].get("/stories/mine/"))
    assert (
        "Escalations from my stories" in mine and "Resolved" in mine and "Refund sent with apologies." in mine
    )
    page = text(clients["employee"].get(f"/escalations/{escalation.pk}/"))
    assert "Approved → In progress" in page and "In progress → Resolved" in page


def test_escalation_pages_answer_not_found_to_outsiders(escalations_world, clients):
    tenant = escalations_world
    escalation = propose(tenant)
    assert clients["employee2"].get(f"/escalations/{escalation.pk}/").status_code == 404
    assert clients["employee2"].post(f"/escalations/{escalation.pk}/approve/").status_code == 404
    other = make_tenant("globex", "Globex Bank")
    foreign = signed_in("globex", "manager@globex.test")
    assert foreign.get(f"/escalations/{escalation.pk}/").status_code == 404
    assert foreign.post(f"/escalations/{escalation.pk}/approve/").status_code == 404
    with tenant_context(other):
        assert not Escalation.objects.exists()


def test_comments(escalations_world, clients):
    tenant = escalations_world
    escalation = propose(tenant)
    clients["employee"].post(f"/escalations/{escalation.pk}/comment/", {"text": "The customer called again."})
    assert "The customer called again." in text(clients["manager"].get(f"/escalations/{escalation.pk}/"))


def test_filters_and_csv_export_for_managers_and_admins(escalations_world, clients):
    tenant = escalations_world
    first = propose(tenant, text="First case.")
    second = move(tenant, propose(tenant, text="Second case."), "approve", "manager")
    page = text(clients["manager"].get("/escalations/?state=approved"))
    assert second.title in page and first.title not in page
    response = clients["admin"].get("/escalations/export.csv?state=proposed")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [int(r["id"]) for r in rows] == [first.pk] and rows[0]["department"] == "customer-service"
    assert clients["employee"].get("/escalations/").status_code == 403
    assert clients["employee"].get("/escalations/export.csv").status_code == 403


def test_admins_change_the_settings(escalations_world, clients):
    tenant = escalations_world
    data = {
        "story_sentiment_threshold": "-0.5", "auto_from_breaches": "on", "critical_decision_hours": 2,
        "critical_resolution_hours": 24, "high_decision_hours": 24, "high_resolution_hours": 168,
        "medium_decision_hours": 48, "medium_resolution_hours": 336, "low_decision_hours": 72,
        "low_resolution_hours": 720, "admin_after_hours": 12, "auto_close_days": 7,
    }  # fmt: skip
    before = tenant_state(tenant)
    assert clients["manager"].post("/escalations/settings/", data).status_code == 403
    assert tenant_state(tenant) == before
    assert clients["admin"].post("/escalations/settings/", data).status_code == 302
    with tenant_context(tenant):
        saved = EscalationSettings.objects.get()
    assert (
        saved.auto_from_stories is False
        and saved.critical_decision_hours == 2
        and saved.admin_after_hours == 12
    )


def test_lists_take_a_constant_number_of_queries(escalations_world, clients):
    tenant = escalations_world

    def queries(path: str) -> int:
        client = clients["employee" if path == "/stories/mine/" else "manager"]
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for i in range(n):
            escalation = propose(tenant, text=f"Case {i}.")
            if i % 2:
                move(tenant, escalation, "approve", "manager")

    add(2)
    few = (queries("/escalations/inbox/"), queries("/escalations/"), queries("/stories/mine/"))
    add(6)
    many = (queries("/escalations/inbox/"), queries("/escalations/"), queries("/stories/mine/"))
    assert few == many


LONG_STORY = (
    "Very friendly courier but the parcel was left in the rain and the refund took three weeks to "
    "arrive after many calls to support that nobody answered at all in the end"
)


def test_titles_are_cut_at_words_and_the_history_names_its_states(escalations_world, clients):
    tenant = escalations_world
    logged = story(tenant, promise=False, text=LONG_STORY)
    words = set(LONG_STORY.split())
    form = clients["employee"].get(f"/stories/{logged.pk}/escalate/").content.decode()
    title = html.unescape(re.search(r'name="title" value="([^"]*)"', form).group(1))
    assert title.startswith("Customer story at Delivery: ") and title.endswith("…")
    assert set(title.removeprefix("Customer story at Delivery: ").removesuffix("…").split()) <= words
    # Lists shorten a long story at a word and keep the whole text in its title.
    mine = clients["employee"].get("/stories/mine/").content.decode()
    assert f'title="{LONG_STORY}"' in mine
    shown = re.search(rf'title="{LONG_STORY}">([^<]*)</a>', mine).group(1)
    assert shown.endswith("…") and set(shown.removesuffix("…").split()) <= words

    escalation = propose(tenant)
    for name in ("approve", "start", "resolve"):
        escalation = move(tenant, escalation, name, "manager")
    page = text(clients["manager"].get(f"/escalations/{escalation.pk}/"))
    assert "Approved → In progress" in page and "In progress → Resolved" in page
    assert "in_progress" not in page and "approved →" not in page


def test_people_are_named_by_their_name_and_by_e_mail_only_without_one(escalations_world, clients):
    tenant = escalations_world
    User.objects.filter(email="employee@acme.test").update(first_name="Erin", last_name="Employee")
    User.objects.filter(email="manager@acme.test").update(first_name="Max", last_name="Manager")
    named = propose(tenant, text="A named proposer.")
    nameless = propose(tenant, by="employee2", text="A proposer without a name.")

    inbox = text(clients["manager"].get("/escalations/inbox/"))
    assert named.title in inbox and nameless.title in inbox
    assert "by Erin Employee" in inbox and "employee@acme.test" not in inbox
    assert "by employee2@acme.test" in inbox  # no name: the address

    # Approved inline: the row names the owner.
    row = text(
        clients["manager"].post(f"/escalations/{named.pk}/approve/", {"note": ""}, HTTP_HX_REQUEST="true")
    )
    assert "Approved — owner Max Manager." in row

    page = text(clients["manager"].get(f"/escalations/{named.pk}/"))
    assert "by Erin Employee" in page and "employee@acme.test" not in page
    assert re.search(r'id="escalation-owner">\s*Max Manager<', page)
    assert "Max Manager" in text(clients["manager"].get("/escalations/?state=approved"))
    assert "owner Max Manager" in text(clients["employee"].get("/stories/mine/"))
