"""Views used only by the connection-reuse tests, mounted beside the real URLs."""

from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import include, path

from tenants.models import Department
from tenants.services import department_create


def seen(request):
    """What this request can see, through the ORM and through raw SQL, and on which connection."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM tenants_department ORDER BY 1")
        raw = [row[0] for row in cursor.fetchall()]
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    orm = sorted(
        set(Department.objects.unscoped().values_list("tenant_id", flat=True))
    )  # unscoped: RLS under test
    return JsonResponse({"raw": raw, "orm": orm, "pid": pid})


def fail_mid_transaction(request):
    with transaction.atomic():
        department_create(tenant=request.tenant, name="Half-written")
        list(Department.objects.all())
        raise RuntimeError("failure in the middle of a transaction")


seen.cxgov_action = fail_mid_transaction.cxgov_action = "tenant.view"

urlpatterns = [
    path("test/seen", seen),
    path("test/fail", fail_mid_transaction),
    path("", include("cxgov.urls")),
]
