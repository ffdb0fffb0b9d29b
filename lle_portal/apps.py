from django.apps import AppConfig


class LlePortalConfig(AppConfig):
    name = "lle_portal"
    verbose_name = "LLE Portal core"

    def ready(self) -> None:
        from . import audit

        audit.register_models()
