from django.db import models
from django.utils.translation import gettext_lazy as _


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    EVIDENCE_REQUESTED = "evidence_requested", _("Evidence requested")
    REJECTED = "rejected", _("Rejected")
    AWAITING_RETURN = "awaiting_return", _("Awaiting return")
    RETURN_IN_TRANSIT = "return_in_transit", _("Return in transit")
    AWAITING_RECEIPT = "awaiting_receipt", _("Awaiting receipt check")
    CLOSED_NO_RETURN = "closed_no_return", _("Closed: no return")
    RECEIPT_DISPUTED = "receipt_disputed", _("Receipt disputed")
    CLOSED_RECEIPT_REJECTED = "closed_receipt_rejected", _("Closed: receipt rejected")
    REFUND_DUE = "refund_due", _("Refund due")
    REFUNDED = "refunded", _("Refunded")
    PAID = "paid", _("Paid (理赔成功)")
    UNDER_APPEAL = "under_appeal", _("Under appeal")


S = ClaimStatus
# A claim in one of these is finished; every other state is open (R-POL-5).
CLOSED_STATES = (S.REJECTED, S.CLOSED_NO_RETURN, S.CLOSED_RECEIPT_REJECTED, S.PAID)
OPEN_STATES = tuple(s for s in S if s not in CLOSED_STATES)
# Closed without payment: their approved amounts no longer count against the paid amount.
CLOSED_UNPAID = (S.REJECTED, S.CLOSED_NO_RETURN, S.CLOSED_RECEIPT_REJECTED)


# The claims a reviewer still has to decide (R-ASSIGN-1): their load, and what going off duty returns.
UNDECIDED_STATES = (S.SUBMITTED, S.EVIDENCE_REQUESTED)


class AssignmentReason(models.TextChoices):
    """R-ASSIGN-1: why a claim's assignee changed."""

    LOAD = "load", _("Automatic: fewest open claims")
    TAKEN = "taken", _("Taken by hand")
    REASSIGNED = "reassigned", _("Reassigned by a supervisor")
    OFF_DUTY = "off_duty", _("Returned to the pool: reviewer off duty")
    RETURNED = "returned", _("Returned to the pool by a supervisor")


class Kind(models.TextChoices):
    REFUND_ONLY = "refund_only", _("Refund only (仅退款)")
    RETURN_REFUND = "return_refund", _("Return and refund (退货退款)")


class BusinessType(models.TextChoices):
    WARRANTY = "warranty", _("Warranty (质保卡)")
    MERCHANT = "merchant", _("Merchant")


class NotRouted(models.TextChoices):
    """Why a request stays with the merchant: the first rule of R-ROUTE-1 it fails, stored (and
    reported by the API) as the rule's id, shown to people in words."""

    NO_POLICY = "R-POL-1", _("no policy in force")
    REASON_NOT_COVERED = "R-ROUTE-2", _("reason not covered")
    OUTSIDE_WINDOW = "R-WIN-1", _("asked outside the cover period")
    BUYER_NOT_ELIGIBLE = "R-ABUSE-2", _("buyer not eligible")


class BuyerLevel(models.TextChoices):
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")
    REVOKED = "revoked", _("Revoked")


REPORTABLE_LEVELS = (BuyerLevel.HIGH, BuyerLevel.NORMAL, BuyerLevel.LOW)


class Outcome(models.TextChoices):
    APPROVE = "approve", _("Approve")
    PARTIALLY_APPROVE = "partially_approve", _("Partially approve")
    REJECT = "reject", _("Reject")
    REQUEST_EVIDENCE = "request_evidence", _("Request evidence")


class EvidenceMark(models.TextChoices):
    """R-EVI-1: why a reviewer should look twice at an image; a mark never decides the claim."""

    BLURRY = "blurry", _("Too blurred to judge")
    TOO_DARK = "too_dark", _("Too dark to judge")
    CAPTURED_BEFORE_DELIVERY = "captured_before_delivery", _("Taken before the parcel could have arrived")
    EDITED = "edited", _("Saved by editing software")


class Flag(models.TextChoices):
    SLA_WARNING = "sla_warning", _("SLA warning")
    SLA_BREACHED = "sla_breached", _("SLA breached")
    AUTOMATIC_DECISION = "automatic_decision", _("Automatic decision")
    ABNORMAL_BUYER = "abnormal_buyer", _("Abnormal buyer")
    DUPLICATE_EVIDENCE = "duplicate_evidence", _("Duplicate evidence")
    TRACKING_REUSED = "tracking_reused", _("Tracking number reused")
    MERCHANT_REPORTED = "merchant_reported", _("Reported by merchant")
    REFUND_OVERDUE = "refund_overdue", _("Refund overdue")
    PAYOUT_FAILED = "payout_failed", _("Payout refused by the provider")
    ALLOWANCE_OWED = "allowance_owed", _("Shipping allowance owed (no buyer account)")


# R-REV-7: the only flags a merchant sees, in every channel (portal, merchant API clients, their
# webhooks, notices and e-mails): those about the merchant's own side. Screening flags rest on other
# shops' claims and the SLA flags on the insurer's own clock. ClaimFlag.objects.seen_by and
# merchant_may_see read it.
MERCHANT_FLAGS = frozenset({Flag.MERCHANT_REPORTED, Flag.REFUND_OVERDUE, Flag.PAYOUT_FAILED})


def merchant_may_see(code: str) -> bool:
    """R-REV-7: whether a flag with this code may reach a merchant."""
    return code in MERCHANT_FLAGS


class ReceiptRejection(models.TextChoices):
    MISSING_ITEMS = "missing_items", _("Missing items (少件)")
    EMPTY_PARCEL = "empty_parcel", _("Empty parcel (空包裹)")
    WRONG_ITEM = "wrong_item", _("Wrong item (货不对版)")
    FAKE_LOGISTICS = "fake_logistics", _("Fake logistics (虚假物流)")


def transition_reason(reason: str) -> str:
    """An audit row's reason as people read it, in the reader's language: a receipt rejection is
    recorded as "<code>: <note>" (R-RET-3), and its code is shown by its label."""
    code, colon, note = reason.partition(": ")
    if colon and code in ReceiptRejection.values:
        return f"{ReceiptRejection(code).label}: {note}"
    return reason


class Side(models.TextChoices):
    BUYER = "buyer", _("Buyer")
    MERCHANT = "merchant", _("Merchant")


class EvidenceKind(models.TextChoices):
    IMAGE = "image", _("Image")
    VIDEO = "video", _("Video")


class DisputeOutcome(models.TextChoices):
    UPHOLD = "uphold", _("Uphold the rejection")
    OVERTURN = "overturn", _("Overturn the rejection")


class AppealOutcome(models.TextChoices):
    UPHOLD = "uphold", _("Uphold the decision")
    CHANGE = "change", _("Change the decision")


class FindingKind(models.TextChoices):
    RECEIPT_OVERTURNED = "receipt_overturned", _("Receipt rejection overturned")
    REFUND_OVERDUE = "refund_overdue", _("Refund overdue")
