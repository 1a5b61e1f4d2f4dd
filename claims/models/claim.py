"""The claim and its life cycle (domain.md §14): the FSM transitions, and the flags raised on it."""

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from kernel.money import MoneyField

from ..choices import (
    OPEN_STATES,
    Flag,
    Kind,
)
from ..choices import ClaimStatus as S
from ..querysets import ClaimFlagQuerySet, ClaimQuerySet
from ..tracking import PatternIndex, TrackingKey
from ..workflow import DEADLINES, SLA_WARNING_SHARE
from .requests import Buyer, RefundRequest


def new_claim_id():
    return "CL" + secrets.token_hex(8).upper()


class Claim(ConcurrentTransitionMixin, models.Model):
    """A refund request routed to the insurer (质保卡). Its life cycle is domain.md §14."""

    claim_id = models.CharField(_("claim id"), max_length=32, unique=True, default=new_claim_id)
    refund_request = models.OneToOneField(RefundRequest, on_delete=models.PROTECT, related_name="claim")
    sub_order = models.ForeignKey("policies.SubOrder", on_delete=models.PROTECT, related_name="claims")
    policy = models.ForeignKey("policies.Policy", on_delete=models.PROTECT, related_name="claims")
    # shop, insurer and buyer lead the composite indexes below, which serve their look-ups too.
    shop = models.ForeignKey("merchants.Shop", on_delete=models.PROTECT, related_name="claims", db_index=False)
    insurer = models.ForeignKey("catalogue.Insurer", on_delete=models.PROTECT, related_name="claims", db_index=False)
    plan = models.ForeignKey("catalogue.Plan", on_delete=models.PROTECT, related_name="claims")
    buyer = models.ForeignKey(Buyer, on_delete=models.PROTECT, related_name="claims", db_index=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=40)
    description = models.TextField(_("buyer's description"), blank=True)
    status = FSMField(_("status"), default=S.SUBMITTED, choices=S.choices)
    requested_amount = MoneyField(_("requested amount"))
    approved_amount = MoneyField(_("approved amount"), null=True, blank=True)
    payout_amount = MoneyField(_("payout to merchant"), null=True, blank=True)
    shipping_allowance = MoneyField(_("shipping allowance to buyer"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True, db_index=True)

    # The plan's clocks, fixed when the claim opens (domain.md §2).
    review_sla_hours = models.PositiveIntegerField()
    evidence_response_hours = models.PositiveIntegerField()
    return_tracking_hours = models.PositiveIntegerField()
    merchant_receipt_hours = models.PositiveIntegerField()
    refund_due_hours = models.PositiveIntegerField()
    appeal_days = models.PositiveIntegerField()

    # Deadlines. The *_at columns the sweeper reads are cleared once handled, so a second run
    # finds nothing (process_deadlines is idempotent).
    review_due_at = models.DateTimeField(_("review due"), null=True, blank=True)
    review_remaining = models.DurationField(null=True, blank=True, editable=False)
    sla_warn_at = models.DateTimeField(null=True, blank=True, editable=False)
    sla_breach_at = models.DateTimeField(null=True, blank=True, editable=False)
    evidence_due_at = models.DateTimeField(_("evidence due"), null=True, blank=True)
    return_due_at = models.DateTimeField(_("return tracking due"), null=True, blank=True)
    receipt_due_at = models.DateTimeField(_("receipt check due"), null=True, blank=True)
    refund_due_by = models.DateTimeField(_("refund due by"), null=True, blank=True)
    refund_overdue_at = models.DateTimeField(null=True, blank=True, editable=False)

    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    carrier = models.CharField(_("return carrier"), max_length=40, blank=True)
    tracking_number = models.CharField(_("return tracking no."), max_length=60, blank=True)
    return_shipped_at = models.DateTimeField(_("return shipped at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    receipt_confirmed_at = models.DateTimeField(_("receipt confirmed at"), null=True, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    last_reminded_at = models.DateTimeField(_("buyer last reminded"), null=True, blank=True)

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_claims"
    )
    audit_requested = models.BooleanField(_("queued for audit"), default=False)
    audit_outcome = models.CharField(_("audit outcome"), max_length=200, blank=True)
    audited_at = models.DateTimeField(_("audited at"), null=True, blank=True)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        ordering = ["-opened_at", "-id"]
        constraints = [
            # R-POL-5: at most one open claim per sub-order, however the requests race.
            models.UniqueConstraint(
                fields=["sub_order"], condition=models.Q(status__in=OPEN_STATES), name="one_open_claim_per_sub_order"
            ),
            models.CheckConstraint(
                name="approved_not_above_requested",
                condition=models.Q(approved_amount__isnull=True)
                | models.Q(approved_amount__lte=models.F("requested_amount")),
            ),
        ]
        indexes = [
            # Declared here rather than with db_index on the field: on PostgreSQL that would add a
            # second, pattern-matching index that no query uses, paid for on every write.
            models.Index(fields=["status"], name="claim_status"),
            # R-ABUSE-1's reused tracking number, compared normalised (claims.tracking), and the
            # reviewer's search by its first characters.
            PatternIndex(TrackingKey("tracking_number"), name="claim_tracking_key"),
            models.Index(fields=["shop", "-opened_at"]),
            models.Index(fields=["insurer", "status", "review_due_at"]),
            models.Index(fields=["buyer", "opened_at"]),
            models.Index(fields=["sla_warn_at"], condition=models.Q(sla_warn_at__isnull=False), name="claim_warn_due"),
            models.Index(
                fields=["sla_breach_at"], condition=models.Q(sla_breach_at__isnull=False), name="claim_breach_due"
            ),
            models.Index(
                fields=["evidence_due_at"], condition=models.Q(status="evidence_requested"), name="claim_evidence_due"
            ),
            models.Index(
                fields=["return_due_at"], condition=models.Q(status="awaiting_return"), name="claim_return_due"
            ),
            # R-KPI-1: the figures count undecided claims past their SLA live; they are few.
            models.Index(
                fields=["opened_at"], condition=models.Q(decided_at__isnull=True), name="claim_undecided_opened"
            ),
            models.Index(
                fields=["receipt_due_at"], condition=models.Q(status="awaiting_receipt"), name="claim_receipt_due"
            ),
            models.Index(
                fields=["refund_overdue_at"],
                condition=models.Q(refund_overdue_at__isnull=False),
                name="claim_refund_overdue_due",
            ),
            models.Index(fields=["refunded_at"], condition=models.Q(status="refunded"), name="claim_payout_due"),
            # The review desk (ClaimQuerySet.review_queue, in the admin's order, ties broken by -pk):
            # an insurer's next 50 claims read from the index, not sorted out of every open claim.
            models.Index(
                fields=["insurer", "review_due_at", "opened_at", "-id"],
                condition=models.Q(status__in=["submitted", "evidence_requested"]),
                name="claim_review_queue",
            ),
            # R-ASSIGN-1: the pool, served earliest due first (assignment.fill_pool, the at-risk board).
            models.Index(
                fields=["insurer", "review_due_at", "opened_at"],
                condition=models.Q(status="submitted", assignee__isnull=True),
                name="claim_review_pool",
            ),
        ]

    def __str__(self):
        return self.claim_id

    # -- derived facts ------------------------------------------------------------------

    @property
    def decision(self):
        return self.decisions.order_by("-decided_at", "-id").first()

    @property
    def open_deadline(self):
        """(label, time) of the deadline the current state runs against, or None (workflow.DEADLINES)."""
        column, label = DEADLINES.get(self.status, (None, None))
        at = getattr(self, column) if column else None
        return (label, at) if at else None

    @property
    def partially_approved(self):
        return self.approved_amount is not None and self.approved_amount < self.requested_amount

    def _after_approval(self) -> str:
        return S.AWAITING_RETURN if self.kind == Kind.RETURN_REFUND else S.REFUND_DUE

    def _start_return_clock(self, at):
        self.return_due_at = at + dt.timedelta(hours=self.return_tracking_hours)

    def _start_refund_clock(self, at):
        self.refund_due_by = self.refund_overdue_at = at + dt.timedelta(hours=self.refund_due_hours)

    def _enter(self, state, at):
        """Start the clock of the state the claim is entering (R-RET-2, R-PAY-1)."""
        if state == S.AWAITING_RETURN:
            self._start_return_clock(at)
        elif state == S.REFUND_DUE:
            self._start_refund_clock(at)
        return state

    def _stop_review_clock(self):
        self.sla_warn_at = self.sla_breach_at = None

    # -- transitions (domain.md §14) -----------------------------------------------------

    @transition(field=status, source=S.SUBMITTED, target=S.EVIDENCE_REQUESTED)
    def request_evidence(self, at, reason):
        """R-REV-1: the SLA clock is suspended while the buyer gathers evidence (R-REV-2)."""
        self.review_remaining = max(self.review_due_at - at, dt.timedelta(0)) if self.review_due_at else None
        self.review_due_at = None
        self._stop_review_clock()
        self.evidence_due_at = at + dt.timedelta(hours=self.evidence_response_hours)

    @transition(field=status, source=S.EVIDENCE_REQUESTED, target=S.SUBMITTED)
    def resubmit(self, at, reason, warned):
        """R-REV-1: the remaining review time resumes."""
        remaining = self.review_remaining or dt.timedelta(0)
        self.review_due_at = at + remaining
        self.review_remaining = None
        self.evidence_due_at = None
        self.sla_breach_at = self.review_due_at
        if not warned:
            warn_before = dt.timedelta(hours=self.review_sla_hours) * (1 - SLA_WARNING_SHARE)
            self.sla_warn_at = self.review_due_at - warn_before

    @transition(field=status, source=S.EVIDENCE_REQUESTED, target=S.REJECTED)
    def evidence_timeout(self, at, reason):
        self.decided_at = at
        self.evidence_due_at = None
        self.closed_at = at

    @transition(field=status, source=S.SUBMITTED, target=S.REJECTED)
    def reject(self, at, reason):
        self.decided_at = at
        self._stop_review_clock()
        self.closed_at = at

    @transition(field=status, source=S.SUBMITTED, target=RETURN_VALUE(S.AWAITING_RETURN, S.REFUND_DUE))
    def approve(self, at, reason, approved_amount):
        return self._approved(at, approved_amount)

    @transition(field=status, source=S.SUBMITTED, target=RETURN_VALUE(S.AWAITING_RETURN, S.REFUND_DUE))
    def partially_approve(self, at, reason, approved_amount):
        return self._approved(at, approved_amount)

    def _approved(self, at, approved_amount):
        """R-REV-4 / R-RET-1: a return_refund waits for the return, a refund_only is due at once."""
        self.approved_amount = approved_amount
        self.decided_at = at
        self._stop_review_clock()
        return self._enter(self._after_approval(), at)

    @transition(field=status, source=S.AWAITING_RETURN, target=S.RETURN_IN_TRANSIT)
    def record_return_shipment(self, at, reason, carrier, tracking_number, shipped_at):
        self.carrier = carrier
        self.tracking_number = tracking_number
        self.return_shipped_at = shipped_at
        self.return_due_at = None

    @transition(field=status, source=S.AWAITING_RETURN, target=S.CLOSED_NO_RETURN)
    def return_timeout(self, at, reason):
        self.return_due_at = None
        self.closed_at = at

    @transition(field=status, source=S.RETURN_IN_TRANSIT, target=S.AWAITING_RECEIPT)
    def mark_delivered(self, at, reason, delivered_at):
        self.delivered_at = delivered_at
        self.receipt_due_at = at + dt.timedelta(hours=self.merchant_receipt_hours)

    @transition(field=status, source=[S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT], target=S.REFUND_DUE)
    def confirm_receipt(self, at, reason):
        self.receipt_confirmed_at = at
        self.receipt_due_at = None
        self._start_refund_clock(at)

    @transition(field=status, source=[S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT], target=S.RECEIPT_DISPUTED)
    def reject_receipt(self, at, reason):
        self.receipt_due_at = None

    @transition(field=status, source=S.RECEIPT_DISPUTED, target=S.CLOSED_RECEIPT_REJECTED)
    def uphold_receipt_rejection(self, at, reason):
        self.closed_at = at

    @transition(field=status, source=S.RECEIPT_DISPUTED, target=S.REFUND_DUE)
    def overturn_receipt_rejection(self, at, reason):
        """R-RET-4: treated as a confirmed receipt."""
        self.receipt_confirmed_at = at
        self._start_refund_clock(at)

    @transition(field=status, source=S.REFUND_DUE, target=S.REFUNDED)
    def complete_refund(self, at, reason, shipping_allowance):
        """R-PAY-2 / R-PAY-3: the merchant is owed the approved amount; the buyer gets the allowance."""
        self.refunded_at = at
        self.refund_due_by = self.refund_overdue_at = None
        self.payout_amount = self.approved_amount
        self.shipping_allowance = shipping_allowance

    @transition(field=status, source=S.REFUNDED, target=S.PAID)
    def mark_paid(self, at, reason):
        self.paid_at = at
        self.closed_at = at

    def is_appealable(self) -> bool:
        """R-DIS-1: a rejection, or a partial approval still on its way to payment."""
        return self.status == S.REJECTED or (
            self.status in (S.AWAITING_RETURN, S.REFUND_DUE) and self.partially_approved
        )

    def appeal_window_open(self, at: dt.datetime) -> bool:
        """R-DIS-1: `at` is within appeal_days of the decision."""
        return self.decided_at is not None and at <= self.decided_at + dt.timedelta(days=self.appeal_days)

    def may_still_be_appealed(self, at: dt.datetime) -> bool:
        """R-DIS-1: the buyer could still appeal this claim's decision at `at` (once, in time)."""
        from .records import Appeal  # the records module imports this one

        appealed = Appeal.objects.filter(claim_id=self.pk).exists()
        return self.is_appealable() and self.appeal_window_open(at) and not appealed

    @transition(
        field=status,
        source=[S.REJECTED, S.AWAITING_RETURN, S.REFUND_DUE],
        target=S.UNDER_APPEAL,
        conditions=[is_appealable],  # type: ignore[list-item]  # django-fsm types a condition for any model
    )
    def appeal(self, at, reason):
        """R-DIS-1: the return and refund clocks stop while the appeal is heard."""
        self.return_due_at = None
        self.refund_due_by = self.refund_overdue_at = None
        self.closed_at = None

    @transition(field=status, source=S.UNDER_APPEAL, target=RETURN_VALUE(S.REJECTED, S.AWAITING_RETURN, S.REFUND_DUE))
    def uphold_appeal(self, at, reason, back_to):
        if back_to == S.REJECTED:
            self.closed_at = at
        return self._enter(back_to, at)

    @transition(field=status, source=S.UNDER_APPEAL, target=RETURN_VALUE(S.AWAITING_RETURN, S.REFUND_DUE))
    def change_decision(self, at, reason, approved_amount, back_to):
        self.approved_amount = approved_amount
        self.decided_at = at
        return self._enter(back_to, at)


class ClaimFlag(models.Model):
    """A flag beside the state (domain.md §14): it steers review and never moves the claim."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="flags")
    code = models.CharField(_("flag"), max_length=24, choices=Flag.choices)
    raised_at = models.DateTimeField(_("raised at"))
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    related_claim = models.ForeignKey(Claim, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = ClaimFlagQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim flag")
        verbose_name_plural = _("claim flags")
        constraints = [models.UniqueConstraint(fields=["claim", "code"], name="one_flag_per_code")]
        indexes = [models.Index(fields=["code", "raised_at"])]

    def __str__(self):
        return self.get_code_display()
