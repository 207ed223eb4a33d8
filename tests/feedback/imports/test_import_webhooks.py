"""``import.finished`` reaches the endpoints that asked for it when a CSV import ends, done or
failed, with the counts of stored, duplicate and rejected rows; a rolled-back end sends nothing.

The import is run in the test's process here: the worker's path is covered in test_csv_import."""

from __future__ import annotations

import pytest
from django.db import transaction

from feedback.imports.models import SignalImport
from feedback.imports.services import signal_import_fail, signal_import_run
from tenants.context import tenant_context
from tenants.models import Membership
from tenants.webhooks.models import WebhookDelivery
from tenants.webhooks.services import webhook_deliver, webhook_endpoint_create
from tests.tenants.webhooks.receiver import Receiver

pytestmark = pytest.mark.django_db(transaction=True)

CSV = """external_id,measure,score,occurred_at,touchpoint,respondent_ref,comment
r-1,nps,9,2026-01-05T10:00:00+01:00,delivery,cust-1,Great
r-2,csat,5,2026-01-05T11:00:00+01:00,,cust-2,
r-3,nps,11,2026-01-05T12:00:00+01:00,delivery,,Out of range
"""


def _uploaded(tenant) -> SignalImport:
    # Stored as the upload stores it, without queueing a worker's run: the test runs it.
    with tenant_context(tenant):
        admin = Membership.objects.get(user__email="admin@acme.test")
        return SignalImport.objects.create(
            kind="survey_responses", content=CSV, file_name="responses.csv", created_by=admin
        )


def test_a_finished_import_reaches_the_receiver_with_its_counts(signals):
    tenant = signals
    with Receiver() as receiver:
        receiver.secret = webhook_endpoint_create(
            tenant=tenant, url=receiver.url, events=["import.finished"]
        ).secret
        signal_import = signal_import_run(tenant=tenant, signal_import=_uploaded(tenant))
        assert signal_import.status == SignalImport.Status.DONE
        signal_import_run(tenant=tenant, signal_import=signal_import)  # already done: nothing more
        with tenant_context(tenant):
            assert webhook_deliver() == {"sent": 1, "failed": 0}
    (got,) = receiver.received
    assert got["verified"] is True
    payload = got["payload"]
    assert payload["type"] == "import.finished"
    assert payload["version"] == 1 and payload["tenant"] == "acme"
    assert payload["url"].endswith(f"/signals/import/{signal_import.pk}/")
    sent = payload["data"]["import"]
    assert (sent["id"], sent["status"], sent["file_name"]) == (signal_import.pk, "done", "responses.csv")
    assert (sent["total_rows"], sent["created"], sent["updated"], sent["unchanged"], sent["rejected"]) == (
        3,
        2,
        0,
        0,
        1,
    )
    assert (sent["stored"], sent["duplicates"]) == (2, 0)  # the former names, kept for receivers
    assert (
        payload["summary"]
        == "CSV import finished: responses.csv — 2 rows created, 0 updated, 0 unchanged, 1 rejected."
    )


def test_a_failed_import_is_finished_too(signals):
    tenant = signals
    webhook_endpoint_create(tenant=tenant, url="https://hooks.example.com/x", events=["import.finished"])
    signal_import_fail(tenant=tenant, signal_import=_uploaded(tenant), error="The worker gave up.")
    with tenant_context(tenant):
        delivery = WebhookDelivery.objects.get()
    assert delivery.payload["data"]["import"]["status"] == "failed"
    assert delivery.payload["data"]["import"]["error"] == "The worker gave up."
    assert delivery.payload["summary"] == "CSV import failed: responses.csv — The worker gave up."


def test_a_rolled_back_end_sends_nothing(signals):
    tenant = signals
    webhook_endpoint_create(tenant=tenant, url="https://hooks.example.com/x", events=["import.finished"])
    signal_import = _uploaded(tenant)
    with pytest.raises(RuntimeError), transaction.atomic():
        signal_import_fail(tenant=tenant, signal_import=signal_import, error="The worker gave up.")
        raise RuntimeError("the task failed after marking the import")
    with tenant_context(tenant):
        assert not WebhookDelivery.objects.exists()
