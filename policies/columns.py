"""The policy and premium-invoice lists' columns, written once for the admin's and the portal's
exports. Staff see which shop a row is of; a merchant sees its policies' claims."""

from django.utils.translation import gettext_lazy as _

from kernel.csv import Column, merchant_only, staff_only

POLICY_COLUMNS = [
    Column(_("Policy no."), lambda p: p.policy_no),
    Column(_("Sub-order"), lambda p: p.sub_order.sub_order_id),
    staff_only(_("Shop"), lambda p: p.shop.shop_id),
    Column(_("Order"), lambda p: p.sub_order.order_id),
    Column(_("Plan"), lambda p: p.plan.code),
    Column(_("Insurer"), lambda p: p.insurer.code),
    Column(_("Status"), lambda p: p.status),
    Column(_("Paid amount"), lambda p: p.sub_order.paid_amount),
    Column(_("Rate"), lambda p: p.rate),
    Column(_("Premium"), lambda p: p.premium),
    Column(_("Issued at"), lambda p: p.issued_at),
    Column(_("Cover starts"), lambda p: p.cover_starts_at),
    Column(_("Cover ends"), lambda p: p.cover_ends_at),
    Column(_("Claim paid"), lambda p: p.claim_paid),
    # The portal's list prefetches the policy's claims (in the viewer's scope).
    merchant_only(_("Claims"), lambda p: " ".join(c.claim_id for c in p.claims.all())),
]

INVOICE_COLUMNS = [
    Column(_("Invoice request no."), lambda i: i.invoice_no),
    staff_only(_("Shop"), lambda i: i.shop.shop_id),
    Column(_("Insurer"), lambda i: i.insurer.code),
    Column(_("Period start"), lambda i: i.period_start),
    Column(_("Period end"), lambda i: i.period_end),
    Column(_("Policies"), lambda i: i.policy_count),
    Column(_("Total premiums"), lambda i: i.total),
    Column(_("Status"), lambda i: i.status),
    Column(_("Requested at"), lambda i: i.requested_at),
    Column(_("Due by"), lambda i: i.due_at),
    Column(_("Late"), lambda i: i.is_late),
    Column(_("Courier"), lambda i: i.carrier),
    Column(_("Courier tracking no."), lambda i: i.tracking_number),
]
