"""Transfers through the payment provider (R-PAY-6) and the daily match against its bill (R-PAY-7)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from kernel.actors import Role
from kernel.money import MoneyField
from kernel.querysets import ScopedQuerySet

from .choices import AttemptKind, AttemptStatus, MismatchKind

S = AttemptStatus


class AttemptQuerySet(ScopedQuerySet):
    shop_field = "claim__shop_id"
    insurer_field = "claim__insurer_id"

    def live(self):
        """Attempts that moved money or may have: everything but a definitive refusal."""
        return self.exclude(status=S.REFUSED)

    def awaiting_fix(self):
        """R-PAY-6: merchant payouts the provider refused and nobody has tried again yet."""
        retried = PayoutAttempt.objects.live().filter(claim=models.OuterRef("claim"), kind=models.OuterRef("kind"))
        return self.filter(status=S.REFUSED, kind=AttemptKind.CLAIM_PAYOUT).exclude(models.Exists(retried))

    def due_for_check(self, now):
        """R-PAY-6: unknown outcomes, and sends whose worker never recorded an answer, once their
        next check is due."""
        return self.filter(status__in=(S.CREATED, S.SENT, S.UNKNOWN), next_check_at__lte=now)


class PayoutAttempt(ConcurrentTransitionMixin, models.Model):
    """One transfer request to the provider under its own `out_biz_no`, stored and committed
    before the call (R-PAY-6). The provider de-duplicates by `out_biz_no`, and the constraint
    below allows one attempt that is not refused per claim and kind: together they make a
    second transfer for one claim and kind impossible (R-PAY-5)."""

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="payout_attempts")
    kind = models.CharField(_("kind"), max_length=20, choices=AttemptKind.choices)
    payee = models.CharField(_("payee account"), max_length=100)
    amount = MoneyField(_("amount"))
    out_biz_no = models.CharField(_("out_biz_no"), max_length=64, unique=True)
    status = FSMField(_("status"), default=S.CREATED, choices=S.choices)
    provider_order_id = models.CharField(_("provider order id"), max_length=64, blank=True)
    provider_code = models.CharField(_("provider code"), max_length=64, blank=True)
    provider_reason = models.CharField(_("provider's reason"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at (provider)"), null=True, blank=True)
    checks = models.PositiveIntegerField(_("queries made"), default=0)
    next_check_at = models.DateTimeField(_("next check"), null=True, blank=True, db_index=True)

    objects = AttemptQuerySet.as_manager()

    class Meta:
        verbose_name = _("payout attempt")
        verbose_name_plural = _("payout attempts")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "kind"],
                condition=~models.Q(status="refused"),
                name="one_live_payout_attempt_per_claim_and_kind",
            ),
            models.CheckConstraint(name="payout_attempt_amount_positive", condition=models.Q(amount__gt=0)),
        ]
        permissions = [("retry_payouts", _("Can retry a refused payout"))]

    def __str__(self):
        return f"{self.out_biz_no} ¥{self.amount} ({self.get_status_display()})"

    @transition(field=status, source=S.CREATED, target=S.SENT)
    def send(self, at, reason=""):
        self.sent_at = at

    @transition(field=status, source=S.UNKNOWN, target=S.SENT)
    def resend(self, at, reason=""):
        """The provider said the transfer did not happen: the same `out_biz_no` goes again."""
        self.sent_at = at

    @transition(field=status, source=(S.CREATED, S.SENT), target=S.UNKNOWN)
    def lose_track(self, at, reason="", next_check_at=None):
        self.provider_reason = reason[:300]
        self.next_check_at = next_check_at

    @transition(field=status, source=(S.SENT, S.UNKNOWN), target=S.CONFIRMED)
    def confirm(self, at, reason="", order_id="", paid_at=None):
        self.provider_order_id = order_id
        self.paid_at = paid_at or at
        self.resolved_at = at
        self.next_check_at = None
        self.provider_code, self.provider_reason = "", ""

    @transition(field=status, source=(S.SENT, S.UNKNOWN), target=S.REFUSED)
    def refuse(self, at, reason="", code=""):
        self.provider_code = code[:64]
        self.provider_reason = reason[:300]
        self.resolved_at = at
        self.next_check_at = None


class StaffOnlyQuerySet(models.QuerySet):
    """Reconciliation spans every shop and insurer: service staff and the system only."""

    def for_actor(self, actor):
        return self if actor.role in (Role.SERVICE_STAFF, Role.PLATFORM, Role.TIMER, Role.SYSTEM) else self.none()


class ReconciliationDay(models.Model):
    """One Shanghai day of the provider's bill matched against the confirmed transfers (R-PAY-7).

    Reconciled only when the bill was read whole and every mismatch is resolved with a reason."""

    day = models.DateField(_("day"), unique=True)
    checked_at = models.DateTimeField(_("last checked"), null=True, blank=True)
    bill_lines = models.PositiveIntegerField(_("lines on the bill"), default=0)
    matched = models.PositiveIntegerField(_("lines matched"), default=0)
    unreadable_lines = models.JSONField(_("unreadable lines"), default=list, blank=True)
    problem = models.CharField(_("problem"), max_length=300, blank=True)
    reconciled_at = models.DateTimeField(_("reconciled at"), null=True, blank=True)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("reconciliation day")
        verbose_name_plural = _("reconciliation days")
        ordering = ["-day"]

    def __str__(self):
        return str(self.day)


class Mismatch(models.Model):
    """A transfer on one side only, or the two sides disagreeing; both sides are kept as seen."""

    day = models.ForeignKey(ReconciliationDay, on_delete=models.PROTECT, related_name="mismatches")
    kind = models.CharField(_("kind"), max_length=24, choices=MismatchKind.choices)
    out_biz_no = models.CharField(_("out_biz_no"), max_length=64)
    attempt = models.ForeignKey(
        PayoutAttempt, null=True, blank=True, on_delete=models.PROTECT, related_name="mismatches"
    )
    our_amount = MoneyField(_("our amount"), null=True, blank=True)
    our_payee = models.CharField(_("our payee"), max_length=100, blank=True)
    their_amount = MoneyField(_("provider's amount"), null=True, blank=True)
    their_payee = models.CharField(_("provider's payee"), max_length=100, blank=True)
    their_line = models.TextField(_("provider's bill line"), blank=True)
    found_at = models.DateTimeField(_("found at"))
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution = models.TextField(_("resolution"), blank=True)

    objects = StaffOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("reconciliation mismatch")
        verbose_name_plural = _("reconciliation mismatches")
        ordering = ["-day__day", "out_biz_no"]
        constraints = [
            models.UniqueConstraint(fields=["day", "out_biz_no", "kind"], name="one_mismatch_per_day_transfer_kind")
        ]
        permissions = [("resolve_mismatches", _("Can resolve a reconciliation mismatch"))]

    def __str__(self):
        return f"{self.day} {self.out_biz_no}: {self.get_kind_display()}"
