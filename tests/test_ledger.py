"""The ledger (domain.md §8): R-PAY-4 entries are never edited and balances come from them;
R-PAY-5 a payout is made once."""

import datetime as dt
from decimal import Decimal

import pytest

from audit.models import AppendOnlyError
from audit.services import history
from claims import services as claims
from claims import tasks
from kernel.errors import Conflict, TransitionRefused
from ledger import services as ledger
from ledger.models import Entry

from .factories import ShopFactory

pytestmark = pytest.mark.django_db


def paid_claim(world, **kwargs):
    claim = world.approved(kind="refund_only", **kwargs)
    claims.complete_refund(claim, world.platform, now=world.now)
    assert claims.pay_out(claim.pk, now=world.now) is True
    claim.refresh_from_db()
    return claim


# -- R-PAY-4 ---------------------------------------------------------------------------------


def test_r_pay_4_an_entry_cannot_be_edited_or_deleted(world):
    world.delivered_order(paid="199.00")
    entry = Entry.objects.get()
    entry.amount = Decimal("0.01")
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).update(amount=Decimal("0.01"))
    with pytest.raises(AppendOnlyError):
        Entry.objects.filter(pk=entry.pk).delete()
    assert Entry.objects.get().amount == Decimal("2.99")


def test_r_pay_4_a_correction_is_a_new_entry(world):
    sub_order = world.delivered_order(paid="100.00")
    charged = Entry.objects.get(kind="premium_charged")
    world.event(sub_order, "cancelled", world.now)
    assert sorted(Entry.objects.filter(policy=sub_order.policy).values_list("kind", "amount")) == [
        ("premium_charged", Decimal("1.50")),
        ("premium_refunded", Decimal("1.50")),
    ]
    assert Entry.objects.get(pk=charged.pk).amount == Decimal("1.50")


def test_r_pay_4_every_movement_is_linked_to_its_policy_and_claim(world):
    claim = world.approved(kind="return_refund", paid="150.00")
    claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF9", now=world.now)
    claims.confirm_receipt(claim, world.merchant, now=world.now)
    claims.complete_refund(claim, world.platform, now=world.now, buyer_payout_account="buyer-1@alipay.example")
    claims.pay_out(claim.pk, now=world.now)
    rows = sorted(Entry.objects.filter(policy_id=claim.policy_id).values_list("kind", "amount", "claim_id", "payee"))
    assert rows == [
        ("claim_paid", Decimal("150.00"), claim.pk, world.shop.payout_account),
        ("premium_charged", Decimal("2.25"), None, ""),
        ("shipping_allowance_paid", Decimal("10.00"), claim.pk, "buyer-1@alipay.example"),
    ]


def test_r_pay_4_balances_per_merchant_insurer_and_plan_come_from_the_ledger(world):
    claim = world.approved(kind="refund_only", paid="199.00")  # premium 2.99, payout 199.00
    claims.process_deadlines(world.now + dt.timedelta(hours=claim.refund_due_hours))  # refund overdue (R-PAY-1)
    claims.complete_refund(claim, world.platform, now=world.now)
    assert claims.pay_out(claim.pk, now=world.now) is True
    cancelled = world.delivered_order(paid="100.00")  # premium 1.50, refunded below
    world.event(cancelled, "cancelled", world.now)
    claims.record_finding(claim, world.staff, kind="refund_overdue", reason="退款超时", now=world.now)
    world.delivered_order(world.other_shop, paid="300.00")  # premium 4.50
    third = ShopFactory(shop_id="shop-c")
    world.enrol(third, insurer=world.other_insurer, at=world.since)
    world.delivered_order(third, paid="50.00")  # premium 0.75, other insurer

    by_shop = ledger.balances()
    plan = world.plan.pk
    shop_a = by_shop[(world.shop.pk, plan)]
    assert (shop_a["premium_charged"], shop_a["premium_refunded"], shop_a["claim_paid"]) == (
        Decimal("4.49"),
        Decimal("1.50"),
        Decimal("199.00"),
    )
    assert (shop_a["net_premiums"], shop_a["claims_paid"], shop_a["insurer_net"]) == (
        Decimal("2.99"),
        Decimal("199.00"),
        Decimal("-196.01"),
    )
    assert shop_a["points"] == 10000
    assert by_shop[(world.shop.pk, plan)] is not by_shop[(world.other_shop.pk, plan)]
    assert by_shop[(world.other_shop.pk, plan)]["net_premiums"] == Decimal("4.50")
    assert by_shop[(third.pk, plan)]["net_premiums"] == Decimal("0.75")

    by_insurer = ledger.balances(by=("insurer",))
    assert set(by_insurer) == {(world.insurer.pk,), (world.other_insurer.pk,)}
    assert by_insurer[(world.insurer.pk,)]["net_premiums"] == Decimal("7.49")
    assert by_insurer[(world.insurer.pk,)]["insurer_net"] == Decimal("-191.51")
    assert by_insurer[(world.other_insurer.pk,)]["net_premiums"] == Decimal("0.75")

    by_plan = ledger.balances(by=("plan",))
    assert by_plan[(plan,)]["net_premiums"] == Decimal("8.24")


