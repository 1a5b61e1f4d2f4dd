"""A claim's transfers through the payment provider (R-PAY-6): started when the refund is
reported, settled when the provider answers. The transfers themselves are payments' (attempts,
the SDK, the sweep); what they mean for the claim is written here, once."""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from kernel.actors import Actor
from ledger import services as ledger
from ledger.models import EntryKind
from notices.models import Audience
from payments.choices import AttemptKind, AttemptStatus
from payments.models import PayoutAttempt
from payments.services import attempts as payouts
from policies import services as policy_services

from ..choices import ClaimStatus as S
from ..choices import Flag
from ..models import Claim
from .abuse import raise_flag
from .notices import STAFF_AUDIENCES, move, notify


def start_payouts(claim: Claim, allowance: Decimal, buyer_account: str, *, now: dt.datetime) -> None:
    """Inside the refund's transaction: the merchant's payout and, with the platform's buyer
    account, the buyer's allowance (R-PAY-3) as attempts; their tasks send them after commit.
    Without a buyer account the allowance is owed, flagged for staff."""
    system = Actor.system("payout")
    if claim.shop.payout_account.strip():
        payouts.create_attempt(
            claim, AttemptKind.CLAIM_PAYOUT, claim.shop.payout_account, claim.payout_amount, system, now=now
        )
    else:
        payout_failed(claim, AttemptKind.CLAIM_PAYOUT, _("The shop has no payout account."), now)
    if allowance and buyer_account:
        payouts.create_attempt(claim, AttemptKind.SHIPPING_ALLOWANCE, buyer_account, allowance, system, now=now)
    elif allowance:
        raise_flag(claim, Flag.ALLOWANCE_OWED, at=now, detail=_("The platform named no buyer account."))


def pay_out(claim_id: int, *, now: dt.datetime | None = None) -> bool:
    """Send the claim's transfers still waiting for their task (R-PAY-6); True if this call paid
    the merchant. Sending twice is harmless: an attempt is sent once (R-PAY-5). A task's entry
    point, by id: a claim gone or no longer refunded is answered False, not refused."""
    claim = Claim.objects.filter(pk=claim_id).first()
    if claim is None or claim.status != S.REFUNDED:
        return False
    waiting = claim.payout_attempts.filter(status=AttemptStatus.CREATED)
    sent = {kind: payouts.send(pk, now=now) for pk, kind in waiting.values_list("pk", "kind")}
    return sent.get(AttemptKind.CLAIM_PAYOUT) == AttemptStatus.CONFIRMED


def settle_payout(attempt: PayoutAttempt, now: dt.datetime) -> None:
    """The provider's final answer on a transfer, inside the transaction recording it (called
    by name from payments). Confirmed: the ledger entry (R-PAY-4) and, for the merchant's
    payout, the claim is paid (R-PAY-6: only now). Refused: payout_failed, the parties told."""
    claim: Claim = (
        Claim.objects.select_for_update(of=("self",))
        .select_related("shop", "policy", "refund_request")
        .get(pk=attempt.claim_id)
    )
    merchant_payout = attempt.kind == AttemptKind.CLAIM_PAYOUT
    if attempt.status == AttemptStatus.REFUSED:
        payout_failed(claim, attempt.kind, attempt.provider_reason or attempt.provider_code, now, attempt=attempt)
        return
    ledger.post(
        EntryKind.CLAIM_PAID if merchant_payout else EntryKind.SHIPPING_ALLOWANCE_PAID,
        amount=attempt.amount,
        shop_id=claim.shop_id,
        insurer_id=claim.insurer_id,
        plan_id=claim.plan_id,
        policy_id=claim.policy_id,
        claim_id=claim.pk,
        payee=attempt.payee,
        memo=attempt.out_biz_no,
        at=now,
    )
    if merchant_payout and claim.status == S.REFUNDED:
        move(claim, "mark_paid", Actor.system("payout"), at=now, told=True)
        policy_services.mark_claim_paid(claim.policy_id)
        notify(
            claim,
            "claim.paid",
            _("Claim %(id)s paid: %(amount)s to the merchant.") % {"id": claim.claim_id, "amount": attempt.amount},
            data={"payout_amount": str(attempt.amount)},
            at=now,
        )


def payout_failed(
    claim: Claim, kind: str, reason: str, now: dt.datetime, *, attempt: PayoutAttempt | None = None
) -> None:
    """R-PAY-6: staff see the refusal with the provider's reason; the merchant is told what to
    fix when it is its own payout (the buyer's account is the platform's to correct)."""
    raise_flag(claim, Flag.PAYOUT_FAILED, at=now, detail=reason)
    if kind == AttemptKind.CLAIM_PAYOUT:
        message = _(
            "The transfer for claim %(id)s was refused: %(reason)s. Check the payout account in your shop "
            "details; once corrected, the claim is paid again automatically."
        )
        audiences: tuple[str, ...] = STAFF_AUDIENCES
    else:
        message = _("The buyer's shipping allowance for claim %(id)s was refused: %(reason)s.")
        audiences = (Audience.INSURER, Audience.STAFF)
    data: dict[str, str] = {"kind": kind, "reason": reason}
    if attempt is not None:
        data |= {"amount": str(attempt.amount), "out_biz_no": attempt.out_biz_no, "code": attempt.provider_code}
    message %= {"id": claim.claim_id, "reason": reason}
    notify(claim, "payout.failed", message, data=data, audiences=audiences, at=now)
