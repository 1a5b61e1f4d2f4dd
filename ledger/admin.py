"""The ledger, read-only (R-PAY-4): every movement of money or points, balances per merchant and
plan, and CSV exports. Corrections are new entries written by the services, never edits here."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.exports import export_action
from backoffice.scoping import ReadOnlyAdmin, actor_for
from catalogue.models import Plan
from kernel.csv import csv_response
from kernel.money import to_fen
from merchants.models import Shop

from . import services
from .columns import ENTRY_COLUMNS
from .models import Entry, EntryKind

BALANCE_COLUMNS = [
    (gettext_lazy("premiums charged"), EntryKind.PREMIUM_CHARGED),
    (gettext_lazy("premiums refunded"), EntryKind.PREMIUM_REFUNDED),
    (gettext_lazy("net premiums"), "net_premiums"),
    (gettext_lazy("paid to merchants"), EntryKind.CLAIM_PAID),
    (gettext_lazy("shipping allowances"), EntryKind.SHIPPING_ALLOWANCE_PAID),
    (gettext_lazy("claims paid"), "claims_paid"),
    (gettext_lazy("insurer net"), "insurer_net"),
    (gettext_lazy("points granted"), "points"),
]


def _shown(values, key):
    # Sums come back with the database's scale (SQLite drops trailing zeros): show fen.
    return values[key] if key == "points" else to_fen(values[key])


@admin.register(Entry)
class EntryAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "kind", "amount", "points", "shop", "plan", "insurer", "policy", "claim", "payee")
    list_select_related = ("shop", "plan", "insurer", "policy", "claim")
    list_filter = (
        "kind",
        ("plan", admin.RelatedOnlyFieldListFilter),
        ("insurer", admin.RelatedOnlyFieldListFilter),
        ("created_at", admin.DateFieldListFilter),
    )
    search_fields = ("=shop__shop_id", "=policy__policy_no", "=claim__claim_id", "=payee")
    ordering = ("-created_at", "-id")
    list_per_page = 100
    actions = [export_action("ledger", ENTRY_COLUMNS)]
    change_list_template = "backoffice/ledger_change_list.html"

    def get_urls(self):
        balances = self.admin_site.admin_view(self.balances_view)
        return [path("balances/", balances, name="ledger_entry_balances")] + super().get_urls()

    def balances_view(self, request):
        """R-PAY-4: balances per merchant and plan, from the ledger, in the viewer's scope."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        groups = services.balances(self.scope(Entry.objects.all(), actor_for(request)), by=("shop", "plan"))
        shops = Shop.objects.in_bulk({shop for shop, _plan in groups})
        plans = Plan.objects.in_bulk({plan for _shop, plan in groups})
        rows = [
            {"shop": shops[shop], "plan": plans[plan], "values": [_shown(values, key) for _h, key in BALANCE_COLUMNS]}
            for (shop, plan), values in sorted(groups.items(), key=lambda item: (shops[item[0][0]].shop_id, item[0][1]))
        ]
        if request.GET.get("export") == "csv":
            header = [_("shop"), _("plan")] + [h for h, _key in BALANCE_COLUMNS]
            return csv_response("balances", header, ([r["shop"].shop_id, r["plan"].code, *r["values"]] for r in rows))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Balances per merchant and plan"),
            "headers": [h for h, _key in BALANCE_COLUMNS],
            "rows": rows,
        }
        return TemplateResponse(request, "backoffice/balances.html", context)
