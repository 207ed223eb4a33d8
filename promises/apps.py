from django.apps import AppConfig


class PromisesConfig(AppConfig):
    name = "promises"
    verbose_name = "Promises"
    default_auto_field = "django.db.models.BigAutoField"
