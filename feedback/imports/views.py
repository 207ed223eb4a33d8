"""The CSV import pages: upload, progress, the rejected rows, the templates."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from feedback.imports import services
from feedback.imports.forms import SignalImportForm
from feedback.imports.models import SignalImport
from feedback.pages import GET_POST
from tenants.csvexport import csv_lines
from tenants.errors import DomainError
from tenants.formonce import send_once
from tenants.forms import add_service_error
from tenants.permissions import action_required

# --- CSV import -------------------------------------------------------------------------------


@action_required("signal.import")
@GET_POST
def signal_import_new(request):
    form = SignalImportForm(request.POST or None, request.FILES or None)

    def create():
        try:
            signal_import = services.signal_import_create(
                tenant=request.tenant,
                kind=form.cleaned_data["kind"],
                content=form.cleaned_data["file"],
                file_name=request.FILES["file"].name,
                actor=request.membership,
            )
        except (DomainError, ValidationError) as error:
            add_service_error(form, error)
            return None
        messages.success(request, "File received; the import runs now. This page shows its progress.")
        url = reverse("signal_import_detail", args=[signal_import.pk])
        return url, redirect(url)

    if request.method == "POST" and form.is_valid() and (response := send_once(request, form, create)):
        return response
    recent = SignalImport.objects.defer("content", "report")[:10]
    return render(request, "feedback/import_form.html", {"form": form, "recent": recent})


def _import_or_404(pk: int, *, with_report: bool = False) -> SignalImport:
    imports = SignalImport.objects.defer("content")
    if not with_report:
        imports = imports.defer("content", "report")
    signal_import = imports.filter(pk=pk).first()
    if signal_import is None:
        raise Http404("No such import.")
    return signal_import


@action_required("signal.import")
@require_GET
def signal_import_page(request, pk: int):
    signal_import = _import_or_404(pk, with_report=True)
    return render(request, "feedback/import_detail.html", {"imp": signal_import})


@action_required("signal.import")
@require_GET
def signal_import_status(request, pk: int):
    """The status partial the import page polls (htmx) until the import ends."""
    signal_import = _import_or_404(pk, with_report=True)
    return render(request, "feedback/_import_status.html", {"imp": signal_import})


@action_required("signal.import")
@require_GET
def signal_import_rejected(request, pk: int):
    signal_import = _import_or_404(pk, with_report=True)
    rows = csv_lines(services.signal_import_rejected_csv(signal_import=signal_import))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{signal_import.pk}-rejected.csv"'
    return response


@action_required("signal.import")
@require_GET
def signal_import_template(request, kind: str):
    if kind not in SignalImport.Kind.values:
        raise Http404("No such import kind.")
    measure_kind = request.GET.get("measure_kind", "duration") if kind == "service_events" else ""
    if measure_kind and measure_kind not in services.EVENT_TEMPLATES:
        raise Http404("No such measure kind: duration, rate or average.")
    response = HttpResponse(
        services.signal_import_template(kind=kind, measure_kind=measure_kind or "duration"),
        content_type="text/csv; charset=utf-8",
    )
    name = f"{kind}-{measure_kind}" if measure_kind else kind
    response["Content-Disposition"] = f'attachment; filename="{name}-template.csv"'
    return response
