import datetime as dt
import secrets

from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kernel.money import MoneyField

from .choices import InvoiceStatus, PolicyStatus
from .querysets import InvoiceQuerySet, PolicyQuerySet, SubOrderQuerySet


class SubOrder(models.Model):
    """A sub-order (子订单) as the platform reported it. Immutable once created; its facts
    (shipment, receipt, cancellation) arrive as events."""

    sub_order_id = models.CharField(_("sub-order id"), max_length=64, unique=True)
    order_id = models.CharField(_("order id"), max_length=64)
    # Indexed by the (shop, placed_at) index below.
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="sub_orders", db_index=False)
    buyer_id = models.CharField(_("buyer id"), max_length=64)
    product_id = models.CharField(_("product id"), max_length=64)
    warranty_plan = models.ForeignKey(
        "catalogue.Plan", null=True, blank=True, on_delete=models.PROTECT, related_name="sub_orders"
    )
    paid_amount = MoneyField(_("paid amount"))
    placed_at = models.DateTimeField(_("placed at"))
    # R-POL-1 decided at placement: the enrolment, insurer and rate in force then.
    enrolment = models.ForeignKey(
        "merchants.Enrolment", null=True, blank=True, on_delete=models.PROTECT, related_name="sub_orders"
    )
    insurer = models.ForeignKey(
        "catalogue.Insurer", null=True, blank=True, on_delete=models.PROTECT, related_name="sub_orders"
    )
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4, null=True, blank=True)
    not_covered_reason = models.CharField(_("why not covered"), max_length=20, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    receipt_confirmed_at = models.DateTimeField(_("receipt confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    objects = SubOrderQuerySet.as_manager()

    class Meta:
        verbose_name = _("sub-order")
        verbose_name_plural = _("sub-orders")
        ordering = ["-placed_at", "-id"]
        # Not db_index on buyer_id: on PostgreSQL that adds an unused pattern-matching index too.
        indexes = [
            models.Index(fields=["shop", "-placed_at"]),
            models.Index(fields=["buyer_id"], name="suborder_buyer"),
        ]

    def __str__(self):
        return self.sub_order_id

    @property
    def covered(self):
        return self.enrolment_id is not None


def new_policy_no():
    return "ZB" + secrets.token_hex(8).upper()


class Policy(ConcurrentTransitionMixin, models.Model):
    """One policy per covered sub-order (R-POL-1), issued at shipment (R-POL-2)."""

    policy_no = models.CharField(_("policy no."), max_length=32, unique=True, default=new_policy_no)
    sub_order = models.OneToOneField(SubOrder, on_delete=models.PROTECT, related_name="policy")
    enrolment = models.ForeignKey("merchants.Enrolment", on_delete=models.PROTECT, related_name="policies")
    # Indexed by the (shop, issued_at) index below.
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="policies", db_index=False)
    plan = models.ForeignKey("catalogue.Plan", on_delete=models.PROTECT, related_name="policies")
    insurer = models.ForeignKey("catalogue.Insurer", on_delete=models.PROTECT, related_name="policies")
    status = FSMField(_("status"), default=PolicyStatus.ISSUED, choices=PolicyStatus.choices)
    rate = models.DecimalField(_("rate"), max_digits=6, decimal_places=4)
    premium = MoneyField(_("premium"))
    # Fixed at issue: later plan changes never alter a policy in force (domain.md §2).
    coverage_hours = models.PositiveIntegerField(_("coverage hours"))
    return_shipping_allowance = MoneyField(_("return shipping allowance"))
    issued_at = models.DateTimeField(_("issued at"))
    cover_starts_at = models.DateTimeField(_("cover starts"), null=True, blank=True)
    cover_ends_at = models.DateTimeField(_("cover ends"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    claim_paid = models.BooleanField(_("claim paid (理赔成功)"), default=False)
    invoice = models.ForeignKey("Invoice", null=True, blank=True, on_delete=models.SET_NULL, related_name="policies")

    objects = PolicyQuerySet.as_manager()

    class Meta:
        verbose_name = _("policy")
        verbose_name_plural = _("policies")
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["shop", "-issued_at"]),
            models.Index(fields=["status"], name="policy_status"),
            models.Index(fields=["cover_ends_at"], condition=models.Q(status="in_cover"), name="policy_expiry_due"),
        ]

    def __str__(self):
        return self.policy_no

    @transition(field=status, source=PolicyStatus.ISSUED, target=PolicyStatus.IN_COVER)
    def start_cover(self, at, reason, receipt_at):
        """R-POL-4: cover runs from the buyer's receipt confirmation for `coverage_hours`."""
        self.cover_starts_at = receipt_at
        self.cover_ends_at = receipt_at + dt.timedelta(hours=self.coverage_hours)

    @transition(field=status, source=PolicyStatus.IN_COVER, target=PolicyStatus.EXPIRED)
    def expire(self, at, reason):
        pass

    @transition(field=status, source=[PolicyStatus.ISSUED, PolicyStatus.IN_COVER], target=PolicyStatus.CANCELLED)
    def cancel(self, at, reason):
        self.cancelled_at = at


class Invoice(ConcurrentTransitionMixin, models.Model):
    """A merchant's request for a paper invoice of its premiums over a period (R-INV-1, R-INV-2)."""

    invoice_no = models.CharField(_("invoice request no."), max_length=32, unique=True)
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="invoices")
    insurer = models.ForeignKey("catalogue.Insurer", on_delete=models.PROTECT, related_name="invoices")
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    total = MoneyField(_("total premiums"))
    policy_count = models.PositiveIntegerField(_("policies"))
    title = models.CharField(_("invoice title"), max_length=120, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    status = FSMField(_("status"), default=InvoiceStatus.REQUESTED, choices=InvoiceStatus.choices, db_index=True)
    requested_at = models.DateTimeField(_("requested at"))
    due_at = models.DateTimeField(_("due by"))
    late_flag_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_late = models.BooleanField(_("late"), default=False)
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    carrier = models.CharField(_("courier"), max_length=40, blank=True)
    tracking_number = models.CharField(_("courier tracking no."), max_length=60, blank=True)
    refused_reason = models.TextField(_("refusal reason"), blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-requested_at", "-id"]
        indexes = [
            models.Index(fields=["late_flag_at"], condition=models.Q(status="requested"), name="invoice_late_due")
        ]

    def __str__(self):
        return self.invoice_no

    @transition(field=status, source=InvoiceStatus.REQUESTED, target=InvoiceStatus.ISSUED)
    def issue(self, at, reason):
        self.issued_at = at
        self.late_flag_at = None

    @transition(field=status, source=[InvoiceStatus.REQUESTED, InvoiceStatus.ISSUED], target=InvoiceStatus.SHIPPED)
    def ship(self, at, reason, carrier, tracking_number):
        self.issued_at = self.issued_at or at
        self.shipped_at = at
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.late_flag_at = None

    @transition(field=status, source=InvoiceStatus.REQUESTED, target=InvoiceStatus.REFUSED)
    def refuse(self, at, reason):
        self.refused_reason = reason
        self.late_flag_at = None
