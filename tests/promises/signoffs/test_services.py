"""Sign-off rules: submitting for review, each department's decision, the admin override,
and the e-mails they send (only for committed changes)."""

from __future__ import annotations

import pytest
from django.db import transaction

from promises.models import CommitmentVersion, SignOff
from promises.services import promise_create, promise_update
from promises.signoffs.services import promise_activate_override, promise_sign_off, promise_submit
from tenants.errors import DomainError
from tenants.models import AuditEvent, Membership
from tenants.services import member_set_active
from tests.promises.conftest import at

# --- Submitting -------------------------------------------------------------------------------


def test_submit_asks_every_department_and_mails_their_managers(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    promise = world.customer_promise()
    with django_capture_on_commit_callbacks(execute=True):
        returned = promise_submit(tenant=world.tenant, promise=promise, actor=world.ops_manager, at=at(1))
    assert returned.status == promise.status == "in_review"
    assert (promise.review_round, promise.submitted_at) == (1, at(1))
    sign_offs = SignOff.objects.filter(promise=promise).order_by("department__name")
    assert [(s.department.name, s.status, s.review_round) for s in sign_offs] == [
        ("Customer Service", "pending", 1),
        ("Operations", "pending", 1),
    ]
    assert sorted((m.to, m.subject) for m in mailoutbox) == [
        (["manager@acme.test"], "[cxgov] Sign-off requested: Hassle-free returns"),
        (["ops.manager@acme.test"], "[cxgov] Sign-off requested: Hassle-free returns"),
    ]
    assert "Customer Service is asked to sign it off" in next(
        m.body for m in mailoutbox if m.to == ["manager@acme.test"]
    )


def test_a_customer_promise_needs_a_commitment_before_review(world):
    promise = world.customer_promise(commitments=False)
    with pytest.raises(DomainError, match="Add at least one commitment before submitting") as error:
        promise_submit(tenant=world.tenant, promise=promise)
    assert error.value.field == "commitments"
    promise.refresh_from_db()
    assert promise.status == "draft"


def test_a_brand_promise_needs_no_commitment(world):
    brand = promise_create(
        tenant=world.tenant, kind="brand", title="Brand", statement="Easy.", owner=world.mkt
    )
    assert promise_submit(tenant=world.tenant, promise=brand).status == "in_review"


def test_every_department_asked_needs_an_active_manager(world):
    member_set_active(tenant=world.tenant, membership=world.mkt_manager, active=False, changed_by=world.admin)
    promise = world.customer_promise(contributors=[world.cs, world.mkt])
    with pytest.raises(DomainError, match="Marketing has no active manager to sign it off"):
        promise_submit(tenant=world.tenant, promise=promise)


def test_only_a_draft_can_be_submitted(world):
    promise = world.customer_promise()
    promise_submit(tenant=world.tenant, promise=promise, at=at(1))
    with pytest.raises(DomainError) as error:
        promise_submit(tenant=world.tenant, promise=promise)
    assert error.value.message == (
        "Cannot submit ‘Hassle-free returns’: it is in review; that is possible only for a draft promise. "
        "While it is in review you can approve it or request changes (a manager of each department asked), "
        "or have an admin activate it with a written reason."
    )
    assert error.value.code == "invalid_transition"


# --- Signing off ------------------------------------------------------------------------------


def test_all_departments_approving_activates_the_promise(
    world, in_review, django_capture_on_commit_callbacks, mailoutbox
):
    promise_sign_off(
        tenant=world.tenant,
        promise=in_review,
        department=world.ops,
        actor=world.ops_manager,
        approve=True,
        comment="We can do it.",
        at=at(2),
    )
    assert in_review.status == "in_review"
    assert CommitmentVersion.objects.get(commitment__promise=in_review).effective_from is None
    with django_capture_on_commit_callbacks(execute=True):
        promise = promise_sign_off(
            tenant=world.tenant,
            promise=in_review,
            department=world.cs,
            actor=world.manager,
            approve=True,
            at=at(3),
        )
    assert (promise.status, promise.activated_at) == ("active", at(3))
    # The draft commitment versions start counting at the activation.
    version = CommitmentVersion.objects.get(commitment__promise=promise)
    assert (version.effective_from, version.effective_to) == (at(3), None)
    assert {(s.department_id, s.status, s.decided_by_id, s.decided_at) for s in promise.sign_offs.all()} == {
        (world.ops.pk, "approved", world.ops_manager.pk, at(2)),
        (world.cs.pk, "approved", world.manager.pk, at(3)),
    }
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["ops.manager@acme.test"], "[cxgov] Promise active: Hassle-free returns")
    ]


