"""Words a person would write: titles cut at a word, one name for cxgov acting by itself
("cxgov (automatic)", in pages, e-mails and the CSV export), history rows as sentences."""

from __future__ import annotations

import csv
import html
import io
import re

from feedback.escalations.models import Escalation, EscalationEntry
from feedback.escalations.proposals import escalations_auto_from_stories
from promises.models import Promise
from tenants.context import tenant_context
from tenants.delivery.models import OutboxMessage
from tenants.models import User
from tenants.text import SYSTEM_ACTOR
from tests.feedback.escalations.test_escalations import story
from tests.feedback.escalations.test_escalations_web import clients  # noqa: F401 (a fixture)

LONG_STORY = (
    "Very friendly courier but the parcel was left in the rain and the refund took three weeks to "
    "arrive after many calls to support that nobody answered at all in the end, so I gave up and "
    "wrote to the company instead, which finally helped after another fortnight of waiting"
)
WORDS = set(LONG_STORY.replace(",", "").split())


def plain(response) -> str:
    """What a reader sees: the page's text, entities decoded, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _cut_at_a_word(text: str, prefix: str) -> None:
    assert text.startswith(prefix) and text.endswith("…"), text
    assert set(text.removeprefix(prefix).removesuffix("…").replace(",", "").split()) <= WORDS, text


def test_an_automatic_escalation_is_titled_at_a_word_and_signed_cxgov(escalations_world, clients):  # noqa: F811
    tenant = escalations_world
    logged = story(tenant, text=LONG_STORY, severity="high")  # touches the active promise: proposed by itself
    with tenant_context(tenant):
        escalation = Escalation.objects.get()
        evidence = EscalationEntry.objects.get(kind="evidence")
        subjects = list(OutboxMessage.objects.filter(kind="escalation").values_list("subject", flat=True))
    assert escalation.proposer_kind == "system"
    _cut_at_a_word(escalation.title, "“Fast refunds” at Delivery: ")
    _cut_at_a_word(evidence.note, f"Story {logged.pk}: ")
    assert subjects
    for subject in subjects:
        _cut_at_a_word(subject, "[cxgov] Escalation awaiting your decision: “Fast refunds” at Delivery: ")
    assert evidence.actor_label == SYSTEM_ACTOR

    inbox = plain(clients["manager"].get("/escalations/inbox/"))
    assert f"by {SYSTEM_ACTOR}" in inbox
    page = plain(clients["manager"].get(f"/escalations/{escalation.pk}/"))
    assert f"by {SYSTEM_ACTOR}" in page and "System" not in page.replace("system", "")
    export = clients["manager"].get("/escalations/export.csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert [r["proposed_by"] for r in rows] == [SYSTEM_ACTOR]
    # Not proposed twice for the same story, and the wording holds for a second automatic run.
    escalations_auto_from_stories(tenant=tenant, story_ids=[logged.pk])
    with tenant_context(tenant):
        assert Escalation.objects.count() == 1


def test_the_promise_history_reads_as_sentences(escalations_world, clients):  # noqa: F811
    tenant = escalations_world
    User.objects.filter(email="admin@acme.test").update(first_name="Ada", last_name="Lovelace")
    with tenant_context(tenant):
        promise = Promise.objects.get(slug="fast-refunds")
    page = plain(clients["admin"].get(f"/promises/{promise.pk}/"))
    history = page[page.index("History") :]
    # Activated by the setup, outside any request: the system.
    assert f"{SYSTEM_ACTOR} changed the promise “Fast refunds”: status from Draft to Active." in history
    assert "created the promise “Fast refunds”." in history
    for raw in ("insert", "update ", "in_review", "promises.", "status: draft"):
        assert raw not in history, raw
