"""Refunds, payouts and the shipping allowance (domain.md §8): R-PAY-1..3, and R-POL-5's cap."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.services import history
from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from claims.models import Claim
from kernel.errors import RuleViolation
from ledger.models import Entry
from notices.models import Notice
from policies.models import Policy

from .factories import photo_upload

ALLOWANCE = Decimal("10.00")
PROPERTY = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def hours(n):
    return dt.timedelta(hours=n)


def entries(claim):
    return {e.kind: e for e in Entry.objects.filter(claim=claim)}


def claim_on(world, sub_order, *, amount, kind="refund_only"):
    """Another request on the same sub-order, with the buyer's photo on file."""
    claim = world.refund(sub_order, kind=kind, amount=str(amount)).claim
    claims.add_evidence(claim, Side.BUYER, photo_upload(world.next_id("seed")), world.platform, now=world.now)
    return claim


def settle(world, claim):
    """Drive an approved claim through its return (if any), the refund and the payout."""
    claim.refresh_from_db()
    if claim.status == S.AWAITING_RETURN:
        claims.record_return_shipment(
            claim, world.platform, carrier="SF", tracking_number=world.next_id("SF"), now=world.now
        )
        claims.mark_delivered(claim, world.platform, now=world.now)
        claims.confirm_receipt(claim, world.merchant_for(claim), now=world.now)
    claims.complete_refund(claim, world.platform, now=world.now, buyer_payout_account=world.buyer_account(claim))
    claims.pay_out(claim.pk, now=world.now)
    claim.refresh_from_db()
    return claim


# -- R-PAY-1 -------------------------------------------------------------------------------


def test_r_pay_1_refund_completed_then_payout_job_marks_it_paid(world, django_capture_on_commit_callbacks):
    claim = world.in_state(S.REFUND_DUE)

    with django_capture_on_commit_callbacks(execute=False) as scheduled:
        claims.complete_refund(claim, world.platform, now=world.now)
    claim.refresh_from_db()
    assert (claim.status, claim.refunded_at) == ("refunded", world.now)
    assert "claim_paid" not in entries(claim)

    for callback in scheduled:
        callback()
    claim.refresh_from_db()
    assert claim.status == "paid"
    paid = entries(claim)["claim_paid"]
    assert (paid.amount, paid.payee, paid.policy_id) == (Decimal("199.00"), world.shop.payout_account, claim.policy_id)
    assert Policy.objects.get(pk=claim.policy_id).claim_paid is True
    assert [(r.transition, r.role) for r in history(claim)][-2:] == [
        ("complete_refund", "platform"),
        ("mark_paid", "system"),
    ]


def test_r_pay_1_a_lost_payout_task_is_retried_by_the_deadline_sweep(world):
    claim = world.in_state(S.REFUNDED)

    claims.process_deadlines(world.now + dt.timedelta(minutes=5))

    claim.refresh_from_db()
    assert claim.status == "paid"
    assert entries(claim)["claim_paid"].amount == Decimal("199.00")


def test_r_pay_1_refund_not_completed_in_48_hours_is_flagged_refund_overdue(world):
    claim = world.in_state(S.REFUND_DUE)

    claims.process_deadlines(world.now + hours(48) - dt.timedelta(seconds=1))
    assert not claim.flags.exists()

    claims.process_deadlines(world.now + hours(48))
    claim.refresh_from_db()
    assert claims.flag_codes(claim) == {"refund_overdue"}
    assert claim.status == "refund_due"
    assert Notice.objects.filter(claim=claim, event_type="claim.refund_overdue", audience="staff").exists()

    claims.complete_refund(claim, world.platform, now=world.now + hours(50))
    assert Claim.objects.get(pk=claim.pk).status == "refunded"


def test_r_pay_1_refund_completed_in_time_is_never_flagged(world):
    claim = world.in_state(S.REFUND_DUE)
    claims.complete_refund(claim, world.platform, now=world.now + hours(47))

    claims.process_deadlines(world.now + hours(100))

    assert not claim.flags.filter(code="refund_overdue").exists()


def test_r_pay_1_refund_due_clock_starts_at_receipt_confirmation_for_a_return(world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    claims.confirm_receipt(claim, world.merchant, now=world.now + hours(10))

    claims.process_deadlines(world.now + hours(57))
    assert not claim.flags.exists()
    claims.process_deadlines(world.now + hours(58))
    assert claims.flag_codes(claim) == {"refund_overdue"}


# -- R-PAY-2 -------------------------------------------------------------------------------


def test_r_pay_2_merchant_is_paid_the_requested_amount(world):
    claim = world.claim(kind="refund_only", paid="199.00", amount="150.00")
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)

    claim = settle(world, claim)

    assert claim.payout_amount == Decimal("150.00")
    assert entries(claim)["claim_paid"].amount == Decimal("150.00")


def test_r_pay_2_merchant_is_paid_the_partially_approved_amount(world):
    claim = world.in_state(S.REFUND_DUE, partial=True)

    claim = settle(world, claim)

    assert claim.payout_amount == Decimal("150.00")
    assert entries(claim)["claim_paid"].amount == Decimal("150.00")