@pytest.mark.parametrize("who", ["employee", "viewer", "admin", "mkt_manager", "ops_manager"])
def test_only_a_manager_of_that_department_signs_off(world, in_review, who):
    # Customer Service's sign-off: its employee, a viewer, an admin and the managers of other
    # departments are all refused.
    with pytest.raises(DomainError) as error:
        promise_sign_off(
            tenant=world.tenant,
            promise=in_review,
            department=world.cs,
            actor=getattr(world, who),
            approve=True,
        )
    assert error.value.message.startswith(
        "Only an active manager of Customer Service can sign off for Customer Service;"
    )
    assert (error.value.code, error.value.field) == ("forbidden", "actor")
    assert SignOff.objects.get(promise=in_review, department=world.cs).status == "pending"


def test_a_deactivated_manager_cannot_sign_off(world, in_review):
    member_set_active(tenant=world.tenant, membership=world.manager, active=False, changed_by=world.admin)
    with pytest.raises(DomainError, match="Only an active manager of Customer Service"):
        promise_sign_off(
            tenant=world.tenant, promise=in_review, department=world.cs, actor=world.manager, approve=True
        )


def test_a_department_not_asked_cannot_sign_off(world, in_review):
    with pytest.raises(
        DomainError, match="Marketing is not asked to sign off .* Customer Service, Operations"
    ):
        promise_sign_off(
            tenant=world.tenant,
            promise=in_review,
            department=world.mkt,
            actor=world.mkt_manager,
            approve=True,
        )


def test_a_department_decides_once_per_round(world, in_review):
    promise_sign_off(
        tenant=world.tenant,
        promise=in_review,
        department=world.ops,
        actor=world.ops_manager,
        approve=True,
        at=at(2),
    )
    with pytest.raises(DomainError, match="Operations already decided on this round: approved"):
        promise_sign_off(
            tenant=world.tenant,
            promise=in_review,
            department=world.ops,
            actor=world.ops_manager,
            approve=False,
        )


