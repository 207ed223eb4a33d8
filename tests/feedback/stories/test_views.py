"""The story pages: log a story, my stories, all stories with filters and CSV export — per role."""

from __future__ import annotations

import csv
import html
import io
import re
import zoneinfo
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from feedback.signals.models import SourceKind
from feedback.stories.models import Story
from feedback.stories.services import story_create
from promises.commitments.services import commitment_create
from promises.models import Measure, Promise
from promises.services import promise_create
from tenants.context import tenant_context
from tenants.models import Department, Membership, Touchpoint, User
from tenants.services import touchpoint_create
from tests.conftest import signed_in
from tests.factories import tenant_state


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def stories_world(signals):
    """acme with touchpoints Delivery and Returns; "Easy returns" commits at Returns."""
    tenant = signals
    returns = touchpoint_create(tenant=tenant, name="Returns", position=20)
    with tenant_context(tenant):
        promise = promise_create(
            tenant=tenant,
            kind=Promise.Kind.CUSTOMER,
            title="Easy returns",
            statement="Send it back without a form.",
            owner=Department.objects.get(slug="customer-service"),
        )
        commitment_create(
            tenant=tenant,
            promise=promise,
            measure=Measure.objects.get(key="csat"),
            touchpoint=returns,
            target=80,
        )
    return tenant


def member(tenant, role: str) -> Membership:
    with tenant_context(tenant):
        return Membership.objects.get(user__email=f"{role}@{tenant.slug}.test")


def log(tenant, role: str, text_: str = "The courier was friendly and early.", **extra) -> Story:
    with tenant_context(tenant):
        return story_create(
            tenant=tenant,
            text=text_,
            occurred_at=extra.pop("occurred_at", timezone.now() - timedelta(hours=1)),
            touchpoint=extra.pop("touchpoint", None) or Touchpoint.objects.get(slug="delivery"),
            source=member(tenant, role),
            **extra,
        )


# --- Logging a story --------------------------------------------------------------------------


def test_the_form_suggests_promises_committed_at_the_chosen_touchpoint(stories_world, member_clients):
    with tenant_context(stories_world):
        returns = Touchpoint.objects.get(slug="returns")
    page = text(member_clients["employee"].get("/stories/new/"))
    assert "Log a customer story" in page and "(suggested)" not in page
    assert page.index("Delivery") < page.index("Returns")  # journey order
    page = text(member_clients["employee"].get(f"/stories/new/?touchpoint={returns.pk}"))
    assert "Easy returns (suggested)" in page
    assert page.index("Easy returns (suggested)") < page.index("Fast refunds")
    # Without JavaScript, "Suggest promises" reloads the form with what was typed so far.
    redrawn = member_clients["employee"].get(
        f"/stories/new/?touchpoint={returns.pk}&text=Half+typed&form_token=5f0c6c52-64c5-4b7a-9a39-1c2f3d4e5f60"
    )
    assert "Half typed" in text(redrawn) and 'value="5f0c6c52-64c5-4b7a-9a39-1c2f3d4e5f60"' in text(redrawn)
    # The default time is now, in the tenant's time zone (Europe/Berlin).
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    now = timezone.localtime(timezone.now(), berlin)
    html_ = member_clients["employee"].get("/stories/new/").content.decode()
    assert any(f'value="{(now - timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M")}"' in html_ for m in (0, 1))


