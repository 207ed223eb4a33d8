"""The readable message a Slack or Microsoft Teams endpoint gets instead of the signed JSON:
the event's sentence (``summary``, written by the app that caused it) and a link to act on it
in cxgov. Built from the stored payload at send time, so a redelivery reads the same."""

from __future__ import annotations

from typing import Any

from tenants.webhooks.models import EVENTS, WebhookEndpoint

OPEN_LABEL = "Open in cxgov"


def summary_of(payload: dict[str, Any]) -> str:
    """The event in one sentence: the caller's, else the catalogue's label."""
    return payload.get("summary") or EVENTS.get(payload.get("type", ""), "An event from cxgov") + "."


def _slack_escaped(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as markup: escaped, a title shows as written.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Block Kit: the sentence as a section, and a button to the page in cxgov."""
    summary = summary_of(payload)
    return {
        "text": summary,  # what notifications and clients without blocks show
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": _slack_escaped(summary)}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _slack_escaped(f"cxgov · {payload['tenant']}")}],
            },
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": OPEN_LABEL},
                        "url": payload["url"],
                    }
                ],
            },
        ],
    }


def teams_message(payload: dict[str, Any]) -> dict[str, Any]:
    """An Adaptive Card in the ``message`` envelope Teams' incoming webhooks and Workflows take,
    with an "Open in cxgov" action."""
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": [
                        {"type": "TextBlock", "text": summary_of(payload), "wrap": True, "weight": "Bolder"},
                        {
                            "type": "TextBlock",
                            "text": f"cxgov · {payload['tenant']}",
                            "wrap": True,
                            "isSubtle": True,
                            "spacing": "None",
                        },
                    ],
                    "actions": [{"type": "Action.OpenUrl", "title": OPEN_LABEL, "url": payload["url"]}],
                },
            }
        ],
    }


def chat_message(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    return slack_message(payload) if kind == WebhookEndpoint.Kind.SLACK else teams_message(payload)
