from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from audit.models import AppendOnlyModel, AppendOnlyQuerySet, Chained
from kernel.money import MoneyField
from kernel.querysets import ScopedQuerySet


class EntryKind(models.TextChoices):
    PREMIUM_CHARGED = "premium_charged", _("Premium charged")
    PREMIUM_REFUNDED = "premium_refunded", _("Premium refunded")
    CLAIM_PAID = "claim_paid", _("Claim paid to merchant")
    SHIPPING_ALLOWANCE_PAID = "shipping_allowance_paid", _("Return shipping allowance paid to buyer")
    POINTS_GRANTED = "points_granted", _("Non-performance points granted to buyer")


# Both parents give as_manager() their own return type; django-stubs cannot merge the two.
class EntryQuerySet(AppendOnlyQuerySet, ScopedQuerySet):  # type: ignore[override]
    pass


class Entry(Chained, AppendOnlyModel):
    """One movement of money or points (R-PAY-4). Never edited: a correction is a new entry.

    The unique constraints are what make a second payout, premium or points grant impossible,
    however many workers, retries or clicks try (R-PAY-5, R-PEN-1)."""

    kind = models.CharField(_("kind"), max_length=32, choices=EntryKind.choices)
    amount = MoneyField(_("amount"), default=Decimal("0.00"))
    points = models.PositiveIntegerField(_("points"), default=0)
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="ledger_entries")
    insurer = models.ForeignKey("catalogue.Insurer", on_delete=models.PROTECT, related_name="ledger_entries")
    plan = models.ForeignKey("catalogue.Plan", on_delete=models.PROTECT, related_name="ledger_entries")
    policy = models.ForeignKey(
        "policies.Policy", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    claim = models.ForeignKey(
        "claims.Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    finding = models.ForeignKey(
        "claims.NonPerformanceFinding", null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    payee = models.CharField(_("payee"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("at"), db_index=True)
    memo = models.CharField(_("memo"), max_length=200, blank=True)

    objects = EntryQuerySet.as_manager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "kind"],
                condition=models.Q(kind__in=["premium_charged", "premium_refunded"]),
                name="one_premium_entry_per_policy_and_kind",
            ),
            models.UniqueConstraint(
                fields=["claim", "kind"],
                condition=models.Q(kind__in=["claim_paid", "shipping_allowance_paid"]),
                name="one_payment_per_claim_and_kind",
            ),
            models.UniqueConstraint(
                fields=["finding"], condition=models.Q(kind="points_granted"), name="one_points_grant_per_finding"
            ),
            models.CheckConstraint(name="entry_amount_not_negative", condition=models.Q(amount__gte=0)),
        ]
        indexes = [models.Index(fields=["shop", "plan", "kind"]), models.Index(fields=["insurer", "kind"])]

    def __str__(self):
        value = f"{self.points} pts" if self.kind == EntryKind.POINTS_GRANTED else f"¥{self.amount}"
        return f"{self.get_kind_display()} {value}"
