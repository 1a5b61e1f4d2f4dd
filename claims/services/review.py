"""The insurer's review (domain.md §6): decisions, the fast lane, audits and who holds a claim."""

import datetime as dt
import random
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from catalogue.taxonomy import UNASSESSED
from kernel.actors import Actor, Role
from kernel.errors import Conflict, RuleViolation, transition_refused

from ..choices import BuyerLevel, EvidenceKind, Flag, Kind, Outcome, Side
from ..choices import ClaimStatus as S
from ..models import Claim, Decision
from ..models.authority import ApprovalKind
from .abuse import raise_flag
from .actions import acting, authorize, now_or, require_text
from .assignment import capacity_freed
from .authority import hold, needs_second, refuse_if_waiting
from .notices import announce_decision, isoformat, move, notify, refund_due_notice, send_return_address


def has_image_and_description(claim: Claim) -> bool:
    """R-REV-2: at least one buyer image (a video alone is not enough) and a description."""
    has_image = claim.evidence.filter(side=Side.BUYER, kind=EvidenceKind.IMAGE).exists()
    return has_image and bool(claim.description.strip())


def cap_for(claim: Claim) -> Decimal:
    """R-POL-5: what the sub-order's paid amount still allows for this claim."""
    others = Claim.objects.filter(sub_order_id=claim.sub_order_id).exclude(
        pk=claim.pk
    ).counting_against_paid_amount().aggregate(total=Sum("approved_amount"))["total"] or Decimal("0.00")
    paid: Decimal = claim.sub_order.paid_amount
    return paid - others


def refuse_if_held(claim: Claim, actor: Actor) -> None:
    """R-ASSIGN-1: a claim held by one reviewer is not decided by another person or client
    without taking it over first (the admin's "assign to me")."""
    if claim.assignee_id is not None and claim.assignee_id != actor.user_id:
        raise Conflict(
            _("Another reviewer holds this claim: take it over before deciding it."),
            code="claim_held",
            rule="R-ASSIGN-1",
        )


def decide(
    claim: Claim,
    outcome: str,
    actor: Actor,
    *,
    problem_code: str = "",
    approved_amount: Decimal | None = None,
    reason: str = "",
    now: dt.datetime | None = None,
    seen: str | None = None,
) -> Claim:
    """R-REV-2, R-REV-3, R-REV-4: the insurer's decision, or its request for more evidence."""
    # Only the insurer side decides here; the one automatic decision is the fast lane (R-REV-6).
    with acting(claim, actor, "decide", now, seen=seen) as (claim, now):
        refuse_if_held(claim, actor)
        refuse_if_waiting(claim)  # R-AUTH-1
        return _decide(claim, outcome, actor, problem_code, approved_amount, (reason or "").strip(), now)


def _decide(
    claim: Claim,
    outcome: str,
    actor: Actor,
    problem_code: str,
    approved_amount: Decimal | None,
    reason: str,
    now: dt.datetime,
) -> Claim:
    automatic = actor.role in (Role.TIMER, Role.SYSTEM)
    if outcome not in Outcome.values:
        raise RuleViolation(_("Unknown outcome %s.") % outcome, code="invalid_outcome", fields={"outcome": [outcome]})
    if claim.status != S.SUBMITTED:
        raise transition_refused(claim, outcome, claim.status)
    if outcome == Outcome.REQUEST_EVIDENCE:
        require_text(reason, "reason", _("Say what evidence is missing."), "R-REV-2")
        move(claim, "request_evidence", actor, at=now, reason=reason, told=True)
        record_decision(claim, outcome, actor, now, reason=reason)
        notify(
            claim,
            "claim.evidence_requested",
            _("More evidence requested on claim %s.") % claim.claim_id,
            data={"missing": reason, "evidence_due_at": isoformat(claim.evidence_due_at)},
            at=now,
        )
        return claim
    if outcome == Outcome.REJECT:
        require_text(reason, "reason", _("A rejection needs a reason for the buyer and the merchant."), "R-REV-3")
        return _reject(claim, "reject", actor, now, reason)

    if not has_image_and_description(claim):
        raise RuleViolation(
            _("Approval needs at least one buyer image and the buyer's description."),
            code="evidence_missing",
            rule="R-REV-2",
        )
    check_problem_code(claim, problem_code, automatic=automatic)
    if outcome == Outcome.PARTIALLY_APPROVE:
        require_text(reason, "reason", _("A partial approval needs a reason."), "R-REV-3")
        if approved_amount is None or not (Decimal("0") < approved_amount < claim.requested_amount):
            raise RuleViolation(
                _("A partial approval needs an amount above 0 and below the requested %s.") % claim.requested_amount,
                code="invalid_amount",
                rule="R-REV-3",
                fields={"approved_amount": [_("Out of range.")]},
            )
    else:
        approved_amount = claim.requested_amount
    cap = cap_for(claim)
    if approved_amount > cap:
        raise RuleViolation(
            _("Approving %(amount)s would take the sub-order's claims above its paid amount; at most %(cap)s remains.")
            % {"amount": approved_amount, "cap": cap},
            code="amount_exceeds_paid",
            rule="R-POL-5",
            fields={"approved_amount": [_("Above what remains.")]},
        )
    if needs_second(claim, actor, ApprovalKind.DECISION, approved_amount):
        # R-AUTH-1: above the actor's limit the approval waits for a second person (approvals.confirm).
        hold(
            claim,
            actor,
            ApprovalKind.DECISION,
            now,
            outcome=outcome,
            problem_code=problem_code,
            amount=approved_amount,
            reason=reason,
        )
        return claim
    move(claim, outcome, actor, at=now, reason=reason, approved_amount=approved_amount, told=True)
    record_decision(claim, outcome, actor, now, problem_code=problem_code, amount=approved_amount, reason=reason)
    # The decision's notice says the refund is due; integration clients still get the event.
    announce_decision(claim, outcome, now, problem_code=problem_code, reason=reason)
    if claim.kind == Kind.RETURN_REFUND:
        send_return_address(claim, now)
    if claim.status == S.REFUND_DUE:
        refund_due_notice(claim, now, stored=False)
    capacity_freed(claim)
    return claim


