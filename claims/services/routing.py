"""Refund requests and routing (domain.md §5): a request enters the claim flow or stays with the merchant."""

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypedDict

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _
from django_stubs_ext import WithAnnotations

from audit.models import TransitionLog
from audit.services import record_transition
from kernel.actors import Actor, require
from kernel.errors import Conflict, RuleViolation
from policies.choices import PolicyStatus
from policies.models import Policy, SubOrder

from ..choices import BusinessType, BuyerLevel, Flag, NotRouted
from ..choices import ClaimStatus as S
from ..models import Buyer, Claim, ClaimFlag, MerchantReport, RefundRequest
from ..workflow import SLA_WARNING_SHARE, TRANSITIONS
from .abuse import check_repeat_claims, raise_flag
from .actions import now_or
from .assignment import assign_on_opening
from .notices import notify

REQUEST_FIELDS = ("kind", "reason", "amount", "description", "requested_at")


def _same_request(existing: RefundRequest, data: dict[str, Any]) -> bool:
    return (
        existing.sub_order.sub_order_id == data["sub_order_id"]
        and all(getattr(existing, f) == data[f] for f in REQUEST_FIELDS)
        and existing.buyer_level == (data.get("buyer_level") or BuyerLevel.NORMAL)
    )


BUYER_UPSERT = """
    INSERT INTO claims_buyer AS buyer (buyer_id, level, reported_level, revoked_reason, level_reports)
    VALUES (%s, %s, %s, '', 1)
    ON CONFLICT (buyer_id) DO UPDATE SET
        level_reports = buyer.level_reports + 1,
        reported_level = excluded.reported_level,
        level = CASE WHEN buyer.level = %s THEN buyer.level ELSE excluded.level END
    RETURNING *
"""


def report_buyer_level(buyer_id: str, level: str | None) -> Buyer:
    """R-REV-5: the latest level the platform reported, except that a revoked buyer stays revoked.

    One statement, new buyer or known one, and no race between looking and inserting; a second
    request of the same buyer waits here for the first to commit."""
    level = level or BuyerLevel.NORMAL
    return next(iter(Buyer.objects.raw(BUYER_UPSERT, [buyer_id, level, level, BuyerLevel.REVOKED])))


def routing_failure(
    sub_order: SubOrder, policy: Policy | None, reason: str, requested_at: dt.datetime, buyer: Buyer
) -> NotRouted | None:
    """R-ROUTE-1: the first rule that keeps a request out of the claim flow, or None."""
    if policy is None or policy.status == PolicyStatus.CANCELLED:
        return NotRouted.NO_POLICY
    if reason not in policy.plan.qualifying_reasons:
        return NotRouted.REASON_NOT_COVERED
    if not in_window(sub_order.receipt_confirmed_at, requested_at, policy.coverage_hours):
        return NotRouted.OUTSIDE_WINDOW
    if buyer.revoked:
        return NotRouted.BUYER_NOT_ELIGIBLE
    return None


def in_window(receipt_at: dt.datetime | None, requested_at: dt.datetime, coverage_hours: int) -> bool:
    """R-WIN-1: 0 ≤ request − receipt ≤ coverage hours, inclusive at the end."""
    if receipt_at is None:
        return False
    elapsed = requested_at - receipt_at
    return dt.timedelta(0) <= elapsed <= dt.timedelta(hours=coverage_hours)


def submit_refund_request(
    data: dict[str, Any], actor: Actor, *, now: dt.datetime | None = None
) -> tuple[RefundRequest, bool]:
    """Record a refund request and route it (R-ROUTE-1); returns (request, created).

    Identical resends are answered with the first record; the same refund_id with other
    content is a conflict. A sub-order with an open claim refuses a new request (R-POL-5)."""
    require(actor, "submit_refund_request", TRANSITIONS)
    try:
        return _submit(data, actor, now_or(now)), True
    except (RuleViolation, Conflict, IntegrityError):
        # Refused, or beaten to it by a concurrent twin: if the refund_id is known, this is a
        # resend (or a conflict), whatever a rule would have said of the new content.
        existing = RefundRequest.objects.select_related("sub_order").filter(refund_id=data["refund_id"]).first()
        if existing is None:
            if Claim.objects.filter(sub_order__sub_order_id=data["sub_order_id"]).open().exists():
                # R-POL-5: a concurrent request opened the claim while this one waited for the
                # sub-order's lock (the one-open-claim index refused this one's): the same answer
                # as when it had been open before.
                raise _claim_open() from None
            raise
    if not _same_request(existing, data):
        raise Conflict(
            _("Refund request %s was already received with other content.") % data["refund_id"],
            code="refund_id_conflict",
        )
    return existing, False


