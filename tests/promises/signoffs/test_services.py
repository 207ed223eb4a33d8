"""Promise lifecycle, sign-off rules, versions, notifications and the audit trail."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from promises.models import Commitment, CommitmentVersion, PromiseVersion, SignOff
from promises.selectors import commitment_versions_effective_at
from promises.services import (
    commitment_create,
    commitment_delete,
    commitment_end,
    commitment_update,
    promise_activate_override,
    promise_create,
    promise_retire,
    promise_sign_off,
    promise_submit,
    promise_update,
)
from tenants.errors import DomainError
from tenants.models import AuditEvent, Membership
from tenants.services import member_set_active
from tests.promises.conftest import at

# --- Creating ---------------------------------------------------------------------------------


def test_create_drafts_a_promise_with_its_wording_as_version_1(world):
    promise = world.customer_promise(commitments=False)
    assert (promise.status, promise.version, promise.slug) == ("draft", 1, "hassle-free-returns")
    assert promise.created_by == world.ops_manager
    assert list(promise.contributors.all()) == [world.cs]
    version = PromiseVersion.objects.get(promise=promise)
    assert (version.number, version.title, version.created_by, version.created_at) == (
        1,
        "Hassle-free returns",
        world.ops_manager,
        at(0),
    )


def test_slugs_are_unique_per_tenant(world):
    first = world.customer_promise(commitments=False)
    second = world.customer_promise(commitments=False)
    assert (first.slug, second.slug) == ("hassle-free-returns", "hassle-free-returns-2")
    with pytest.raises(DomainError, match="already used by") as error:
        promise_create(
            tenant=world.tenant,
            kind="brand",
            title="Other",
            statement="x",
            owner=world.cs,
            slug="hassle-free-returns",
        )
    assert error.value.field == "slug"


def test_a_customer_promise_activates_a_brand_promise(world):
    brand = promise_create(
        tenant=world.tenant,
        kind="brand",
        title="Shopping without the hassle",
        statement="Easy.",
        owner=world.mkt,
    )
    child = world.customer_promise(parent=brand)
    assert child.parent == brand
    assert list(brand.children.all()) == [child]


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


@pytest.fixture
def in_review(world):
    promise = world.customer_promise()
    return promise_submit(tenant=world.tenant, promise=promise, actor=world.ops_manager, at=at(1))


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


# --- Retiring ---------------------------------------------------------------------------------


def test_retiring_closes_every_open_commitment_version(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    retired = promise_retire(tenant=world.tenant, promise=promise, at=at(30))
    assert (retired.status, retired.retired_at) == ("retired", at(30))
    version = CommitmentVersion.objects.get(commitment__promise=promise)
    assert (version.effective_from, version.effective_to) == (at(1, hours=1), at(30))
    assert commitment_versions_effective_at(at=at(29)) == [version]
    assert commitment_versions_effective_at(at=at(30)) == []
    with pytest.raises(DomainError, match="Cannot edit ‘Hassle-free returns’: it is retired"):
        promise_update(tenant=world.tenant, promise=promise, title="New")
    with pytest.raises(DomainError, match="While it is retired you can only read it"):
        promise_retire(tenant=world.tenant, promise=promise)


def test_only_an_active_promise_can_be_retired(world):
    promise = world.customer_promise()
    with pytest.raises(
        DomainError,
        match="Cannot retire ‘Hassle-free returns’: it is a draft; that is possible only for an active",
    ):
        promise_retire(tenant=world.tenant, promise=promise)


# --- Wording versions -------------------------------------------------------------------------


def test_a_draft_is_edited_in_place(world):
    promise = world.customer_promise()
    promise_update(tenant=world.tenant, promise=promise, title="Returns without hassle", benefits="No forms.")
    assert (promise.title, promise.version, promise.slug) == (
        "Returns without hassle",
        1,
        "hassle-free-returns",
    )
    [version] = PromiseVersion.objects.filter(promise=promise)
    assert (version.number, version.title, version.benefits) == (1, "Returns without hassle", "No forms.")


def test_editing_an_active_promise_adds_a_version_and_keeps_the_old_one(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    old_statement = promise.statement
    updated = promise_update(
        tenant=world.tenant,
        promise=promise,
        statement="Your money is back within 3 days.",
        note="Faster refunds since the new warehouse.",
        actor=world.ops_manager,
        at=at(40),
    )
    assert (updated.version, updated.statement) == (2, "Your money is back within 3 days.")
    v1, v2 = PromiseVersion.objects.filter(promise=promise).order_by("number")
    assert (v1.number, v1.statement, v1.created_at) == (1, old_statement, at(0))
    assert (v2.number, v2.statement, v2.note, v2.created_by, v2.created_at) == (
        2,
        "Your money is back within 3 days.",
        "Faster refunds since the new warehouse.",
        world.ops_manager,
        at(40),
    )
    # Saving the same wording again adds nothing.
    promise_update(tenant=world.tenant, promise=promise, statement="Your money is back within 3 days.")
    assert PromiseVersion.objects.filter(promise=promise).count() == 2


def test_an_active_promise_keeps_its_departments_but_may_change_weight(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    with pytest.raises(
        DomainError, match="owner, contributing departments and parent of an active promise are fixed"
    ):
        promise_update(tenant=world.tenant, promise=promise, contributors=[world.cs, world.mkt])
    promise_update(tenant=world.tenant, promise=promise, weight="2.5")
    promise.refresh_from_db()
    assert promise.weight == Decimal("2.5")


def test_a_draft_changes_its_departments(world):
    promise = world.customer_promise()
    promise_update(tenant=world.tenant, promise=promise, owner=world.cs, contributors=[world.ops, world.mkt])
    assert promise.owner == world.cs
    assert sorted(d.name for d in promise.contributors.all()) == ["Marketing", "Operations"]


def test_a_promise_in_review_cannot_be_edited(world, in_review):
    with pytest.raises(DomainError, match="Cannot edit ‘Hassle-free returns’: it is in review"):
        promise_update(tenant=world.tenant, promise=in_review, title="Changed during review")
    with pytest.raises(DomainError, match="it is in review"):
        commitment_create(
            tenant=world.tenant,
            promise=in_review,
            measure=world.measures["nps"],
            target=30,
            touchpoint=world.returns,
        )


def test_a_wording_change_cannot_predate_the_current_version(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    promise_update(tenant=world.tenant, promise=promise, title="V2", at=at(40))
    with pytest.raises(DomainError, match="recorded history is never rewritten"):
        promise_update(tenant=world.tenant, promise=promise, title="V3", at=at(39))


def test_a_change_cannot_take_effect_in_the_future(world):
    with pytest.raises(DomainError, match="cannot take effect in the future") as error:
        world.customer_promise(when=timezone.now() + timedelta(days=1))
    assert error.value.field == "at"


# --- Commitment versions ----------------------------------------------------------------------


def _refund(world, promise, **terms):
    return commitment_create(
        tenant=world.tenant,
        promise=promise,
        measure=world.measures["refund_processing"],
        touchpoint=world.returns,
        target=Decimal(90),
        threshold_seconds=432000,
        weight=2,
        **terms,
    )


def test_a_draft_commitment_is_edited_in_place_and_counts_nowhere(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    commitment_update(tenant=world.tenant, commitment=refund, target=85, window_days=30)
    [version] = refund.versions.all()
    assert (version.number, version.target, version.window_days, version.effective_from) == (1, 85, 30, None)
    assert commitment_versions_effective_at(at=timezone.now()) == []


def test_a_change_at_x_keeps_the_version_effective_before_x(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(1))
    activation = at(1, hours=1)
    x = at(100)

    commitment_update(tenant=world.tenant, commitment=refund, target=95, threshold_seconds=259200, at=x)

    v1, v2 = refund.versions.order_by("number")
    assert (v1.target, v1.threshold_seconds, v1.effective_from, v1.effective_to) == (
        90,
        432000,
        activation,
        x,
    )
    assert (v2.target, v2.threshold_seconds, v2.effective_from, v2.effective_to) == (95, 259200, x, None)
    assert (v2.weight, v2.window_days, v2.min_sample) == (2, 90, 5)  # unchanged terms carry over
    assert refund.current_version == v2

    def refund_version_at(instant):
        return [v for v in commitment_versions_effective_at(at=instant) if v.commitment_id == refund.pk]

    assert refund_version_at(activation - timedelta(seconds=1)) == []
    assert refund_version_at(activation) == [v1]
    assert refund_version_at(x - timedelta(microseconds=1)) == [v1]
    assert refund_version_at(x) == [v2]
    assert refund_version_at(timezone.now()) == [v2]


@pytest.mark.parametrize(
    "change",
    [{"target": 92}, {"threshold_seconds": 3600}, {"window_days": 30}, {"weight": "0.5"}, {"min_sample": 20}],
)
def test_every_scoring_term_of_an_active_commitment_is_versioned(world, change):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(1))
    commitment_update(tenant=world.tenant, commitment=refund, at=at(10), **change)
    assert refund.versions.count() == 2
    field, value = next(iter(change.items()))
    assert getattr(refund.current_version, field) == Decimal(str(value))


def test_an_unchanged_commitment_gets_no_new_version(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(1))
    commitment_update(tenant=world.tenant, commitment=refund, target="90.000", weight=2, at=at(10))
    assert refund.versions.count() == 1


def test_a_commitment_change_cannot_predate_its_current_version(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(10))
    with pytest.raises(DomainError, match="before the current version 1"):
        commitment_update(tenant=world.tenant, commitment=refund, target=95, at=at(5))


def test_a_commitment_added_to_an_active_promise_counts_from_then(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    nps = commitment_create(
        tenant=world.tenant, promise=promise, measure=world.measures["nps"], target=30, at=at(20)
    )
    assert nps.touchpoint is None  # every touchpoint
    assert (nps.current_version.effective_from, nps.current_version.effective_to) == (at(20), None)


def test_ending_a_commitment_stops_it_counting_and_keeps_its_history(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    world.approve_all(promise, when=at(1))
    commitment_end(tenant=world.tenant, commitment=refund, at=at(50))
    assert refund.ended_at == at(50)
    [version] = refund.versions.all()
    assert version.effective_to == at(50)
    assert version in commitment_versions_effective_at(at=at(49))
    assert version not in commitment_versions_effective_at(at=at(50))
    with pytest.raises(DomainError, match="ended on"):
        commitment_update(tenant=world.tenant, commitment=refund, target=95)
    with pytest.raises(DomainError, match="already ended"):
        commitment_end(tenant=world.tenant, commitment=refund)


def test_a_draft_commitment_is_deleted_not_ended(world):
    promise = world.customer_promise()
    refund = _refund(world, promise)
    with pytest.raises(DomainError, match="has never counted; delete it instead"):
        commitment_end(tenant=world.tenant, commitment=refund)
    commitment_delete(tenant=world.tenant, commitment=refund)
    assert not Commitment.objects.filter(pk=refund.pk).exists()


def test_an_active_promise_commitment_cannot_be_deleted(world):
    promise = world.approve_all(world.customer_promise(), when=at(1))
    commitment = promise.commitments.get()
    with pytest.raises(DomainError, match="end the commitment instead"):
        commitment_delete(tenant=world.tenant, commitment=commitment)


def test_commitments_belong_to_customer_promises(world):
    brand = promise_create(
        tenant=world.tenant, kind="brand", title="Brand", statement="Easy.", owner=world.mkt
    )
    with pytest.raises(DomainError, match="Commitments belong to customer promises"):
        commitment_create(tenant=world.tenant, promise=brand, measure=world.measures["nps"], target=30)


# --- Audit trail ------------------------------------------------------------------------------


def test_every_transition_is_in_the_audit_trail(world):
    promise = world.customer_promise()
    world.approve_all(promise, when=at(1))
    promise_retire(tenant=world.tenant, promise=promise, at=at(20))
    status_changes = [
        e.changes["status"]
        for e in AuditEvent.objects.filter(
            model="promises.Promise", object_id=str(promise.pk), action="update"
        )
        .order_by("occurred_at", "id")
        .exclude(changes__status=None)
    ]
    assert status_changes == [["draft", "in_review"], ["in_review", "active"], ["active", "retired"]]
    assert AuditEvent.objects.filter(
        model="promises.Promise", object_id=str(promise.pk), action="insert"
    ).exists()
    sign_off_events = AuditEvent.objects.filter(model="promises.SignOff")
    assert sign_off_events.filter(action="insert").count() == 2
    assert sorted(e.changes["status"][1] for e in sign_off_events.filter(action="update")) == [
        "approved",
        "approved",
    ]
    for label in ("promises.PromiseVersion", "promises.Commitment", "promises.CommitmentVersion"):
        assert AuditEvent.objects.filter(model=label, action="insert").exists(), label


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
