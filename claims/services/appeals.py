"""Appeals (domain.md §11): the buyer appeals a decision once; service staff resolve it."""

import datetime as dt
from decimal import Decimal

from django.utils.translation import gettext as _

from catalogue.taxonomy import UNASSESSED
from kernel.actors import Actor
from kernel.errors import Conflict, RuleViolation, transition_refused

from ..choices import AppealOutcome, Kind, Outcome
from ..choices import ClaimStatus as S
from ..models import Appeal, Claim
from ..models.authority import ApprovalKind
from .actions import acting, require_text
from .authority import hold, needs_second, refuse_if_waiting
from .notices import STAFF_AUDIENCES, move, notify, refund_due_notice, send_return_address
from .review import cap_for, check_problem_code, has_image_and_description, record_decision


def appeal(claim: Claim, actor: Actor, *, reason: str, now: dt.datetime | None = None) -> Claim:
    """R-DIS-1: once, with a reason, within appeal_days of the decision."""
    reason = (reason or "").strip()
    require_text(reason, "reason", _("An appeal needs a reason."), "R-DIS-1")
    with acting(claim, actor, "appeal", now) as (claim, now):
        if Appeal.objects.filter(claim=claim).exists():
            raise RuleViolation(_("This claim was already appealed once."), code="appeal_used", rule="R-DIS-1")
        if not claim.is_appealable():
            raise transition_refused(claim, "appeal", claim.status)
        if not claim.appeal_window_open(now):
            raise RuleViolation(
                _("The appeal window of %s days after the decision has closed.") % claim.appeal_days,
                code="appeal_window_closed",
                rule="R-DIS-1",
            )
        if Claim.objects.filter(sub_order_id=claim.sub_order_id).open().exclude(pk=claim.pk).exists():
            raise Conflict(_("Another claim on this sub-order is open."), code="claim_open", rule="R-POL-5")
        Appeal.objects.create(claim=claim, reason=reason, filed_at=now, from_status=claim.status)
        move(claim, "appeal", actor, at=now, reason=reason, told=True)
        notify(
            claim,
            "claim.appealed",
            _("The buyer appealed the decision on claim %s.") % claim.claim_id,
            audiences=STAFF_AUDIENCES,
            at=now,
        )
        return claim


def resolve_appeal(
    claim: Claim,
    actor: Actor,
    *,
    outcome: str,
    note: str,
    approved_amount: Decimal | None = None,
    problem_code: str = "",
    now: dt.datetime | None = None,
) -> Claim:
    """R-DIS-1: staff uphold the decision, or change it (a new amount); both sides are told."""
    note = (note or "").strip()
    require_text(note, "note", _("Say why."), "R-DIS-1")
    if outcome not in AppealOutcome.values:
        raise RuleViolation(_("Uphold or change."), code="invalid_outcome", fields={"outcome": [outcome]})
    with acting(claim, actor, "resolve_appeal", now) as (claim, now):
        record = Appeal.objects.filter(claim=claim).first()
        if claim.status != S.UNDER_APPEAL or record is None:
            raise transition_refused(claim, "resolve_appeal", claim.status)
        refuse_if_waiting(claim)  # R-AUTH-1
        if outcome == AppealOutcome.UPHOLD:
            move(claim, "uphold_appeal", actor, at=now, reason=note, back_to=record.from_status, told=True)
            _resolved(claim, record, outcome, note, now)
            return claim
        amount, code = _check_change(claim, approved_amount, problem_code)
        if needs_second(claim, actor, ApprovalKind.APPEAL_CHANGE, amount):
            # R-AUTH-1: the change waits for a second person; the appeal stays open meanwhile.
            hold(claim, actor, ApprovalKind.APPEAL_CHANGE, now, problem_code=code, amount=amount, reason=note)
            return claim
        _change_decision(claim, record, actor, now, note, amount, code)
        return claim


def change_on_appeal(
    claim: Claim, actor: Actor, note: str, amount: Decimal | None, problem_code: str, now: dt.datetime
) -> None:
    """R-AUTH-1: a change confirmed by a second person takes effect (the claim is locked)."""
    record = Appeal.objects.get(claim=claim)
    if claim.status != S.UNDER_APPEAL:
        raise transition_refused(claim, "resolve_appeal", claim.status)
    _change_decision(claim, record, actor, now, note, *_check_change(claim, amount, problem_code))


def _resolved(claim: Claim, record: Appeal, outcome: str, note: str, now: dt.datetime) -> None:
    Appeal.objects.filter(pk=record.pk).update(outcome=outcome, resolution_note=note, resolved_at=now)
    notify(
        claim,
        "claim.appeal_resolved",
        _("Appeal on claim %(id)s: %(outcome)s") % {"id": claim.claim_id, "outcome": AppealOutcome(outcome).label},
        data={"outcome": outcome, "note": note},
        audiences=STAFF_AUDIENCES,
        at=now,
    )
    if claim.status == S.REFUND_DUE:
        refund_due_notice(claim, now, stored=False)


def _check_change(claim: Claim, amount: Decimal | None, problem_code: str) -> tuple[Decimal, str]:
    """R-DIS-1: what a change of decision must meet; its amount and the problem code it carries."""
    if not has_image_and_description(claim):
        # R-REV-2 holds for an approval on appeal too (e.g. an evidence-timeout rejection).
        raise RuleViolation(
            _("Approval needs at least one buyer image and the buyer's description."),
            code="evidence_missing",
            rule="R-REV-2",
        )
    if amount is None or not (Decimal("0") < amount <= claim.requested_amount) or amount > cap_for(claim):
        raise RuleViolation(
            _("The new amount must be above 0 and at most the requested amount."),
            code="invalid_amount",
            rule="R-DIS-1",
            fields={"approved_amount": [_("Out of range.")]},
        )
    code = problem_code or (claim.decision.problem_code if claim.decision else "")
    # An automatic decision's `unassessed` may stand; a new code must be the plan's (R-PLAN-1).
    check_problem_code(claim, code, automatic=code == UNASSESSED and not problem_code)
    return amount, code


def _change_decision(
    claim: Claim,
    record: Appeal,
    actor: Actor,
    now: dt.datetime,
    note: str,
    amount: Decimal,
    code: str,
) -> None:
    """R-DIS-1: a new amount, and the claim goes on towards the return or the refund."""
    back_to = claim._after_approval() if record.from_status == S.REJECTED else record.from_status
    move(claim, "change_decision", actor, at=now, reason=note, approved_amount=amount, back_to=back_to, told=True)
    decided = Outcome.APPROVE if amount == claim.requested_amount else Outcome.PARTIALLY_APPROVE
    record_decision(claim, decided, actor, now, problem_code=code, amount=amount, reason=note, on_appeal=True)
    if claim.kind == Kind.RETURN_REFUND and record.from_status == S.REJECTED:
        send_return_address(claim, now)
    _resolved(claim, record, AppealOutcome.CHANGE, note, now)
