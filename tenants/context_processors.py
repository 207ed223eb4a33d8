from django.conf import settings


def tenant(request):
    return {
        "tenant": getattr(request, "tenant", None),
        "membership": getattr(request, "membership", None),
        "base_domain": settings.CXGOV_BASE_DOMAIN,
    }