def check_problem_code(claim: Claim, problem_code: str, *, automatic: bool = False) -> None:
    """R-PLAN-1, R-REV-3: a decision's code is a row of the claim's plan under the buyer's reason;
    `unassessed` is the automatic decisions' own (R-REV-6). The admin, the API, appeals and the
    fast lane all decide through here."""
    if automatic:
        allowed = problem_code == UNASSESSED
    else:
        allowed = claim.plan.taxonomy.filter(reason=claim.reason, code=problem_code).exists()
    if not allowed:
        raise RuleViolation(
            _("Choose a problem code of the claim's plan for the buyer's reason (%s).") % claim.reason,
            code="invalid_problem_code",
            rule="R-REV-3",
            fields={"problem_code": [_("Not in the plan's taxonomy for this reason.")]},
        )


def _reject(claim: Claim, transition: str, actor: Actor, now: dt.datetime, reason: str) -> Claim:
    """A rejection, by the insurer (`reject`) or by the timer (`evidence_timeout`): recorded as a
    decision and announced to both sides; the buyer may appeal it (R-DIS-1)."""
    move(claim, transition, actor, at=now, reason=reason, told=True)
    record_decision(claim, Outcome.REJECT, actor, now, reason=reason)
    announce_decision(claim, Outcome.REJECT, now, reason=reason)
    capacity_freed(claim)
    return claim


def time_out_evidence(claim: Claim, actor: Actor, *, now: dt.datetime | None = None) -> Claim:
    """R-REV-2: no evidence in time → rejected ("evidence not provided"), appealable."""
    with acting(claim, actor, "timeout", now) as (claim, now):
        return _reject(claim, "evidence_timeout", actor, now, _("Evidence not provided"))


def record_decision(
    claim: Claim,
    outcome: str,
    actor: Actor,
    now: dt.datetime,
    *,
    problem_code: str = "",
    amount: Decimal | None = None,
    reason: str = "",
    on_appeal: bool = False,
) -> Decision:
    return Decision.objects.create(
        claim=claim,
        outcome=outcome,
        problem_code=problem_code,
        approved_amount=amount,
        reason=reason,
        decided_at=now,
        automatic=actor.role in (Role.TIMER, Role.SYSTEM),
        on_appeal=on_appeal,
        role=actor.role,
        user_id=actor.user_id,
    )


def fast_lane(claim: Claim, now: dt.datetime) -> None:
    """R-REV-6: a high-level buyer's unflagged claim within the limit is approved on its first image."""
    plan = claim.plan
    if not (
        plan.fast_lane_limit > 0
        and claim.status == S.SUBMITTED
        and claim.buyer.level == BuyerLevel.HIGH
        and claim.requested_amount <= plan.fast_lane_limit
        # R-REV-6 x R-POL-5: above what the sub-order still allows, a reviewer decides (who may
        # partially approve what remains); the fast lane never refuses the buyer's photo.
        and claim.requested_amount <= cap_for(claim)
        and not claim.flags.exists()
        and has_image_and_description(claim)
    ):
        return
    actor = Actor.system("fast_lane R-REV-6")
    _decide(claim, Outcome.APPROVE, actor, UNASSESSED, None, _("Approved in the fast lane"), now)
    raise_flag(claim, Flag.AUTOMATIC_DECISION, at=now, detail="R-REV-6")
    if random.random() < float(plan.fast_lane_audit_share):
        Claim.objects.filter(pk=claim.pk).update(audit_requested=True)


@transaction.atomic
def record_audit(claim: Claim, actor: Actor, *, outcome: str, now: dt.datetime | None = None) -> None:
    """A human's audit of an automatic decision (R-REV-6)."""
    authorize(actor, "audit_automatic_decision", claim)
    require_text((outcome or "").strip(), "outcome", _("Say what the audit found."), "R-REV-6")
    Claim.objects.filter(pk=claim.pk, audit_requested=True).update(
        audit_outcome=outcome.strip(), audited_at=now_or(now)
    )
