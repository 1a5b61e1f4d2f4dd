from django.db import models

from kernel.actors import Role
from kernel.querysets import ScopedQuerySet

from .choices import CLOSED_UNPAID, MERCHANT_FLAGS, OPEN_STATES
from .choices import ClaimStatus as S
from .workflow import DEADLINES


class ClaimQuerySet(ScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATES)

    def counting_against_paid_amount(self):
        """R-POL-5: approved amounts still owed or paid (claims closed unpaid no longer count)."""
        return self.filter(approved_amount__isnull=False).exclude(status__in=CLOSED_UNPAID)

    def review_queue(self):
        return self.filter(status__in=(S.SUBMITTED, S.EVIDENCE_REQUESTED)).order_by(
            models.F("review_due_at").asc(nulls_last=True), "opened_at"
        )

    def sla_warning_due(self, now):
        return self.filter(status=S.SUBMITTED, sla_warn_at__lte=now)

    def sla_breach_due(self, now):
        return self.filter(status=S.SUBMITTED, sla_breach_at__lte=now)

    def evidence_overdue(self, now):
        return self.filter(status=S.EVIDENCE_REQUESTED, evidence_due_at__lte=now)

    def return_overdue(self, now):
        return self.filter(status=S.AWAITING_RETURN, return_due_at__lte=now)

    def receipt_overdue(self, now):
        return self.filter(status=S.AWAITING_RECEIPT, receipt_due_at__lte=now)

    def refund_overdue(self, now):
        return self.filter(status=S.REFUND_DUE, refund_overdue_at__lte=now)

    def payout_pending(self, before):
        return self.filter(status=S.REFUNDED, refunded_at__lte=before)

    def with_deadline(self):
        """Annotate `deadline`: when the clock of the claim's current state runs out
        (workflow.DEADLINES), or null in a state without one."""
        return self.annotate(
            deadline=models.Case(
                *(models.When(status=state, then=models.F(column)) for state, (column, _label) in DEADLINES.items()),
                default=None,
                output_field=models.DateTimeField(),
            )
        )


class ClaimFlagQuerySet(models.QuerySet):
    def seen_by(self, role: str):
        """R-REV-7: the flags this role may see; a merchant only those about its own side."""
        return self.filter(code__in=MERCHANT_FLAGS) if role == Role.MERCHANT else self


class RefundRequestQuerySet(ScopedQuerySet):
    pass


class MerchantReportQuerySet(ScopedQuerySet):
    insurer_field = "claim__insurer_id"


class ReviewerProfileQuerySet(ScopedQuerySet):
    pass
