"""The claims app's models, one module per part of the claim's world; imported here so that
`claims.models.<Name>` keeps working and Django registers every model with the app."""

from ..feedback import ClaimNote, Rating
from .assignment import Assignment, ReviewerProfile
from .authority import ApprovalStep, AuthorityLimit, PendingDecision
from .claim import Claim, ClaimFlag, new_claim_id
from .evidence import Decision, Evidence, ImageFingerprint, evidence_path
from .figures import Dimension, FiguresDay, FiguresWatermark, MoneyDay
from .records import Appeal, MerchantReport, NonPerformanceFinding, ReceiptDispute
from .requests import Buyer, RefundRequest

__all__ = [
    "Buyer",
    "RefundRequest",
    "new_claim_id",
    "Claim",
    "ClaimFlag",
    "evidence_path",
    "Evidence",
    "ImageFingerprint",
    "Decision",
    "ReceiptDispute",
    "Appeal",
    "MerchantReport",
    "NonPerformanceFinding",
    "ClaimNote",
    "ReviewerProfile",
    "Assignment",
    "Rating",
    "AuthorityLimit",
    "PendingDecision",
    "ApprovalStep",
    "Dimension",
    "FiguresDay",
    "FiguresWatermark",
    "MoneyDay",
]
