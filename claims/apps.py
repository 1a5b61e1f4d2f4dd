from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClaimsConfig(AppConfig):
    name = "claims"
    verbose_name = _("Refund requests and claims")

    def ready(self):
        from . import notice_texts  # noqa: F401, PLC0415 -- registers how the claims' notices read
