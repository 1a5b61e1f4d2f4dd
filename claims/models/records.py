"""What happens around a claim: receipt disputes, appeals, buyer reports and non-performance findings."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..choices import (
    AppealOutcome,
    DisputeOutcome,
    FindingKind,
    ReceiptRejection,
)
from ..choices import ClaimStatus as S
from ..querysets import MerchantReportQuerySet
from .claim import Claim
from .requests import Buyer


class ReceiptDispute(models.Model):
    """A merchant's rejection of a returned parcel, heard by service staff (R-RET-3, R-RET-4)."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="receipt_dispute")
    reason_code = models.CharField(_("reason"), max_length=20, choices=ReceiptRejection.choices)
    note = models.TextField(_("merchant's note"))
    filed_at = models.DateTimeField(_("filed at"))
    outcome = models.CharField(_("outcome"), max_length=10, choices=DisputeOutcome.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)

    class Meta:
        verbose_name = _("receipt dispute")
        verbose_name_plural = _("receipt disputes")
        ordering = ["-filed_at"]

    def __str__(self):
        return f"{self.claim} · {self.get_reason_code_display()}"


class Appeal(models.Model):
    """The buyer's one appeal of a decision (R-DIS-1)."""

    claim = models.OneToOneField(Claim, on_delete=models.PROTECT, related_name="appeal_record")
    reason = models.TextField(_("reason"))
    filed_at = models.DateTimeField(_("filed at"))
    from_status = models.CharField(_("appealed from"), max_length=24, choices=S.choices)
    outcome = models.CharField(_("outcome"), max_length=10, choices=AppealOutcome.choices, blank=True)
    resolution_note = models.TextField(_("resolution note"), blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    external_venue = models.CharField(
        _("taken further to"), max_length=120, blank=True, help_text=_("Arbitration or court, if the case went there.")
    )

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["-filed_at"]

    def __str__(self):
        return f"{self.claim} · appeal"


class MerchantReport(models.Model):
    """A merchant's report of an abnormal buyer (反馈买家问题, R-ABUSE-1)."""

    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="buyer_reports")
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="reports")
    claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="reports")
    policy = models.ForeignKey("policies.Policy", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    note = models.TextField(_("note"))
    created_at = models.DateTimeField(_("reported at"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_note = models.TextField(_("review note"), blank=True)

    objects = MerchantReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("buyer report")
        verbose_name_plural = _("buyer reports")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.shop} → {self.buyer}"


class NonPerformanceFinding(models.Model):
    """Service staff's finding that a merchant did not honour the service (R-PEN-1)."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="findings")
    sub_order = models.ForeignKey("policies.SubOrder", on_delete=models.PROTECT, related_name="+")
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="findings")
    kind = models.CharField(_("kind"), max_length=24, choices=FindingKind.choices)
    reason = models.TextField(_("reason"))
    points = models.PositiveIntegerField(_("points owed"))
    created_at = models.DateTimeField(_("found at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("non-performance finding")
        verbose_name_plural = _("non-performance findings")
        constraints = [
            models.UniqueConstraint(fields=["sub_order", "claim", "kind"], name="one_finding_per_sub_order_and_kind")
        ]

    def __str__(self):
        return f"{self.claim} · {self.get_kind_display()}"
