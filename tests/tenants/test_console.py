"""The tenant admin console, joining by invitation, the own account, and the app shell.

Every test drives the real pages through the test client (middleware, permission table,
CSRF-free client, row-level security as the application role) and checks what happened:
rows, responses, e-mails, audit trail entries.
"""

from __future__ import annotations

import hashlib
import re
import threading
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import (
    ApiKey,
    AuditEvent,
    Department,
    Invitation,
    Membership,
    MembershipDepartment,
    Tenant,
    Touchpoint,
    User,
)
from tenants.services import (
    api_key_create,
    department_create,
    invitation_create,
    member_add,
    member_set_active,
    member_update,
    touchpoint_create,
)
from tests.conftest import TEST_PASSWORD, client_for, enrol_totp, signed_in
from tests.factories import tenant_state

LIST_PAGES = [
    "/admin/settings/",
    "/admin/departments/",
    "/admin/touchpoints/",
    "/admin/members/",
    "/admin/members/invite/",
    "/admin/api-keys/",
    "/admin/api-keys/new/",
    "/admin/audit/",
]
# Pages about one row: "{department}" etc. are filled with acme's own ids.
OBJECT_PAGES = [
    "/admin/departments/{department}/edit/",
    "/admin/departments/{department}/delete/",
    "/admin/touchpoints/{touchpoint}/edit/",
    "/admin/touchpoints/{touchpoint}/delete/",
    "/admin/members/{member}/",
    "/admin/api-keys/{api_key}/revoke/",
]


# --- helpers ---------------------------------------------------------------------------------


def reauthenticate(client) -> None:
    """Enter the password again, as allauth's re-authentication page asks (fresh for 5 minutes)."""
    response = client.post("/accounts/reauthenticate/", {"password": TEST_PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.fixture
def admin(member_clients):
    """Acme's admin (TOTP enrolled), having just re-entered their password."""
    client = member_clients["admin"]
    reauthenticate(client)
    return client


def ids(tenant: Tenant) -> dict[str, int]:
    """One row id of each kind in ``tenant`` (creating an API key if it has none)."""
    with tenant_context(tenant):
        if not ApiKey.objects.exists():
            api_key_create(tenant=tenant, name="Survey tool", scopes=["feedback:write"])
        return {
            "department": Department.objects.get(name="Customer Service").pk,
            "touchpoint": Touchpoint.objects.get(name="Delivery").pk,
            "member": Membership.objects.get(user__email=f"viewer@{tenant.slug}.test").pk,
            "api_key": ApiKey.objects.first().pk,
        }


def events(tenant: Tenant, **filters) -> list[AuditEvent]:
    with tenant_context(tenant):
        return list(AuditEvent.objects.filter(**filters).order_by("id"))


def membership(tenant: Tenant, email: str) -> Membership:
    with tenant_context(tenant):
        return Membership.objects.select_related("user").get(user__email=email)


def text(response) -> str:
    return response.content.decode()


# --- the app shell ---------------------------------------------------------------------------


def test_pages_use_the_vendored_bootstrap_and_htmx_and_no_cdn(member_clients):
    page = text(member_clients["employee"].get("/"))
    assert "/static/vendor/bootstrap/css/bootstrap.min.css" in page
    assert "/static/vendor/bootstrap/js/bootstrap.bundle.min.js" in page
    assert "/static/vendor/htmx/htmx.min.js" in page
    assert "hx-headers" in page and "X-CSRFToken" in page
    assert "cdn" not in page.lower() and "https://" not in page


def test_vendored_files_are_served(db):
    for path in (
        "/static/cxgov/app.css",
        "/static/vendor/bootstrap/css/bootstrap.min.css",
        "/static/vendor/bootstrap/js/bootstrap.bundle.min.js",
        "/static/vendor/htmx/htmx.min.js",
    ):
        assert client_for("acme").get(path).status_code == 200, path


def test_admin_menu_is_shown_to_admins_only(member_clients):
    admin_page = text(member_clients["admin"].get("/"))
    for link in (
        "/admin/settings/",
        "/admin/departments/",
        "/admin/touchpoints/",
        "/admin/members/",
        "/admin/api-keys/",
        "/admin/audit/",
    ):
        assert f'href="{link}"' in admin_page
    assert "Set up Acme Retail" in admin_page
    for role in ("manager", "employee", "viewer"):
        page = text(member_clients[role].get("/"))
        assert "/admin/" not in page and "Set up Acme Retail" not in page
        # Every member has the account menu: account, two-factor, sign out (a POST form).
        assert 'href="/account/"' in page and 'href="/accounts/2fa/"' in page
        assert re.search(r'<form method="post" action="/accounts/logout/">', page)


def test_messages_are_bootstrap_alerts(admin):
    response = admin.post("/admin/departments/", {"name": "Logistics"}, follow=True)
    assert 'class="alert alert-success' in text(response)
    assert "Department “Logistics” added." in text(response)


def test_account_page_shows_the_member_and_links_to_password_and_two_factor(member_clients):
    response = member_clients["manager"].get("/account/")
    page = text(response)
    assert response.status_code == 200
    for expected in (
        "manager@acme.test",
        "Manager",
        "Customer Service",
        "Acme Retail",
        'href="/accounts/password/change/"',
        'href="/accounts/2fa/"',
    ):
        assert expected in page
    assert client_for("acme").get("/account/")["Location"] == "/accounts/login/?next=/account/"


def test_unknown_object_answers_with_a_not_found_page(admin):
    response = admin.get("/admin/departments/999999/edit/")
    assert response.status_code == 404
    assert "There is nothing here" in text(response)


# --- who may open the console ----------------------------------------------------------------


# What each console page must show: its heading, then what it is about (acme's own rows and
# the form's submit button); a page that renders but lost its content fails here.
CONSOLE_PAGE_CONTENT = {
    "/admin/settings/": ("Settings", ["acme.localhost", 'value="Acme Retail"', "Save settings"]),
    "/admin/departments/": ("Departments", ["Customer Service", "Rename Customer Service", "Add department"]),
    "/admin/touchpoints/": ("Touchpoints", ["Delivery", "Move Delivery earlier", "Add touchpoint"]),
    "/admin/members/": (
        "Members",
        ["admin@acme.test", "employee@acme.test", "manager@acme.test", "Manage viewer@acme.test"],
    ),
    "/admin/members/invite/": ("Invite a person", ["Customer Service", "Send invitation"]),
    "/admin/api-keys/": ("API keys", ["Survey tool", "feedback:write", "Create an API key"]),
    "/admin/api-keys/new/": ("Create an API key", ["Push feedback", "Read alignment scores", "Create key"]),
    "/admin/audit/": (
        "Audit log",
        [
            "admin@acme.test",
            "Survey tool",
            "created the API key “Survey tool”",
            "created the department “Customer Service”.",
        ],
    ),
    "/admin/departments/{department}/edit/": (
        "Rename “Customer Service”",
        ['value="Customer Service"', "Save name"],
    ),
    "/admin/departments/{department}/delete/": (
        "Delete the department “Customer Service”?",
        ["Its 2 active members will no longer belong to it", "Delete department"],
    ),
    "/admin/touchpoints/{touchpoint}/edit/": ("Edit “Delivery”", ['value="Delivery"', "Save touchpoint"]),
    "/admin/touchpoints/{touchpoint}/delete/": (
        "Delete the touchpoint “Delivery”?",
        ["It leaves the customer journey", "Delete touchpoint"],
    ),
    "/admin/members/{member}/": (
        "viewer@acme.test",
        ["viewer@acme.test · Viewer · active", "Save role and departments", "Deactivate viewer@acme.test"],
    ),
    "/admin/api-keys/{api_key}/revoke/": ("Revoke the API key “Survey tool”", ["Revoke key"]),
}


def test_every_console_page_has_its_expected_content():
    assert set(CONSOLE_PAGE_CONTENT) == set(LIST_PAGES + OBJECT_PAGES)


@pytest.mark.parametrize("path", LIST_PAGES + OBJECT_PAGES)
def test_admin_opens_every_console_page(member_clients, tenant, other_tenant, path):
    response = member_clients["admin"].get(path.format(**ids(tenant)))
    assert response.status_code == 200
    page = text(response)
    main = page[page.index("<main") : page.index("</main>")]
    heading, expected = CONSOLE_PAGE_CONTENT[path]
    [h1] = re.findall(r"<h1[^>]*>(.*?)</h1>", main, re.S)
    assert re.sub(r"<[^>]+>", "", h1).startswith(heading)
    plain = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))  # what a reader sees
    for snippet in expected:
        assert snippet in main or snippet in plain, f"{path} lacks {snippet!r}"
    # The console's menu marks the page's section; nothing of the other tenant shows.
    assert 'aria-current="page"' in main
    assert "globex" not in page.lower()


