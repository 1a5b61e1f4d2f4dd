"""Daily rollups of the service figures (R-KPI-1, R-KPI-2), so that the figures of a period read
a few rows per day instead of every claim opened in it. Derived data: claims.rollups rebuilds a
day's rows from the claims opened on it and the ledger's entries of it."""

from django.db import models

from kernel.money import MoneyField
from kernel.querysets import ScopedQuerySet


class Dimension(models.TextChoices):
    # One row per insurer and plan, per insurer, plan and shop, and per insurer, plan and reason:
    # the viewer's scope (an insurer) and the page's filters (plan, insurer) apply to each.
    PLAN = "plan"
    SHOP = "shop"
    REASON = "reason"


class FiguresDay(models.Model):
    """What happened to the claims opened on one Shanghai day, in one cell."""

    day = models.DateField()
    dimension = models.CharField(max_length=8, choices=Dimension.choices)
    insurer_id = models.BigIntegerField()
    plan_id = models.BigIntegerField()
    shop_id = models.BigIntegerField(null=True)
    reason = models.CharField(max_length=20, blank=True)
    opened = models.PositiveIntegerField(default=0)
    decided = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    within_sla = models.PositiveIntegerField(default=0)
    at_risk = models.PositiveIntegerField(default=0)
    disputes = models.PositiveIntegerField(default=0)
    disputes_upheld = models.PositiveIntegerField(default=0)
    disputes_overturned = models.PositiveIntegerField(default=0)
    flagged_buyers = models.PositiveIntegerField(default=0)
    buyer_ratings = models.PositiveIntegerField(default=0)
    buyer_rating_sum = models.PositiveIntegerField(default=0)
    merchant_ratings = models.PositiveIntegerField(default=0)
    merchant_rating_sum = models.PositiveIntegerField(default=0)
    # claims.histogram: bucket (0.01 h) → count.
    decision_hours = models.JSONField(default=dict)
    payout_hours = models.JSONField(default=dict)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["dimension", "day"])]

    def __str__(self):
        return f"{self.day} {self.dimension} {self.insurer_id}/{self.plan_id}/{self.shop_id or self.reason}"


class MoneyDay(models.Model):
    """The ledger's premiums and claims paid on one Shanghai day, per insurer, plan and shop."""

    day = models.DateField()
    insurer_id = models.BigIntegerField()
    plan_id = models.BigIntegerField()
    shop_id = models.BigIntegerField()
    premiums = MoneyField()
    claims_paid = MoneyField()

    objects = ScopedQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["day"])]

    def __str__(self):
        return f"{self.day} {self.insurer_id}/{self.plan_id}/{self.shop_id}"


class FiguresWatermark(models.Model):
    """How far the rollups have read (one row): what changed since is what the next refresh rebuilds."""

    refreshed_at = models.DateTimeField(null=True)
    claims_updated = models.DateTimeField(null=True)
    flag_id = models.BigIntegerField(default=0)
    rating_id = models.BigIntegerField(default=0)
    entry_id = models.BigIntegerField(default=0)

    def __str__(self):
        return f"figures as of {self.refreshed_at}"
