"""Orders, policies and premiums (domain.md §4): R-POL-1 … R-POL-4, expiry, idempotent feeds."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from audit.services import history
from claims import services as claims
from kernel.errors import Conflict, RuleViolation
from ledger.models import Entry
from merchants import services as merchants
from policies import services as policies
from policies.models import Policy, SubOrder

from .factories import ShopFactory

pytestmark = pytest.mark.django_db


def order_item(world, sub_order_id="so-x", **overrides):
    item = {
        "sub_order_id": sub_order_id,
        "order_id": "o-x",
        "shop_id": world.shop.shop_id,
        "buyer_id": "buyer-1",
        "product_id": "kettle-1",
        "warranty_plan": "appliance_30d",
        "paid_amount": Decimal("199.00"),
        "placed_at": world.now - dt.timedelta(days=10),
    }
    return item | overrides


def shipped(world, sub_order, at=None):
    world.event(sub_order, "shipped", at or world.now - dt.timedelta(days=9))
    return Policy.objects.filter(sub_order=sub_order).first()


def ledger_kinds(policy):
    return sorted(Entry.objects.filter(policy=policy).values_list("kind", "amount"))


# -- R-POL-1 ---------------------------------------------------------------------------------


def test_r_pol_1_one_policy_per_covered_sub_order(world):
    first, second = world.order(), world.order()
    assert (first.covered, first.enrolment, first.insurer, first.rate) == (
        True,
        world.enrolment,
        world.insurer,
        Decimal("0.0150"),
    )
    shipped(world, first)
    shipped(world, second)
    assert Policy.objects.filter(sub_order=first).count() == 1
    assert Policy.objects.filter(sub_order=second).count() == 1
    assert first.policy.pk != second.policy.pk


def test_r_pol_1_a_product_without_the_warranty_tag_gets_no_policy(world):
    sub_order = world.order(plan=None)
    assert (sub_order.covered, sub_order.not_covered_reason) == (False, "no_plan")
    assert shipped(world, sub_order) is None


def test_r_pol_1_a_shop_not_enrolled_gets_no_policy(world):
    stranger = ShopFactory(shop_id="shop-stranger")
    sub_order = world.order(stranger)
    assert (sub_order.covered, sub_order.not_covered_reason) == (False, "not_enrolled")
    assert shipped(world, sub_order) is None
    assert not Entry.objects.filter(shop=stranger).exists()


def test_r_pol_1_an_order_placed_before_the_enrolment_was_active_gets_no_policy(world):
    sub_order = world.order(placed_at=world.since - dt.timedelta(seconds=1))
    assert (sub_order.covered, sub_order.not_covered_reason) == (False, "not_enrolled")
    assert world.order(placed_at=world.since).covered is True


def test_r_pol_1_an_order_placed_while_the_exit_is_pending_is_covered(world):
    merchants.request_exit(world.enrolment, world.staff, reason="退出", now=world.now - dt.timedelta(days=20))
    sub_order = world.order(placed_at=world.now - dt.timedelta(days=10))
    assert sub_order.covered is True
    assert shipped(world, sub_order).status == "issued"


def test_r_pol_1_an_unknown_plan_or_shop_refuses_the_whole_batch(world):
    good = order_item(world, "so-good")
    for bad in (order_item(world, "so-bad", warranty_plan="no-such-plan"), order_item(world, "so-bad", shop_id="nope")):
        with pytest.raises(RuleViolation) as refused:
            policies.record_orders([good, bad], world.platform)
        assert refused.value.code == "invalid_orders"
        assert not SubOrder.objects.filter(sub_order_id__in=["so-good", "so-bad"]).exists()


# -- R-POL-2 ---------------------------------------------------------------------------------


def test_r_pol_2_the_policy_is_issued_at_shipment_and_its_premium_charged(world):
    sub_order = world.order(paid="199.00")
    assert not Policy.objects.filter(sub_order=sub_order).exists()
    ship_at = world.now - dt.timedelta(days=9)
    policy = shipped(world, sub_order, ship_at)
    assert (policy.status, policy.issued_at, policy.premium) == ("issued", ship_at, Decimal("2.99"))
    assert (policy.shop, policy.insurer, policy.enrolment) == (world.shop, world.insurer, world.enrolment)
    assert ledger_kinds(policy) == [("premium_charged", Decimal("2.99"))]
    assert [(row.transition, row.target, row.role) for row in history(policy)] == [("issue", "issued", "platform")]


def test_r_pol_2_an_order_cancelled_before_shipping_gets_no_policy(world):
    sub_order = world.order()
    assert world.event(sub_order, "cancelled", world.now - dt.timedelta(days=9))["result"] == "applied"
    outcome = world.event(sub_order, "shipped", world.now - dt.timedelta(days=8))
    assert outcome["result"] == "ignored"
    assert not Policy.objects.filter(sub_order=sub_order).exists()
    assert not Entry.objects.filter(shop=world.shop).exists()


@pytest.mark.parametrize("received", [False, True], ids=["issued", "in_cover"])
def test_r_pol_2_a_cancellation_after_shipping_cancels_the_policy_and_refunds_the_premium(world, received):
    sub_order = world.order(paid="88.00")
    policy = shipped(world, sub_order)
    if received:
        world.event(sub_order, "receipt_confirmed", world.now - dt.timedelta(days=7))
    cancelled_at = world.now - dt.timedelta(days=6)
    assert world.event(sub_order, "cancelled", cancelled_at)["result"] == "applied"
    policy.refresh_from_db()
    assert (policy.status, policy.cancelled_at) == ("cancelled", cancelled_at)
    assert ledger_kinds(policy) == [("premium_charged", Decimal("1.32")), ("premium_refunded", Decimal("1.32"))]
    assert sub_order.cancelled_at == cancelled_at


def refused_cancellation(world, sub_order):
    outcome = world.event(sub_order, "cancelled", world.now + dt.timedelta(hours=1))
    policy = Policy.objects.get(sub_order=sub_order)
    return outcome, policy


def test_r_pol_2_cancellation_is_refused_while_a_claim_is_open(world):
    claim = world.claim(kind="refund_only")
    outcome, policy = refused_cancellation(world, claim.sub_order)
    assert (outcome["result"], outcome["code"]) == ("refused", "claim_open")
    assert policy.status == "in_cover"
    assert [kind for kind, _amount in ledger_kinds(policy)] == ["premium_charged"]
    assert SubOrder.objects.get(pk=claim.sub_order_id).cancelled_at is None


def test_r_pol_2_cancellation_is_refused_once_a_claim_is_paid(world):
    claim = world.approved(kind="refund_only")
    claims.complete_refund(claim, world.platform, now=world.now)
    claims.pay_out(claim.pk, now=world.now)
    claim.refresh_from_db()
    assert claim.status == "paid"
    outcome, policy = refused_cancellation(world, claim.sub_order)
    assert (outcome["result"], outcome["code"]) == ("refused", "claim_open")
    assert (policy.status, policy.claim_paid) == ("in_cover", True)
    assert "premium_refunded" not in [kind for kind, _amount in ledger_kinds(policy)]


# -- R-POL-2 x R-DIS-1: a cancellation meets a decision the buyer may still appeal ---------------


def cancel(world, claim, after):
    outcome = world.event(claim.sub_order, "cancelled", world.now + after)
    return outcome, Policy.objects.get(pk=claim.policy_id)


def test_r_pol_2_r_dis_1_cancellation_refused_while_a_rejection_may_be_appealed(world):
    """Cancellation first, then the appeal: the cancellation is refused, so the changed
    decision is paid on a policy still in cover and its premium was never refunded."""
    claim = world.in_state("rejected", kind="refund_only")

    outcome, policy = cancel(world, claim, dt.timedelta(hours=1))

    assert (outcome["result"], outcome["code"]) == ("refused", "claim_appealable")
    assert policy.status == "in_cover"
    assert SubOrder.objects.get(pk=claim.sub_order_id).cancelled_at is None
    later = world.now + dt.timedelta(hours=2)
    claims.appeal(claim, world.platform, reason="不服", now=later)
    claims.resolve_appeal(
        claim,
        world.staff,
        outcome="change",
        note="证据充分",
        approved_amount=claim.requested_amount,
        problem_code="no_power",
        now=later,
    )
    claims.complete_refund(claim, world.platform, now=later)
    claims.pay_out(claim.pk, now=later)
    claim.refresh_from_db()
    policy.refresh_from_db()
    assert (claim.status, policy.status, policy.claim_paid) == ("paid", "in_cover", True)
    assert "premium_refunded" not in [kind for kind, _amount in ledger_kinds(policy)]


def test_r_pol_2_r_dis_1_cancellation_refused_under_appeal_and_applied_once_it_is_final(world):
    """The appeal first, then the cancellation: refused while the appeal is heard (the claim is
    open); once the rejection is upheld (final: the one appeal is used) it is applied."""
    claim = world.in_state("under_appeal", kind="refund_only")

    outcome, policy = cancel(world, claim, dt.timedelta(hours=1))
    assert (outcome["result"], outcome["code"], policy.status) == ("refused", "claim_open", "in_cover")

    claims.resolve_appeal(claim, world.staff, outcome="uphold", note="维持", now=world.now + dt.timedelta(hours=2))
    outcome, policy = cancel(world, claim, dt.timedelta(hours=3))

    assert (outcome["result"], policy.status) == ("applied", "cancelled")
    assert [kind for kind, _amount in ledger_kinds(policy)] == ["premium_charged", "premium_refunded"]


def test_r_pol_2_r_dis_1_cancellation_after_the_appeal_window_then_no_appeal(world):
    claim = world.in_state("rejected", kind="refund_only")

    outcome, policy = cancel(world, claim, dt.timedelta(days=15, seconds=1))

    assert (outcome["result"], policy.status) == ("applied", "cancelled")
    with pytest.raises(RuleViolation) as refused:
        claims.appeal(claim, world.platform, reason="不服", now=world.now + dt.timedelta(days=16))
    assert refused.value.code == "appeal_window_closed"


def test_r_pol_2_cancellation_goes_through_once_the_claim_closed_unpaid(world):
    # Closed with no return: unpaid, and not a decision the buyer may appeal (R-DIS-1 above).
    claim = world.in_state("closed_no_return")
    outcome, policy = cancel(world, claim, dt.timedelta(hours=200))
    assert outcome["result"] == "applied"
    assert policy.status == "cancelled"


# -- R-POL-3 ---------------------------------------------------------------------------------


def test_r_pol_3_premium_is_rounded_half_up_to_the_fen(world):
    """3.00 × 0.0150 = 0.045: half-up gives 0.05 (Python's default half-even would give 0.04)."""
    assert policies.premium_for(Decimal("3.00"), Decimal("0.0150")) == Decimal("0.05")
    policy = shipped(world, world.order(paid="3.00"))
    assert policy.premium == Decimal("0.05")
    assert ledger_kinds(policy) == [("premium_charged", Decimal("0.05"))]


@given(
    paid_fen=st.integers(min_value=1, max_value=10**10),
    rate_ten_thousandths=st.integers(min_value=1, max_value=10_000),
)
def test_r_pol_3_premiums_are_half_up_to_the_fen(paid_fen, rate_ten_thousandths):
    paid = Decimal(paid_fen) / 100
    rate = Decimal(rate_ten_thousandths) / 10_000
    premium = policies.premium_for(paid, rate)
    # Exact in integers: fen × ten-thousandths is in millionths of a yuan; half-up to the fen.
    exact_millionths = paid_fen * rate_ten_thousandths
    expected_fen = (exact_millionths + 5_000) // 10_000
    assert premium == Decimal(expected_fen) / 100
    assert premium.as_tuple().exponent == -2
    assert abs(premium - paid * rate) <= Decimal("0.005")
    assert premium == (paid * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# -- R-POL-4 ---------------------------------------------------------------------------------


def test_r_pol_4_cover_runs_from_receipt_confirmation_for_coverage_hours(world):
    sub_order = world.order()
    policy = shipped(world, sub_order)
    assert (policy.status, policy.cover_starts_at, policy.cover_ends_at) == ("issued", None, None)
    receipt_at = world.now - dt.timedelta(days=5)
    world.event(sub_order, "receipt_confirmed", receipt_at)
    policy.refresh_from_db()
    assert policy.status == "in_cover"
    assert (policy.cover_starts_at, policy.cover_ends_at) == (receipt_at, receipt_at + dt.timedelta(hours=720))


def test_r_pol_4_a_receipt_reported_before_the_shipment_starts_cover_at_shipment(world):
    sub_order = world.order()
    receipt_at = world.now - dt.timedelta(days=5)
    world.event(sub_order, "receipt_confirmed", receipt_at)
    assert not Policy.objects.filter(sub_order=sub_order).exists()
    policy = shipped(world, sub_order, world.now - dt.timedelta(days=4))
    assert (policy.status, policy.cover_starts_at) == ("in_cover", receipt_at)


def test_r_pol_4_coverage_hours_are_fixed_when_the_policy_is_issued(world):
    sub_order = world.order()
    policy = shipped(world, sub_order)
    world.plan.coverage_hours = 240
    world.plan.return_shipping_allowance = Decimal("5.00")
    world.plan.save()
    receipt_at = world.now - dt.timedelta(days=5)
    world.event(sub_order, "receipt_confirmed", receipt_at)
    policy.refresh_from_db()
    assert (policy.coverage_hours, policy.return_shipping_allowance) == (720, Decimal("10.00"))
    assert policy.cover_ends_at == receipt_at + dt.timedelta(hours=720)


# -- expiry ----------------------------------------------------------------------------------


def test_policy_expires_by_the_timer_when_cover_ends(world):
    sub_order = world.delivered_order()
    policy = sub_order.policy
    policy.refresh_from_db()
    assert policy.status == "in_cover"
    assert policies.expire_policies(policy.cover_ends_at - dt.timedelta(seconds=1)) == 0
    policy.refresh_from_db()
    assert policy.status == "in_cover"

    assert policies.expire_policies(policy.cover_ends_at) == 1
    policy.refresh_from_db()
    assert policy.status == "expired"
    last = history(policy).last()
    assert (last.transition, last.source, last.target, last.role, last.channel) == (
        "expire",
        "in_cover",
        "expired",
        "timer",
        "timer",
    )
    assert policies.expire_policies(policy.cover_ends_at + dt.timedelta(days=1)) == 0


def test_a_policy_not_yet_in_cover_never_expires(world):
    policy = shipped(world, world.order())
    assert policies.expire_policies(world.now + dt.timedelta(days=365)) == 0
    policy.refresh_from_db()
    assert policy.status == "issued"


# -- idempotent feeds ------------------------------------------------------------------------


def test_replayed_order_events_are_no_ops(world):
    sub_order = world.order()
    ship_at, receipt_at, cancel_at = (world.now - dt.timedelta(days=d) for d in (9, 5, 1))
    assert world.event(sub_order, "shipped", ship_at)["result"] == "applied"
    assert world.event(sub_order, "shipped", ship_at + dt.timedelta(hours=1))["result"] == "replayed"
    assert world.event(sub_order, "receipt_confirmed", receipt_at)["result"] == "applied"
    assert world.event(sub_order, "receipt_confirmed", receipt_at + dt.timedelta(hours=1))["result"] == "replayed"
    policy = Policy.objects.get(sub_order=sub_order)
    assert (policy.issued_at, policy.cover_starts_at) == (ship_at, receipt_at)
    assert world.event(sub_order, "cancelled", cancel_at)["result"] == "applied"
    assert world.event(sub_order, "cancelled", cancel_at + dt.timedelta(hours=1))["result"] == "replayed"

    assert Policy.objects.filter(sub_order=sub_order).count() == 1
    assert [kind for kind, _amount in ledger_kinds(policy)] == ["premium_charged", "premium_refunded"]
    assert [row.transition for row in history(policy)] == ["issue", "start_cover", "cancel"]
    sub_order.refresh_from_db()
    assert (sub_order.shipped_at, sub_order.receipt_confirmed_at, sub_order.cancelled_at) == (
        ship_at,
        receipt_at,
        cancel_at,
    )


def test_events_replayed_in_one_batch_apply_once(world):
    sub_order = world.order()
    event = {"sub_order_id": sub_order.sub_order_id, "type": "shipped", "at": world.now - dt.timedelta(days=9)}
    outcomes = policies.record_order_events([event, event], world.platform)
    assert [o["result"] for o in outcomes] == ["applied", "replayed"]
    assert Policy.objects.filter(sub_order=sub_order).count() == 1


def test_an_event_for_an_unknown_sub_order_refuses_the_whole_call(world):
    sub_order = world.order()
    events = [
        {"sub_order_id": sub_order.sub_order_id, "type": "shipped", "at": world.now},
        {"sub_order_id": "no-such-sub-order", "type": "shipped", "at": world.now},
    ]
    with pytest.raises(RuleViolation) as refused:
        policies.record_order_events(events, world.platform)
    assert refused.value.code == "unknown_sub_order"
    sub_order.refresh_from_db()
    assert sub_order.shipped_at is None
    assert not Policy.objects.filter(sub_order=sub_order).exists()


def test_an_identical_order_resend_is_a_no_op(world):
    item = order_item(world)
    [(first, created)] = policies.record_orders([item], world.platform)
    assert created is True
    [(again, created_again)] = policies.record_orders([dict(item)], world.platform)
    assert (again.pk, created_again) == (first.pk, False)
    [(_same, created_in_batch), (_twin, created_twin)] = policies.record_orders(
        [order_item(world, "so-y"), order_item(world, "so-y")], world.platform
    )
    assert (created_in_batch, created_twin) == (True, False)
    assert SubOrder.objects.filter(sub_order_id__in=["so-x", "so-y"]).count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"paid_amount": Decimal("199.01")},
        {"buyer_id": "buyer-2"},
        {"warranty_plan": None},
        {"placed_at": dt.timedelta(seconds=1)},
        {"shop_id": "shop-b"},
    ],
    ids=["paid_amount", "buyer_id", "warranty_plan", "placed_at", "shop_id"],
)
def test_the_same_sub_order_with_other_content_is_a_conflict(world, change):
    item = order_item(world)
    policies.record_orders([item], world.platform)
    if "placed_at" in change:
        change = {"placed_at": item["placed_at"] + change["placed_at"]}
    with pytest.raises(Conflict) as refused:
        policies.record_orders([order_item(world, "so-new"), item | change], world.platform)
    assert refused.value.code == "sub_order_conflict"
    assert not SubOrder.objects.filter(sub_order_id="so-new").exists()
    stored = SubOrder.objects.get(sub_order_id="so-x")
    assert (stored.paid_amount, stored.buyer_id, stored.shop) == (Decimal("199.00"), "buyer-1", world.shop)


