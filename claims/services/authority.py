"""R-AUTH-1 Authority limits (domain.md §15): who may approve how much alone, and the decision
held as pending until a second person with the authority confirms it.

The use cases ask `needs_second` at the point where their decision would take effect; `hold`
records it instead (nothing moves, nothing is announced: webhooks, notices and e-mails wait for
the confirmation). `services.approvals` confirms or sends it back."""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from kernel.actors import Actor, Role
from kernel.errors import Conflict, RoleRefused

from ..models import ApprovalStep, AuthorityLimit, Claim, PendingDecision
from ..models.authority import ApprovalKind, ApprovalStatus

# R-AUTH-1 x R-REV-6: automatic decisions never wait: the fast lane keeps within fast_lane_limit.
AUTOMATIC = {Role.TIMER, Role.SYSTEM}


def limit_for(claim: Claim, role: str) -> AuthorityLimit | None:
    """The claim's insurer's row for the role, or None: no limit set, the role acts alone."""
    return AuthorityLimit.objects.filter(insurer_id=claim.insurer_id, role=role).first()


def may_approve_alone(limit: AuthorityLimit | None, kind: str, amount: Decimal | None) -> bool:
    """R-AUTH-1: within the role's amount, and for an appeal change or an overturn only where the
    insurer lets one person do it."""
    if limit is None:
        return True
    if kind == ApprovalKind.APPEAL_CHANGE and limit.appeal_change_needs_second:
        return False
    if kind == ApprovalKind.OVERTURN and limit.overturn_needs_second:
        return False
    return amount is None or amount <= limit.approve_alone_up_to


def needs_second(claim: Claim, actor: Actor, kind: str, amount: Decimal | None) -> bool:
    if actor.role in AUTOMATIC:
        return False
    return not may_approve_alone(limit_for(claim, actor.role), kind, amount)


def waiting(claim: Claim) -> PendingDecision | None:
    """The claim's decision awaiting a second approval, if any."""
    pending: PendingDecision | None = PendingDecision.objects.filter(claim=claim, status=ApprovalStatus.PENDING).first()
    return pending


def awaiting(claim: Claim) -> PendingDecision:
    """The decision a second person is asked to confirm or send back (409 when none waits)."""
    pending = waiting(claim)
    if pending is None:
        raise Conflict(
            _("No decision on this claim is awaiting a second approval."), code="no_pending_approval", rule="R-AUTH-1"
        )
    return pending


def refuse_if_waiting(claim: Claim) -> None:
    """A claim with a decision awaiting a second approval is not decided again before it is
    confirmed or sent back: two decisions would race to take effect."""
    if waiting(claim) is not None:
        raise Conflict(
            _("A decision on this claim is awaiting a second approval: confirm it or send it back first."),
            code="pending_approval",
            rule="R-AUTH-1",
        )


def hold(
    claim: Claim,
    actor: Actor,
    kind: str,
    now: dt.datetime,
    *,
    outcome: str = "",
    problem_code: str = "",
    amount: Decimal | None = None,
    reason: str = "",
) -> PendingDecision:
    """R-AUTH-1: record the decision as pending; it takes effect only on confirmation, so the
    review SLA keeps running and no one outside the insurer's desk hears of it. The callers have
    refused a claim whose decision already waits (refuse_if_waiting), under the claim's lock."""
    pending = PendingDecision.objects.create(
        claim=claim,
        kind=kind,
        outcome=outcome,
        problem_code=problem_code,
        approved_amount=amount,
        reason=reason,
        proposed_at=now,
        proposed_role=actor.role,
        proposed_by_id=actor.user_id,
        proposed_client_id=actor.client_id,
        proposed_label=actor.label,
    )
    record_step(pending, ApprovalStatus.PENDING, actor, now, reason=reason)
    return pending


def record_step(pending: PendingDecision, step: str, actor: Actor, now: dt.datetime, *, reason: str = "") -> None:
    """Each step in the claim's history, chained with its other rows (R-AUD-1)."""
    ApprovalStep.objects.create(
        claim_id=pending.claim_id,
        pending=pending,
        step=step,
        approved_amount=pending.approved_amount,
        reason=reason,
        at=now,
        role=actor.role,
        channel=actor.channel,
        user_id=actor.user_id,
        client_id=actor.client_id,
        actor_label=actor.label,
    )


def is_proposer(pending: PendingDecision, actor: Actor) -> bool:
    if actor.user_id is not None:
        return actor.user_id == pending.proposed_by_id
    return actor.client_id is not None and actor.client_id == pending.proposed_client_id


def check_second_person(pending: PendingDecision, actor: Actor) -> None:
    """R-AUTH-1: the confirmer is another person (never the proposer), of the insurer (the
    use case's own authorisation checks the scope), whose own authority covers the decision."""
    if is_proposer(pending, actor):
        raise Conflict(
            _("You proposed this decision: another person with the authority must confirm it."),
            code="same_person",
            rule="R-AUTH-1",
        )
    if not may_approve_alone(limit_for(pending.claim, actor.role), ApprovalKind.DECISION, pending.approved_amount):
        raise RoleRefused(
            _("Your authority does not cover %(amount)s: someone with a higher limit must confirm it.")
            % {"amount": pending.approved_amount}
        )