# -- R-PAY-3 -------------------------------------------------------------------------------


def test_r_pay_3_r_pay_6_the_allowance_is_its_own_transfer_to_the_buyers_account(world):
    claim = world.in_state(S.REFUND_DUE, kind="return_refund")

    claims.complete_refund(claim, world.platform, now=world.now + hours(2), buyer_payout_account="13800000000")
    claim.refresh_from_db()
    assert claim.shipping_allowance == ALLOWANCE
    transfer = claim.payout_attempts.get(kind="shipping_allowance")
    assert (transfer.payee, transfer.amount, transfer.status) == ("13800000000", ALLOWANCE, "created")
    assert "shipping_allowance_paid" not in entries(claim)  # nothing is paid before the provider says so

    claims.pay_out(claim.pk, now=world.now + hours(2))
    allowance = entries(claim)["shipping_allowance_paid"]
    assert (allowance.amount, allowance.payee) == (ALLOWANCE, "13800000000")
    assert allowance.memo == transfer.out_biz_no


def test_r_pay_6_without_a_buyer_account_the_allowance_is_owed_and_staff_see_it(world):
    claim = world.in_state(S.REFUND_DUE, kind="return_refund")

    claims.complete_refund(claim, world.platform, now=world.now)
    assert claims.pay_out(claim.pk, now=world.now) is True  # the merchant is paid all the same

    claim.refresh_from_db()
    assert "shipping_allowance_paid" not in entries(claim)
    assert not claim.payout_attempts.filter(kind="shipping_allowance").exists()
    assert "allowance_owed" in claims.flag_codes(claim)


def test_r_pay_6_a_malformed_buyer_account_is_refused_and_nothing_changes(world):
    claim = world.in_state(S.REFUND_DUE, kind="return_refund")

    with pytest.raises(RuleViolation) as refused:
        claims.complete_refund(claim, world.platform, now=world.now, buyer_payout_account="not an account!")

    assert refused.value.code == "invalid_payout_account"
    assert "buyer_payout_account" in refused.value.fields
    claim.refresh_from_db()
    assert claim.status == S.REFUND_DUE and not claim.payout_attempts.exists()


def test_r_pay_6_the_claim_is_paid_only_when_the_provider_confirms(world):
    claim = world.in_state(S.REFUND_DUE)
    world.shop.payout_account = "alipay-shop-a-timeout"
    world.shop.save()

    claims.complete_refund(claim, world.platform, now=world.now)
    assert claims.pay_out(claim.pk, now=world.now) is False  # the answer never came: unknown
    claim.refresh_from_db()
    assert claim.status == S.REFUNDED and "claim_paid" not in entries(claim)

    # The sweep queries the transfer by its out_biz_no: made, so the claim is paid now.
    claims.process_deadlines(world.now + hours(1))
    claim.refresh_from_db()
    assert claim.status == S.PAID
    assert entries(claim)["claim_paid"].payee == "alipay-shop-a-timeout"
    assert claim.payout_attempts.count() == 1


def test_r_pay_6_a_refused_payout_flags_it_and_tells_the_merchant_what_to_fix(world):
    claim = world.in_state(S.REFUND_DUE)
    world.shop.payout_account = "alipay-shop-a-frozen"
    world.shop.save()

    claims.complete_refund(claim, world.platform, now=world.now)
    assert claims.pay_out(claim.pk, now=world.now) is False

    claim.refresh_from_db()
    assert claim.status == S.REFUNDED and "payout_failed" in claims.flag_codes(claim)
    notice = Notice.objects.get(claim=claim, audience="merchant", event_type="payout.failed")
    assert "refused" in notice.message and "payout account" in notice.message
    assert notice.data["code"] == "PAYEE_ACCOUNT_STATUS_ERROR"
    assert "claim_paid" not in entries(claim)


def test_r_pay_3_refund_only_pays_no_shipping_allowance(world):
    claim = settle(world, world.in_state(S.REFUND_DUE, kind="refund_only"))

    assert claim.shipping_allowance == Decimal("0.00")
    assert set(entries(claim)) == {"claim_paid"}


def test_r_pay_3_allowance_is_the_one_fixed_on_the_policy(world):
    sub_order = world.delivered_order()
    world.plan.return_shipping_allowance = Decimal("15.00")
    world.plan.save()
    claim = claim_on(world, sub_order, amount="199.00", kind="return_refund")
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)

    claim = settle(world, claim)

    assert claim.shipping_allowance == ALLOWANCE


@st.composite
def settlements(draw):
    paid = draw(st.decimals(min_value=Decimal("0.02"), max_value=Decimal("9999.99"), places=2))
    requested = draw(st.decimals(min_value=Decimal("0.02"), max_value=paid, places=2))
    partial = draw(st.one_of(st.none(), st.decimals(min_value=Decimal("0.01"), max_value=requested, places=2)))
    if partial == requested:
        partial = None
    kind = draw(st.sampled_from(["refund_only", "return_refund"]))
    return paid, requested, partial, kind


