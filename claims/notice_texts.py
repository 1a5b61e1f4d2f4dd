"""How the claims' events read (R-NOTE-1), registered with notices.texts: rendered when read, in
the reader's language, and written for the reader: the merchant is "you", insurer and service
staff read who did what. Labels, never state codes. Merchants only ever receive the events and
flags R-REV-7 lets them see (the audiences are chosen where the event is published)."""

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from notices.models import Audience
from notices.texts import register

from .choices import AppealOutcome, ClaimStatus, FindingKind, Flag, Outcome


def _for_merchant(audience: str) -> bool:
    return audience == Audience.MERCHANT


@register("claim.status_changed")
def status_changed(data: dict[str, Any], audience: str) -> str:
    return _("Claim %(id)s: %(source)s → %(target)s") % {
        "id": data["claim_id"],
        "source": ClaimStatus(data["from"]).label,
        "target": ClaimStatus(data["to"]).label,
    }


@register("claim.opened")
def opened(data: dict[str, Any], audience: str) -> str:
    return _("New claim %(id)s: the buyer asks for %(amount)s.") % {
        "id": data["claim_id"],
        "amount": Decimal(data["requested_amount"]),
    }


@register("claim.decided")
def decided(data: dict[str, Any], audience: str) -> str:
    ids = {"id": data["claim_id"]}
    outcome = data["outcome"]
    if outcome == Outcome.REJECT:
        return _("Claim %(id)s rejected by the insurer.") % ids
    ids["amount"] = Decimal(data["approved_amount"])
    if data.get("status") == ClaimStatus.AWAITING_RETURN:
        return _("Claim %(id)s approved (%(amount)s): waiting for the buyer's return.") % ids
    if _for_merchant(audience):
        return _("Claim %(id)s approved (%(amount)s): refund the buyer.") % ids
    return _("Claim %(id)s approved (%(amount)s): the merchant refunds the buyer.") % ids


@register("claim.evidence_requested")
def evidence_requested(data: dict[str, Any], audience: str) -> str:
    return _("The insurer asked the buyer for more evidence on claim %s.") % data["claim_id"]


@register("claim.return_address")
def return_address(data: dict[str, Any], audience: str) -> str:
    if _for_merchant(audience):
        return _("Your return address was sent to the buyer for claim %s.") % data["claim_id"]
    return _("The merchant's return address was sent to the buyer for claim %s.") % data["claim_id"]


@register("claim.refund_due")
def refund_due(data: dict[str, Any], audience: str) -> str:
    if _for_merchant(audience):
        return _("Refund the buyer on claim %s.") % data["claim_id"]
    return _("Claim %s: the merchant's refund to the buyer is due.") % data["claim_id"]


@register("claim.tracking_reminder")
def tracking_reminder(data: dict[str, Any], audience: str) -> str:
    if _for_merchant(audience):
        return _("You reminded the buyer to enter the return tracking number for claim %s.") % data["claim_id"]
    return _("The merchant reminded the buyer to enter the return tracking number for claim %s.") % data["claim_id"]


@register("claim.receipt_disputed")
def receipt_disputed(data: dict[str, Any], audience: str) -> str:
    if _for_merchant(audience):
        return _("You rejected the returned parcel of claim %s; service staff will review it.") % data["claim_id"]
    return _("The merchant rejected the returned parcel of claim %s.") % data["claim_id"]


@register("claim.closed")
def closed(data: dict[str, Any], audience: str) -> str:
    ids = data["claim_id"]
    if data.get("status") == ClaimStatus.CLOSED_NO_RETURN:
        return _("Claim %s closed: the buyer sent no return tracking number in time.") % ids
    if data.get("status") == ClaimStatus.CLOSED_RECEIPT_REJECTED:
        return _("Claim %s closed: the rejection of the returned parcel was upheld.") % ids
    return _("Claim %s closed.") % ids


@register("claim.appealed")
def appealed(data: dict[str, Any], audience: str) -> str:
    return _("The buyer appealed the decision on claim %s.") % data["claim_id"]


@register("claim.appeal_resolved")
def appeal_resolved(data: dict[str, Any], audience: str) -> str:
    return _("Appeal on claim %(id)s: %(outcome)s") % {
        "id": data["claim_id"],
        "outcome": AppealOutcome(data["outcome"]).label,
    }


@register("claim.paid")
def paid(data: dict[str, Any], audience: str) -> str:
    values = {"id": data["claim_id"], "amount": Decimal(data["payout_amount"])}
    if _for_merchant(audience):
        return _("Claim %(id)s paid: %(amount)s transferred to you.") % values
    return _("Claim %(id)s paid: %(amount)s to the merchant.") % values


@register("claim.flagged")
def flagged(data: dict[str, Any], audience: str) -> str:
    return _("Claim %(id)s flagged: %(flag)s") % {"id": data["claim_id"], "flag": Flag(data["flag"]).label}


@register("claim.sla_breached")
def sla_breached(data: dict[str, Any], audience: str) -> str:
    return _("Review SLA breached on claim %s: escalated to supervisors.") % data["claim_id"]


@register("claim.refund_overdue")
def refund_overdue(data: dict[str, Any], audience: str) -> str:
    if _for_merchant(audience):
        return _("Your refund to the buyer on claim %s is overdue.") % data["claim_id"]
    return _("The merchant's refund on claim %s is overdue.") % data["claim_id"]


@register("merchant.non_performance")
def non_performance(data: dict[str, Any], audience: str) -> str:
    values = {"id": data["claim_id"], "points": data["points"], "kind": FindingKind(data["kind"]).label}
    if _for_merchant(audience):
        return _("Claim %(id)s: %(kind)s; you owe the buyer %(points)s points.") % values
    return _("Claim %(id)s: %(kind)s; the merchant owes the buyer %(points)s points.") % values


@register("payout.failed")
def payout_failed(data: dict[str, Any], audience: str) -> str:
    values = {"id": data["claim_id"], "reason": data["reason"]}
    if data["kind"] != "claim_payout":
        return _("The buyer's shipping allowance for claim %(id)s was refused: %(reason)s.") % values
    if _for_merchant(audience):
        return (
            _(
                "The transfer for claim %(id)s was refused: %(reason)s. Check the payout account in your shop "
                "details; once corrected, the claim is paid again automatically."
            )
            % values
        )
    return _("The transfer to the merchant for claim %(id)s was refused: %(reason)s.") % values
