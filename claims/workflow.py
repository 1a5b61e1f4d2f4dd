"""The claim life cycle as one table: who may take each action (domain.md §14).

The moves themselves are the @transition methods on Claim; this says which roles may call them
and how each interface labels them."""

from django.utils.translation import gettext_lazy as _

from kernel.actors import Role

from .choices import ClaimStatus as S

# R-REV-1: undecided at this share of the review SLA, a claim is flagged `sla_warning`.
SLA_WARNING_SHARE = 0.8

INSURER_SIDE = {Role.REVIEWER, Role.SUPERVISOR, Role.INSURER}
STAFF = {Role.SERVICE_STAFF}
TIMER = {Role.TIMER, Role.SYSTEM}

TRANSITIONS = {
    "submit_refund_request": (_("Submit refund request"), {Role.PLATFORM}),
    "add_buyer_evidence": (_("Add buyer evidence"), {Role.PLATFORM}),
    "add_merchant_evidence": (_("Add merchant evidence"), {Role.MERCHANT}),
    "decide": (_("Decide"), INSURER_SIDE),
    "record_return_shipment": (_("Record return shipment"), {Role.PLATFORM}),
    "mark_delivered": (_("Mark delivered"), {Role.PLATFORM}),
    "confirm_receipt": (_("Confirm receipt"), {Role.MERCHANT} | TIMER),
    "reject_receipt": (_("Reject receipt"), {Role.MERCHANT}),
    "remind_buyer": (_("Remind the buyer"), {Role.MERCHANT}),
    "resolve_dispute": (_("Resolve receipt dispute"), STAFF),
    "appeal": (_("Appeal"), {Role.PLATFORM}),
    "resolve_appeal": (_("Resolve appeal"), STAFF),
    "complete_refund": (_("Refund completed"), {Role.PLATFORM}),
    "pay_out": (_("Pay out"), TIMER),
    "report_buyer": (_("Report buyer"), {Role.MERCHANT}),
    "set_buyer_eligibility": (_("Revoke or restore buyer eligibility"), STAFF),
    "review_report": (_("Review buyer report"), STAFF),
    "record_finding": (_("Record non-performance finding"), STAFF),
    "audit_automatic_decision": (_("Audit automatic decision"), INSURER_SIDE),
    "timeout": (_("Timer"), TIMER),
    "add_note": (_("Write an internal note"), INSURER_SIDE | STAFF),
    "rate_claim": (_("Rate the claim's handling"), {Role.PLATFORM, Role.MERCHANT}),
}

# The clock that runs in each state, and the column that holds its deadline (api.md `deadlines`).
# Other states have no deadline of their own.
DEADLINES = {
    S.SUBMITTED: ("review_due_at", _("Decision due")),
    S.EVIDENCE_REQUESTED: ("evidence_due_at", _("Buyer's evidence due")),
    S.AWAITING_RETURN: ("return_due_at", _("Return tracking number due")),
    S.AWAITING_RECEIPT: ("receipt_due_at", _("Receipt check due (then confirmed automatically)")),
    S.REFUND_DUE: ("refund_due_by", _("Refund to the buyer due")),
}
