"""Buyers and their refund requests as the platform sends them (§5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.masking import masked
from kernel.money import MoneyField

from ..choices import (
    BusinessType,
    BuyerLevel,
    Kind,
    NotRouted,
)
from ..querysets import RefundRequestQuerySet


class Buyer(models.Model):
    """The platform's pseudonymous buyer, with its integrity level (R-REV-5) and eligibility (R-ABUSE-2)."""

    buyer_id = models.CharField(_("buyer id"), max_length=64, unique=True)
    level = models.CharField(_("level"), max_length=10, choices=BuyerLevel.choices, default=BuyerLevel.NORMAL)
    reported_level = models.CharField(
        _("level reported by the platform"), max_length=10, choices=BuyerLevel.choices, default=BuyerLevel.NORMAL
    )
    revoked_reason = models.TextField(_("revocation reason"), blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # How many times the platform reported the buyer's level: once per refund request, counted by
    # claims.services.report_buyer_level (1: this request is the buyer's first).
    level_reports = models.PositiveIntegerField(_("level reports"), default=0)
    # Set by claims.services.report_buyer: routing looks for a merchant's report (R-ABUSE-1) only
    # for a buyer ever reported, so that nearly every refund request leaves that table alone.
    last_reported_at = models.DateTimeField(_("last reported by a merchant"), null=True, blank=True)

    class Meta:
        verbose_name = _("buyer")
        verbose_name_plural = _("buyers")
        ordering = ["buyer_id"]

    def __str__(self):
        # Shown in lists, links and exports: the id in full only through audit.services.disclose.
        return masked("buyer_id", self.buyer_id)

    @property
    def revoked(self):
        return self.level == BuyerLevel.REVOKED


class RefundRequest(models.Model):
    """A refund request (售后单) as the platform relayed it, and where it was routed (R-ROUTE-1)."""

    refund_id = models.CharField(_("refund id"), max_length=64, unique=True)
    sub_order = models.ForeignKey("policies.SubOrder", on_delete=models.PROTECT, related_name="refund_requests")
    # Indexed by the (shop, business_type, created_at) index below.
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="refund_requests", db_index=False)
    insurer = models.ForeignKey(
        "catalogue.Insurer", null=True, blank=True, on_delete=models.PROTECT, related_name="refund_requests"
    )
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="refund_requests")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=40)
    amount = MoneyField(_("requested amount"))
    description = models.TextField(_("buyer's description"), blank=True)
    requested_at = models.DateTimeField(_("requested at"))
    buyer_level = models.CharField(_("buyer level reported"), max_length=10, choices=BuyerLevel.choices)
    business_type = models.CharField(_("business type"), max_length=10, choices=BusinessType.choices)
    not_routed_because = models.CharField(_("not routed because"), max_length=12, blank=True, choices=NotRouted.choices)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    objects = RefundRequestQuerySet.as_manager()
    # Not stored: on a request just submitted, the claim it opened (services.Opening) or None.
    opening: object

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "business_type", "-created_at"])]

    def __str__(self):
        return self.refund_id
