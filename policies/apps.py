from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoliciesConfig(AppConfig):
    name = "policies"
    verbose_name = _("Orders, policies and invoices")

    def ready(self):
        from . import notice_texts  # noqa: F401, PLC0415 -- registers how the invoices' notices read
