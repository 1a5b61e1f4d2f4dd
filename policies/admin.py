"""Staff screens for sub-orders, policies and premium invoices (domain.md §4, §10)."""

from django import forms
from django.contrib import admin
from django.db.models import Case, Value, When
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from backoffice.actions import ActionForm, ObjectAction, ObjectActionsMixin
from backoffice.display import state_badge
from backoffice.exports import export_action
from backoffice.scoping import ReadOnlyAdmin
from catalogue.models import Holiday
from kernel.timeutil import working_days_left

from . import services
from .choices import InvoiceStatus
from .columns import INVOICE_COLUMNS, POLICY_COLUMNS
from .models import Invoice, Policy, SubOrder
from .workflow import TRANSITIONS

INVOICES = "backoffice.handle_invoices"


@admin.register(SubOrder)
class SubOrderAdmin(ReadOnlyAdmin):
    list_display = (
        "sub_order_id",
        "order_id",
        "shop",
        "warranty_plan",
        "paid_amount",
        "placed_at",
        "covered_column",
        "shipped_at",
        "receipt_confirmed_at",
        "cancelled_at",
    )
    list_select_related = ("shop", "warranty_plan")
    list_filter = (("shop", admin.RelatedOnlyFieldListFilter), "warranty_plan", "not_covered_reason")
    search_fields = ("=sub_order_id", "=order_id", "=buyer_id")
    ordering = ("-placed_at",)

    @admin.display(description=gettext_lazy("covered"), boolean=True)
    def covered_column(self, sub_order):
        return sub_order.covered


@admin.register(Policy)
class PolicyAdmin(ReadOnlyAdmin):
    list_display = (
        "policy_no",
        "sub_order",
        "shop",
        "plan",
        "insurer",
        "status_badge",
        "premium",
        "rate",
        "issued_at",
        "cover_ends_at",
        "claim_paid",
    )
    list_select_related = ("sub_order", "shop", "plan", "insurer")
    list_filter = ("status", "claim_paid", "plan", ("insurer", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=policy_no", "=sub_order__sub_order_id")
    ordering = ("-issued_at",)
    actions = [
        export_action("policies", POLICY_COLUMNS),
    ]

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, policy):
        return state_badge(policy)


class ShipForm(ActionForm):
    carrier = forms.CharField(label=gettext_lazy("Courier"), max_length=40)
    tracking_number = forms.CharField(label=gettext_lazy("Courier tracking no."), max_length=60)


class RefuseForm(ActionForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


def _issue(invoice, actor, request, data):
    services.issue_invoice(invoice, actor)
    return _("Invoice %s issued.") % invoice


def _ship(invoice, actor, request, data):
    services.ship_invoice(invoice, actor, carrier=data["carrier"], tracking_number=data["tracking_number"])
    return _("Invoice %(no)s shipped: %(tracking)s.") % {"no": invoice, "tracking": data["tracking_number"]}


def _refuse(invoice, actor, request, data):
    services.refuse_invoice(invoice, actor, reason=data["reason"])
    return _("Invoice request %s refused; its premiums may be requested again.") % invoice


@admin.register(Invoice)
class InvoiceAdmin(ObjectActionsMixin, ReadOnlyAdmin):
    """The invoice queue: requests waiting first, the nearest working-day deadline first (R-INV-2)."""

    list_select_related = ("shop", "insurer")
    list_filter = ("status", "is_late", ("insurer", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=invoice_no", "=shop__shop_id", "=tracking_number")
    # Requests still waiting first, the nearest deadline first.
    ordering = (Case(When(status=InvoiceStatus.REQUESTED, then=Value(0)), default=Value(1)).asc(), "due_at")
    readonly_fields = (
        "invoice_no",
        "shop",
        "insurer",
        "period_start",
        "period_end",
        "total",
        "policy_count",
        "title",
        "tax_id",
        "status",
        "requested_at",
        "due_at",
        "is_late",
        "issued_at",
        "shipped_at",
        "carrier",
        "tracking_number",
        "refused_reason",
    )
    fields = readonly_fields
    object_actions = (
        ObjectAction(
            "ship",
            gettext_lazy("Issue and ship with tracking number"),
            ShipForm,
            _ship,
            INVOICES,
            (TRANSITIONS, "ship_invoice"),
            (InvoiceStatus.REQUESTED, InvoiceStatus.ISSUED),
            help=gettext_lazy("The merchant sees the courier tracking number of the paper invoice."),
        ),
        ObjectAction(
            "issue",
            gettext_lazy("Mark issued"),
            ActionForm,
            _issue,
            INVOICES,
            (TRANSITIONS, "issue_invoice"),
            (InvoiceStatus.REQUESTED,),
        ),
        ObjectAction(
            "refuse",
            gettext_lazy("Refuse"),
            RefuseForm,
            _refuse,
            INVOICES,
            (TRANSITIONS, "refuse_invoice"),
            (InvoiceStatus.REQUESTED,),
            tone="danger",
        ),
    )
    actions = [
        export_action("invoices", INVOICE_COLUMNS),
    ]

    def get_list_display(self, request):
        # One read of the holidays per page, not one per row.
        holidays = set(Holiday.objects.filter(date__gte=timezone.localdate()).values_list("date", flat=True))
        now = timezone.now()

        @admin.display(description=gettext_lazy("working days left"), ordering="due_at")
        def working_days(invoice):
            if invoice.status != InvoiceStatus.REQUESTED:
                return "—"
            left = working_days_left(now, invoice.due_at, holidays)
            if left is None:
                return format_html('<span class="zb-countdown zb-breached">{}</span>', _("overdue"))
            tone = "warn" if left <= 1 else "ok"
            return format_html('<span class="zb-countdown zb-{}">{}</span>', tone, left)

        return (
            "invoice_no",
            "shop",
            "insurer",
            "total",
            "policy_count",
            "status_badge",
            "requested_at",
            "due_at",
            working_days,
            "is_late",
            "tracking_number",
        )

    @admin.display(description=gettext_lazy("status"), ordering="status")
    def status_badge(self, invoice):
        return state_badge(invoice)
