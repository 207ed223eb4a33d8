from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Tenants"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from tenants import (  # noqa: F401  (connect their receivers)
            apikey_cache,  # forgets a cached API key when it or its tenant changes
            auth,  # the sign-in and MFA security events
        )
