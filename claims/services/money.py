"""Money (domain.md §8): the refund (its transfers: .payouts) and the points a merchant owes."""

import datetime as dt
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from kernel.actors import Actor
from kernel.errors import Conflict, RuleViolation
from ledger import services as ledger
from ledger.models import EntryKind
from payments.services import attempts

from ..choices import DisputeOutcome, FindingKind, Flag, Kind
from ..models import Claim, NonPerformanceFinding, ReceiptDispute
from .actions import acting, require_text
from .notices import STAFF_AUDIENCES, move, notify
from .payouts import start_payouts


def complete_refund(
    claim: Claim,
    actor: Actor,
    *,
    at: dt.datetime | None = None,
    now: dt.datetime | None = None,
    buyer_payout_account: str | None = None,
) -> Claim:
    """R-PAY-1: the merchant refunded the buyer. R-PAY-6: the merchant's payout and, for a
    return_refund, the buyer's allowance (R-PAY-3) become transfer attempts in this transaction;
    a malformed buyer account is refused before anything changes."""
    account = attempts.clean_account(buyer_payout_account, "buyer_payout_account") if buyer_payout_account else ""
    with acting(claim, actor, "complete_refund", now) as (claim, now):
        allowance = claim.policy.return_shipping_allowance if claim.kind == Kind.RETURN_REFUND else Decimal("0.00")
        move(claim, "complete_refund", actor, at=now, shipping_allowance=allowance)
        start_payouts(claim, allowance, account, now=now)
        return claim


def record_finding(
    claim: Claim, actor: Actor, *, kind: str, reason: str, now: dt.datetime | None = None
) -> NonPerformanceFinding:
    """R-PEN-1: a non-performance finding by staff, e.g. on an overdue refund."""
    reason = (reason or "").strip()
    require_text(reason, "reason", _("A finding needs a reason."), "R-PEN-1")
    if kind not in FindingKind.values:
        raise RuleViolation(_("Unknown finding."), code="invalid_kind", fields={"kind": [kind]})
    with acting(claim, actor, "record_finding", now) as (claim, now):
        if not _cause_on_record(claim, kind):
            raise RuleViolation(
                _("A finding needs its cause on record: %s is not on this claim.") % FindingKind(kind).label,
                code="finding_without_cause",
                rule="R-PEN-1",
            )
        return record_non_performance(claim, kind, reason, actor, now)


def _cause_on_record(claim: Claim, kind: str) -> bool:
    """R-PEN-1: a finding rests on what happened: a refund flagged overdue (R-PAY-1), or a parcel
    rejection staff overturned (R-RET-4)."""
    if kind == FindingKind.REFUND_OVERDUE:
        return claim.flags.filter(code=Flag.REFUND_OVERDUE).exists()
    return ReceiptDispute.objects.filter(claim=claim, outcome=DisputeOutcome.OVERTURN).exists()


def record_non_performance(
    claim: Claim, kind: str, reason: str, actor: Actor, now: dt.datetime
) -> NonPerformanceFinding:
    """R-PEN-1: the merchant owes the buyer points, once per sub-order and finding."""
    try:
        with transaction.atomic():
            finding = NonPerformanceFinding.objects.create(
                claim=claim,
                sub_order_id=claim.sub_order_id,
                shop_id=claim.shop_id,
                kind=kind,
                reason=reason,
                points=claim.plan.non_performance_points,
                created_at=now,
                created_by_id=actor.user_id,
            )
    except IntegrityError as exc:
        raise Conflict(
            _("This finding is already recorded for the sub-order."), code="finding_exists", rule="R-PEN-1"
        ) from exc
    ledger.post(
        EntryKind.POINTS_GRANTED,
        points=finding.points,
        shop_id=claim.shop_id,
        insurer_id=claim.insurer_id,
        plan_id=claim.plan_id,
        policy_id=claim.policy_id,
        claim_id=claim.pk,
        finding_id=finding.pk,
        payee=claim.buyer.buyer_id,
        memo=FindingKind(kind).label,
        at=now,
    )
    notify(
        claim,
        "merchant.non_performance",
        _("Non-performance finding on claim %(id)s: %(points)s points owed to the buyer.")
        % {"id": claim.claim_id, "points": finding.points},
        data={"kind": kind, "points": finding.points},
        audiences=STAFF_AUDIENCES,
        at=now,
    )
    return finding