@transaction.atomic
def _submit(data: dict[str, Any], actor: Actor, now: dt.datetime) -> RefundRequest:
    sub_order = _locked_sub_order(data["sub_order_id"])
    if sub_order is None:
        raise RuleViolation(
            _("Unknown sub-order %s.") % data["sub_order_id"],
            code="unknown_sub_order",
            fields={"sub_order_id": [_("No such sub-order.")]},
        )
    amount = data["amount"]
    if amount <= 0 or amount > sub_order.paid_amount:
        raise RuleViolation(
            _("The amount must be greater than 0 and at most the paid amount %(paid)s.")
            % {"paid": sub_order.paid_amount},
            code="amount_out_of_range",
            rule="R-POL-5",
            fields={"amount": [_("Out of range.")]},
        )
    if sub_order.has_open_claim:
        raise _claim_open()
    buyer = report_buyer_level(sub_order.buyer_id, data.get("buyer_level"))
    policy: Policy | None = getattr(sub_order, "policy", None)
    failing = routing_failure(sub_order, policy, data["reason"], data["requested_at"], buyer)
    request = RefundRequest.objects.create(
        refund_id=data["refund_id"],
        sub_order=sub_order,
        shop=sub_order.shop,
        insurer=policy.insurer if policy else None,
        buyer=buyer,
        buyer_level=data.get("buyer_level") or BuyerLevel.NORMAL,
        business_type=BusinessType.MERCHANT if failing else BusinessType.WARRANTY,
        not_routed_because=failing or "",
        **{f: data[f] for f in REQUEST_FIELDS},
    )
    request.opening = None if failing or policy is None else _open_claim(request, policy, actor, now)
    return request


def _claim_open() -> Conflict:
    return Conflict(_("This sub-order already has an open claim."), code="claim_open", rule="R-POL-5")


class RoutingFacts(TypedDict):
    has_open_claim: bool


def _locked_sub_order(sub_order_id: str) -> "WithAnnotations[SubOrder, RoutingFacts] | None":
    """The sub-order, locked, with all that routing reads of it in the same statement: its shop,
    policy, plan and insurer, and whether it has an open claim (R-POL-5)."""
    sub_order: WithAnnotations[SubOrder, RoutingFacts] | None = (
        SubOrder.objects.select_for_update(of=("self",))
        .select_related("shop", "policy__plan", "policy__insurer")
        .annotate(
            has_open_claim=Exists(Claim.objects.filter(sub_order=OuterRef("pk")).open()),
        )
        .filter(sub_order_id=sub_order_id)
        .first()
    )
    return sub_order


@dataclass(frozen=True)
class Opening:
    """A claim just opened with what was written beside it: its history (the opening) and the
    flags raised with it. It has no evidence, decision, appeal or receipt dispute yet, so the API
    answers the request from this instead of reading the claim back."""

    claim: Claim
    history: list[TransitionLog]
    flags: list[ClaimFlag]


def _open_claim(request: RefundRequest, policy: Policy, actor: Actor, now: dt.datetime) -> Opening:
    plan = policy.plan
    sla = dt.timedelta(hours=plan.review_sla_hours)
    claim = Claim.objects.create(
        refund_request=request,
        sub_order=request.sub_order,
        policy=policy,
        shop=request.shop,
        insurer=policy.insurer,
        plan=plan,
        buyer=request.buyer,
        kind=request.kind,
        reason=request.reason,
        description=request.description,
        requested_amount=request.amount,
        opened_at=now,
        review_sla_hours=plan.review_sla_hours,
        evidence_response_hours=plan.evidence_response_hours,
        return_tracking_hours=plan.return_tracking_hours,
        merchant_receipt_hours=plan.merchant_receipt_hours,
        refund_due_hours=plan.refund_due_hours,
        appeal_days=plan.appeal_days,
        review_due_at=now + sla,
        sla_warn_at=now + sla * SLA_WARNING_SHARE,
        sla_breach_at=now + sla,
    )
    log = record_transition(claim, transition="open", source="", target=S.SUBMITTED, actor=actor, at=now)
    notify(
        claim,
        "claim.opened",
        _("Claim %s opened.") % claim.claim_id,
        data={"requested_amount": str(claim.requested_amount), "kind": claim.kind, "reason": claim.reason},
        at=now,
    )
    flags = [check_repeat_claims(claim, now)]
    # R-ABUSE-1: a buyer the merchant reported from this policy before claiming.
    report = MerchantReport.objects.filter(policy=policy).first() if request.buyer.last_reported_at else None
    if report:
        flags.append(raise_flag(claim, Flag.MERCHANT_REPORTED, at=now, detail=report.note))
    assign_on_opening(claim, now)
    return Opening(claim, history=[log], flags=[flag for flag in flags if flag])
