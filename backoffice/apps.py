from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    name = "backoffice"
    verbose_name = _("Back office")
    default = True


class ZhibaoAdminConfig(admin_apps.AdminConfig):
    """The stock admin with Zhibao's site: staff roles only, the desk and the figures."""

    default_site = "backoffice.sites.ZhibaoAdminSite"
    default = False
