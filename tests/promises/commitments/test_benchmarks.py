"""Benchmarks per measure: values on the measure's scale, set one at a time (the measure page) or
as a whole list (``PUT /api/v1/measures/{key}/benchmarks``); audited; another tenant's measure
is not found."""

from __future__ import annotations

from decimal import Decimal

import pytest

from promises.commitments.services import (
    benchmark_remove,
    benchmark_set,
    benchmarks_replace,
    measure_create,
    measures_ensure_builtin,
)
from promises.models import Measure, MeasureBenchmark
from tenants.context import tenant_context
from tenants.errors import DomainError
from tenants.models import AuditEvent
from tests.promises.commitments.test_measures import api, problem


def _benchmarks(measure: Measure) -> list[tuple[str, Decimal, str]]:
    return list(
        MeasureBenchmark.objects.filter(measure=measure)
        .order_by("label")
        .values_list("label", "value", "source")
    )


# --- The services -----------------------------------------------------------------------------


def test_a_benchmark_is_added_and_changed_by_its_label(world):
    nps = world.measures["nps"]
    benchmark_set(tenant=world.tenant, measure=nps, label="Industry average", value="32", source="A study")
    benchmark_set(tenant=world.tenant, measure=nps, label="Best in class", value="-5.5")
    # The same label in other letters is the same benchmark: its value and source change.
    benchmark_set(tenant=world.tenant, measure=nps, label="industry AVERAGE", value="35")
    assert _benchmarks(nps) == [
        ("Best in class", Decimal("-5.500"), ""),
        ("industry AVERAGE", Decimal("35.000"), ""),
    ]
    # Audited like other configuration: two additions and the change, with the value before and after.
    actions = list(
        AuditEvent.objects.filter(model="promises.MeasureBenchmark")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["insert", "insert", "update"]
    change = AuditEvent.objects.get(model="promises.MeasureBenchmark", action="update")
    assert [float(v) for v in change.changes["value"]] == [32.0, 35.0]


@pytest.mark.parametrize(
    ("measure", "label", "value", "field", "words"),
    [
        ("nps", "Industry", "101", "value", "lies outside the NPS scale (−100 to 100)"),
        ("nps", "Industry", "-100.5", "value", "outside the NPS scale"),
        ("csat", "Industry", "120", "value", "CSAT scale (0 % to 100 %)"),
        ("ces", "Industry", "0.5", "value", "CES scale (1 to 7)"),
        ("nps", "Industry", "abc", "value", "must be a number"),
        ("nps", "Industry", "", "value", "Give the benchmark's value on the NPS scale"),
        ("nps", "Industry", "1.0005", "value", "more than 3 decimal places"),
        ("nps", "   ", "10", "label", "Give the benchmark a label"),
        ("nps", "x" * 81, "10", "label", "at most 80 characters"),
        ("nps", "Nul\x00", "10", "label", "NUL character"),
    ],
)
def test_a_value_off_the_measures_scale_or_a_bad_label_is_refused(world, measure, label, value, field, words):
    with pytest.raises(DomainError) as refused:
        benchmark_set(tenant=world.tenant, measure=world.measures[measure], label=label, value=value)
    assert refused.value.field == field
    assert words in refused.value.message
    assert not MeasureBenchmark.objects.exists()


def test_a_duration_benchmark_is_a_share_and_an_average_one_lies_on_its_declared_scale(world):
    stars = measure_create(
        tenant=world.tenant, key="review_stars", name="Review stars", kind="average", scale_min=1, scale_max=5
    )
    benchmark_set(tenant=world.tenant, measure=world.measures["refund_processing"], label="Peers", value="85")
    benchmark_set(tenant=world.tenant, measure=stars, label="Peers", value="4.2")
    with pytest.raises(DomainError, match=r"Review stars scale \(1 to 5\)"):
        benchmark_set(tenant=world.tenant, measure=stars, label="Too good", value="6")


def test_a_measure_holds_at_most_ten_benchmarks(world):
    csat = world.measures["csat"]
    for i in range(10):
        benchmark_set(tenant=world.tenant, measure=csat, label=f"Peer {i}", value=str(50 + i))
    with pytest.raises(DomainError, match="already has 10 benchmarks"):
        benchmark_set(tenant=world.tenant, measure=csat, label="One more", value="70")
    benchmark_set(tenant=world.tenant, measure=csat, label="Peer 3", value="90")  # a change still works
    assert MeasureBenchmark.objects.filter(measure=csat).count() == 10


def test_replacing_the_list_changes_adds_and_removes_and_writes_nothing_when_one_is_refused(world):
    nps = world.measures["nps"]
    benchmark_set(tenant=world.tenant, measure=nps, label="Industry average", value="30")
    benchmark_set(tenant=world.tenant, measure=nps, label="Last year", value="12")
    kept = MeasureBenchmark.objects.get(label="Industry average")
    benchmarks_replace(
        tenant=world.tenant,
        measure=nps,
        benchmarks=[{"label": "Industry average", "value": "30"}, {"label": "Best in class", "value": "60"}],
    )
    assert _benchmarks(nps) == [("Best in class", Decimal(60), ""), ("Industry average", Decimal(30), "")]
    assert MeasureBenchmark.objects.get(label="Industry average").pk == kept.pk  # unchanged, not rewritten
    assert not AuditEvent.objects.filter(
        model="promises.MeasureBenchmark", object_id=str(kept.pk), action="update"
    )

    with pytest.raises(DomainError, match="Benchmark 2: The value 250 lies outside the NPS scale"):
        benchmarks_replace(
            tenant=world.tenant,
            measure=nps,
            benchmarks=[{"label": "A", "value": "1"}, {"label": "B", "value": "250"}],
        )
    with pytest.raises(DomainError, match="Benchmark 2: the label 'a' is given twice"):
        benchmarks_replace(
            tenant=world.tenant,
            measure=nps,
            benchmarks=[{"label": "A", "value": "1"}, {"label": "a", "value": "2"}],
        )
    assert _benchmarks(nps) == [("Best in class", Decimal(60), ""), ("Industry average", Decimal(30), "")]

    benchmarks_replace(tenant=world.tenant, measure=nps, benchmarks=[])
    assert _benchmarks(nps) == []


def test_another_tenants_measure_or_benchmark_is_unknown(world, other_tenant):
    [theirs] = [m for m in measures_ensure_builtin(tenant=other_tenant) if m.key == "nps"]
    with pytest.raises(DomainError, match="Unknown measure"):
        benchmark_set(tenant=world.tenant, measure=theirs, label="Mine", value="1")
    their_benchmark = benchmark_set(tenant=other_tenant, measure=theirs, label="Theirs", value="1")
    with pytest.raises(DomainError, match="Unknown benchmark"):
        benchmark_remove(tenant=world.tenant, benchmark=their_benchmark)
    with tenant_context(other_tenant):
        assert MeasureBenchmark.objects.filter(pk=their_benchmark.pk).exists()


# --- The API ----------------------------------------------------------------------------------


def test_the_api_reads_and_replaces_a_measures_benchmarks(world):
    reader, writer = api(world.tenant, ["promises:read"]), api(world.tenant, ["promises:write"])
    url = "/api/v1/measures/nps/benchmarks"
    empty = reader.get(url)
    assert empty.status_code == 200
    assert empty.json() == {"measure": "nps", "scale": ["-100", "100"], "benchmarks": []}

    body = {
        "benchmarks": [
            {"label": "Industry average", "value": "32", "source": "Retail NPS study"},
            {"label": "Best in class", "value": "61.5"},
        ]
    }
    put = writer.put(url, body, format="json")
    assert put.status_code == 200, put.content
    assert put.json()["benchmarks"] == [
        {"label": "Best in class", "value": "61.500", "source": ""},
        {"label": "Industry average", "value": "32.000", "source": "Retail NPS study"},
    ]
    assert reader.get(url).json() == put.json()
    [audit] = AuditEvent.objects.filter(
        model="promises.MeasureBenchmark", action="insert", changes__label__1="Best in class"
    )
    assert audit.actor_kind == "api_key"


def test_the_api_says_which_benchmark_is_wrong_and_why(world):
    writer = api(world.tenant, ["promises:write"])
    url = "/api/v1/measures/csat/benchmarks"
    off_scale = problem(
        writer.put(
            url,
            {"benchmarks": [{"label": "A", "value": "50"}, {"label": "B", "value": "150"}]},
            format="json",
        ),
        400,
    )
    assert "Benchmark 2: The value 150 lies outside the CSAT scale (0 % to 100 %)" in str(off_scale)
    not_text = problem(writer.put(url, {"benchmarks": [{"label": "A", "value": 50}]}, format="json"), 400)
    assert "value" in str(not_text)
    missing = problem(writer.put(url, {}, format="json"), 400)
    assert "benchmarks" in str(missing)
    too_many = problem(
        writer.put(url, {"benchmarks": [{"label": f"P{i}", "value": "1"} for i in range(11)]}, format="json"),
        400,
    )
    assert "benchmarks" in str(too_many)
    assert not MeasureBenchmark.objects.exists()


def test_reading_needs_a_promises_scope_and_writing_promises_write(world):
    url = "/api/v1/measures/nps/benchmarks"
    body = {"benchmarks": [{"label": "A", "value": "1"}]}
    assert api(world.tenant, ["scores:read"]).get(url).status_code == 403
    problem(api(world.tenant, ["promises:read"]).put(url, body, format="json"), 403)
    assert api(world.tenant, ["promises:write"]).put(url, body, format="json").status_code == 200


def test_another_tenants_measure_answers_404(world, other_tenant):
    measure_create(tenant=other_tenant, key="their_measure", name="Theirs", kind="rate")
    writer = api(world.tenant, ["promises:write"])
    problem(writer.get("/api/v1/measures/their_measure/benchmarks"), 404)
    problem(writer.put("/api/v1/measures/their_measure/benchmarks", {"benchmarks": []}, format="json"), 404)