def test_requesting_changes_sends_the_promise_back_to_draft(
    world, in_review, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        promise = promise_sign_off(
            tenant=world.tenant,
            promise=in_review,
            department=world.cs,
            actor=world.manager,
            approve=False,
            comment="Five days is too slow for our customers; make it three.",
            at=at(2),
        )
    assert promise.status == "draft"
    cs, ops = (SignOff.objects.get(promise=promise, department=d) for d in (world.cs, world.ops))
    assert (cs.status, cs.comment, cs.decided_by, cs.decided_at) == (
        "changes_requested",
        "Five days is too slow for our customers; make it three.",
        world.manager,
        at(2),
    )
    assert (ops.status, ops.decided_at) == ("withdrawn", at(2))
    [mail] = mailoutbox
    assert (mail.to, mail.subject) == (
        ["ops.manager@acme.test"],
        "[cxgov] Changes requested: Hassle-free returns",
    )
    assert "Five days is too slow" in mail.body

    # Edited and submitted again: a new round asks every department afresh.
    promise_update(tenant=world.tenant, promise=promise, statement="Your money back within 3 days.", at=at(3))
    promise_submit(tenant=world.tenant, promise=promise, at=at(4))
    assert promise.review_round == 2
    assert set(SignOff.objects.filter(promise=promise, review_round=2).values_list("status", flat=True)) == {
        "pending"
    }


def test_requesting_changes_needs_a_comment(world, in_review):
    with pytest.raises(DomainError, match="a comment is required when requesting changes") as error:
        promise_sign_off(
            tenant=world.tenant,
            promise=in_review,
            department=world.cs,
            actor=world.manager,
            approve=False,
            comment=" ",
        )
    assert error.value.field == "comment"


def test_signing_off_a_draft_is_refused(world):
    promise = world.customer_promise()
    with pytest.raises(DomainError, match="Cannot sign off ‘Hassle-free returns’: it is a draft"):
        promise_sign_off(
            tenant=world.tenant, promise=promise, department=world.cs, actor=world.manager, approve=True
        )


# --- Admin override ---------------------------------------------------------------------------


def test_an_admin_activates_over_missing_sign_offs_with_a_recorded_reason(
    world, in_review, django_capture_on_commit_callbacks, mailoutbox
):
    promise_sign_off(
        tenant=world.tenant,
        promise=in_review,
        department=world.ops,
        actor=world.ops_manager,
        approve=True,
        at=at(2),
    )
    reason = "Customer Service's manager is on leave; the board approved the promise on Monday."
    with django_capture_on_commit_callbacks(execute=True):
        promise = promise_activate_override(
            tenant=world.tenant, promise=in_review, actor=world.admin, reason=reason, at=at(3)
        )
    assert (promise.status, promise.activated_at) == ("active", at(3))
    cs = SignOff.objects.get(promise=promise, department=world.cs)
    assert (cs.status, cs.decided_by, cs.comment, cs.decided_at) == ("overridden", world.admin, reason, at(3))
    assert SignOff.objects.get(promise=promise, department=world.ops).status == "approved"
    assert CommitmentVersion.objects.get(commitment__promise=promise).effective_from == at(3)
    # Recorded in the audit trail as well.
    assert AuditEvent.objects.filter(
        model="promises.SignOff", object_id=str(cs.pk), action="update", changes__comment__1=reason
    ).exists()
    [mail] = mailoutbox
    assert "without the sign-off of Customer Service" in mail.body and reason in mail.body


def test_the_override_needs_a_reason(world, in_review):
    with pytest.raises(DomainError, match="Write why the promise is activated") as error:
        promise_activate_override(tenant=world.tenant, promise=in_review, actor=world.admin, reason="  ")
    assert error.value.field == "reason"
    in_review.refresh_from_db()
    assert in_review.status == "in_review"


@pytest.mark.parametrize("who", ["manager", "employee", "viewer"])
def test_only_an_admin_can_override(world, in_review, who):
    with pytest.raises(DomainError, match="Only an admin can activate a promise over missing sign-offs"):
        promise_activate_override(
            tenant=world.tenant, promise=in_review, actor=getattr(world, who), reason="Urgent"
        )


def test_the_override_applies_only_to_a_promise_in_review(world):
    promise = world.customer_promise()
    with pytest.raises(DomainError, match="Cannot activate ‘Hassle-free returns’: it is a draft"):
        promise_activate_override(tenant=world.tenant, promise=promise, actor=world.admin, reason="Urgent")


# --- Audit trail ------------------------------------------------------------------------------
def test_requested_changes_are_in_the_audit_trail(world, in_review):
    promise_sign_off(
        tenant=world.tenant,
        promise=in_review,
        department=world.cs,
        actor=world.manager,
        approve=False,
        comment="No.",
    )
    assert AuditEvent.objects.filter(
        model="promises.Promise", object_id=str(in_review.pk), changes__status=["in_review", "draft"]
    ).exists()
    assert AuditEvent.objects.filter(
        model="promises.SignOff", changes__status=["pending", "withdrawn"]
    ).exists()


# --- Notifications happen only for committed changes ------------------------------------------


def test_no_mail_for_a_rolled_back_change(world, django_capture_on_commit_callbacks, mailoutbox):
    promise = world.customer_promise()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        promise_submit(tenant=world.tenant, promise=promise, at=at(1))
        raise RuntimeError("the surrounding work failed")
    assert callbacks == [] and mailoutbox == []
    promise.refresh_from_db()
    assert promise.status == "draft"


def test_managers_of_several_departments_each_get_their_request(
    world, django_capture_on_commit_callbacks, mailoutbox
):
    promise = world.customer_promise(owner=world.cs, contributors=[world.ops, world.mkt])
    with django_capture_on_commit_callbacks(execute=True):
        promise_submit(tenant=world.tenant, promise=promise, at=at(1))
    assert sorted(m.to[0] for m in mailoutbox) == [
        "manager@acme.test",
        "mkt.manager@acme.test",
        "ops.manager@acme.test",
    ]
    assert Membership.objects.filter(role="manager").count() == 3
