"""The claim life cycle as one table: who may take each action (domain.md §14).

The moves themselves are the @transition methods on Claim; this says which roles may call them,
how each interface labels them, and (`open_actions`) which of them an actor may take on a claim
now, as the state machine answers it (django_fsm.can_proceed). The admin's buttons and the
portal's links ask `open_actions`; no interface restates a state."""

from django.utils.translation import gettext_lazy as _
from django_fsm import can_proceed

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


# Each transition on Claim (the @transition method's name) and the TRANSITIONS row whose roles
# may make it, through the service that calls it.
MOVES = {
    "request_evidence": "decide",
    "approve": "decide",
    "partially_approve": "decide",
    "reject": "decide",
    "resubmit": "add_buyer_evidence",
    "evidence_timeout": "timeout",
    "record_return_shipment": "record_return_shipment",
    "return_timeout": "timeout",
    "mark_delivered": "mark_delivered",
    "confirm_receipt": "confirm_receipt",
    "reject_receipt": "reject_receipt",
    "uphold_receipt_rejection": "resolve_dispute",
    "overturn_receipt_rejection": "resolve_dispute",
    "complete_refund": "complete_refund",
    "mark_paid": "pay_out",
    "appeal": "appeal",
    "uphold_appeal": "resolve_appeal",
    "change_decision": "resolve_appeal",
}

# Actions that change no state, each open while one of these transitions is: "assign to me" while
# the claim is in review (a decision may be taken, or the buyer's evidence may resubmit it), the
# buyer's reminder while the buyer may still enter the return tracking number (R-RET-2).
WHILE = {
    "assign": ("decide", ("request_evidence", "resubmit")),
    "remind_buyer": ("remind_buyer", ("record_return_shipment",)),
}


def _rule(action: str) -> tuple[str, tuple[str, ...]]:
    return (MOVES[action], (action,)) if action in MOVES else WHILE[action]


def who_may(action: str) -> str:
    """The TRANSITIONS row that says which roles may take `action` (a key of MOVES or WHILE)."""
    return _rule(action)[0]


def is_open(claim, role: str, action: str) -> bool:
    """Whether `role` may take `action` (a key of MOVES or WHILE) on `claim` now."""
    who, when = _rule(action)
    return role in TRANSITIONS[who][1] and any(can_proceed(getattr(claim, name)) for name in when)


def open_actions(claim, role: str) -> set[str]:
    """The moves and the stateless actions `role` may take on `claim` now."""
    return {action for action in (*MOVES, *WHILE) if is_open(claim, role, action)}
