"""Which action is open in which state comes from the state machine (domain.md §14): for every
claim state, the actions claims.workflow offers are the transitions django-fsm allows there, each
only to the roles TRANSITIONS names; the admin's claim buttons and the portal's merchant actions
are exactly the open ones."""

from decimal import Decimal

import pytest

from claims.admin.actions import CLAIM_ACTIONS
from claims.choices import ClaimStatus as S
from claims.models import Claim
from claims.workflow import MOVES, TRANSITIONS, WHILE, open_actions
from kernel.actors import Actor, Channel, Role

STAFF_ROLES = (Role.REVIEWER, Role.SUPERVISOR, Role.SERVICE_STAFF)


def claims_in_every_state():
    """One claim per state, and in the states a partial approval changes (R-DIS-1: it may be
    appealed), one fully and one partially approved."""
    for state in S.values:
        yield Claim(status=state, requested_amount=Decimal("300.00"), approved_amount=Decimal("300.00"))
        yield Claim(status=state, requested_amount=Decimal("300.00"), approved_amount=Decimal("150.00"))


EVERY_CLAIM = list(claims_in_every_state())
IDS = [f"{c.status}-{'partial' if c.partially_approved else 'full'}" for c in EVERY_CLAIM]


def fsm_allows(claim):
    return {t.name for t in claim.get_available_status_transitions()}


def test_domain_14_every_transition_on_claim_is_a_move_of_the_workflow():
    assert set(MOVES) == {t.name for t in Claim().get_all_status_transitions()}
    assert all(who in TRANSITIONS for who in MOVES.values())
    assert all(who in TRANSITIONS and set(when) <= set(MOVES) for who, when in WHILE.values())


@pytest.mark.parametrize("claim", EVERY_CLAIM, ids=IDS)
def test_domain_14_the_moves_offered_in_each_state_are_the_transitions_the_fsm_allows(claim):
    offered = {action for role in Role for action in open_actions(claim, role)}
    assert offered & set(MOVES) == fsm_allows(claim)
    for role in Role:
        assert all(role in TRANSITIONS[MOVES[move]][1] for move in open_actions(claim, role) & set(MOVES))


@pytest.mark.parametrize("claim", EVERY_CLAIM, ids=IDS)
@pytest.mark.parametrize("role", STAFF_ROLES)
def test_domain_14_the_admin_offers_on_a_claim_the_actions_the_fsm_allows_its_role(claim, role):
    actor = Actor(role=role, channel=Channel.ADMIN)
    buttons = [a for a in CLAIM_ACTIONS if a.open is not None]
    offered = {a.name for a in buttons if role in a.rule[0][a.rule[1]][1] and a.applies_to(claim, claim.status, actor)}
    allowed = {move for move in fsm_allows(claim) if role in TRANSITIONS[MOVES[move]][1]}
    allowed |= {
        name for name, (who, when) in WHILE.items() if role in TRANSITIONS[who][1] and set(when) & fsm_allows(claim)
    }
    assert offered == allowed & {a.name for a in buttons}


def test_r_rev_4_a_submitted_claim_offers_a_reviewer_the_four_outcomes_and_assign():
    claim = Claim(status=S.SUBMITTED, requested_amount=Decimal("300.00"))
    assert open_actions(claim, Role.REVIEWER) == {
        "assign",
        "approve",
        "partially_approve",
        "reject",
        "request_evidence",
    }
    assert open_actions(claim, Role.MERCHANT) == set()


def test_r_ret_2_r_ret_3_a_merchant_may_remind_while_waiting_for_tracking_and_check_the_parcel_after():
    waiting = Claim(status=S.AWAITING_RETURN, requested_amount=Decimal("300.00"))
    delivered = Claim(status=S.AWAITING_RECEIPT, requested_amount=Decimal("300.00"))
    assert open_actions(waiting, Role.MERCHANT) == {"remind_buyer"}
    assert open_actions(delivered, Role.MERCHANT) == {"confirm_receipt", "reject_receipt"}


def test_r_dis_1_only_a_partial_approval_on_its_way_to_payment_may_be_appealed():
    full = Claim(status=S.REFUND_DUE, requested_amount=Decimal("300.00"), approved_amount=Decimal("300.00"))
    partial = Claim(status=S.REFUND_DUE, requested_amount=Decimal("300.00"), approved_amount=Decimal("150.00"))
    assert "appeal" not in open_actions(full, Role.PLATFORM)
    assert "appeal" in open_actions(partial, Role.PLATFORM)
