"""What a member's home page shows: a section for each thing they may do.

- Log stories (employees, managers, admins): their recent stories and what became of them.
- Decide escalations (managers, admins): what awaits their decision, what is overdue, what
  they own; sign-offs waiting (managers); their departments' promises at risk.
- Run the tenant (admins): the set-up checklist until every step is done, then its health.
- See scores (everyone): the company's scores from the latest stored run.

A member sees the section of every capability their role has (an admin also decides
escalations and logs stories). Scores come from the newest stored run, never recomputed here.
Every list takes one query whatever its length (its total comes along in a window count),
so a home page takes a fixed number of queries. Runs in the tenant's context.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, Prefetch, QuerySet, Window
from django.urls import reverse
from django.utils import timezone

from feedback.escalations.models import Escalation
from feedback.escalations.selectors import (
    escalations_awaiting_decision,
    escalations_overdue_for,
    escalations_owned_open,
)
from feedback.imports.selectors import signal_imports_failed
from feedback.stories.selectors import stories_of, story_rows
from metrics.actions.selectors import action_row, owner_actions
from metrics.dashboards import RunBands
from metrics.selectors import score_run_latest
from promises.models import Promise, PromiseContributor
from promises.signoffs.selectors import sign_offs_pending_for
from surveys.followups.selectors import followup_open_count
from tenants.delivery.selectors import outbox_failing
from tenants.models import ApiKey, Department, Invitation, Membership, Tenant, Touchpoint
from tenants.permissions import can
from tenants.selectors import api_keys_expiring

ROWS_SHOWN = 5
PROMISES_SHOWN = 8
KEY_EXPIRY_WARNING = timedelta(days=14)
HEALTH_WINDOW = timedelta(days=30)


@dataclass
class Rows:
    """The first rows of a list and how many there are in all."""

    items: list[Any] = field(default_factory=list)
    total: int = 0

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def first_rows(queryset: QuerySet, limit: int = ROWS_SHOWN) -> Rows:
    """The first ``limit`` rows of ``queryset`` and its total, in one query."""
    items = list(queryset.annotate(rows_total=Window(Count("pk")))[:limit])
    return Rows(items=items, total=items[0].rows_total if items else 0)


# --- Stories ------------------------------------------------------------------------------------


def my_recent_stories(membership: Membership) -> Rows:
    """The stories ``membership`` logged, the latest logged first, each with its promises and
    the escalations it became evidence of (``escalation_list``, newest first)."""
    stories = (
        story_rows()
        .filter(stories_of(membership))
        .prefetch_related(
            Prefetch(
                "escalations",
                queryset=Escalation.objects.order_by("-proposed_at", "-id"),
                to_attr="escalation_list",
            )
        )
        .order_by("-created_at", "-id")
    )
    return first_rows(stories)


# --- Decisions ------------------------------------------------------------------------------------


def _marked(rows: Rows, now: datetime) -> Rows:
    for escalation in rows.items:
        escalation.overdue = escalation.is_overdue_at(now)
    return rows


def escalations_for_decision(membership: Membership, *, now: datetime) -> dict[str, Rows]:
    """Awaiting ``membership``'s decision (oldest first) and overdue in their departments (the
    longest overdue first)."""
    return {
        "awaiting": _marked(first_rows(escalations_awaiting_decision(membership)), now),
        "overdue": _marked(first_rows(escalations_overdue_for(membership, now=now)), now),
    }


def escalations_owned(membership: Membership, *, now: datetime) -> Rows:
    return _marked(first_rows(escalations_owned_open(membership)), now)


def sign_offs_waiting(membership: Membership) -> Rows:
    pending = sign_offs_pending_for(membership=membership)
    return Rows(items=pending[:ROWS_SHOWN], total=len(pending))


def _is_at_risk(promise: dict[str, Any]) -> bool:
    """A commitment is not met, or customers say the promise is broken where operations say it
    is kept (a hidden breach)."""
    return promise["status"] == "not_met" or "hidden_breach" in promise["flags"]


def promises_at_risk(membership: Membership, run: Any, bands: RunBands | None = None) -> dict[str, Any]:
    """The promises at risk in the latest run: every promise for an admin; for a manager, those
    their departments own or contribute to. The lowest score first, each with the band the
    promise's dashboard gives it (``bands``: the run's, if already made)."""
    if run is None:
        return {"scored": False, "rows": Rows(), "departments": None}
    run_result = run.result
    promises = run_result["promises"]
    departments = None
    if membership.role != Membership.Role.ADMIN:
        departments = dict(membership.departments.values_list("pk", "name"))
        contributed = set(
            PromiseContributor.objects.filter(department_id__in=list(departments)).values_list(
                "promise_id", flat=True
            )
        )
        promises = [p for p in promises if p["owner_id"] in departments or p["id"] in contributed]
    names = {d["id"]: d["name"] for d in run_result["departments"]}
    at_risk = sorted(
        (p for p in promises if _is_at_risk(p)),
        key=lambda p: (p["score"] is None, p["score"] or 0, p["title"]),
    )
    bands = bands or RunBands(run)
    rows = [
        {
            **p,
            "owner": names.get(p["owner_id"], ""),
            "band": bands.promise(p, key=f"risk-promise-{p['id']}"),
            "hidden_breach": "hidden_breach" in p["flags"],
        }
        for p in at_risk
    ]
    return {
        "scored": True,
        "rows": Rows(items=rows[:ROWS_SHOWN], total=len(rows)),
        "departments": sorted(departments.values()) if departments is not None else None,
    }


# --- Running the tenant -------------------------------------------------------------------------


def setup_steps(membership: Membership) -> list[dict[str, Any]]:
    """The first steps of a new tenant, each done or not, with where to do it. One query."""
    done = (
        Tenant.objects.filter(pk=membership.tenant_id)
        .annotate(
            departments=Exists(Department.objects.all()),
            touchpoints=Exists(Touchpoint.objects.all()),
            members=Exists(Membership.objects.exclude(pk=membership.pk)),
            invitations=Exists(Invitation.objects.all()),
            promise=Exists(Promise.objects.all()),
            api_key=Exists(ApiKey.objects.filter(revoked_at__isnull=True)),
        )
        .values("departments", "touchpoints", "members", "invitations", "promise", "api_key")
        .get()
    )
    return [
        {
            "key": "departments",
            "done": done["departments"],
            "text": "Add your departments: the teams that share accountability for promises.",
            "url": reverse("console_departments"),
            "link": "Add departments",
        },
        {
            "key": "touchpoints",
            "done": done["touchpoints"],
            "text": "Define the customer journey: the touchpoints where customers meet you, in order.",
            "url": reverse("console_touchpoints"),
            "link": "Add touchpoints",
        },
        {
            "key": "members",
            "done": done["members"] or done["invitations"],
            "text": "Invite your colleagues, each with a role and departments.",
            "url": reverse("console_member_invite"),
            "link": "Invite a colleague",
        },
        {
            "key": "promise",
            "done": done["promise"],
            "text": "Write your first customer promise and what it commits to.",
            "url": reverse("promise_create"),
            "link": "Write a promise",
        },
        {
            "key": "api_key",
            "done": done["api_key"],
            "text": "Connect a partner system (a survey tool, a helpdesk) with an API key.",
            "url": reverse("console_api_key_create"),
            "link": "Create an API key",
        },
    ]


def tenant_health(*, now: datetime) -> dict[str, Any]:
    """What an admin should act on: keys expiring soon, failed imports and e-mails that could
    not be delivered (the last 30 days)."""
    keys = first_rows(api_keys_expiring(within=KEY_EXPIRY_WARNING, now=now))
    imports = first_rows(signal_imports_failed(since=now - HEALTH_WINDOW))
    deliveries = first_rows(outbox_failing(since=now - HEALTH_WINDOW).defer("body_text", "body_html"))
    return {
        "keys": keys,
        "imports": imports,
        "deliveries": deliveries,
        "problems": keys.total + imports.total + deliveries.total,
        "key_days": KEY_EXPIRY_WARNING.days,
        "window_days": HEALTH_WINDOW.days,
    }


# --- Scores ---------------------------------------------------------------------------------------


def company_scores(run, bands: RunBands | None = None) -> dict[str, Any] | None:
    """The company's score, its promises (the lowest score first) and departments, from the
    latest stored run, each with the band its dashboard gives it; None before the first run."""
    if run is None:
        return None
    bands = bands or RunBands(run)
    result = run.result
    promises = sorted(result["promises"], key=lambda p: (p["score"] is None, p["score"] or 0, p["title"]))
    return {
        "as_of": run.as_of,
        "tenant": result["tenant"],
        "band": bands.tenant(key="home-tenant"),
        "promises": Rows(
            items=[
                {**p, "band": bands.promise(p, key=f"home-promise-{p['id']}")}
                for p in promises[:PROMISES_SHOWN]
            ],
            total=len(promises),
        ),
        "departments": [
            {**d, "band": bands.department(d, key=f"home-department-{d['id']}")}
            for d in result["departments"]
            if d["score"] is not None
        ],
    }


# --- The page -------------------------------------------------------------------------------------


_UNREAD = object()


# --- Actions ------------------------------------------------------------------------------------


def my_actions(membership: Membership, *, tenant: Tenant, now: datetime) -> Rows:
    """The open actions ``membership`` owns, soonest due first (overdue ones marked), in one query."""
    today = now.astimezone(zoneinfo.ZoneInfo(tenant.time_zone)).date()
    rows = first_rows(owner_actions(membership=membership, today=today))
    return Rows(items=[action_row(a, today=today) for a in rows.items], total=rows.total)


def home_counts(
    *, membership: Membership, now: datetime | None = None, run: Any = _UNREAD, bands: RunBands | None = None
) -> dict[str, Any]:
    """The sections that carry a count of things waiting for ``membership`` (the strip at the
    top of the page, redrawn after each decision). ``run``: the latest run, if already read;
    ``bands``: its bands, if already made."""
    now = now or timezone.now()
    sections: dict[str, Any] = {}
    if can(membership, "escalation.decide"):
        sections.update(escalations_for_decision(membership, now=now))
    if can(membership, "promise.edit"):
        if run is _UNREAD:
            run = score_run_latest()
        sections["at_risk"] = promises_at_risk(membership, run, bands)
    if can(membership, "escalation.work"):
        sections["owned"] = escalations_owned(membership, now=now)
    if can(membership, "promise.sign_off"):
        sections["sign_offs"] = sign_offs_waiting(membership)
    if can(membership, "followup.view"):
        sections["followups"] = {"total": followup_open_count(membership=membership)}
    return sections


def home_page(
    *, membership: Membership, now: datetime | None = None, tenant: Tenant | None = None
) -> dict[str, Any]:
    """Every section ``membership`` may see (absent keys: sections they may not), and the
    names of their departments (``member_departments``). ``tenant``: the membership's, if at hand."""
    now = now or timezone.now()
    run = score_run_latest() if can(membership, "scores.view") else _UNREAD
    bands = RunBands(run) if run not in (None, _UNREAD) else None
    sections = home_counts(membership=membership, now=now, run=run, bands=bands)
    if can(membership, "story.log"):
        sections["stories"] = my_recent_stories(membership)
    if can(membership, "action.update"):
        sections["actions"] = my_actions(membership, tenant=tenant or membership.tenant, now=now)
    if can(membership, "tenant.settings.edit"):
        steps = setup_steps(membership)
        sections["setup"] = {
            "steps": steps,
            "done": sum(step["done"] for step in steps),
            "complete": all(step["done"] for step in steps),
        }
        sections["health"] = tenant_health(now=now)
    if can(membership, "scores.view"):
        sections["scores"] = company_scores(run, bands)
    sections["member_departments"] = list(
        membership.departments.order_by("name").values_list("name", flat=True)
    )
    return sections
