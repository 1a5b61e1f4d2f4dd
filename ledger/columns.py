"""The ledger's columns (R-PAY-4), written once for the admin's and the portal's statements.
Payees are masked in both."""

from django.utils.translation import gettext_lazy as _

from audit.masking import masked
from kernel.csv import Column, staff_only

ENTRY_COLUMNS = [
    Column(_("At"), lambda e: e.created_at),
    Column(_("Kind"), lambda e: e.kind),
    Column(_("Amount"), lambda e: e.amount),
    Column(_("Points"), lambda e: e.points),
    staff_only(_("Shop"), lambda e: e.shop.shop_id),
    staff_only(_("Insurer"), lambda e: e.insurer.code),
    Column(_("Plan"), lambda e: e.plan.code),
    Column(_("Policy no."), lambda e: e.policy.policy_no if e.policy else ""),
    Column(_("Claim"), lambda e: e.claim.claim_id if e.claim else ""),
    Column(_("Payee"), lambda e: masked("payee", e.payee)),
    Column(_("Memo"), lambda e: e.memo),
]
