"""Score dashboards: the tenant overview, a promise, a department, the journey map.

Every page reads the newest score run (``metrics.dashboards``) and never recomputes; before
the first run each shows an empty state. Views hand templates plain data only, so rendering
takes no query. Another tenant's promise or department answers 404 like a missing one (the
tenant-scoped managers cannot see it).
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from metrics import dashboards
from promises.models import Promise
from tenants.models import Department
from tenants.permissions import action_required, can


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
