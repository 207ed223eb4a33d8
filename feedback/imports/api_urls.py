"""The partner API's view of CSV imports: each import's status and counts, read only.

Imports are uploaded in the web console (admins); a partner system that waits for one reads
its result here, or receives ``import.finished`` (docs/webhooks.md).
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.routers import SimpleRouter

from feedback.imports.models import SignalImport
from feedback.imports.selectors import signal_import_queryset
from tenants.api_base import CursorPagination, problem_responses
from tenants.api_urls import TenantResourceViewSet


class SignalImportSerializer(serializers.ModelSerializer):
    """An import's status and counts; ``report`` lists its rejected rows with their errors."""

    class Meta:
        model = SignalImport
        fields = [
            "id",
            "kind",
            "file_name",
            "status",
            "total_rows",
            "processed_rows",
            "created_count",
            "updated_count",
            "unchanged_count",
            "rejected_count",
            "report",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ImportPagination(CursorPagination):
    ordering = "-id"


@extend_schema_view(
    list=extend_schema(responses={200: SignalImportSerializer, **problem_responses(400, 401, 403, 429)}),
    retrieve=extend_schema(responses={200: SignalImportSerializer, **problem_responses(401, 403, 404, 429)}),
)
class SignalImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantResourceViewSet):
    """CSV imports of the API key's tenant."""

    model = SignalImport
    queryset_selector = staticmethod(signal_import_queryset)
    serializer_class = SignalImportSerializer
    pagination_class = ImportPagination
    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    cxgov_actions = {"list": "signal.import_view", "retrieve": "signal.import_view"}

    def list(self, request, *args, **kwargs):
        """CSV imports, newest first, a page at a time (follow `next`)."""
        return super().list(request, *args, **kwargs)

    def retrieve(self, request, *args, **kwargs):
        """One CSV import: its status, how many rows were created, updated, unchanged and
        rejected, and the rejected rows with their errors."""
        return super().retrieve(request, *args, **kwargs)


router = SimpleRouter(trailing_slash=False)
router.register("imports", SignalImportViewSet, basename="api-import")

urlpatterns = [path("v1/", include(router.urls))]