@pytest.mark.parametrize("role", ["manager", "employee", "viewer"])
@pytest.mark.parametrize("path", LIST_PAGES + OBJECT_PAGES)
def test_other_roles_are_refused_with_a_page_that_says_what_is_missing(member_clients, tenant, role, path):
    response = member_clients[role].get(path.format(**ids(tenant)))
    assert response.status_code == 403
    page = text(response)
    assert "You can't do this here" in page
    assert "is for admin only" in page and f"your role in Acme Retail is {role}" in page
    assert "ask one of your company's cxgov admins" in page


@pytest.mark.parametrize("path", LIST_PAGES + OBJECT_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(tenant, path):
    path = path.format(**ids(tenant))
    response = client_for("acme").get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


def test_other_roles_cannot_write_either(member_clients, tenant):
    refs = ids(tenant)
    client = member_clients["manager"]
    attempts = [
        ("/admin/settings/", {"name": "Hacked", "time_zone": "UTC"}),
        ("/admin/departments/", {"name": "Shadow IT"}),
        (f"/admin/departments/{refs['department']}/delete/", {}),
        ("/admin/touchpoints/", {"name": "Backdoor"}),
        (f"/admin/touchpoints/{refs['touchpoint']}/move/", {"direction": "down"}),
        ("/admin/members/invite/", {"email": "friend@example.com", "role": "admin"}),
        (f"/admin/members/{refs['member']}/", {"role": "admin"}),
        (f"/admin/members/{refs['member']}/active/", {"active": "0"}),
        ("/admin/api-keys/new/", {"name": "Mine", "scopes": ["scores:read"]}),
        (f"/admin/api-keys/{refs['api_key']}/revoke/", {}),
    ]
    for path, data in attempts:
        assert client.post(path, data).status_code == 403, path
    tenant.refresh_from_db()
    assert tenant.name == "Acme Retail"
    with tenant_context(tenant):
        assert list(Department.objects.values_list("name", flat=True)) == ["Customer Service"]
        assert list(Touchpoint.objects.values_list("name", flat=True)) == ["Delivery"]
        assert not Invitation.objects.exists()
        assert Membership.objects.get(pk=refs["member"]).role == "viewer"
        assert Membership.objects.get(pk=refs["member"]).is_active
        assert ApiKey.objects.count() == 1 and ApiKey.objects.get().revoked_at is None
    assert len(events(tenant, action="permission.denied")) == len(attempts)


def test_action_endpoints_accept_only_post(admin, tenant):
    refs = ids(tenant)
    for path in (
        f"/admin/touchpoints/{refs['touchpoint']}/move/",
        f"/admin/members/{refs['member']}/active/",
    ):
        assert admin.get(path).status_code == 405


# --- settings --------------------------------------------------------------------------------


def test_settings_change_name_and_time_zone(admin, tenant):
    page = text(admin.get("/admin/settings/"))
    assert '<option value="Europe/Berlin" selected>' in page
    assert '<option value="America/New_York">' in page
    response = admin.post("/admin/settings/", {"name": "Acme Stores", "time_zone": "America/New_York"})
    assert response.status_code == 302 and response["Location"] == "/admin/settings/"
    tenant.refresh_from_db()
    assert (tenant.name, tenant.time_zone) == ("Acme Stores", "America/New_York")
    assert "Acme Stores" in text(admin.get("/"))


def test_settings_refuse_an_unknown_time_zone_and_say_what_to_do(admin, tenant):
    response = admin.post("/admin/settings/", {"name": "Acme", "time_zone": "Mars/Olympus_Mons"})
    assert response.status_code == 200
    page = text(response)
    assert "“Mars/Olympus_Mons” is not a known time zone; choose one from the list" in page
    assert "is-invalid" in page
    blank = admin.post("/admin/settings/", {"name": "", "time_zone": "UTC"})
    assert "This field is required." in text(blank)
    tenant.refresh_from_db()
    assert (tenant.name, tenant.time_zone) == ("Acme Retail", "Europe/Berlin")


def test_settings_change_the_pause_between_survey_links(admin, tenant):
    page = text(admin.get("/admin/settings/"))
    assert "Pause between two survey links of one respondent (days)" in page
    assert 'name="survey_suppression_days" value="90"' in page
    form = {"name": "Acme Retail", "time_zone": "Europe/Berlin"}
    assert admin.post("/admin/settings/", {**form, "survey_suppression_days": "30"}).status_code == 302
    tenant.refresh_from_db()
    assert tenant.survey_suppression_days == 30
    assert admin.post("/admin/settings/", {**form, "survey_suppression_days": "0"}).status_code == 302
    tenant.refresh_from_db()
    assert tenant.survey_suppression_days == 0
    for value, message in (
        ("-1", "The pause cannot be negative; enter 0 for no pause"),
        ("3651", "The pause is at most 3650 days (ten years)"),
        ("ninety", "Give the pause as a whole number of days, from 0 to 3650"),
    ):
        refused = admin.post("/admin/settings/", {**form, "survey_suppression_days": value})
        assert refused.status_code == 200
        assert message in text(refused)
    tenant.refresh_from_db()
    assert tenant.survey_suppression_days == 0


# --- departments -----------------------------------------------------------------------------


def test_departments_list_with_member_counts_and_an_empty_state(admin, tenant):
    page = text(admin.get("/admin/departments/"))
    # The manager and the employee belong to Customer Service.
    assert re.search(r"<td>Customer Service</td>\s*<td class=\"text-end\">2</td>", page)
    with tenant_context(tenant):
        Department.objects.all().delete()
    empty = text(admin.get("/admin/departments/"))
    assert "No departments yet." in empty and "Add the departments that deliver" in empty


def test_department_create_rename_delete_are_recorded(admin, tenant):
    assert admin.post("/admin/departments/", {"name": "  Logistics "}).status_code == 302
    with tenant_context(tenant):
        logistics = Department.objects.get(name="Logistics")
    admin_member = membership(tenant, "admin@acme.test")
    [insert] = events(tenant, action="insert", model="tenants.Department", object_id=str(logistics.pk))
    assert (insert.actor_kind, insert.actor_id, insert.actor_label) == (
        "member",
        admin_member.pk,
        "admin@acme.test",
    )
    assert insert.request_id and insert.changes["name"] == [None, "Logistics"]

    assert (
        admin.post(f"/admin/departments/{logistics.pk}/edit/", {"name": "Logistics & Returns"}).status_code
        == 302
    )
    [update] = events(tenant, action="update", model="tenants.Department", object_id=str(logistics.pk))
    assert update.changes == {"name": ["Logistics", "Logistics & Returns"]}

    confirm = admin.get(f"/admin/departments/{logistics.pk}/delete/")
    assert "Delete the department “Logistics &amp; Returns”?" in text(confirm)
    assert admin.post(f"/admin/departments/{logistics.pk}/delete/").status_code == 302
    with tenant_context(tenant):
        assert not Department.objects.filter(pk=logistics.pk).exists()
    assert events(tenant, action="delete", model="tenants.Department", object_id=str(logistics.pk))


def test_duplicate_department_name_is_refused_with_the_services_message(admin, tenant):
    response = admin.post("/admin/departments/", {"name": "customer service"})
    assert response.status_code == 200
    assert "A department named &#x27;customer service&#x27; already exists; choose another name." in text(
        response
    )
    with tenant_context(tenant):
        Department.objects.create(name="Logistics", slug="logistics")
        logistics = Department.objects.get(name="Logistics")
    rename = admin.post(f"/admin/departments/{logistics.pk}/edit/", {"name": "Customer Service"})
    assert "already exists; choose another name" in text(rename)
    with tenant_context(tenant):
        assert sorted(Department.objects.values_list("name", flat=True)) == ["Customer Service", "Logistics"]


def test_deleting_a_department_keeps_its_members(admin, tenant):
    refs = ids(tenant)
    confirm = text(admin.get(f"/admin/departments/{refs['department']}/delete/"))
    assert "Its 2 active members will no longer belong to it" in confirm
    admin.post(f"/admin/departments/{refs['department']}/delete/")
    with tenant_context(tenant):
        assert Membership.objects.filter(user__email="manager@acme.test", is_active=True).exists()
        assert not MembershipDepartment.objects.exists()


# --- touchpoints -----------------------------------------------------------------------------


def journey(tenant: Tenant) -> list[str]:
    with tenant_context(tenant):
        return list(Touchpoint.objects.order_by("position", "id").values_list("name", flat=True))


def test_touchpoint_create_edit_delete(admin, tenant):
    response = admin.post(
        "/admin/touchpoints/",
        {"name": "Website", "journey_stage": "consideration", "is_moment_of_truth": "on"},
    )
    assert response.status_code == 302
    assert journey(tenant) == ["Delivery", "Website"]
    with tenant_context(tenant):
        website = Touchpoint.objects.get(name="Website")
    assert (website.journey_stage, website.is_moment_of_truth) == ("consideration", True)
    assert events(tenant, action="insert", model="tenants.Touchpoint", object_id=str(website.pk))

    admin.post(f"/admin/touchpoints/{website.pk}/edit/", {"name": "Web shop", "journey_stage": "purchase"})
    with tenant_context(tenant):
        website.refresh_from_db()
    assert (website.name, website.journey_stage, website.is_moment_of_truth) == (
        "Web shop",
        "purchase",
        False,
    )
    [update] = events(tenant, action="update", model="tenants.Touchpoint", object_id=str(website.pk))
    assert update.changes["name"] == ["Website", "Web shop"]

    assert "Delete the touchpoint “Web shop”?" in text(admin.get(f"/admin/touchpoints/{website.pk}/delete/"))
    admin.post(f"/admin/touchpoints/{website.pk}/delete/")
    assert journey(tenant) == ["Delivery"]
    assert events(tenant, action="delete", model="tenants.Touchpoint", object_id=str(website.pk))


def test_touchpoint_validation_messages(admin, tenant):
    duplicate = admin.post("/admin/touchpoints/", {"name": "delivery"})
    assert "A touchpoint named &#x27;delivery&#x27; already exists; choose another name." in text(duplicate)
    bad_stage = admin.post("/admin/touchpoints/", {"name": "Store", "journey_stage": "teleport"})
    assert "Select a valid choice." in text(bad_stage)
    assert journey(tenant) == ["Delivery"]


def test_touchpoints_move_up_and_down_with_plain_posts(admin, tenant):
    with tenant_context(tenant):
        for name in ("Website", "Store"):
            touchpoint_create(tenant=tenant, name=name)
        store = Touchpoint.objects.get(name="Store")
    assert journey(tenant) == ["Delivery", "Website", "Store"]
    response = admin.post(f"/admin/touchpoints/{store.pk}/move/", {"direction": "up"})
    assert response.status_code == 302 and response["Location"] == "/admin/touchpoints/#journey"
    assert journey(tenant) == ["Delivery", "Store", "Website"]
    admin.post(f"/admin/touchpoints/{store.pk}/move/", {"direction": "up"})
    admin.post(f"/admin/touchpoints/{store.pk}/move/", {"direction": "up"})  # already first: stays
    assert journey(tenant) == ["Store", "Delivery", "Website"]
    admin.post(f"/admin/touchpoints/{store.pk}/move/", {"direction": "down"})
    assert journey(tenant) == ["Delivery", "Store", "Website"]
    admin.post(f"/admin/touchpoints/{store.pk}/move/", {"direction": "sideways"})
    assert journey(tenant) == ["Delivery", "Store", "Website"]
    assert events(tenant, action="update", model="tenants.Touchpoint")


def test_touchpoint_move_and_moment_of_truth_swap_the_list_with_htmx(admin, tenant):
    with tenant_context(tenant):
        website = touchpoint_create(tenant=tenant, name="Website")
    response = admin.post(
        f"/admin/touchpoints/{website.pk}/move/", {"direction": "up"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    fragment = text(response)
    assert fragment.startswith('<div id="journey"') and "<html" not in fragment
    assert fragment.index("Website") < fragment.index("Delivery")
    assert journey(tenant) == ["Website", "Delivery"]

    marked = admin.post(
        f"/admin/touchpoints/{website.pk}/moment-of-truth/",
        {"is_moment_of_truth": "on"},
        HTTP_HX_REQUEST="true",
    )
    assert "Unmark ★" in text(marked)
    with tenant_context(tenant):
        website.refresh_from_db()
    assert website.is_moment_of_truth
    admin.post(f"/admin/touchpoints/{website.pk}/moment-of-truth/", {})  # unmark, without htmx
    with tenant_context(tenant):
        website.refresh_from_db()
    assert not website.is_moment_of_truth


def test_touchpoints_page_forms_work_without_javascript(admin, tenant):
    page = text(admin.get("/admin/touchpoints/"))
    refs = ids(tenant)
    # Each htmx form is also a plain POST form to the same address.
    assert f'<form method="post" action="/admin/touchpoints/{refs["touchpoint"]}/move/" hx-post=' in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_touchpoints_empty_state_says_what_to_do(admin, tenant):
    with tenant_context(tenant):
        Touchpoint.objects.all().delete()
    assert "No touchpoints yet." in text(admin.get("/admin/touchpoints/"))


# --- members ---------------------------------------------------------------------------------


def test_members_list_shows_each_member(admin):
    page = text(admin.get("/admin/members/"))
    for expected in (
        "manager@acme.test",
        "employee@acme.test",
        "viewer@acme.test",
        "Customer Service",
        "Manager",
    ):
        assert expected in page
    assert "No pending invitations." in page


def add_members(tenant: Tenant, count: int) -> None:
    with tenant_context(tenant):
        departments = [department_create(tenant=tenant, name=f"Team {n}") for n in range(3)]
        for n in range(count):
            member_add(
                tenant=tenant,
                email=f"person{n:02}@acme.test",
                role="employee",
                departments=departments[: n % 3 + 1],
            )


def test_members_list_paginates_and_filters_by_role(admin, tenant):
    add_members(tenant, 30)  # 34 members in all
    first = text(admin.get("/admin/members/"))
    assert "Page 1 of 2" in first and "person20@acme.test" in first and "viewer@acme.test" not in first
    second = admin.get("/admin/members/?page=2")
    assert second.status_code == 200
    assert "viewer@acme.test" in text(second) and "person00@acme.test" not in text(second)
    managers = text(admin.get("/admin/members/?role=manager"))
    assert (
        "manager@acme.test" in managers
        and "person00@" not in managers
        and "employee@acme.test" not in managers
    )
    employees = admin.get("/admin/members/?role=employee&page=2")
    assert employees.context["page_obj"].paginator.count == 31
    assert "role=employee&amp;page=1" in text(employees)  # pagination keeps the filter
    none = text(admin.get("/admin/members/?status=inactive"))
    assert "No members match these filters." in none and "Clear the filters" in none


def query_count(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def add_invitations(tenant: Tenant, count: int) -> None:
    with tenant_context(tenant):
        departments = list(Department.objects.all())
        inviter = Membership.objects.get(user__email="admin@acme.test")
        for n in range(count):
            invitation_create(
                tenant=tenant,
                email=f"new{n}@example.com",
                role="viewer",
                departments=departments,
                invited_by=inviter,
                accept_url=str,
            )


def test_members_list_queries_do_not_grow_with_members(admin, tenant):
    add_invitations(tenant, 1)
    few = query_count(admin, "/admin/members/")  # 4 members, 1 invitation
    add_members(tenant, 30)
    add_invitations(tenant, 10)
    assert query_count(admin, "/admin/members/") == few


def test_invite_sends_an_email_with_the_link_and_lists_the_invitation(
    admin, tenant, django_capture_on_commit_callbacks
):
    refs = ids(tenant)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(
            "/admin/members/invite/",
            {"email": "New.Person@Example.com", "role": "employee", "departments": [refs["department"]]},
        )
    assert response.status_code == 302 and response["Location"] == "/admin/members/"
    [email] = mail.outbox
    assert email.to == ["new.person@example.com"]
    assert "Acme Retail" in email.subject
    assert re.search(r"http://acme\.localhost:8000/invitations/[\w-]+/", email.body)
    with tenant_context(tenant):
        invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.department_ids) == (
        "new.person@example.com",
        "employee",
        [refs["department"]],
    )
    [event] = events(tenant, action="member.invited")
    assert event.category == "security" and event.actor_label == "admin@acme.test"
    page = text(admin.get("/admin/members/"))
    assert "Pending invitations" in page and "new.person@example.com" in page


def test_invite_validation_bad_email_and_existing_member(admin, tenant):
    bad = admin.post("/admin/members/invite/", {"email": "not-an-address", "role": "employee"})
    assert bad.status_code == 200
    assert "Enter a complete e-mail address, such as jane.doe@example.com." in text(bad)
    existing = admin.post("/admin/members/invite/", {"email": "Viewer@acme.test", "role": "manager"})
    assert (
        "viewer@acme.test is already a member of Acme Retail; change their role on the members page instead."
        in text(existing)
    )
    bad_role = admin.post("/admin/members/invite/", {"email": "x@example.com", "role": "owner"})
    assert "Select a valid choice." in text(bad_role)
    assert not mail.outbox
    with tenant_context(tenant):
        assert not Invitation.objects.exists()


def test_change_role_and_departments(admin, tenant):
    refs = ids(tenant)
    page = text(admin.get(f"/admin/members/{refs['member']}/"))
    assert "Role and departments" in page and "Deactivate viewer@acme.test" in page
    response = admin.post(
        f"/admin/members/{refs['member']}/", {"role": "manager", "departments": [refs["department"]]}
    )
    assert response.status_code == 302
    viewer = membership(tenant, "viewer@acme.test")
    with tenant_context(tenant):
        assert viewer.role == "manager"
        assert list(viewer.departments.values_list("pk", flat=True)) == [refs["department"]]
    [event] = events(tenant, action="member.role_changed")
    assert event.detail == {"member": "viewer@acme.test", "from": "viewer", "to": "manager"}
    assert event.actor_label == "admin@acme.test"
    assert events(tenant, action="insert", model="tenants.MembershipDepartment")


def test_an_admin_cannot_change_their_own_role(admin, tenant):
    me = membership(tenant, "admin@acme.test")
    page = text(admin.get(f"/admin/members/{me.pk}/"))
    assert "This is your own membership: another admin must change your role" in page
    assert "Save role and departments" not in page  # the form is hidden...
    response = admin.post(f"/admin/members/{me.pk}/", {"role": "viewer"})  # ...and refused if sent anyway
    assert response.status_code == 200
    assert "You cannot change your own role; ask another admin." in text(response)
    assert membership(tenant, "admin@acme.test").role == "admin"
    refused = admin.post(f"/admin/members/{me.pk}/active/", {"active": "0"}, follow=True)
    assert "You cannot deactivate yourself; ask another admin." in text(refused)
    assert membership(tenant, "admin@acme.test").is_active


def test_deactivation_takes_effect_on_the_members_next_request(admin, member_clients, tenant):
    employee_client = member_clients["employee"]
    assert employee_client.get("/").status_code == 200
    employee = membership(tenant, "employee@acme.test")
    response = admin.post(f"/admin/members/{employee.pk}/active/", {"active": "0"})
    assert response.status_code == 302
    assert not membership(tenant, "employee@acme.test").is_active
    gone = employee_client.get("/")
    assert gone.status_code == 403 and "You are not a member of Acme Retail" in text(gone)
    assert [e.detail for e in events(tenant, action="member.deactivated")] == [
        {"member": "employee@acme.test"}
    ]
    assert "Inactive" in text(admin.get("/admin/members/?status=inactive"))

    admin.post(f"/admin/members/{employee.pk}/active/", {"active": "1"})
    assert membership(tenant, "employee@acme.test").is_active
    assert employee_client.get("/").status_code == 200
    assert events(tenant, action="member.reactivated")


def test_lowering_an_admins_role_takes_effect_at_once(admin, tenant):
    member_add(tenant=tenant, email="second-admin@acme.test", role="admin", password=TEST_PASSWORD)
    enrol_totp(User.objects.get(email="second-admin@acme.test"))
    second = signed_in("acme", "second-admin@acme.test")
    assert second.get("/admin/members/").status_code == 200
    target = membership(tenant, "second-admin@acme.test")
    admin.post(f"/admin/members/{target.pk}/", {"role": "employee"})
    assert membership(tenant, "second-admin@acme.test").role == "employee"
    assert second.get("/admin/members/").status_code == 403
    assert "/admin/" not in text(second.get("/"))


def _admin_states(tenant: Tenant) -> list[tuple[str, str, bool]]:
    with tenant_context(tenant):
        return list(
            Membership.objects.filter(role="admin")
            .order_by("user__email")
            .values_list("user__email", "role", "is_active")
        )


def _while_holding_a_change(tenant: Tenant, change, concurrent_request):
    """Run ``change()`` in an open transaction, send ``concurrent_request()`` (another thread,
    another database connection) before it commits, then commit; returns the request's answer.

    The transaction is held until the request either finished or waits for one of its locks,
    so the request can never have seen the change committed."""
    answers = []

    def request():
        try:
            answers.append(concurrent_request())
        finally:
            connections.close_all()

    with transaction.atomic(), tenant_context(tenant):
        change()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            [ours] = cursor.fetchone()
            thread = threading.Thread(target=request)
            thread.start()
            while thread.is_alive():
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND %s = ANY(pg_blocking_pids(pid))",
                    [ours],
                )
                if cursor.fetchone()[0]:
                    break
                thread.join(0.01)
    thread.join()
    [answer] = answers
    return answer


@pytest.fixture
def two_admins(transactional_db, tenant):
    """Acme with a second admin; both enrolled TOTP. Returns the second admin's client."""
    member_add(tenant=tenant, email="second-admin@acme.test", role="admin", password=TEST_PASSWORD)
    for email in ("admin@acme.test", "second-admin@acme.test"):
        enrol_totp(User.objects.get(email=email))
    second = signed_in("acme", "second-admin@acme.test")
    reauthenticate(second)
    return second


def test_the_last_admin_cannot_be_lowered(two_admins, tenant):
    """Two admins lower each other at the same moment: the first change wins, the second is
    refused with a clear message and changes nothing, so the tenant keeps an admin."""
    first, second = membership(tenant, "admin@acme.test"), membership(tenant, "second-admin@acme.test")
    response = _while_holding_a_change(
        tenant,
        lambda: member_update(
            tenant=tenant, membership=second, role="viewer", departments=[], changed_by=first
        ),
        lambda: two_admins.post(f"/admin/members/{first.pk}/", {"role": "viewer"}),
    )
    assert response.status_code == 200
    assert "admin@acme.test is the last active admin of this tenant: make someone else admin first" in text(
        response
    )
    assert _admin_states(tenant) == [("admin@acme.test", "admin", True)]
    assert membership(tenant, "second-admin@acme.test").role == "viewer"
    assert [e.detail["member"] for e in events(tenant, action="member.role_changed")] == [
        "second-admin@acme.test"
    ]


def test_the_last_admin_cannot_be_deactivated(two_admins, tenant):
    first, second = membership(tenant, "admin@acme.test"), membership(tenant, "second-admin@acme.test")
    response = _while_holding_a_change(
        tenant,
        lambda: member_set_active(tenant=tenant, membership=second, active=False, changed_by=first),
        lambda: two_admins.post(f"/admin/members/{first.pk}/active/", {"active": "0"}),
    )
    # Back to the member's page with the reason (the requester, deactivated meanwhile, is out
    # from their next request, so the message is read where the page would show it).
    assert response.status_code == 302 and response["Location"] == f"/admin/members/{first.pk}/"
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("admin@acme.test is the last active admin of this tenant")
    assert _admin_states(tenant) == [
        ("admin@acme.test", "admin", True),
        ("second-admin@acme.test", "admin", False),
    ]
    assert [e.detail["member"] for e in events(tenant, action="member.deactivated")] == [
        "second-admin@acme.test"
    ]


def test_adding_the_last_admin_again_with_another_role_is_refused(tenant):
    """``member_add`` (tenant set-up, demo seeding) cannot lower the last admin either."""
    before = _admin_states(tenant)
    with pytest.raises(DomainError, match="admin@acme.test is the last active admin"):
        member_add(tenant=tenant, email="admin@acme.test", role="viewer")
    assert _admin_states(tenant) == before == [("admin@acme.test", "admin", True)]
    assert events(tenant, action="update", model="tenants.Membership") == []


def test_member_forms_ignore_tenant_staff_and_superuser_and_refuse_other_tenants_departments(
    admin, tenant, other_tenant
):
    refs, theirs = ids(tenant), ids(other_tenant)
    response = admin.post(
        f"/admin/members/{refs['member']}/",
        {
            "role": "employee",
            "departments": [theirs["department"]],
            "tenant": other_tenant.pk,
            "is_staff": "on",
            "is_superuser": "on",
        },
    )
    assert response.status_code == 200
    assert "One of the chosen departments does not exist (any more)" in text(response)
    viewer = membership(tenant, "viewer@acme.test")
    assert viewer.role == "viewer"
    with tenant_context(tenant):
        assert not MembershipDepartment.objects.filter(membership=viewer).exists()

    admin.post(
        f"/admin/members/{refs['member']}/",
        {"role": "employee", "tenant": other_tenant.pk, "is_staff": "on", "is_superuser": "on", "user": 1},
    )
    viewer = membership(tenant, "viewer@acme.test")
    assert viewer.role == "employee" and viewer.tenant_id == tenant.pk
    assert viewer.user.email == "viewer@acme.test"
    assert (
        not User.objects.filter(is_staff=True).exists()
        and not User.objects.filter(is_superuser=True).exists()
    )
    with tenant_context(other_tenant):
        assert Membership.objects.get(pk=theirs["member"]).role == "viewer"
        assert not MembershipDepartment.objects.filter(membership__user__email="viewer@acme.test").exists()

    invite = admin.post(
        "/admin/members/invite/",
        {
            "email": "x@example.com",
            "role": "viewer",
            "departments": [theirs["department"]],
            "tenant": other_tenant.pk,
        },
    )
    assert "One of the chosen departments does not exist (any more)" in text(invite)
    admin.post(
        "/admin/members/invite/", {"email": "y@example.com", "role": "viewer", "tenant": other_tenant.pk}
    )
    with tenant_context(tenant):
        assert list(Invitation.objects.values_list("email", flat=True)) == ["y@example.com"]
    with tenant_context(other_tenant):
        assert not Invitation.objects.exists()
    admin.post("/admin/departments/", {"name": "Mine", "tenant": other_tenant.pk})
    with tenant_context(other_tenant):
        assert not Department.objects.filter(name="Mine").exists()
    with tenant_context(tenant):
        assert Department.objects.filter(name="Mine").exists()


# --- re-authentication -----------------------------------------------------------------------


@pytest.fixture
def stale_admin(tenant):
    """Acme's admin (TOTP enrolled) whose sign-in is older than 5 minutes."""
    enrol_totp(User.objects.get(email="admin@acme.test"))
    return signed_in("acme", "admin@acme.test", recently=False)


def test_sensitive_writes_demand_reauthentication_and_change_nothing(stale_admin, tenant):
    refs = ids(tenant)
    before = tenant_state(tenant)
    attempts = [
        ("/admin/api-keys/new/", {"name": "Helpdesk", "scopes": ["feedback:write"]}),
        (f"/admin/members/{refs['member']}/", {"role": "manager"}),
        (f"/admin/members/{refs['member']}/active/", {"active": "0"}),
    ]
    for path, data in attempts:
        assert stale_admin.get(path).status_code in (200, 405)  # the form itself may be shown
        response = stale_admin.post(path, data)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/reauthenticate/?next=")
    assert tenant_state(tenant) == before
    viewer = membership(tenant, "viewer@acme.test")
    assert (viewer.role, viewer.is_active) == ("viewer", True)
    with tenant_context(tenant):
        assert list(ApiKey.objects.values_list("name", flat=True)) == ["Survey tool"]
    assert [e.detail["name"] for e in events(tenant, action="api_key.created")] == ["Survey tool"]
    assert not events(tenant, action="member.role_changed")
    assert not events(tenant, action="member.deactivated")


def test_after_reauthenticating_the_suspended_write_is_completed(stale_admin, tenant):
    response = stale_admin.post("/admin/api-keys/new/", {"name": "Helpdesk", "scopes": ["feedback:write"]})
    assert response["Location"] == "/accounts/reauthenticate/?next=%2Fadmin%2Fapi-keys%2Fnew%2F"
    page = stale_admin.get(response["Location"])
    assert page.status_code == 200 and 'name="password"' in text(page)
    wrong = stale_admin.post(response["Location"], {"password": "not-my-password"})
    assert wrong.status_code == 200 and "is-invalid" in text(wrong)
    done = stale_admin.post(response["Location"], {"password": TEST_PASSWORD, "next": "/admin/api-keys/new/"})
    assert done.status_code == 302 and done["Location"] == "/admin/api-keys/new/"
    created = stale_admin.get(done["Location"])
    assert created.status_code == 200
    assert "Copy the key now: it will not be shown again." in text(created)
    with tenant_context(tenant):
        assert ApiKey.objects.filter(name="Helpdesk").count() == 1
    # What was sent is taken up once: the form's page is the form again.
    assert "Copy the key now" not in text(stale_admin.get("/admin/api-keys/new/"))
    with tenant_context(tenant):
        assert ApiKey.objects.filter(name="Helpdesk").count() == 1


# --- API keys --------------------------------------------------------------------------------


def test_api_key_secret_is_shown_once_and_only_its_hash_is_kept(admin, tenant):
    form = text(admin.get("/admin/api-keys/new/"))
    for scope, label in ApiKey.Scope.choices:
        assert f'value="{scope}"' in form and label in form
    response = admin.post(
        "/admin/api-keys/new/",
        {"name": "Helpdesk", "scopes": ["feedback:write", "scores:read"], "expires_on": "2099-12-31"},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = re.search(r'value="(cxg_[^"]+)"', text(response)).group(1)
    assert "it will not be shown again" in text(response)
    with tenant_context(tenant):
        key = ApiKey.objects.get(name="Helpdesk")
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.scopes == ["feedback:write", "scores:read"]
    assert key.expires_at == timezone.datetime(
        2100, 1, 1, tzinfo=__import__("zoneinfo").ZoneInfo("Europe/Berlin")
    )
    assert secret not in str(list(ApiKey.objects.unscoped().values_list()))
    for path in ("/admin/api-keys/", "/", "/admin/audit/", f"/admin/api-keys/{key.pk}/revoke/"):
        page = text(admin.get(path))
        assert secret not in page and secret[len(key.prefix) :] not in page
    listing = text(admin.get("/admin/api-keys/"))
    assert "Helpdesk" in listing and f"{key.prefix}…" in listing and "31 Dec 2099" not in listing
    [event] = events(tenant, action="api_key.created")
    assert event.detail["key"] == key.prefix and secret not in str(event.detail)
    assert not any(
        secret[len(key.prefix) :] in str(e.changes) for e in events(tenant, model="tenants.ApiKey")
    )


def test_api_key_form_validation(admin, tenant):
    none = admin.post("/admin/api-keys/new/", {"name": "Helpdesk"})
    assert "Choose at least one scope: what may the system do with this key?" in text(none)
    past = admin.post(
        "/admin/api-keys/new/", {"name": "Helpdesk", "scopes": ["scores:read"], "expires_on": "2001-01-01"}
    )
    assert "The expiry must be in the future, or empty for a key that does not expire." in text(past)
    unknown = admin.post("/admin/api-keys/new/", {"name": "Helpdesk", "scopes": ["root"]})
    assert "Select a valid choice." in text(unknown)
    with tenant_context(tenant):
        assert not ApiKey.objects.filter(name="Helpdesk").exists()


def test_api_key_revoke_after_confirmation(admin, tenant):
    refs = ids(tenant)
    confirm = text(admin.get(f"/admin/api-keys/{refs['api_key']}/revoke/"))
    assert "Revoke the API key “Survey tool”" in confirm
    response = admin.post(f"/admin/api-keys/{refs['api_key']}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/admin/api-keys/"
    with tenant_context(tenant):
        assert ApiKey.objects.get(pk=refs["api_key"]).revoked_at is not None
    assert [e.detail["name"] for e in events(tenant, action="api_key.revoked")] == ["Survey tool"]
    listing = text(admin.get("/admin/api-keys/"))
    assert "Revoked" in listing and f"/admin/api-keys/{refs['api_key']}/revoke/" not in listing


def test_api_keys_empty_state_and_pagination(admin, tenant):
    assert "No API keys yet." in text(admin.get("/admin/api-keys/"))
    with tenant_context(tenant):
        for n in range(27):
            api_key_create(tenant=tenant, name=f"System {n:02}", scopes=["scores:read"])
    second = admin.get("/admin/api-keys/?page=2")
    assert second.status_code == 200 and "Page 2 of 2" in text(second)
    assert "System 00" in text(second) and "System 26" not in text(second)


# --- the audit log ---------------------------------------------------------------------------


def test_audit_log_lists_newest_first_with_changes_and_request_id(admin, tenant):
    admin.post("/admin/departments/", {"name": "Logistics"}, HTTP_X_REQUEST_ID="req-audit-0001")
    response = admin.get("/admin/audit/")
    page = text(response)
    first = response.context["page_obj"][0]
    assert (first.action, first.model) == ("insert", "tenants.Department")
    assert "req-audit-0001" in page
    assert "admin@acme.test created the department “Logistics”." in page
    # The tenant's time zone: Berlin is UTC+1 or +2, never UTC itself.
    shown = timezone.localtime(first.occurred_at, __import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert shown.strftime("%H:%M:%S") in page
    assert "Times are in Europe/Berlin" in page


def test_audit_log_filters(admin, tenant):
    admin.post("/admin/departments/", {"name": "Logistics"})
    with tenant_context(tenant):
        key = api_key_create(tenant=tenant, name="Helpdesk", scopes=["scores:read"]).api_key
    admin_member = membership(tenant, "admin@acme.test")

    by_admin = admin.get(f"/admin/audit/?actor=member:{admin_member.pk}").context["page_obj"]
    assert by_admin.paginator.count >= 1
    assert {(e.actor_kind, e.actor_id) for e in by_admin} == {("member", admin_member.pk)}
    security = admin.get("/admin/audit/?category=security").context["page_obj"]
    assert {e.category for e in security} == {"security"}
    created = admin.get("/admin/audit/?action=api_key.created").context["page_obj"]
    assert [e.detail["key"] for e in created] == [key.prefix]
    assert admin.get(f"/admin/audit/?actor=api_key:{key.pk}").context["page_obj"].paginator.count == 0

    today = timezone.localdate(timezone=__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    in_range = admin.get(f"/admin/audit/?date_from={today}&date_to={today}").context["page_obj"]
    assert in_range.paginator.count == len(events(tenant))
    tomorrow = today + timedelta(days=1)
    future = admin.get(f"/admin/audit/?date_from={tomorrow}")
    assert future.context["page_obj"].paginator.count == 0
    assert "Nothing matches these filters." in text(future)
    backwards = admin.get(f"/admin/audit/?date_from={tomorrow}&date_to={today}")
    assert "The end date is before the start date" in text(backwards)
    unknown_actor = admin.get("/admin/audit/?actor=member:999999")
    assert "Select a valid choice." in text(unknown_actor)


def test_audit_log_paginates_50_per_page(admin, tenant):
    with tenant_context(tenant):
        for n in range(60):
            department_create(tenant=tenant, name=f"Team {n:02}")
    total = len(events(tenant))
    first = admin.get("/admin/audit/").context["page_obj"]
    assert len(first) == 50 and first.paginator.count == total
    second = admin.get("/admin/audit/?page=2").context["page_obj"]
    assert len(second) == min(50, total - 50)
    assert first[49].pk > second[0].pk


def test_audit_log_queries_do_not_grow_with_events(admin, tenant):
    few = query_count(admin, "/admin/audit/?category=data")
    with tenant_context(tenant):
        for n in range(30):
            department_create(tenant=tenant, name=f"Team {n:02}")
            api_key_create(tenant=tenant, name=f"System {n:02}", scopes=["scores:read"])
    assert query_count(admin, "/admin/audit/?category=data") == few
    assert query_count(admin, "/admin/audit/") == few


# --- cross-tenant ----------------------------------------------------------------------------


def test_another_tenants_ids_are_not_found_and_their_rows_unchanged(admin, tenant, other_tenant):
    theirs = ids(other_tenant)
    for path in OBJECT_PAGES:
        assert admin.get(path.format(**theirs)).status_code == 404, path
    writes = [
        ("/admin/departments/{department}/edit/", {"name": "Taken over"}),
        ("/admin/departments/{department}/delete/", {}),
        ("/admin/touchpoints/{touchpoint}/edit/", {"name": "Taken over"}),
        ("/admin/touchpoints/{touchpoint}/delete/", {}),
        ("/admin/touchpoints/{touchpoint}/move/", {"direction": "down"}),
        ("/admin/touchpoints/{touchpoint}/moment-of-truth/", {}),
        ("/admin/members/{member}/", {"role": "admin"}),
        ("/admin/members/{member}/active/", {"active": "0"}),
        ("/admin/api-keys/{api_key}/revoke/", {}),
    ]
    for path, data in writes:
        assert admin.post(path.format(**theirs), data).status_code == 404, path
    with tenant_context(other_tenant):
        assert Department.objects.get(pk=theirs["department"]).name == "Customer Service"
        touchpoint = Touchpoint.objects.get(pk=theirs["touchpoint"])
        assert (touchpoint.name, touchpoint.is_moment_of_truth) == ("Delivery", True)
        member = Membership.objects.get(pk=theirs["member"])
        assert (member.role, member.is_active) == ("viewer", True)
        assert ApiKey.objects.get(pk=theirs["api_key"]).revoked_at is None
        assert not AuditEvent.objects.filter(actor_label="admin@acme.test").exists()


def test_the_console_lists_only_this_tenants_rows(admin, tenant, other_tenant):
    with tenant_context(other_tenant):
        department_create(tenant=other_tenant, name="Globex Treasury")
        api_key_create(tenant=other_tenant, name="Globex Core Banking", scopes=["scores:read"])
    pages = "".join(text(admin.get(path)) for path in LIST_PAGES)
    assert "Globex" not in pages and "globex.test" not in pages


# --- joining by invitation -------------------------------------------------------------------


@pytest.fixture
def invite(admin, django_capture_on_commit_callbacks):
    """``invite(email, role, departments)`` through the console; returns the path of the e-mailed link."""

    def invite(email: str, role: str = "employee", departments=()) -> str:
        mail.outbox.clear()
        # The e-mail leaves after commit; the test's transaction never commits, so run it now.
        with django_capture_on_commit_callbacks(execute=True):
            response = admin.post(
                "/admin/members/invite/", {"email": email, "role": role, "departments": list(departments)}
            )
        assert response.status_code == 302, text(response)
        [email_message] = mail.outbox
        return re.search(r"http://acme\.localhost:8000(/invitations/[\w-]+/)", email_message.body).group(1)

    return invite


def test_a_new_person_accepts_sets_a_password_and_is_signed_in(invite, tenant):
    refs = ids(tenant)
    link = invite("newcomer@example.com", "manager", [refs["department"]])
    visitor = client_for("acme")
    page = visitor.get(link)
    assert page.status_code == 200
    assert "Join Acme Retail on cxgov" in text(page) and "manager" in text(page)
    assert "newcomer@example.com" in text(page)

    response = visitor.post(
        link,
        {
            "first_name": "Nia",
            "last_name": "Newcomer",
            "password1": "a-long-new-passphrase",
            "password2": "a-long-new-passphrase",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/"
    home = visitor.get("/")
    assert home.status_code == 200 and "newcomer@example.com" in text(home)
    user = User.objects.get(email="newcomer@example.com")
    assert user.check_password("a-long-new-passphrase") and user.get_full_name() == "Nia Newcomer"
    joined = membership(tenant, "newcomer@example.com")
    assert joined.role == "manager"
    with tenant_context(tenant):
        assert list(joined.departments.values_list("pk", flat=True)) == [refs["department"]]
        assert Invitation.objects.get().accepted_at is not None
    assert events(tenant, action="member.joined")
    assert [e.detail["email"] for e in events(tenant, action="login.succeeded")][-1] == "newcomer@example.com"

    again = client_for("acme").get(link)
    assert again.status_code == 410
    assert "This invitation has already been accepted. Sign in with your e-mail and password." in text(again)


def test_the_new_persons_password_is_checked(invite, tenant):
    link = invite("newcomer@example.com")
    visitor = client_for("acme")
    differ = visitor.post(
        link,
        {
            "first_name": "Nia",
            "last_name": "N",
            "password1": "a-long-new-passphrase",
            "password2": "another-long-passphrase",
        },
    )
    assert "The two passwords differ; type the same password twice." in text(differ)
    weak = visitor.post(
        link, {"first_name": "Nia", "last_name": "N", "password1": "12345", "password2": "12345"}
    )
    assert "This password is too short." in text(weak) and "This password is entirely numeric." in text(weak)
    missing = visitor.post(link, {"password1": "a-long-new-passphrase", "password2": "a-long-new-passphrase"})
    assert "This field is required." in text(missing)
    assert not User.objects.filter(email="newcomer@example.com").exists()
    with tenant_context(tenant):
        assert Invitation.objects.get().accepted_at is None


def test_expired_and_invalid_invitation_links_say_what_to_do(invite, tenant):
    link = invite("late@example.com")
    with tenant_context(tenant):
        Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    expired = client_for("acme").get(link)
    assert expired.status_code == 410
    assert "This invitation has expired. Ask your administrator to invite you again." in text(expired)
    post = client_for("acme").post(
        link,
        {
            "first_name": "L",
            "last_name": "L",
            "password1": "a-long-new-passphrase",
            "password2": "a-long-new-passphrase",
        },
    )
    assert post.status_code == 410 and not User.objects.filter(email="late@example.com").exists()
    invalid = client_for("acme").get("/invitations/not-a-real-token/")
    assert "This invitation link is not valid. Ask your administrator for a new invitation." in text(invalid)


def test_a_new_invitation_replaces_the_old_link(invite, tenant):
    old = invite("twice@example.com")
    new = invite("twice@example.com")
    assert "has expired" in text(client_for("acme").get(old))
    assert client_for("acme").get(new).status_code == 200


def test_an_invitation_link_works_only_on_its_tenants_address(invite, other_tenant):
    link = invite("newcomer@example.com")
    assert client_for("globex").get(link).status_code == 410
    assert client_for(None).get(link).status_code == 404


def test_a_person_with_a_login_elsewhere_accepts_with_one_button(invite, tenant, other_tenant):
    link = invite("viewer@globex.test", "viewer")
    visitor = client_for("acme")
    page = text(visitor.get(link))
    assert "You already use cxgov with this address" in page and 'name="password1"' not in page
    response = visitor.post(
        link, {"password1": "ignored-password-value", "password2": "ignored-password-value"}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert User.objects.get(email="viewer@globex.test").check_password(TEST_PASSWORD)
    assert membership(tenant, "viewer@globex.test").role == "viewer"
    signed = visitor.post("/accounts/login/", {"login": "viewer@globex.test", "password": TEST_PASSWORD})
    assert signed.status_code == 302
    assert visitor.get("/").status_code == 200


def test_a_signed_in_member_is_asked_to_sign_out_before_accepting(invite, member_clients, tenant):
    link = invite("newcomer@example.com")
    page = text(member_clients["employee"].get(link))
    assert "You are signed in here as employee@acme.test" in page and "sign out first" in page
    assert member_clients["employee"].post(link, {}).status_code == 200
    assert not User.objects.filter(email="newcomer@example.com").exists()


# --- django-allauth's pages in the app's look ------------------------------------------------


def test_sign_in_page_is_a_bootstrap_form_without_a_sign_up_link(tenant):
    page = text(client_for("acme").get("/accounts/login/"))
    assert "Sign in to Acme Retail" in page
    assert 'name="login"' in page and 'name="password"' in page and 'class="form-control' in page
    assert "/accounts/password/reset/" in page  # "Forgot your password?"
    assert "sign up" not in page.lower() and "/accounts/signup/" not in page
    failed = client_for("acme").post(
        "/accounts/login/", {"login": "employee@acme.test", "password": "nope-nope"}
    )
    assert "not correct" in text(failed) and "alert alert-danger" in text(failed)


def test_password_reset_page_sends_the_email(tenant):
    client = client_for("acme")
    assert 'name="email"' in text(client.get("/accounts/password/reset/"))
    response = client.post("/accounts/password/reset/", {"email": "employee@acme.test"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "employee@acme.test" in mail.outbox[0].to


def test_two_factor_activation_page_shows_the_qr_code_and_code_field(tenant):
    client = client_for("acme")
    client.post("/accounts/login/", {"login": "admin@acme.test", "password": TEST_PASSWORD})
    reauthenticate(client)
    response = client.get("/accounts/2fa/totp/activate/")
    page = text(response)
    assert response.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page and "cxgov-qr" in page
    assert 'name="code"' in page and 'id="authenticator_secret"' in page
    wrong = client.post("/accounts/2fa/totp/activate/", {"code": "000000"})
    assert "invalid-feedback" in text(wrong)


def test_reauthentication_and_two_factor_pages_render(member_clients):
    client = member_clients["admin"]
    assert 'name="password"' in text(client.get("/accounts/reauthenticate/"))
    index = text(client.get("/accounts/2fa/"))
    assert "Authenticator App" in index and 'class="card' in index
    assert "Change password" in text(client.get("/accounts/password/change/")) or "Change Password" in text(
        client.get("/accounts/password/change/")
    )


def _form_token(page: str) -> str:
    return re.search(r'name="form_token" value="([^"]+)"', page).group(1)


def test_an_api_key_form_sent_twice_creates_one_key_and_lands_on_the_list(admin, tenant):
    token = _form_token(text(admin.get("/admin/api-keys/new/")))
    data = {"name": "Helpdesk", "scopes": ["feedback:write"], "expires_on": "2099-12-31", "form_token": token}
    first = admin.post("/admin/api-keys/new/", data)
    assert first.status_code == 200 and "cxg_" in text(first)
    again = admin.post("/admin/api-keys/new/", data)
    assert again.status_code == 302 and again["Location"] == "/admin/api-keys/"
    assert "cxg_" not in text(again)
    messages = [str(m) for m in get_messages(again.wsgi_request)]
    assert any("already sent this form" in m for m in messages)
    with tenant_context(tenant):
        assert ApiKey.objects.filter(name="Helpdesk").count() == 1


def test_a_refused_api_key_form_can_be_corrected_and_sent_with_the_same_token(admin, tenant):
    token = _form_token(text(admin.get("/admin/api-keys/new/")))
    refused = admin.post("/admin/api-keys/new/", {"name": "Helpdesk", "form_token": token})
    assert refused.status_code == 200 and f'value="{token}"' in text(refused)
    corrected = admin.post(
        "/admin/api-keys/new/", {"name": "Helpdesk", "scopes": ["feedback:write"], "form_token": token}
    )
    assert corrected.status_code == 200 and "cxg_" in text(corrected)
    with tenant_context(tenant):
        assert ApiKey.objects.filter(name="Helpdesk").count() == 1


def test_an_invitation_sent_twice_is_sent_once(admin, tenant, django_capture_on_commit_callbacks):
    token = _form_token(text(admin.get("/admin/members/invite/")))
    data = {"email": "new.person@example.com", "role": "employee", "form_token": token}
    with django_capture_on_commit_callbacks(execute=True):
        first = admin.post("/admin/members/invite/", data)
        again = admin.post("/admin/members/invite/", data)
    assert first["Location"] == again["Location"] == "/admin/members/"
    assert len(mail.outbox) == 1
    with tenant_context(tenant):
        assert Invitation.objects.count() == 1
    assert len(events(tenant, action="member.invited")) == 1


def test_invitations_are_sent_by_the_web_process_where_the_banner_says(
    admin, tenant, django_capture_on_commit_callbacks
):
    from pathlib import Path

    from cxgov.launcher import emails_printed_to
    from tenants.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=True):
        admin.post("/admin/members/invite/", {"email": "new.person@example.com", "role": "employee"})
    # Sent by the request itself (the web process prints it), never queued for the worker.
    [email] = mail.outbox
    assert email.to == ["new.person@example.com"]
    with tenant_context(tenant):
        assert not OutboxMessage.objects.exists()
    note = emails_printed_to(Path("var/log"))
    assert "var/log/web.log (invitations" in note and "worker.log (escalations, digests)" in note