# -- R-EXIT-2 from the policy side -----------------------------------------------------------


def test_r_exit_2_an_order_placed_while_active_but_shipped_after_exit_gets_its_policy(world):
    placed_at = world.now - dt.timedelta(days=10)
    sub_order = world.order(paid="100.00", placed_at=placed_at)
    merchants.request_exit(world.enrolment, world.staff, reason="退出", now=world.now - dt.timedelta(days=9))
    merchants.complete_exit(world.enrolment, world.staff, now=world.now - dt.timedelta(days=8))
    policy = shipped(world, sub_order, world.now - dt.timedelta(days=2))
    assert policy is not None
    assert (policy.status, policy.insurer, policy.rate, policy.premium) == (
        "issued",
        world.insurer,
        Decimal("0.0150"),
        Decimal("1.50"),
    )
    world.event(sub_order, "receipt_confirmed", world.now - dt.timedelta(days=1))
    request = world.refund(sub_order, kind="refund_only")
    assert (request.business_type, request.claim.insurer) == ("warranty", world.insurer)


def test_recording_orders_takes_as_many_queries_for_one_as_for_many(world):
    def queries_for(count, prefix):
        items = [order_item(world, f"{prefix}-{n}") for n in range(count)]
        with CaptureQueriesContext(connection) as captured:
            results = policies.record_orders(items, world.platform)
        assert all(created for _order, created in results)
        return len(captured)

    # Many rows go in by COPY on PostgreSQL (ids drawn first: one statement more than one INSERT),
    # and the count stays the same however many rows there are.
    many = queries_for(60, "many")
    assert many == queries_for(240, "more")
    assert queries_for(1, "one") in (many, many - 1)
