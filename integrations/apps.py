from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = _("Integrations")

    def ready(self):
        # drf-spectacular finds the token scheme through this extension's registration.
        from .api import schema  # noqa: F401