def test_an_employee_logs_a_story_and_sees_its_sentiment(stories_world, member_clients):
    client = member_clients["employee"]
    page = client.get("/stories/new/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    with tenant_context(stories_world):
        returns = Touchpoint.objects.get(slug="returns")
        promise = Promise.objects.get(title="Easy returns")
    data = {
        "text": "Terrible: the parcel arrived broken and nobody answered the phone.",
        "occurred_at": "2026-01-10T09:30",
        "touchpoint": returns.pk,
        "promises": [promise.pk],
        "severity": "high",
        "segment": "premium",
        "form_token": token,
    }
    response = client.post("/stories/new/", data)
    with tenant_context(stories_world):
        story = Story.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/stories/{story.pk}/"
        assert (
            story.source_kind == SourceKind.MEMBER and story.source_id == member(stories_world, "employee").pk
        )
        assert (
            story.channel == Story.Channel.WEB_FORM
            and story.severity == "high"
            and story.segment == "premium"
        )
        assert list(story.promises.all()) == [promise]
        assert story.sentiment < -0.05
        # 09:30 in Berlin (winter) is 08:30 UTC.
        assert story.occurred_at.astimezone(timezone.get_fixed_timezone(0)).strftime("%H:%M") == "08:30"
    page = text(client.get(response["Location"]))
    assert "Story logged" in page and "negative" in page and f"{story.sentiment:+.2f}" in page
    assert "Easy returns" in page
    assert "Web form by employee@acme.test," in page  # a member without a name: the address
    User.objects.filter(email="employee@acme.test").update(first_name="Erin", last_name="Employee")
    assert "Web form by Erin Employee," in text(client.get(response["Location"]))
    assert "Erin Employee" in text(member_clients["manager"].get("/stories/"))


def test_a_double_submitted_form_creates_one_story(stories_world, member_clients):
    client = member_clients["employee"]
    page = client.get("/stories/new/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    with tenant_context(stories_world):
        delivery = Touchpoint.objects.get(slug="delivery")
    data = {"text": "Lovely service.", "occurred_at": "2026-01-10T09:30", "touchpoint": delivery.pk}
    first = client.post("/stories/new/", {**data, "form_token": token, "severity": "low"})
    second = client.post("/stories/new/", {**data, "form_token": token, "severity": "low"})
    assert first["Location"] == second["Location"]
    with tenant_context(stories_world):
        assert Story.objects.count() == 1
    # A fresh form (new token) is a new story.
    token2 = re.search(
        r'name="form_token" value="([^"]+)"', client.get("/stories/new/").content.decode()
    ).group(1)
    assert token2 != token
    client.post("/stories/new/", {**data, "form_token": token2, "severity": "low"})
    with tenant_context(stories_world):
        assert Story.objects.count() == 2


def test_validation_messages_say_what_to_fix(stories_world, member_clients):
    client = member_clients["employee"]
    page = client.get("/stories/new/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    future = (timezone.now() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        "/stories/new/", {"text": "  ", "occurred_at": future, "form_token": token, "severity": "low"}
    )
    assert response.status_code == 200
    page = text(response)
    assert "Describe what happened: a sentence or two is enough." in page
    assert "Choose the touchpoint where it happened." in page
    assert "is in the future (more than 5 minutes ahead of the server" in page
    with tenant_context(stories_world):
        assert Story.objects.count() == 0


def test_a_viewer_cannot_log_or_see_stories(stories_world, member_clients):
    viewer = member_clients["viewer"]
    before = tenant_state(stories_world)
    assert viewer.get("/stories/new/").status_code == 403
    with tenant_context(stories_world):
        delivery = Touchpoint.objects.get(name="Delivery")
    story = {"text": "The refund took weeks", "occurred_at": "2026-01-05T10:00", "touchpoint": delivery.pk}
    assert viewer.post("/stories/new/", story).status_code == 403
    assert tenant_state(stories_world) == before
    assert viewer.get("/stories/mine/").status_code == 403
    assert viewer.get("/stories/").status_code == 403


def test_another_tenants_promise_or_touchpoint_is_not_a_choice(stories_world, other_tenant, member_clients):
    with tenant_context(other_tenant):
        foreign_touchpoint = Touchpoint.objects.get(slug="delivery")
    client = member_clients["employee"]
    token = re.search(
        r'name="form_token" value="([^"]+)"', client.get("/stories/new/").content.decode()
    ).group(1)
    response = client.post(
        "/stories/new/",
        {
            "text": "Fine.",
            "occurred_at": "2026-01-10T09:30",
            "touchpoint": foreign_touchpoint.pk,
            "form_token": token,
            "severity": "low",
        },
    )
    assert response.status_code == 200 and "Select a valid choice" in text(response)


# --- Reading stories --------------------------------------------------------------------------


def test_an_employee_sees_only_their_own_stories(stories_world, member_clients):
    own = log(stories_world, "employee", "My customer loved the quick delivery.")
    other = log(stories_world, "manager", "The manager's customer was angry.")
    client = member_clients["employee"]
    page = text(client.get("/stories/mine/"))
    assert "My customer loved" in page and "angry" not in page
    assert client.get(f"/stories/{own.pk}/").status_code == 200
    assert client.get(f"/stories/{other.pk}/").status_code == 404
    assert client.get("/stories/").status_code == 403
    assert client.get("/stories/export.csv").status_code == 403


def test_a_manager_sees_every_story_and_filters_them(stories_world, member_clients):
    with tenant_context(stories_world):
        returns = Touchpoint.objects.get(slug="returns")
        promise = Promise.objects.get(title="Easy returns")
    log(stories_world, "employee", "Wonderful, friendly and fast delivery.", severity="low")
    log(
        stories_world,
        "admin",
        "Awful return, broken label, rude staff.",
        touchpoint=returns,
        promises=[promise],
        severity="high",
    )
    log(stories_world, "manager", "Old story.", occurred_at=timezone.now() - timedelta(days=40))
    client = member_clients["manager"]
    page = text(client.get("/stories/"))
    assert "Wonderful" in page and "Awful" in page and "Old story" in page
    assert "employee@acme.test" in page
    assert client.get("/stories/999999/").status_code == 404
    page = text(client.get("/stories/?touchpoint=returns"))
    assert "Awful" in page and "Wonderful" not in page
    page = text(client.get(f"/stories/?promise={promise.slug}"))
    assert "Awful" in page and "Wonderful" not in page
    page = text(client.get("/stories/?sentiment_min=0.1"))
    assert "Wonderful" in page and "Awful" not in page
    page = text(client.get("/stories/?sentiment_max=-0.1&severity=high"))
    assert "Awful" in page and "Wonderful" not in page
    since = (timezone.now() - timedelta(days=7)).date().isoformat()
    page = text(client.get(f"/stories/?date_from={since}"))
    assert "Old story" not in page and "Wonderful" in page
    page = text(client.get("/stories/?sentiment_min=0.5&sentiment_max=-0.5"))
    assert "The upper bound is below the lower one" in page


def test_a_manager_exports_the_filtered_stories_as_csv(stories_world, member_clients):
    with tenant_context(stories_world):
        returns = Touchpoint.objects.get(slug="returns")
        promise = Promise.objects.get(title="Easy returns")
    log(stories_world, "employee", "Wonderful, friendly and fast delivery.")
    log(stories_world, "employee", "=Awful return.", touchpoint=returns, promises=[promise])
    client = member_clients["manager"]
    assert (
        "/stories/export.csv?touchpoint=returns"
        in client.get("/stories/?touchpoint=returns").content.decode()
    )
    response = client.get("/stories/export.csv?touchpoint=returns")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert len(rows) == 1
    assert rows[0]["touchpoint"] == "returns" and rows[0]["promises"] == promise.slug
    assert rows[0]["text"] == "'=Awful return." and rows[0]["sentiment_label"] == "negative"
    everything = b"".join(client.get("/stories/export.csv").streaming_content).decode()
    assert len(list(csv.DictReader(io.StringIO(everything)))) == 2


def test_story_lists_take_a_constant_number_of_queries(stories_world, member_clients):
    with tenant_context(stories_world):
        promise = Promise.objects.get(title="Easy returns")
    client = member_clients["manager"]

    def queries(path: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    roles = ["employee", "manager", "admin"]
    for n in range(3):
        log(stories_world, roles[n % 3], f"Story {n}", promises=[promise])
    few = (queries("/stories/"), queries("/stories/mine/"))
    for n in range(3, 20):
        log(stories_world, roles[n % 3], f"Story {n}", promises=[promise])
    many = (queries("/stories/"), queries("/stories/mine/"))
    assert few == many


def test_another_tenants_story_is_not_found(stories_world, other_tenant, member_clients):
    foreign = log(other_tenant, "manager", "Globex story.")
    for role in ("admin", "manager"):
        assert member_clients[role].get(f"/stories/{foreign.pk}/").status_code == 404
    page = text(member_clients["admin"].get("/stories/"))
    assert "Globex story" not in page
    export = b"".join(member_clients["admin"].get("/stories/export.csv").streaming_content).decode()
    assert "Globex story" not in export


def test_the_navbar_links_to_the_story_pages_by_role(stories_world, member_clients):
    employee = text(member_clients["employee"].get("/stories/mine/"))
    assert 'href="/stories/new/"' in member_clients["employee"].get("/stories/mine/").content.decode()
    assert "Log a story" in employee
    manager_html = member_clients["manager"].get("/stories/").content.decode()
    assert 'href="/stories/"' in manager_html and 'href="/signals/import/"' not in manager_html
    admin_html = member_clients["admin"].get("/stories/").content.decode()
    assert 'href="/signals/import/"' in admin_html
    viewer = signed_in("acme", "viewer@acme.test").get("/").content.decode()
    assert 'href="/stories/new/"' not in viewer
