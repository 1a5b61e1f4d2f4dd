"""The claim and refund-request lists' columns, written once for the admin's and the portal's
exports. Staff see which shop, buyer and reviewer a row concerns; a merchant sees its own rows'
deadlines and payouts."""

from django.utils.translation import gettext_lazy as _

from kernel.csv import Column, merchant_only, staff_only

from .models import Claim


def _claim_of(refund_request):
    """The request's claim, or None for a request the rules left with the merchant."""
    try:
        return refund_request.claim
    except Claim.DoesNotExist:
        return None


CLAIM_COLUMNS = [
    Column(_("Claim"), lambda c: c.claim_id),
    Column(_("Refund id"), lambda c: c.refund_request.refund_id),
    merchant_only(_("Sub-order"), lambda c: c.sub_order.sub_order_id),
    staff_only(_("Shop"), lambda c: c.shop.shop_id),
    staff_only(_("Insurer"), lambda c: c.insurer.code),
    staff_only(_("Plan"), lambda c: c.plan.code),
    Column(_("Kind"), lambda c: c.kind),
    Column(_("Reason"), lambda c: c.reason),
    Column(_("Status"), lambda c: c.status),
    staff_only(_("Buyer"), lambda c: str(c.buyer)),
    staff_only(_("Buyer level"), lambda c: c.buyer.level),
    Column(_("Requested amount"), lambda c: c.requested_amount),
    Column(_("Approved amount"), lambda c: c.approved_amount),
    merchant_only(_("Payout amount"), lambda c: c.payout_amount),
    staff_only(_("Flags"), lambda c: " ".join(f.code for f in c.flags.all())),
    Column(_("Opened at"), lambda c: c.opened_at),
    staff_only(_("Review due"), lambda c: c.review_due_at),
    merchant_only(_("Deadline"), lambda c: c.open_deadline[1] if c.open_deadline else None),
    staff_only(_("Decided at"), lambda c: c.decided_at),
    merchant_only(_("Paid at"), lambda c: c.paid_at),
    staff_only(_("Assignee"), lambda c: c.assignee.get_username() if c.assignee else ""),
]

REFUND_REQUEST_COLUMNS = [
    Column(_("Refund id"), lambda r: r.refund_id),
    Column(_("Sub-order"), lambda r: r.sub_order.sub_order_id),
    staff_only(_("Shop"), lambda r: r.shop.shop_id),
    Column(_("Business type"), lambda r: r.business_type),
    Column(_("Not routed because"), lambda r: r.not_routed_because),
    Column(_("Kind"), lambda r: r.kind),
    Column(_("Reason"), lambda r: r.reason),
    Column(_("Amount"), lambda r: r.amount),
    Column(_("Requested at"), lambda r: r.requested_at),
    Column(_("Claim"), lambda r: getattr(_claim_of(r), "claim_id", "")),
    Column(_("Claim status"), lambda r: getattr(_claim_of(r), "status", "")),
]
