"""Disputes and appeals (domain.md §11): R-DIS-1."""

import datetime as dt
from decimal import Decimal

import pytest

from audit.services import history
from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.models import Appeal
from kernel.errors import RuleViolation, TransitionRefused
from notices.models import Notice


def hours(n):
    return dt.timedelta(hours=n)


def fresh(claim):
    claim.refresh_from_db()
    return claim


def appeal(world, claim, *, after=None, reason="照片清楚显示漏水"):
    return claims.appeal(claim, world.platform, reason=reason, now=world.now + (after or hours(1)))


def resolve(world, claim, outcome, *, after=None, **extra):
    at = world.now + (after or hours(2))
    return claims.resolve_appeal(claim, world.staff, outcome=outcome, note="复核", now=at, **extra)


# -- filing ------------------------------------------------------------------------------


def test_r_dis_1_appeal_from_a_rejection(world):
    claim = world.in_state(S.REJECTED)

    appeal(world, claim)

    assert fresh(claim).status == "under_appeal"
    record = Appeal.objects.get(claim=claim)
    assert (record.from_status, record.reason, record.filed_at) == (
        "rejected",
        "照片清楚显示漏水",
        world.now + hours(1),
    )
    last = history(claim).last()
    assert (last.transition, last.source, last.target, last.role) == ("appeal", "rejected", "under_appeal", "platform")
    assert Notice.objects.filter(claim=claim, event_type="claim.appealed", audience="staff").exists()


@pytest.mark.parametrize(
    "state, kind",
    [(S.AWAITING_RETURN, "return_refund"), (S.REFUND_DUE, "refund_only"), (S.REFUND_DUE, "return_refund")],
)
def test_r_dis_1_appeal_from_a_partial_approval_on_its_way_to_payment(world, state, kind):
    claim = world.in_state(state, kind=kind, partial=True)

    appeal(world, claim)

    claim = fresh(claim)
    assert claim.status == "under_appeal"
    assert (claim.return_due_at, claim.refund_due_by) == (None, None)
    assert Appeal.objects.get(claim=claim).from_status == state


@pytest.mark.parametrize("state, kind", [(S.AWAITING_RETURN, "return_refund"), (S.REFUND_DUE, "refund_only")])
def test_r_dis_1_no_appeal_from_a_full_approval(world, state, kind):
    claim = world.in_state(state, kind=kind)

    with pytest.raises(TransitionRefused) as refused:
        appeal(world, claim)

    assert (refused.value.status, refused.value.code) == (409, "transition_not_allowed")
    assert fresh(claim).status == state
    assert not Appeal.objects.filter(claim=claim).exists()


def test_r_dis_1_an_appeal_needs_a_reason(world):
    claim = world.in_state(S.REJECTED)

    with pytest.raises(RuleViolation) as refused:
        appeal(world, claim, reason="  ")

    assert refused.value.code == "reason_required"
    assert fresh(claim).status == "rejected"


def test_r_dis_1_a_second_appeal_is_appeal_used(world):
    claim = world.in_state(S.REJECTED)
    appeal(world, claim)
    resolve(world, claim, "uphold")

    with pytest.raises(RuleViolation) as refused:
        appeal(world, claim, after=hours(3))

    assert (refused.value.status, refused.value.code) == (422, "appeal_used")
    assert fresh(claim).status == "rejected"


def test_r_dis_1_appeal_on_the_15th_day_is_in_time(world):
    claim = world.in_state(S.REJECTED)

    appeal(world, claim, after=dt.timedelta(days=15))

    assert fresh(claim).status == "under_appeal"


def test_r_dis_1_appeal_after_15_days_is_appeal_window_closed(world):
    claim = world.in_state(S.REJECTED)

    with pytest.raises(RuleViolation) as refused:
        appeal(world, claim, after=dt.timedelta(days=15, seconds=1))

    assert (refused.value.status, refused.value.code) == (422, "appeal_window_closed")
    assert fresh(claim).status == "rejected"
    assert not Appeal.objects.exists()


def test_r_dis_1_the_window_counts_from_the_decision_not_the_claim(world):
    claim = world.claim()
    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now + dt.timedelta(days=3))

    appeal(world, claim, after=dt.timedelta(days=18))

    assert fresh(claim).status == "under_appeal"


# -- resolving -----------------------------------------------------------------------------


def test_r_dis_1_uphold_a_rejection_is_final(world):
    claim = world.in_state(S.UNDER_APPEAL)

    resolve(world, claim, "uphold")

    claim = fresh(claim)
    assert (claim.status, claim.closed_at, claim.approved_amount) == ("rejected", world.now + hours(2), None)
    assert Appeal.objects.get(claim=claim).outcome == "uphold"


def test_r_dis_1_uphold_a_partial_approval_goes_back_with_the_same_amount_and_a_fresh_return_clock(world):
    claim = world.in_state(S.AWAITING_RETURN, partial=True)
    appeal(world, claim, after=hours(100))

    resolve(world, claim, "uphold", after=hours(300))

    claim = fresh(claim)
    assert (claim.status, claim.approved_amount) == ("awaiting_return", Decimal("150.00"))
    assert claim.return_due_at == world.now + hours(300 + 168)


def test_r_dis_1_uphold_a_partial_refund_goes_back_to_refund_due_with_a_fresh_refund_clock(world):
    claim = world.in_state(S.REFUND_DUE, partial=True)
    appeal(world, claim)

    resolve(world, claim, "uphold", after=hours(100))

    claim = fresh(claim)
    assert (claim.status, claim.approved_amount) == ("refund_due", Decimal("150.00"))
    assert claim.refund_due_by == world.now + hours(100 + 48)