def test_r_pay_4_a_merchants_balance_is_its_own_shops(world):
    world.delivered_order(paid="199.00")
    world.delivered_order(world.other_shop, paid="300.00")
    mine = ledger.balances(Entry.objects.for_actor(world.merchant))
    assert list(mine) == [(world.shop.pk, world.plan.pk)]
    assert ledger.balances(Entry.objects.for_actor(world.other_reviewer)) == {}


# -- R-PAY-5 ---------------------------------------------------------------------------------


def test_r_pay_5_paying_out_twice_pays_once(world):
    claim = world.approved(kind="refund_only", paid="199.00")
    claims.complete_refund(claim, world.platform, now=world.now)
    assert claims.pay_out(claim.pk, now=world.now) is True
    assert claims.pay_out(claim.pk, now=world.now + dt.timedelta(minutes=1)) is False
    assert tasks.pay_out.delay(claim.pk).get() is False  # a retried or duplicated task
    assert Entry.objects.filter(claim=claim, kind="claim_paid").count() == 1
    assert [row.transition for row in history(claim)].count("mark_paid") == 1
    assert claims.process_deadlines(world.now + dt.timedelta(hours=1))["payouts_retried"] == 0
    assert Entry.objects.filter(claim=claim, kind="claim_paid").count() == 1


def test_r_pay_5_the_refund_completed_event_twice_pays_the_allowance_once(world, django_capture_on_commit_callbacks):
    claim = world.approved(kind="return_refund", paid="199.00")
    claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF7", now=world.now)
    claims.confirm_receipt(claim, world.merchant, now=world.now)
    with django_capture_on_commit_callbacks(execute=True):
        claims.complete_refund(claim, world.platform, now=world.now, buyer_payout_account="buyer-1@alipay.example")
    with pytest.raises(TransitionRefused):
        claims.complete_refund(claim, world.platform, now=world.now, buyer_payout_account="buyer-1@alipay.example")
    kinds = sorted(Entry.objects.filter(claim=claim).values_list("kind", flat=True))
    assert kinds == ["claim_paid", "shipping_allowance_paid"]


def test_r_pay_5_a_second_claim_paid_entry_is_a_conflict(world):
    claim = paid_claim(world)
    with pytest.raises(Conflict) as refused:
        ledger.post(
            "claim_paid",
            amount=claim.payout_amount,
            shop_id=claim.shop_id,
            insurer_id=claim.insurer_id,
            plan_id=claim.plan_id,
            policy_id=claim.policy_id,
            claim_id=claim.pk,
        )
    assert refused.value.code == "already_recorded"
    # The refused write rolled back alone: the surrounding transaction still works.
    assert Entry.objects.filter(claim=claim, kind="claim_paid").count() == 1


def test_r_pay_5_a_premium_is_charged_once_per_policy(world):
    sub_order = world.delivered_order()
    policy = sub_order.policy
    with pytest.raises(Conflict):
        ledger.post(
            "premium_charged",
            amount=policy.premium,
            shop_id=policy.shop_id,
            insurer_id=policy.insurer_id,
            plan_id=policy.plan_id,
            policy_id=policy.pk,
        )
    assert Entry.objects.filter(policy=policy, kind="premium_charged").count() == 1
