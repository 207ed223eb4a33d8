"""Score dashboards: the tenant overview, a promise, a department, the journey map; and the
measures over time (``metrics.measures``), where admins set each measure's benchmarks.

Every page reads the newest score run (``metrics.dashboards``) and never recomputes; before
the first run each shows an empty state. Views hand templates plain data only, so rendering
takes no query. Another tenant's promise or department answers 404 like a missing one (the
tenant-scoped managers cannot see it).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from metrics import dashboards, measures
from metrics.actions.selectors import promise_actions
from metrics.forms import BenchmarkForm, MeasureFilterForm
from promises.commitments.selectors import measure_get_by_key
from promises.commitments.services import benchmark_remove, benchmark_set
from promises.models import Measure, MeasureBenchmark, Promise
from tenants.errors import DomainError
from tenants.forms import add_service_error
from tenants.models import Department, Touchpoint
from tenants.permissions import action_required, can, enforce


@action_required("scores.view")
@require_GET
def overview(request):
    return render(request, "metrics/overview.html", {"scores": dashboards.overview(tenant=request.tenant)})


@action_required("scores.view")
@require_GET
def promise_page(request, slug: str):
    promise = get_object_or_404(Promise.objects.only("id", "slug", "title", "kind", "status"), slug=slug)
    return render(
        request,
        "metrics/promise.html",
        {
            "promise": {
                "id": promise.pk,
                "slug": promise.slug,
                "title": promise.title,
                "status": promise.get_status_display(),
                "is_brand": promise.kind == Promise.Kind.BRAND,
            },
            "scores": dashboards.promise_scores(tenant=request.tenant, promise=promise),
            "page_obj": dashboards.promise_survey_comments(promise=promise, page=request.GET.get("page")),
            "actions": promise_actions(tenant=request.tenant, promise_id=promise.pk, now=timezone.now()),
        },
    )


@action_required("scores.view")
@require_GET
def department_page(request, slug: str):
    department = get_object_or_404(Department.objects.only("id", "slug", "name"), slug=slug)
    return render(
        request,
        "metrics/department.html",
        {
            "department": {"id": department.pk, "slug": department.slug, "name": department.name},
            "scores": dashboards.department_scores(department=department),
        },
    )


@action_required("scores.view")
@require_GET
def journey(request):
    return render(
        request,
        "metrics/journey.html",
        {"journey": dashboards.journey(), "can_add_commitment": can(request.membership, "promise.edit")},
    )


# --- Measures over time ------------------------------------------------------------------------


@action_required("scores.view")
@require_GET
def measure_list(request):
    return render(request, "metrics/measures.html", {"measures": measures.measure_rows()})


def _measure_or_404(key: str) -> Measure:
    """The measure of the URL (a built-in one is created on first use); 404 for a missing one
    or another tenant's."""
    try:
        return measure_get_by_key(key=key)
    except DomainError:
        raise Http404("No such measure.") from None


@action_required("scores.view")
@require_http_methods(["GET", "POST"])
def measure_page(request, key: str):
    """A measure per month or quarter, filtered; admins add and change its benchmarks (POST)."""
    measure = _measure_or_404(key)
    may_edit = can(request.membership, "measure.benchmarks")
    benchmark_form = BenchmarkForm(request.POST or None) if may_edit else None
    if request.method == "POST":
        enforce(request, "measure.benchmarks")
        if benchmark_form.is_valid():
            data = benchmark_form.cleaned_data
            try:
                benchmark = benchmark_set(
                    tenant=request.tenant,
                    measure=measure,
                    label=data["label"],
                    value=data["value"],
                    source=data["source"],
                )
            except DomainError as error:
                add_service_error(benchmark_form, error)
            else:
                messages.success(request, f"Benchmark “{benchmark.label}” of {measure.name} saved.")
                url = reverse("measure_page", args=[measure.key])
                return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    starts = measures.period_starts("month")
    thresholds = measures.duration_thresholds(measure)
    form = MeasureFilterForm(
        request.GET or None,
        measure=measure,
        touchpoints=list(Touchpoint.objects.order_by("position", "id").only("id", "slug", "name")),
        segments=measures.segment_options(measure, since=starts[0]),
        thresholds=thresholds,
    )
    status = 200
    series = chart = split_chart = None
    if form.is_bound and not form.is_valid():
        status = 400
    else:
        series = measures.measure_series(measure=measure, filters=form.filters())
    benchmarks = measures.benchmark_rows(measure)
    if series is not None:
        series.benchmarks = benchmarks
        chart = measures.series_chart(series)
        if measure.key == "nps":
            split_chart = measures.nps_split_chart(series)
    if request.method == "POST":
        status = 400  # the benchmark form was refused: its errors are on the page
    return render(
        request,
        "metrics/measure.html",
        {
            "measure": measure,
            "form": form,
            "series": series,
            "chart": chart,
            "split_chart": split_chart,
            "benchmarks": benchmarks,
            "benchmark_form": benchmark_form,
            "thresholds": thresholds,
            "min_answers": measures.MIN_ANSWERS,
            "query": request.GET.urlencode(),
        },
        status=status,
    )


@action_required("measure.benchmarks")
@require_POST
def benchmark_remove_view(request, key: str, pk: int):
    measure = _measure_or_404(key)
    benchmark = MeasureBenchmark.objects.filter(measure=measure, pk=pk).first()
    if benchmark is None:
        raise Http404("No such benchmark.")
    benchmark_remove(tenant=request.tenant, benchmark=benchmark)
    messages.success(request, f"Benchmark “{benchmark.label}” of {measure.name} removed.")
    return redirect("measure_page", key=measure.key)
