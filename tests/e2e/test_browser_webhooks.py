"""An admin adds a webhook endpoint in a real browser, sends a test event, and sees it in the
delivery log: delivered by a real worker to a local receiver that verifies the signature."""

import re

import pytest
from playwright.sync_api import expect

from tenants.models import User
from tests.conftest import TEST_PASSWORD, enrol_totp, make_tenant
from tests.tenants.test_auth import totp_code
from tests.tenants.webhooks.receiver import Receiver

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_admin_adds_an_endpoint_sends_a_test_event_and_sees_it_delivered(page, site, worker):
    make_tenant("acme", "Acme Retail")
    secret = enrol_totp(User.objects.get(email="admin@acme.test"))
    base = site("acme")
    page.goto(f"{base}/")
    page.locator("input[name=login]").fill("admin@acme.test")
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    page.locator("input[name=code]").fill(totp_code(secret))
    page.locator("input[name=code]").press("Enter")
    expect(page.get_by_role("heading", name="Acme Retail", exact=True)).to_be_visible()

    with Receiver() as receiver:
        page.goto(f"{base}/admin/webhooks/")
        page.get_by_role("link", name="Add an endpoint").first.click()
        page.locator("input[name=url]").fill(receiver.url)
        page.locator("input[name=description]").fill("Helpdesk")
        page.locator("input[name=events][value='escalation.approved']").check()
        page.get_by_role("button", name="Add endpoint").click()
        receiver.secret = page.locator("#webhook-secret").input_value()
        assert receiver.secret.startswith("whsec_")

        page.get_by_role("link", name=re.compile("I have copied the secret")).click()
        assert receiver.secret not in page.content()
        # Deliveries asked for by earlier tests (their tenants gone) run first, and are not ours.
        worker.drain()
        worker.forget()
        page.get_by_role("button", name="Send a test event").click()
        expect(page.get_by_text("A test event (ping) is on its way")).to_be_visible()

        worker.finish("tenants.webhooks.tasks.webhook_deliver_task", 1)
        page.reload()
        log = page.locator("#delivery-log")
        expect(log.get_by_role("cell", name="ping", exact=True)).to_be_visible()
        expect(log.get_by_text("Sent", exact=True)).to_be_visible()
        expect(log.get_by_text("HTTP 200")).to_be_visible()
    assert [(r["payload"]["type"], r["verified"]) for r in receiver.received] == [("ping", True)]
