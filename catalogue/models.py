from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kernel.money import MoneyField

from .taxonomy import QUALIFYING_REASONS


class Insurer(models.Model):
    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)

    class Meta:
        verbose_name = _("insurer")
        verbose_name_plural = _("insurers")
        ordering = ["code"]

    def __str__(self):
        return self.name


def default_qualifying_reasons():
    return list(QUALIFYING_REASONS)


class Plan(models.Model):
    """A warranty plan (险种) is data: its parameters are the rules' numbers (domain.md §2)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    insurers = models.ManyToManyField(Insurer, related_name="plans", blank=True, verbose_name=_("insurers"))
    coverage_hours = models.PositiveIntegerField(_("coverage hours"), default=720)
    review_sla_hours = models.PositiveIntegerField(_("review SLA hours"), default=24)
    evidence_response_hours = models.PositiveIntegerField(_("evidence response hours"), default=72)
    return_shipping_allowance = MoneyField(_("return shipping allowance"), default=Decimal("10.00"))
    non_performance_points = models.PositiveIntegerField(_("non-performance points"), default=10000)
    rejoin_on_day = models.PositiveIntegerField(_("re-join on day"), default=91)
    return_tracking_hours = models.PositiveIntegerField(_("return tracking hours"), default=168)
    merchant_receipt_hours = models.PositiveIntegerField(_("merchant receipt hours"), default=240)
    refund_due_hours = models.PositiveIntegerField(_("refund due hours"), default=48)
    invoice_working_days = models.PositiveIntegerField(_("invoice working days"), default=6)
    qualifying_reasons = models.JSONField(_("qualifying reasons"), default=default_qualifying_reasons)
    fast_lane_limit = MoneyField(
        _("fast lane limit"), default=Decimal("100.00"), help_text=_("0 turns the fast lane off.")
    )
    fast_lane_audit_share = models.DecimalField(
        _("share of automatic decisions audited"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.100"),
        validators=[MinValueValidator(0), MaxValueValidator(1)],
    )
    abuse_window_days = models.PositiveIntegerField(_("abuse window days"), default=30)
    abuse_claim_count = models.PositiveIntegerField(_("abuse claim count"), default=3)
    appeal_days = models.PositiveIntegerField(_("appeal days"), default=15)
    base_rate = models.DecimalField(_("base rate"), max_digits=6, decimal_places=4, default=Decimal("0.0150"))
    rate_floor = models.DecimalField(_("rate floor"), max_digits=6, decimal_places=4, default=Decimal("0.0050"))
    rate_ceiling = models.DecimalField(_("rate ceiling"), max_digits=6, decimal_places=4, default=Decimal("0.0500"))
    industry_claim_rate = models.DecimalField(
        _("industry claim rate"), max_digits=6, decimal_places=4, default=Decimal("0.0300")
    )
    industry_loss_ratio = models.DecimalField(
        _("industry loss ratio"), max_digits=6, decimal_places=4, default=Decimal("0.6000")
    )

    class Meta:
        verbose_name = _("plan")
        verbose_name_plural = _("plans")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"

    def clean(self):
        if not (self.rate_floor <= self.base_rate <= self.rate_ceiling):
            raise ValidationError(_("The base rate must lie between the floor and the ceiling."))

    def problem_codes_for(self, reason: str) -> list[str]:
        """R-PLAN-1: the plan's codes for one qualifying reason, in their order."""
        return [row.code for row in self.taxonomy.all() if row.reason == reason]


class ProblemCode(models.Model):
    """R-PLAN-1: one problem code of a plan's taxonomy, under one qualifying reason (domain.md §6)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="taxonomy", verbose_name=_("plan"))
    reason = models.CharField(_("reason"), max_length=20, choices=[(r.value, r.label) for r in QUALIFYING_REASONS])
    code = models.SlugField(_("code"), max_length=40)
    label_zh_hans = models.CharField(_("label (zh-Hans)"), max_length=120)
    label_en = models.CharField(_("label (English)"), max_length=120)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("problem code")
        verbose_name_plural = _("problem codes")
        ordering = ["plan", "reason", "position", "code"]
        constraints = [models.UniqueConstraint(fields=["plan", "code"], name="one_problem_code_per_plan")]

    def __str__(self):
        return f"{self.label} ({self.code})"

    @property
    def label(self) -> str:
        """The label in the language of the request: zh-Hans or English."""
        return self.label_zh_hans if (get_language() or "").lower().startswith("zh") else self.label_en

    def clean(self):
        if self.plan_id and self.reason and self.reason not in self.plan.qualifying_reasons:
            raise ValidationError({"reason": _("%s does not qualify under this plan.") % self.get_reason_display()})


class Holiday(models.Model):
    """A non-working day for invoice deadlines (R-INV-2); weekends are never working days."""

    date = models.DateField(_("date"), unique=True)
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date} {self.name}"