@PROPERTY
@given(case=settlements())
def test_r_pay_3_insurers_total_never_exceeds_paid_plus_allowance(world, case):
    paid, requested, partial, kind = case
    sub_order = world.delivered_order(paid=str(paid))
    claim = claim_on(world, sub_order, amount=requested, kind=kind)
    if partial is None:
        claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)
    else:
        claims.decide(
            claim,
            "partially_approve",
            world.reviewer,
            problem_code="no_power",
            approved_amount=partial,
            reason="部分",
            now=world.now,
        )

    claim = settle(world, claim)

    total = sum(e.amount for e in Entry.objects.filter(claim=claim, kind__in=["claim_paid", "shipping_allowance_paid"]))
    assert claim.status == "paid"
    assert claim.payout_amount == (requested if partial is None else partial)
    assert claim.shipping_allowance == (ALLOWANCE if kind == "return_refund" else Decimal("0.00"))
    assert total == claim.payout_amount + claim.shipping_allowance
    assert total <= paid + ALLOWANCE


# -- R-POL-5: what a sub-order's claims may approve in all ----------------------------------


def test_r_pol_5_a_later_claim_may_approve_only_what_the_paid_amount_still_allows(world):
    sub_order = world.delivered_order(paid="199.00")
    settle(world, world.in_state(S.REFUND_DUE, partial=True))  # another sub-order: does not count
    first = claim_on(world, sub_order, amount="199.00")
    claims.decide(
        first,
        "partially_approve",
        world.reviewer,
        problem_code="no_power",
        approved_amount=Decimal("150.00"),
        reason="部分",
        now=world.now,
    )
    settle(world, first)
    second = claim_on(world, sub_order, amount="199.00")

    with pytest.raises(RuleViolation) as refused:
        claims.decide(second, "approve", world.reviewer, problem_code="no_power", now=world.now)
    assert (refused.value.code, refused.value.rule) == ("amount_exceeds_paid", "R-POL-5")
    assert Claim.objects.get(pk=second.pk).status == "submitted"

    claims.decide(
        second,
        "partially_approve",
        world.reviewer,
        problem_code="no_power",
        approved_amount=Decimal("49.00"),
        reason="余额",
        now=world.now,
    )
    approved = Claim.objects.filter(sub_order=sub_order).values_list("approved_amount", flat=True)
    assert sum(approved) == Decimal("199.00")


def test_r_pol_5_a_claim_closed_unpaid_no_longer_counts(world):
    sub_order = world.delivered_order(paid="199.00")
    first = claim_on(world, sub_order, amount="199.00", kind="return_refund")
    claims.decide(first, "approve", world.reviewer, problem_code="no_power", now=world.now)
    claims.process_deadlines(world.now + hours(168))
    assert Claim.objects.get(pk=first.pk).status == "closed_no_return"

    second = claim_on(world, sub_order, amount="199.00")
    claims.decide(second, "approve", world.reviewer, problem_code="no_power", now=world.now)

    assert Claim.objects.get(pk=second.pk).approved_amount == Decimal("199.00")


def test_r_pol_5_a_changed_appeal_decision_is_capped_too(world):
    sub_order = world.delivered_order(paid="199.00")
    first = claim_on(world, sub_order, amount="100.00")
    claims.decide(first, "approve", world.reviewer, problem_code="no_power", now=world.now)
    settle(world, first)
    second = claim_on(world, sub_order, amount="199.00")
    claims.decide(second, "reject", world.reviewer, reason="人为损坏", now=world.now)
    claims.appeal(second, world.platform, reason="不服", now=world.now)

    with pytest.raises(RuleViolation) as refused:
        claims.resolve_appeal(
            second, world.staff, outcome="change", note="改判", approved_amount=Decimal("100.00"), now=world.now
        )
    assert refused.value.code == "invalid_amount"

    claims.resolve_appeal(
        second,
        world.staff,
        outcome="change",
        note="改判",
        approved_amount=Decimal("99.00"),
        problem_code="no_power",
        now=world.now,
    )
    assert Claim.objects.get(pk=second.pk).approved_amount == Decimal("99.00")


@PROPERTY
@given(
    paid=st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500.00"), places=2),
    shares=st.lists(st.integers(min_value=1, max_value=100), min_size=1, max_size=4),
)
def test_r_pol_5_approved_amounts_of_a_sub_orders_claims_never_exceed_its_paid_amount(world, paid, shares):
    sub_order = world.delivered_order(paid=str(paid))
    for share in shares:
        amount = max(Decimal("0.01"), (paid * share / 100).quantize(Decimal("0.01")))
        claim = claim_on(world, sub_order, amount=paid)
        try:
            if amount == paid:
                claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)
            else:
                claims.decide(
                    claim,
                    "partially_approve",
                    world.reviewer,
                    problem_code="no_power",
                    approved_amount=amount,
                    reason="部分",
                    now=world.now,
                )
        except RuleViolation as refused:
            assert refused.code == "amount_exceeds_paid"
            claims.decide(claim, "reject", world.reviewer, reason="已赔足", now=world.now)
        else:
            settle(world, claim)
        approved = Claim.objects.filter(sub_order=sub_order).counting_against_paid_amount()
        assert sum(c.approved_amount for c in approved) <= paid
