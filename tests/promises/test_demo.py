"""The demo promises: made through the real services, idempotent."""

import io

import pytest
from django.core.management import CommandError, call_command

from promises.commitments.selectors import commitment_versions_effective_at
from promises.models import Commitment, CommitmentVersion, Promise, PromiseVersion, SignOff
from tenants.context import tenant_context
from tenants.demo import DEMO_TENANTS, seed_demo_tenant
from tenants.models import AuditEvent, Tenant


def _seed() -> str:
    out = io.StringIO()
    call_command("seed_demo_promises", stdout=out)
    return out.getvalue()


def _snapshot(tenant):
    with tenant_context(tenant):
        return {
            "promises": sorted(Promise.objects.values_list("slug", "status", "version")),
            "versions": PromiseVersion.objects.count(),
            "commitments": Commitment.objects.count(),
            "commitment_versions": CommitmentVersion.objects.count(),
            "sign_offs": sorted(SignOff.objects.values_list("promise__slug", "department__name", "status")),
        }


def test_demo_promises_for_acme_are_realistic_and_idempotent(
    db, django_capture_on_commit_callbacks, mailoutbox
):
    seed_demo_tenant(DEMO_TENANTS[0])
    acme = Tenant.objects.get(slug="acme")
    with django_capture_on_commit_callbacks(execute=True):
        output = _seed()
    assert "4 promises (3 active, 1 in review)" in output
    first = _snapshot(acme)
    assert first["promises"] == [
        ("a-human-answers-within-4-hours", "active", 2),
        ("hassle-free-returns", "active", 1),
        ("secure-hassle-free-sign-in", "in_review", 1),
        ("shopping-without-the-hassle", "active", 1),
    ]
    assert ("secure-hassle-free-sign-in", "IT", "approved") in first["sign_offs"]
    assert ("secure-hassle-free-sign-in", "Marketing", "pending") in first["sign_offs"]
    assert mailoutbox == []  # demo people have no mailboxes

    with django_capture_on_commit_callbacks(execute=True):
        _seed()
    assert _snapshot(acme) == first

    with tenant_context(acme):
        returns = Promise.objects.get(slug="hassle-free-returns")
        assert returns.parent.slug == "shopping-without-the-hassle"
        refund = Commitment.objects.get(promise=returns, measure__key="refund_processing")
        versions = list(refund.versions.order_by("number"))
        assert [(v.target, v.threshold_seconds) for v in versions] == [(85, 432000), (90, 432000)]
        assert versions[0].effective_to == versions[1].effective_from
        # A year of history: the old target counted half a year ago.
        counted = commitment_versions_effective_at(
            at=versions[0].effective_from + (versions[0].effective_to - versions[0].effective_from) / 2
        )
        assert versions[0] in counted and versions[1] not in counted
        # The demo managers acted, and the audit trail says so.
        assert AuditEvent.objects.filter(
            model="promises.SignOff", actor_label="it.manager@acme.example"
        ).exists()


def test_demo_promises_need_the_demo_tenant(db):
    with pytest.raises(CommandError, match="seed_demo"):
        _seed()
