from django.apps import apps
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from .scoping import may_enter


class StaffLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not may_enter(user):
            # A merchant is told what anyone with a wrong password is told.
            raise self.get_invalid_login_error()


# The day's work first, reference data and administration last.
APP_ORDER = ("backoffice", "claims", "merchants", "policies", "ledger", "notices", "integrations", "catalogue")


class ZhibaoAdminSite(admin.AdminSite):
    site_header = _("Zhibao back office")
    site_title = _("Zhibao")
    index_title = _("Today")
    login_form = StaffLoginForm
    site_url = None  # staff have no public site to go back to

    def __init__(self, name="admin"):
        super().__init__(name)
        # Nothing in the back office is deleted: records of what happened are kept.
        self.disable_action("delete_selected")

    def has_permission(self, request):
        return may_enter(request.user)

    def get_urls(self):
        from . import evidence, figures

        return [
            path("figures/", self.admin_view(figures.dashboard), name="figures"),
            path("evidence/<int:pk>/", self.admin_view(evidence.serve), name="evidence"),
        ] + super().get_urls()

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        by_label = {app["app_label"]: app for app in app_list}
        for label, name, view, perm in (
            ("backoffice", _("Service figures"), "admin:figures", "backoffice.view_figures"),
            ("ledger", _("Balances per merchant and plan"), "admin:ledger_entry_balances", "ledger.view_entry"),
        ):
            if app_label in (None, label) and request.user.has_perm(perm):
                app = by_label.get(label) or self._empty_app(label, app_list)
                app["models"].append({"name": name, "object_name": view.split(":")[1], "admin_url": reverse(view)})
        rank = {label: i for i, label in enumerate(APP_ORDER)}
        return sorted(app_list, key=lambda app: rank.get(app["app_label"], len(rank)))

    def _empty_app(self, label, app_list):
        app = {
            "name": apps.get_app_config(label).verbose_name,
            "app_label": label,
            "app_url": reverse("admin:app_list", kwargs={"app_label": label}),
            "has_module_perms": True,
            "models": [],
        }
        app_list.append(app)
        return app

    def index(self, request, extra_context=None):
        from .today import cards

        return super().index(request, {**(extra_context or {}), "cards": cards(request)})
