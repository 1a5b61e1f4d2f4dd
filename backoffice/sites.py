from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .scoping import may_enter


class StaffLoginForm(AdminAuthenticationForm):
    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not may_enter(user):
            # A merchant is told what anyone with a wrong password is told.
            raise self.get_invalid_login_error()


class ZhibaoAdminSite(admin.AdminSite):
    site_header = _("Zhibao back office")
    site_title = _("Zhibao")
    index_title = _("Today")
    login_form = StaffLoginForm

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

    def index(self, request, extra_context=None):
        from .today import cards

        return super().index(request, {**(extra_context or {}), "cards": cards(request)})