def test_r_dis_1_change_a_partial_approval_to_a_new_amount(world):
    claim = world.in_state(S.AWAITING_RETURN, partial=True)
    appeal(world, claim)

    resolve(world, claim, "change", approved_amount=Decimal("199.00"), after=hours(10))

    claim = fresh(claim)
    assert (claim.status, claim.approved_amount, claim.return_due_at) == (
        "awaiting_return",
        Decimal("199.00"),
        world.now + hours(10 + 168),
    )
    decision = claim.decision
    assert (decision.outcome, decision.approved_amount, decision.on_appeal) == ("approve", Decimal("199.00"), True)


def test_r_dis_1_change_a_rejection_approves_and_sends_the_return_address(world):
    claim = world.in_state(S.UNDER_APPEAL, kind="return_refund")

    resolve(world, claim, "change", approved_amount=Decimal("120.00"), problem_code="no_power")

    claim = fresh(claim)
    assert (claim.status, claim.approved_amount) == ("awaiting_return", Decimal("120.00"))
    assert claim.decision.outcome == "partially_approve"
    assert Notice.objects.filter(claim=claim, event_type="claim.return_address", audience="merchant").exists()


def test_r_dis_1_change_a_refund_only_rejection_makes_the_refund_due(world):
    claim = world.in_state(S.UNDER_APPEAL, kind="refund_only")

    resolve(world, claim, "change", approved_amount=Decimal("199.00"), problem_code="no_power")

    assert (fresh(claim).status, claim.approved_amount) == ("refund_due", Decimal("199.00"))


@pytest.mark.parametrize("amount", [None, Decimal("0.00"), Decimal("199.01")])
def test_r_dis_1_a_changed_amount_must_be_above_0_and_at_most_the_requested_amount(world, amount):
    claim = world.in_state(S.UNDER_APPEAL)

    with pytest.raises(RuleViolation) as refused:
        resolve(world, claim, "change", approved_amount=amount, problem_code="no_power")

    assert refused.value.code == "invalid_amount"
    assert fresh(claim).status == "under_appeal"


def test_r_dis_1_a_changed_rejection_needs_a_problem_code_of_the_reason(world):
    claim = world.in_state(S.UNDER_APPEAL)

    with pytest.raises(RuleViolation) as refused:
        resolve(world, claim, "change", approved_amount=Decimal("100.00"), problem_code="stained")

    assert refused.value.code == "invalid_problem_code"


def test_r_dis_1_both_sides_are_told_the_outcome(world):
    claim = world.in_state(S.UNDER_APPEAL)

    resolve(world, claim, "uphold")

    told = Notice.objects.filter(claim=claim, event_type="claim.appeal_resolved")
    assert {(n.audience, n.data["outcome"], n.data["note"]) for n in told} == {
        ("merchant", "uphold", "复核"),
        ("insurer", "uphold", "复核"),
        ("staff", "uphold", "复核"),
    }


def test_r_dis_1_an_appeal_is_resolved_once(world):
    claim = world.in_state(S.UNDER_APPEAL)
    resolve(world, claim, "uphold")

    with pytest.raises(TransitionRefused):
        resolve(world, claim, "change", approved_amount=Decimal("100.00"), problem_code="no_power")

    assert Appeal.objects.get(claim=claim).outcome == "uphold"


# -- clocks while under appeal -------------------------------------------------------------


def test_r_dis_1_the_return_clock_stops_while_under_appeal(world):
    claim = world.in_state(S.AWAITING_RETURN, partial=True)
    appeal(world, claim)

    claims.process_deadlines(world.now + hours(168 * 3))

    assert fresh(claim).status == "under_appeal"


def test_r_dis_1_the_refund_clock_stops_while_under_appeal(world):
    claim = world.in_state(S.REFUND_DUE, partial=True)
    appeal(world, claim)

    claims.process_deadlines(world.now + hours(48 * 3))

    assert fresh(claim).status == "under_appeal"
    assert not claim.flags.filter(code="refund_overdue").exists()


def test_r_dis_1_the_fresh_return_clock_runs_out_like_the_first(world):
    claim = world.in_state(S.AWAITING_RETURN, partial=True)
    appeal(world, claim)
    resolve(world, claim, "uphold", after=hours(200))

    claims.process_deadlines(world.now + hours(200 + 168) - dt.timedelta(seconds=1))
    assert fresh(claim).status == "awaiting_return"
    claims.process_deadlines(world.now + hours(200 + 168))
    assert fresh(claim).status == "closed_no_return"


def test_r_rev_2_an_evidence_timeout_rejection_without_a_buyer_image_cannot_be_changed_to_an_approval(world):
    """Rejected because the buyer sent nothing (a video alone is not an image): an appeal may
    be upheld, but no approval on appeal without a buyer image and a description."""
    claim = world.claim(with_image=False)
    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充照片", now=world.now)
    claims.process_deadlines(world.now + hours(72))
    assert fresh(claim).status == "rejected"
    appeal(world, claim, after=hours(73))

    with pytest.raises(RuleViolation) as refused:
        resolve(
            world, claim, "change", after=hours(74), approved_amount=claim.requested_amount, problem_code="no_power"
        )

    assert (refused.value.code, refused.value.rule) == ("evidence_missing", "R-REV-2")
    assert fresh(claim).status == "under_appeal"
    assert not claim.decisions.filter(on_appeal=True).exists()
