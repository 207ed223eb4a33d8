"""The promise pages: registry, a promise's page, forms, transitions, measures — per role."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from promises.commitments.services import commitment_create, measures_ensure_builtin
from promises.models import Commitment, CommitmentVersion, Measure, Promise, SignOff
from promises.services import promise_create
from promises.signoffs.services import promise_submit
from tenants.context import tenant_context
from tenants.models import AuditEvent, Department
from tests.conftest import signed_in
from tests.factories import tenant_state
from tests.promises.conftest import World


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


@pytest.fixture
def clients(world: World, member_clients):
    return {
        **member_clients,
        "ops": signed_in("acme", "ops.manager@acme.test"),
        "mkt": signed_in("acme", "mkt.manager@acme.test"),
    }


def brand(world: World, title: str = "Shopping without the hassle") -> Promise:
    return promise_create(
        tenant=world.tenant,
        kind=Promise.Kind.BRAND,
        title=title,
        statement="Buying from us is easy from start to finish.",
        owner=world.mkt,
        actor=world.mkt_manager,
    )


def in_review(world: World) -> Promise:
    promise = world.customer_promise()
    return promise_submit(tenant=world.tenant, promise=promise, actor=world.ops_manager)


def fresh(world: World, promise: Promise) -> Promise:
    return Promise.objects.get(pk=promise.pk)


# --- Reading ----------------------------------------------------------------------------------


def test_every_role_reads_the_registry_grouped_brand_then_customer(world, clients):
    parent = brand(world)
    world.customer_promise(parent=parent)
    world.customer_promise(title="A human answers within 4 hours")
    for role in ("admin", "manager", "employee", "viewer"):
        page = text(clients[role].get("/promises/"))
        assert "Shopping without the hassle" in page and "Hassle-free returns" in page, role
        assert page.index("Shopping without the hassle") < page.index("Hassle-free returns")
        assert "Customer promises without a brand promise" in page
        assert "Operations" in page and "Customer Service" in page and "v1" in page
    assert "New promise" in text(clients["manager"].get("/promises/"))
    assert "New promise" not in text(clients["employee"].get("/promises/"))
    assert "New promise" not in text(clients["viewer"].get("/promises/"))


def test_the_registry_filters_by_status_department_and_touchpoint(world, clients):
    world.customer_promise()  # Operations + Customer Service, CSAT at Returns
    world.customer_promise(title="Fast delivery", owner=world.mkt, contributors=[], commitments=False)
    client = clients["viewer"]
    assert "Fast delivery" not in text(client.get("/promises/?department=operations"))
    assert "Hassle-free returns" in text(client.get("/promises/?department=customer-service"))
    by_touchpoint = text(client.get("/promises/?touchpoint=returns"))
    assert "Hassle-free returns" in by_touchpoint and "Fast delivery" not in by_touchpoint
    assert "No promise matches these filters." in text(client.get("/promises/?status=active"))


def test_an_empty_registry_says_what_to_do(world, clients):
    assert "No promises yet." in text(clients["manager"].get("/promises/"))
    assert "Managers and admins draft promises" in text(clients["viewer"].get("/promises/"))


def test_the_nav_links_promises_for_members_and_my_sign_offs_for_managers(world, clients):
    manager = text(clients["manager"].get("/"))
    assert 'href="/promises/"' in manager and 'href="/promises/sign-offs/"' in manager
    viewer = text(clients["viewer"].get("/"))
    assert 'href="/promises/"' in viewer and 'href="/promises/sign-offs/"' not in viewer


def test_the_detail_page_shows_commitments_versions_sign_offs_and_history(world, clients):
    promise = world.customer_promise()
    commitment_create(
        tenant=world.tenant,
        promise=promise,
        measure=world.measures["refund_processing"],
        target=Decimal(90),
        threshold_seconds=5 * 86400,
    )
    promise_submit(tenant=world.tenant, promise=promise, actor=world.ops_manager)
    page = text(clients["viewer"].get(f"/promises/{promise.pk}/"))
    assert "Send it back without a form" in page
    assert "CSAT" in page and "Returns" in page and "5 days" in page and "90 days" in page
    assert "round 1" in page and "Pending" in page and "In review" in page
    assert "Wording versions" in page and "History" in page
    # The history reads as sentences (tenants/audit_entries.py), not as raw rows ("update Promise").
    assert f"changed the promise “{promise.title}”: status from Draft to In review" in html.unescape(page)
    assert "update Promise" not in page and "in_review" not in page
    for button in ("Edit", "Add commitment", "Submit for sign-off", "Approve or request changes", "Retire"):
        assert f">{button}<" not in page, button


def test_employees_and_viewers_cannot_reach_the_forms_or_transitions(world, clients):
    draft = world.customer_promise()
    commitment = Commitment.objects.get(promise=draft)
    paths = [
        "/promises/new/",
        f"/promises/{draft.pk}/edit/",
        f"/promises/{draft.pk}/commitments/new/",
        f"/promises/{draft.pk}/commitments/{commitment.pk}/edit/",
        f"/promises/{draft.pk}/submit/",
        f"/promises/{draft.pk}/sign-off/",
        f"/promises/{draft.pk}/activate/",
        f"/promises/{draft.pk}/retire/",
        "/promises/sign-offs/",
    ]
    before = tenant_state(world.tenant)
    for role in ("employee", "viewer"):
        for path in paths:
            assert clients[role].get(path).status_code == 403, (role, path)
            assert clients[role].post(path, {}).status_code == 403, (role, path)
    assert Promise.objects.get(pk=draft.pk).status == Promise.Status.DRAFT
    # Overriding is the admins' alone; signing off the managers'.
    assert clients["manager"].post(f"/promises/{draft.pk}/activate/", {"reason": "x"}).status_code == 403
    assert clients["admin"].post(f"/promises/{draft.pk}/sign-off/", {}).status_code == 403
    assert tenant_state(world.tenant) == before


# --- The lifecycle through the pages ----------------------------------------------------------


def test_a_manager_drafts_adds_a_commitment_and_submits_then_managers_sign_off(
    world, clients, django_capture_on_commit_callbacks
):
    manager = clients["manager"]
    form = text(manager.get("/promises/new/"))
    assert "Create draft" in form
    response = manager.post(
        "/promises/new/",
        {
            "kind": "customer",
            "title": "A human answers within 4 hours",
            "statement": "Write to us any time: a person answers within 4 hours.",
            "owner": world.cs.pk,
            "contributors": [world.ops.pk],
            "weight": "2",
        },
    )
    promise = Promise.objects.get(title="A human answers within 4 hours")
    assert response.status_code == 302 and response["Location"] == f"/promises/{promise.pk}/"
    assert "Draft “A human answers within 4 hours” created." in text(manager.get(response["Location"]))

    response = manager.post(
        f"/promises/{promise.pk}/commitments/new/",
        {
            "measure": world.measures["first_response"].pk,
            "target": "95",
            "threshold_hours": "4",
            "window_days": "30",
            "min_sample": "5",
            "weight": "1",
        },
    )
    assert response.status_code == 302
    version = CommitmentVersion.objects.get(commitment__promise=promise)
    assert version.threshold_seconds == 4 * 3600 and version.window_days == 30
    assert "4 h" in text(manager.get(f"/promises/{promise.pk}/"))

    confirm = text(manager.get(f"/promises/{promise.pk}/submit/"))
    assert "Submit “A human answers within 4 hours” for sign-off?" in confirm
    assert Promise.objects.get(pk=promise.pk).status == Promise.Status.DRAFT  # GET only asks
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(f"/promises/{promise.pk}/submit/")
    assert response.status_code == 302
    assert "is in review" in text(manager.get(f"/promises/{promise.pk}/"))
    assert {address for m in mail.outbox for address in m.to} == {
        "manager@acme.test",
        "ops.manager@acme.test",
    }

    # The Ops manager sees it in their sign-offs.
    ops = clients["ops"]
    assert "A human answers within 4 hours" in text(ops.get("/promises/sign-offs/"))
    assert "Nothing waits for your sign-off." in text(clients["mkt"].get("/promises/sign-offs/"))
    assert "Approve or request changes" in text(ops.get(f"/promises/{promise.pk}/"))
    assert "Approve or request changes" not in text(clients["mkt"].get(f"/promises/{promise.pk}/"))

    assert ops.post(f"/promises/{promise.pk}/sign-off/", {"decision": "approve"}).status_code == 302
    assert Promise.objects.get(pk=promise.pk).status == Promise.Status.IN_REVIEW
    response = manager.post(f"/promises/{promise.pk}/sign-off/", {"decision": "approve"})
    assert response.status_code == 302
    page = text(manager.get(f"/promises/{promise.pk}/"))
    assert "Every department approved" in page and "Active" in page
    promise = Promise.objects.get(pk=promise.pk)
    assert promise.status == Promise.Status.ACTIVE
    assert CommitmentVersion.objects.get(commitment__promise=promise).effective_from == promise.activated_at

    statuses = [
        e.changes["status"]
        for e in AuditEvent.objects.filter(
            model="promises.Promise", object_id=str(promise.pk), action="update"
        ).order_by("id")
        if "status" in (e.changes or {})
    ]
    assert [s[1] for s in statuses] == ["in_review", "active"]
    assert AuditEvent.objects.filter(model="promises.SignOff", action="update").count() == 2

    # Retire, with a confirmation step.
    assert "Retire “A human answers within 4 hours”?" in text(manager.get(f"/promises/{promise.pk}/retire/"))
    assert manager.post(f"/promises/{promise.pk}/retire/").status_code == 302
    assert Promise.objects.get(pk=promise.pk).status == Promise.Status.RETIRED
    assert AuditEvent.objects.filter(
        model="promises.Promise", object_id=str(promise.pk), changes__status=["active", "retired"]
    ).exists()


def test_requesting_changes_needs_a_comment_and_sends_the_promise_back_to_draft(world, clients):
    promise = in_review(world)
    ops = clients["ops"]
    page = text(ops.post(f"/promises/{promise.pk}/sign-off/", {"decision": "request_changes"}))
    assert "a comment is required when requesting changes" in page
    assert fresh(world, promise).status == Promise.Status.IN_REVIEW
    response = ops.post(
        f"/promises/{promise.pk}/sign-off/", {"decision": "request_changes", "comment": "Say 5 working days."}
    )
    assert response.status_code == 302
    assert fresh(world, promise).status == Promise.Status.DRAFT
    page = text(ops.get(f"/promises/{promise.pk}/"))
    assert "back in draft" in page and "Say 5 working days." in page and "Changes requested" in page
    assert AuditEvent.objects.filter(
        model="promises.Promise", object_id=str(promise.pk), changes__status=["in_review", "draft"]
    ).exists()


def test_an_admin_activates_over_missing_sign_offs_only_with_a_reason(world, clients):
    promise = in_review(world)
    admin = clients["admin"]
    detail = text(admin.get(f"/promises/{promise.pk}/"))
    assert "Activate over missing sign-offs" in detail
    assert "Operations" in text(admin.get(f"/promises/{promise.pk}/activate/"))
    page = text(admin.post(f"/promises/{promise.pk}/activate/", {"reason": "  "}))
    assert "Write why the promise is activated without every sign-off" in page
    assert fresh(world, promise).status == Promise.Status.IN_REVIEW
    response = admin.post(f"/promises/{promise.pk}/activate/", {"reason": "Board decision of 3 May."})
    assert response.status_code == 302
    assert fresh(world, promise).status == Promise.Status.ACTIVE
    assert set(SignOff.objects.filter(promise=promise).values_list("status", "comment")) == {
        ("overridden", "Board decision of 3 May.")
    }
    assert "Overridden by an admin" in text(admin.get(f"/promises/{promise.pk}/"))


def test_an_illegal_transition_is_refused_with_a_message(world, clients):
    promise = world.customer_promise(commitments=False)
    page = text(clients["manager"].post(f"/promises/{promise.pk}/submit/", follow=True))
    assert "Add at least one commitment before submitting" in page
    page = text(clients["manager"].post(f"/promises/{promise.pk}/retire/", follow=True))
    assert "Cannot retire" in page
    assert fresh(world, promise).status == Promise.Status.DRAFT


def test_editing_an_active_promise_creates_a_new_wording_version(world, clients):
    promise = world.approve_all(world.customer_promise(), when=timezone.now() - timedelta(hours=2))
    response = clients["manager"].post(
        f"/promises/{promise.pk}/edit/",
        {
            "title": "Hassle-free returns",
            "statement": "Return anything within 30 days; money back in 5 days.",
            "weight": "1",
            "note": "Clearer deadline",
        },
    )
    assert response.status_code == 302, text(response)
    promise = fresh(world, promise)
    assert promise.version == 2
    page = text(clients["viewer"].get(f"/promises/{promise.pk}/"))
    assert "v2" in page and "Clearer deadline" in page and "Send it back without a form" in page


# --- Validation -----------------------------------------------------------------------------


def test_a_target_outside_the_scale_is_shown_on_the_target_field(world, clients):
    promise = world.customer_promise(commitments=False)
    page = text(
        clients["manager"].post(
            f"/promises/{promise.pk}/commitments/new/",
            {
                "measure": world.measures["nps"].pk,
                "target": "150",
                "window_days": "90",
                "min_sample": "5",
                "weight": "1",
            },
        )
    )
    match = re.search(r'id="id_target_errors"[^>]*>([^<]*)<', page)
    assert match and "150" in match.group(1) and "100" in match.group(1), page
    assert not Commitment.objects.filter(promise=promise).exists()


def test_a_missing_threshold_on_a_duration_measure_is_shown_on_the_threshold_field(world, clients):
    promise = world.customer_promise(commitments=False)
    page = text(
        clients["manager"].post(
            f"/promises/{promise.pk}/commitments/new/",
            {
                "measure": world.measures["first_response"].pk,
                "target": "95",
                "window_days": "90",
                "min_sample": "5",
                "weight": "1",
            },
        )
    )
    assert re.search(r'id="id_threshold_hours_errors"', page), page


def test_a_contributor_equal_to_the_owner_is_refused_on_the_form(world, clients):
    page = text(
        clients["manager"].post(
            "/promises/new/",
            {
                "kind": "customer",
                "title": "Same department",
                "statement": "x",
                "owner": world.cs.pk,
                "contributors": [world.cs.pk],
                "weight": "1",
            },
        )
    )
    assert "Nothing was saved" in page or "alert-danger" in page
    assert not Promise.objects.filter(title="Same department").exists()


# --- Measures -----------------------------------------------------------------------------------


def test_admins_add_duration_measures_others_read_the_list(world, clients):
    assert "Add a duration measure" not in text(clients["manager"].get("/promises/measures/"))
    assert (
        clients["manager"].post("/promises/measures/", {"key": "x", "name": "X", "unit": "hours"}).status_code
        == 403
    )
    response = clients["admin"].post(
        "/promises/measures/", {"key": "delivery_time", "name": "Delivery time", "unit": "days"}
    )
    assert response.status_code == 302
    assert Measure.objects.filter(key="delivery_time", kind="duration", unit="days").exists()
    page = text(clients["viewer"].get("/promises/measures/"))
    assert "delivery_time" in page and "nps" in page
    duplicate = text(
        clients["admin"].post("/promises/measures/", {"key": "nps", "name": "N", "unit": "days"})
    )
    assert "built-in measure" in duplicate


# --- Isolation and query counts -----------------------------------------------------------------


def test_another_tenants_promise_is_not_found_on_every_page(world, clients, other_tenant):
    with tenant_context(other_tenant):
        department = Department.objects.get(name="Customer Service")
        theirs = promise_create(
            tenant=other_tenant, kind="customer", title="Globex promise", statement="x", owner=department
        )
        measure = {m.key: m for m in measures_ensure_builtin(tenant=other_tenant)}["csat"]
        commitment = commitment_create(
            tenant=other_tenant, promise=theirs, measure=measure, target=Decimal(80)
        )
        promise_submit(tenant=other_tenant, promise=theirs)
    ours = world.customer_promise()
    our_commitment = Commitment.objects.get(promise=ours)
    assert clients["manager"].get(f"/promises/{theirs.pk}/").status_code == 404
    before, theirs_before = tenant_state(world.tenant), tenant_state(other_tenant)
    paths = [
        f"/promises/{theirs.pk}/edit/",
        f"/promises/{theirs.pk}/commitments/new/",
        f"/promises/{theirs.pk}/commitments/{commitment.pk}/edit/",
        f"/promises/{ours.pk}/commitments/{commitment.pk}/edit/",
        f"/promises/{theirs.pk}/submit/",
        f"/promises/{theirs.pk}/retire/",
    ]
    for path in paths:
        assert clients["manager"].get(path).status_code == 404, path
        assert clients["manager"].post(path, {}).status_code == 404, path
    for path in (f"/promises/{theirs.pk}/activate/", f"/promises/{theirs.pk}/sign-off/"):
        role = "admin" if "activate" in path else "manager"
        assert clients[role].get(path).status_code == 404, path
        assert clients[role].post(path, {"reason": "x", "decision": "approve"}).status_code == 404, path
    assert tenant_state(world.tenant) == before and tenant_state(other_tenant) == theirs_before
    assert "Globex promise" not in text(clients["admin"].get("/promises/"))
    assert (
        clients["manager"].get(f"/promises/{ours.pk}/commitments/{our_commitment.pk}/edit/").status_code
        == 200
    )
    with tenant_context(other_tenant):
        assert Promise.objects.get(pk=theirs.pk).status == Promise.Status.IN_REVIEW


def registry_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/promises/").status_code == 200
    return len(queries)


def test_the_registry_needs_the_same_queries_for_3_and_20_promises(world, clients):
    parent = brand(world)
    for n in range(3):
        world.customer_promise(title=f"Promise {n}", parent=parent if n % 2 else None)
    few = registry_queries(clients["viewer"])
    for n in range(3, 20):
        world.customer_promise(title=f"Promise {n}", parent=parent if n % 2 else None)
    assert registry_queries(clients["viewer"]) == few


def test_a_promise_and_a_commitment_sent_twice_are_created_once(world, clients):
    manager = clients["manager"]
    token = re.search(r'name="form_token" value="([^"]+)"', text(manager.get("/promises/new/"))).group(1)
    data = {
        "kind": "customer",
        "title": "A human answers within 4 hours",
        "statement": "Write to us any time: a person answers within 4 hours.",
        "owner": world.cs.pk,
        "weight": "1",
        "form_token": token,
    }
    first, again = manager.post("/promises/new/", data), manager.post("/promises/new/", data)
    promise = Promise.objects.get(title="A human answers within 4 hours")
    assert first["Location"] == again["Location"] == f"/promises/{promise.pk}/"
    assert "You already sent this form" in text(manager.get(again["Location"]))

    path = f"/promises/{promise.pk}/commitments/new/"
    token = re.search(r'name="form_token" value="([^"]+)"', text(manager.get(path))).group(1)
    commitment = {
        "measure": world.measures["first_response"].pk,
        "target": "95",
        "threshold_hours": "4",
        "window_days": "30",
        "min_sample": "5",
        "weight": "1",
        "form_token": token,
    }
    manager.post(path, commitment)
    manager.post(path, commitment)
    assert Commitment.objects.filter(promise=promise).count() == 1
