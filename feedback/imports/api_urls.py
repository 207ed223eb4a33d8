"""The partner API's CSV imports: upload one (``feedback:write``), then read its status and counts.

Imports are uploaded in the web console (admins) or here by API key; a partner system that waits
for one reads its result here, or receives ``import.finished`` (docs/webhooks.md).
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from feedback.imports import services
from feedback.imports.models import SignalImport
from feedback.imports.selectors import signal_import_queryset
from tenants.api_base import CursorPagination, SafeJSONParser, problem_responses
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


class SignalImportUploadSerializer(serializers.Serializer):
    """A CSV upload: ``multipart/form-data`` with the fields ``kind`` and ``file``."""

    kind = serializers.ChoiceField(
        choices=sorted(services.IMPORT_COLUMNS),
        help_text="What the rows are; the columns each kind takes are in docs/feedback-api.md.",
        error_messages={
            "invalid_choice": "Unknown import kind {input!r}; use one of: "
            + ", ".join(sorted(services.IMPORT_COLUMNS))
            + "."
        },
    )
    file = serializers.FileField(
        help_text="The CSV file: UTF-8, comma-separated, with a header row; at most 20 MB.",
        error_messages={
            "required": "Attach the CSV file as the multipart field file.",
            "invalid": "Send the CSV file as the multipart field file (multipart/form-data).",
            "empty": "The file is empty; send a CSV file with a header row.",
        },
    )

    def validate_file(self, upload) -> str:
        limit = services.IMPORT_MAX_BYTES
        if upload.size > limit:
            raise serializers.ValidationError(
                f"The file is larger than {limit // (1024 * 1024)} MB; split it into several imports."
            )
        try:
            return upload.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise serializers.ValidationError(
                "The file is not UTF-8 text; save it as “CSV UTF-8” and send it again."
            ) from None


class ImportPagination(CursorPagination):
    ordering = "-id"


@extend_schema_view(
    list=extend_schema(responses={200: SignalImportSerializer, **problem_responses(400, 401, 403, 429)}),
    retrieve=extend_schema(responses={200: SignalImportSerializer, **problem_responses(401, 403, 404, 429)}),
    create=extend_schema(
        request={"multipart/form-data": SignalImportUploadSerializer},
        responses={202: SignalImportSerializer, **problem_responses(400, 401, 403, 429)},
    ),
)
class SignalImportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, TenantResourceViewSet):
    """CSV imports of the API key's tenant."""

    model = SignalImport
    queryset_selector = staticmethod(signal_import_queryset)
    serializer_class = SignalImportSerializer
    pagination_class = ImportPagination
    lookup_value_regex = r"[0-9]+"
    filter_backends: list = []
    # A JSON body is read too, so that one without a file is told which field to send.
    parser_classes = [MultiPartParser, SafeJSONParser]
    cxgov_actions = {
        "list": "signal.import_view",
        "retrieve": "signal.import_view",
        "create": "signal.import",
    }

    def create(self, request, *args, **kwargs):
        """Upload a CSV import (``multipart/form-data``: ``kind`` and ``file``). The header is
        checked at once (400 naming the field); the rows are checked and stored in the
        background: follow the import's `status` here, or receive ``import.finished``."""
        upload = SignalImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        signal_import = services.signal_import_create(
            tenant=self.tenant,
            kind=upload.validated_data["kind"],
            content=upload.validated_data["file"],
            actor=None,
            api_key=request.auth,
            file_name=getattr(request.data.get("file"), "name", "") or "",
        )
        return Response(self.get_serializer(signal_import).data, status=status.HTTP_202_ACCEPTED)

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
