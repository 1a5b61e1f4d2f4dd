"""Claim use cases (domain.md §5–§9, §11, §14), one module per use case. Every interface and
timer calls these through `from claims import services`; each action runs through
`actions.acting` (authorise, transaction, row lock, the page's version)."""

from .abuse import flag_codes, matching_photos, raise_flag, report_buyer, review_report, set_buyer_eligibility
from .actions import get_claim_for
from .appeals import appeal, resolve_appeal
from .approvals import confirm, send_back
from .assignment import assign, fill_pool, fill_pools, reassign, set_profile
from .authority import awaiting, waiting
from .deadlines import process_deadlines
from .evidence import BUYER_EVIDENCE_STATES, MERCHANT_EVIDENCE_STATES, add_evidence, open_served
from .money import complete_refund, record_finding
from .notices import STAFF_AUDIENCES, return_address
from .payouts import pay_out, settle_payout
from .returns import (
    confirm_receipt,
    mark_delivered,
    record_return_shipment,
    reject_receipt,
    remind_buyer,
    resolve_receipt_dispute,
)
from .review import decide, record_audit
from .routing import (
    REQUEST_FIELDS,
    Opening,
    in_window,
    report_buyer_level,
    routing_failure,
    submit_refund_request,
)

__all__ = [
    "BUYER_EVIDENCE_STATES",
    "MERCHANT_EVIDENCE_STATES",
    "REQUEST_FIELDS",
    "STAFF_AUDIENCES",
    "Opening",
    "add_evidence",
    "open_served",
    "appeal",
    "assign",
    "awaiting",
    "complete_refund",
    "confirm",
    "confirm_receipt",
    "decide",
    "fill_pool",
    "fill_pools",
    "flag_codes",
    "get_claim_for",
    "in_window",
    "mark_delivered",
    "matching_photos",
    "pay_out",
    "process_deadlines",
    "raise_flag",
    "reassign",
    "record_audit",
    "record_finding",
    "record_return_shipment",
    "reject_receipt",
    "remind_buyer",
    "report_buyer",
    "report_buyer_level",
    "resolve_appeal",
    "resolve_receipt_dispute",
    "return_address",
    "review_report",
    "send_back",
    "routing_failure",
    "set_buyer_eligibility",
    "set_profile",
    "settle_payout",
    "submit_refund_request",
    "waiting",
]
