"""Refund requests and where they go (domain.md §5): R-ROUTE-1..3, R-WIN-1, R-POL-5, idempotency."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from audit.services import history
from claims import services as claims
from claims.models import Claim, RefundRequest
from kernel.errors import Conflict, RuleViolation

from .factories import ShopFactory

COVER = dt.timedelta(hours=720)


def revoked_buyer(world, buyer_id):
    buyer = claims.report_buyer_level(buyer_id, "high")
    return claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason="蓄意牟利")


def request_data(world, sub_order, **changes):
    data = {
        "refund_id": "rf-fixed",
        "sub_order_id": sub_order.sub_order_id,
        "kind": "return_refund",
        "reason": "quality",
        "amount": Decimal("199.00"),
        "description": "壶底漏水",
        "requested_at": world.now,
        "buyer_level": "normal",
    }
    return data | changes


def test_r_route_1_qualifying_request_opens_a_warranty_claim(world):
    sub_order = world.delivered_order()

    request = world.refund(sub_order)

    assert request.business_type == "warranty"
    assert request.not_routed_because == ""
    claim = request.claim
    assert (claim.status, claim.insurer_id, claim.shop_id) == ("submitted", world.insurer.pk, world.shop.pk)
    assert claim.review_due_at == world.now + dt.timedelta(hours=24)
    [opened] = history(claim)
    assert (opened.transition, opened.source, opened.target, opened.role) == ("open", "", "submitted", "platform")


def _uncovered(world):
    return world.delivered_order(ShopFactory(shop_id="shop-not-enrolled"), buyer="buyer-r")


def _late(world):
    return world.delivered_order(buyer="buyer-r", receipt_at=world.now - COVER - dt.timedelta(days=1))


def _in_window(world):
    return world.delivered_order(buyer="buyer-r")


@pytest.mark.parametrize(
    "make_sub_order, reason, expected",
    [
        # Every rule fails here; the policy check comes first.
        (_uncovered, "no_longer_needed", "R-POL-1"),
        # A policy, but a reason that does not qualify, late and by a revoked buyer.
        (_late, "wrong_size", "R-ROUTE-2"),
        # A qualifying reason, but late and by a revoked buyer.
        (_late, "quality", "R-WIN-1"),
        # Only the buyer's eligibility fails.
        (_in_window, "damaged", "R-ABUSE-2"),
    ],
)
def test_r_route_1_not_routed_names_the_first_failing_rule(world, make_sub_order, reason, expected):
    revoked_buyer(world, "buyer-r")
    sub_order = make_sub_order(world)

    request = world.refund(sub_order, reason=reason)

    assert (request.business_type, request.not_routed_because) == ("merchant", expected)
    assert RefundRequest.objects.filter(pk=request.pk).exists()
    assert not Claim.objects.filter(refund_request=request).exists()


def test_r_pol_1_cancelled_policy_is_not_routed(world):
    sub_order = world.delivered_order()
    world.event(sub_order, "cancelled", world.now - dt.timedelta(days=1))

    request = world.refund(sub_order)

    assert (request.business_type, request.not_routed_because) == ("merchant", "R-POL-1")


@pytest.mark.parametrize("reason", ["quality", "not_as_described", "damaged"])
def test_r_route_2_qualifying_reasons_are_routed(world, reason):
    request = world.refund(world.delivered_order(), reason=reason)

    assert request.business_type == "warranty"
    assert request.claim.reason == reason


@pytest.mark.parametrize("reason", ["no_longer_needed", "wrong_size"])
def test_r_route_2_only_the_buyers_chosen_reason_counts(world, reason):
    # The description names a real defect, but the buyer chose a subjective reason (FAQ 11).
    request = world.refund(world.delivered_order(), reason=reason, description="通电后不加热，质量问题")

    assert (request.business_type, request.not_routed_because) == ("merchant", "R-ROUTE-2")


def test_r_route_3_merchant_lists_its_requests_with_business_type_and_filters_by_it(world):
    warranty = world.refund(world.delivered_order())
    merchant_handled = world.refund(world.delivered_order(), reason="no_longer_needed")
    world.refund(world.delivered_order(world.other_shop))

    mine = RefundRequest.objects.for_actor(world.merchant)

    assert {(r.refund_id, r.business_type) for r in mine} == {
        (warranty.refund_id, "warranty"),
        (merchant_handled.refund_id, "merchant"),
    }
    assert [r.refund_id for r in mine.filter(business_type="merchant")] == [merchant_handled.refund_id]
    assert [r.refund_id for r in mine.filter(business_type="warranty")] == [warranty.refund_id]


def test_r_win_1_exactly_720_hours_qualifies(world):
    receipt_at = world.now - dt.timedelta(days=40)
    sub_order = world.delivered_order(receipt_at=receipt_at)

    request = world.refund(sub_order, requested_at=receipt_at + COVER)

    assert request.business_type == "warranty"


def test_r_win_1_720_hours_and_one_second_does_not_qualify(world):
    receipt_at = world.now - dt.timedelta(days=40)
    sub_order = world.delivered_order(receipt_at=receipt_at)

    request = world.refund(sub_order, requested_at=receipt_at + COVER + dt.timedelta(seconds=1))

    assert (request.business_type, request.not_routed_because) == ("merchant", "R-WIN-1")


def test_r_win_1_request_before_receipt_does_not_qualify(world):
    receipt_at = world.now - dt.timedelta(days=2)
    sub_order = world.delivered_order(receipt_at=receipt_at)

    request = world.refund(sub_order, requested_at=receipt_at - dt.timedelta(seconds=1))

    assert (request.business_type, request.not_routed_because) == ("merchant", "R-WIN-1")


def test_r_win_1_no_receipt_confirmation_is_not_routed(world):
    sub_order = world.order()
    world.event(sub_order, "shipped", world.now - dt.timedelta(days=2))

    request = world.refund(sub_order)

    assert (request.business_type, request.not_routed_because) == ("merchant", "R-WIN-1")


def test_r_win_1_window_is_fixed_on_the_policy_when_issued(world):
    receipt_at = world.now - dt.timedelta(days=20)
    sub_order = world.delivered_order(receipt_at=receipt_at)
    world.plan.coverage_hours = 24
    world.plan.save()

    request = world.refund(sub_order, requested_at=receipt_at + dt.timedelta(hours=100))

    assert request.business_type == "warranty"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seconds=st.integers(min_value=-3 * 24 * 3600, max_value=33 * 24 * 3600))
@example(seconds=0)
@example(seconds=720 * 3600)
@example(seconds=720 * 3600 + 1)
@example(seconds=-1)
def test_r_win_1_routed_exactly_when_request_is_0_to_720_hours_after_receipt(world, seconds):
    receipt_at = world.now - dt.timedelta(days=60)
    sub_order = world.delivered_order(receipt_at=receipt_at)

    request = world.refund(sub_order, requested_at=receipt_at + dt.timedelta(seconds=seconds))

    assert (request.business_type == "warranty") == (0 <= seconds <= 720 * 3600)


def test_identical_resend_returns_the_first_request(world):
    data = request_data(world, world.delivered_order())
    first, created = claims.submit_refund_request(data, world.platform, now=world.now)

    again, created_again = claims.submit_refund_request(dict(data), world.platform, now=world.now)

    assert (created, created_again) == (True, False)
    assert again.pk == first.pk
    assert Claim.objects.filter(refund_request=first).count() == 1


def test_identical_resend_without_a_buyer_level_returns_the_first_request(world):
    # The platform may leave the level out or send null; both mean "normal" each time.
    data = request_data(world, world.delivered_order(), buyer_level=None)
    first, _created = claims.submit_refund_request(data, world.platform, now=world.now)

    again, created_again = claims.submit_refund_request(dict(data), world.platform, now=world.now)

    assert (again.pk, created_again) == (first.pk, False)


def test_same_refund_id_with_other_content_is_a_conflict(world):
    data = request_data(world, world.delivered_order())
    claims.submit_refund_request(data, world.platform, now=world.now)

    with pytest.raises(Conflict) as refused:
        claims.submit_refund_request(data | {"amount": Decimal("99.00")}, world.platform, now=world.now)

    assert (refused.value.status, refused.value.code) == (409, "refund_id_conflict")
    assert RefundRequest.objects.get(refund_id="rf-fixed").amount == Decimal("199.00")


@pytest.mark.parametrize("change", ["unknown sub-order", "other sub-order", "amount out of range"])
def test_a_known_refund_id_is_a_conflict_before_any_rule_on_the_new_content(world, change):
    """The refund_id is looked at first: content that would also break a rule is still a 409
    refund_id_conflict, not a 422 about the content (R-POL-5's checks never see it)."""
    data = request_data(world, world.delivered_order())
    claims.submit_refund_request(data, world.platform, now=world.now)
    other = {
        "unknown sub-order": {"sub_order_id": "SO-nope"},
        "other sub-order": {"sub_order_id": world.delivered_order(buyer="buyer-9").sub_order_id},
        "amount out of range": {"amount": Decimal("9999.00")},
    }[change]

    with pytest.raises(Conflict) as refused:
        claims.submit_refund_request(data | other, world.platform, now=world.now)

    assert refused.value.code == "refund_id_conflict"
    assert RefundRequest.objects.count() == 1


def test_r_pol_5_second_request_while_a_claim_is_open_is_claim_open(world):
    sub_order = world.delivered_order()
    world.refund(sub_order)

    with pytest.raises(Conflict) as refused:
        world.refund(sub_order, reason="damaged")

    assert (refused.value.status, refused.value.code) == (409, "claim_open")
    assert RefundRequest.objects.filter(sub_order=sub_order).count() == 1


def test_r_pol_5_new_request_allowed_once_the_claim_is_closed(world):
    sub_order = world.delivered_order()
    first = world.refund(sub_order).claim
    claims.decide(first, "reject", world.reviewer, reason="人为损坏", now=world.now)

    second = world.refund(sub_order, reason="damaged")

    assert second.claim.status == "submitted"


@pytest.mark.parametrize("amount", ["199.01", "0.00"])
def test_r_pol_5_amount_outside_the_paid_amount_is_refused(world, amount):
    sub_order = world.delivered_order(paid="199.00")

    with pytest.raises(RuleViolation) as refused:
        world.refund(sub_order, amount=amount)

    assert (refused.value.status, refused.value.code) == (422, "amount_out_of_range")
    assert not RefundRequest.objects.filter(sub_order=sub_order).exists()


def test_r_pol_5_amount_equal_to_the_paid_amount_is_accepted(world):
    request = world.refund(world.delivered_order(paid="199.00"), amount="199.00")

    assert request.claim.requested_amount == Decimal("199.00")
