"""The demo signals: a year of them for acme, with runs the dashboards can show."""

from __future__ import annotations

from django.core.management import call_command
from django.db.models import Max, Min

from feedback.signals.models import ServiceEvent, SurveyResponse
from feedback.stories.models import Story
from metrics.demo import seed_demo_signals
from metrics.models import BreachEvent, ScoreRun
from promises.demo import seed_demo_promises
from tenants.context import tenant_context
from tenants.demo import DEMO_TENANTS, seed_demo_tenant


def test_demo_signals_tell_a_story_and_seed_once(db):
    tenant = seed_demo_tenant(DEMO_TENANTS[0])
    seed_demo_promises(tenant)
    written = seed_demo_signals(tenant)
    assert 3000 < written < 10000
    with tenant_context(tenant):
        assert (
            SurveyResponse.objects.count() + ServiceEvent.objects.count() + Story.objects.count() == written
        )
        kinds = set(ScoreRun.objects.values_list("kind", flat=True))
        assert kinds == {"quarter_end", "daily", "recompute"}
        assert ScoreRun.objects.filter(kind="quarter_end").count() == 4
        newest = ScoreRun.objects.order_by("-as_of", "-id").first()
        assert newest.kind == "recompute"
        result = newest.result
        promises = {p["slug"]: p for p in result["promises"]}
        returns = promises["hassle-free-returns"]
        print(
            "RESULT",
            returns,
            [(c["measure"], c["actual"], c["n"], c["status"], c["score"]) for c in result["commitments"]],
            [r.result["tenant"] for r in ScoreRun.objects.filter(kind="quarter_end")],
        )
        assert "hidden_breach" in returns["flags"]
        ces = next(c for c in result["commitments"] if c["measure"] == "ces")
        assert ces["status"] == "not_met"
        refund = next(c for c in result["commitments"] if c["measure"] == "refund_processing")
        assert refund["status"] == "met" and refund["target"] == 90.0
        # The rate and average measures: a year of events each, scored where their promise is active.
        stars = next(c for c in result["commitments"] if c["measure"] == "review_stars")
        assert stars["status"] == "not_met" and stars["kind"] == "perceived" and 3 < stars["actual"] < 4
        fcr = next(c for c in result["commitments"] if c["measure"] == "first_contact_resolution")
        assert fcr["status"] == "met" and fcr["target_label"] == "at least 75 %"
        spans = ServiceEvent.objects.values("measure__key").annotate(
            first=Min("occurred_at"), last=Max("occurred_at")
        )
        spans = {s["measure__key"]: s["last"] - s["first"] for s in spans}
        for key in ("first_contact_resolution", "signin_blocked", "review_stars"):
            assert spans[key].days >= 360  # a year of them
        blocked = ServiceEvent.objects.filter(measure__key="signin_blocked")
        assert 0 < blocked.filter(outcome=True).count() < blocked.count() * 0.05
        # Quarter-end snapshots have scores: the trend has something to show.
        quarters = [r.result["tenant"]["score"] for r in ScoreRun.objects.filter(kind="quarter_end")]
        assert all(score is not None for score in quarters)
        open_kinds = set(BreachEvent.objects.filter(resolved_at__isnull=True).values_list("kind", flat=True))
        assert {"hidden_breach", "commitment_not_met"} <= open_kinds
        runs = ScoreRun.objects.count()

    assert seed_demo_signals(tenant) == 0
    call_command("seed_demo_scores")
    with tenant_context(tenant):
        assert ScoreRun.objects.count() == runs
