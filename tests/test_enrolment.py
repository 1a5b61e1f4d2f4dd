"""Enrolment (domain.md §3): invitation, application, approval, exit and re-application."""

import datetime as dt
from decimal import Decimal

import pytest

from audit.services import history
from claims import services as claims
from kernel.actors import Actor, Channel, Role
from kernel.errors import Conflict, NotFound, RoleRefused, RuleViolation, TransitionRefused
from kernel.timeutil import SHANGHAI
from merchants import services as merchants
from merchants.models import CoverPeriod, Enrolment, Rate

from .factories import ShopFactory, image_upload
from .world import World

pytestmark = pytest.mark.django_db


def merchant_of(shop):
    return Actor(role=Role.MERCHANT, channel=Channel.PORTAL, shop_id=shop.pk, label=shop.shop_id)


@pytest.fixture
def newcomer(world):
    """A shop with its return address and payout account, not yet invited to anything."""
    return ShopFactory(shop_id="shop-new")


def invited(world, shop):
    return merchants.invite(shop, world.plan, world.staff, now=world.now)


def applied(world, shop, insurer=None):
    enrolment = invited(world, shop)
    return merchants.apply(enrolment, insurer or world.insurer, merchant_of(shop), now=world.now)


# -- R-ENR-1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["merchant", "supervisor", "reviewer", "platform"])
def test_r_enr_1_only_service_staff_can_invite(world, newcomer, who):
    actor = merchant_of(newcomer) if who == "merchant" else getattr(world, who)
    with pytest.raises(RoleRefused):
        merchants.invite(newcomer, world.plan, actor, now=world.now)
    assert not Enrolment.objects.filter(shop=newcomer).exists()


def test_r_enr_1_staff_invitation_opens_the_way_to_apply(world, newcomer):
    enrolment = invited(world, newcomer)
    assert enrolment.status == "invited"
    assert [(row.transition, row.role, row.target) for row in history(enrolment)] == [
        ("invite", "service_staff", "invited")
    ]
    merchants.apply(enrolment, world.insurer, merchant_of(newcomer), now=world.now)
    enrolment.refresh_from_db()
    assert enrolment.status == "applied"


def test_r_enr_1_an_uninvited_shop_has_nothing_to_apply_with(world, newcomer):
    """Applying needs the shop's invitation: another shop's invitation is out of its reach."""
    assert not Enrolment.objects.for_actor(merchant_of(newcomer)).exists()
    with pytest.raises(NotFound):
        merchants.apply(world.enrolment, world.insurer, merchant_of(newcomer), now=world.now)


def test_r_enr_1_a_shop_is_invited_to_a_plan_once(world):
    with pytest.raises(Conflict):
        merchants.invite(world.shop, world.plan, world.staff, now=world.now)
    assert Enrolment.objects.filter(shop=world.shop, plan=world.plan).count() == 1


# -- R-ENR-2 ---------------------------------------------------------------------------------


def test_r_enr_2_approval_by_the_chosen_insurers_supervisor_activates_at_once(world, newcomer):
    enrolment = applied(world, newcomer)
    merchants.approve(enrolment, world.supervisor, now=world.now)
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert enrolment.insurer == world.insurer
    [period] = CoverPeriod.objects.filter(enrolment=enrolment)
    assert (period.insurer, period.started_at, period.ended_at) == (world.insurer, world.now, None)
    [rate] = Rate.objects.filter(enrolment=enrolment)
    assert (rate.rate, rate.effective_from, rate.source) == (Decimal("0.0150"), world.now, "initial")


def test_r_enr_2_the_insurer_must_sell_the_plan(world, newcomer):
    from .factories import InsurerFactory

    stranger = InsurerFactory(code="not-selling")
    enrolment = invited(world, newcomer)
    with pytest.raises(RuleViolation) as refused:
        merchants.apply(enrolment, stranger, merchant_of(newcomer), now=world.now)
    assert refused.value.code == "insurer_not_offered"
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.insurer) == ("invited", None)


def test_r_enr_2_another_insurers_supervisor_cannot_decide(world, newcomer):
    enrolment = applied(world, newcomer)
    outsider = Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=world.other_insurer.pk, label="x")
    with pytest.raises(NotFound):
        merchants.approve(enrolment, outsider, now=world.now)
    with pytest.raises(NotFound):
        merchants.reject(enrolment, outsider, reason="no", now=world.now)
    enrolment.refresh_from_db()
    assert enrolment.status == "applied"


@pytest.mark.parametrize("who", ["reviewer", "staff", "merchant"])
def test_r_enr_2_only_a_supervisor_decides_an_application(world, newcomer, who):
    enrolment = applied(world, newcomer)
    actor = merchant_of(newcomer) if who == "merchant" else getattr(world, who)
    with pytest.raises(RoleRefused):
        merchants.approve(enrolment, actor, now=world.now)
    enrolment.refresh_from_db()
    assert enrolment.status == "applied"
    assert not CoverPeriod.objects.filter(enrolment=enrolment).exists()


def test_r_enr_2_a_rejection_needs_a_reason(world, newcomer):
    enrolment = applied(world, newcomer)
    with pytest.raises(RuleViolation) as refused:
        merchants.reject(enrolment, world.supervisor, reason="  ", now=world.now)
    assert refused.value.code == "reason_required"
    enrolment.refresh_from_db()
    assert enrolment.status == "applied"


def test_r_enr_2_a_rejected_merchant_may_apply_again_with_another_insurer(world, newcomer):
    enrolment = applied(world, newcomer)
    merchants.reject(enrolment, world.supervisor, reason="退货率过高", now=world.now)
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.rejection_reason) == ("rejected", "退货率过高")

    merchants.apply(enrolment, world.other_insurer, merchant_of(newcomer), now=world.now + dt.timedelta(days=1))
    enrolment.refresh_from_db()
    assert (enrolment.status, enrolment.insurer, enrolment.rejection_reason) == ("applied", world.other_insurer, "")
    other_supervisor = Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=world.other_insurer.pk)
    merchants.approve(enrolment, other_supervisor, now=world.now + dt.timedelta(days=2))
    enrolment.refresh_from_db()
    assert enrolment.status == "active"
    assert CoverPeriod.objects.get(enrolment=enrolment).insurer == world.other_insurer


def test_r_enr_2_an_active_enrolment_cannot_apply_again(world):
    with pytest.raises(TransitionRefused):
        merchants.apply(world.enrolment, world.insurer, world.merchant, now=world.now)
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == "active"


# -- R-ENR-3 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing", [{"return_address": ""}, {"return_address": "   "}, {"payout_account": ""}, {"payout_account": " "}]
)
def test_r_enr_3_no_cover_without_return_address_and_payout_account(world, missing):
    shop = ShopFactory(shop_id="shop-incomplete", **missing)
    enrolment = applied(world, shop)
    with pytest.raises(RuleViolation) as refused:
        merchants.approve(enrolment, world.supervisor, now=world.now)
    assert refused.value.code == "enrolment_incomplete"
    assert "R-ENR-3" in refused.value.message
    enrolment.refresh_from_db()
    assert enrolment.status == "applied"
    assert not CoverPeriod.objects.filter(enrolment=enrolment).exists()
    assert not Rate.objects.filter(enrolment=enrolment).exists()


def test_r_enr_3_approval_goes_through_once_the_details_are_on_file(world):
    shop = ShopFactory(shop_id="shop-incomplete", payout_account="")
    enrolment = applied(world, shop)
    merchants.update_shop_details(shop, merchant_of(shop), payout_account="alipay-incomplete", now=world.now)
    merchants.approve(enrolment, world.supervisor, now=world.now)
    enrolment.refresh_from_db()
    assert enrolment.status == "active"


# -- R-EXIT-1 --------------------------------------------------------------------------------


def test_r_exit_1_staff_file_and_complete_the_exit_with_a_reason(world):
    filed_at, done_at = world.now - dt.timedelta(days=3), world.now - dt.timedelta(days=1)
    merchants.request_exit(world.enrolment, world.staff, reason="商家联系服务专员申请退出", now=filed_at)
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == "exit_requested"
    assert world.enrolment.exited_at is None
    assert CoverPeriod.objects.get(enrolment=world.enrolment).ended_at is None

    merchants.complete_exit(world.enrolment, world.staff, reason="已核实", now=done_at)
    world.enrolment.refresh_from_db()
    assert (world.enrolment.status, world.enrolment.exited_at) == ("exited", done_at)
    assert CoverPeriod.objects.get(enrolment=world.enrolment).ended_at == done_at
    rows = [(r.transition, r.role, r.channel, r.reason) for r in history(world.enrolment)][-2:]
    assert rows == [
        ("request_exit", "service_staff", "admin", "商家联系服务专员申请退出"),
        ("complete_exit", "service_staff", "admin", "已核实"),
    ]


@pytest.mark.parametrize("who", ["merchant", "supervisor", "platform"])
def test_r_exit_1_only_service_staff_file_an_exit(world, who):
    with pytest.raises(RoleRefused):
        merchants.request_exit(world.enrolment, getattr(world, who), reason="想退出", now=world.now)
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == "active"


def test_r_exit_1_an_exit_needs_a_reason(world):
    with pytest.raises(RuleViolation) as refused:
        merchants.request_exit(world.enrolment, world.staff, reason="", now=world.now)
    assert refused.value.code == "reason_required"
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == "active"


def test_r_exit_1_an_exit_is_completed_only_after_it_was_filed(world):
    with pytest.raises(TransitionRefused):
        merchants.complete_exit(world.enrolment, world.staff, reason="跳过申请", now=world.now)
    world.enrolment.refresh_from_db()
    assert (world.enrolment.status, world.enrolment.exited_at) == ("active", None)


def test_r_exit_1_cover_continues_until_staff_complete_the_exit(world):
    filed_at, done_at = world.now - dt.timedelta(days=6), world.now - dt.timedelta(days=2)
    merchants.request_exit(world.enrolment, world.staff, reason="退出", now=filed_at)
    while_pending = world.order(placed_at=filed_at + dt.timedelta(days=1))
    merchants.complete_exit(world.enrolment, world.staff, now=done_at)
    just_before = world.order(placed_at=done_at - dt.timedelta(seconds=1))
    at_exit = world.order(placed_at=done_at)
    after = world.order(placed_at=done_at + dt.timedelta(hours=1))
    assert (while_pending.covered, just_before.covered) == (True, True)
    assert (at_exit.covered, at_exit.not_covered_reason) == (False, "not_enrolled")
    assert (after.covered, after.not_covered_reason) == (False, "not_enrolled")


# -- R-EXIT-2 --------------------------------------------------------------------------------


def test_r_exit_2_issued_policies_keep_cover_and_their_claims_are_decided_and_paid(
    world, django_capture_on_commit_callbacks
):
    sub_order = world.delivered_order(paid="120.00")
    policy = sub_order.policy
    merchants.request_exit(world.enrolment, world.staff, reason="退出", now=world.now - dt.timedelta(days=2))
    merchants.complete_exit(world.enrolment, world.staff, now=world.now - dt.timedelta(days=1))
    policy.refresh_from_db()
    assert policy.status == "in_cover"

    request = world.refund(sub_order, kind="refund_only")
    assert request.business_type == "warranty"
    claim = request.claim
    claims.add_evidence(claim, "buyer", image_upload(pattern=2), world.platform, now=world.now)
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)
    with django_capture_on_commit_callbacks(execute=True):
        claims.complete_refund(claim, world.platform, now=world.now)
    claim.refresh_from_db()
    assert (claim.status, claim.insurer, claim.payout_amount) == ("paid", world.insurer, Decimal("120.00"))


# -- R-EXIT-3 --------------------------------------------------------------------------------


def shanghai(*args):
    return dt.datetime(*args, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    "exit_at",
    [
        # 23:30 in Shanghai is still 15:30 the same day in UTC; 00:30 in Shanghai is the previous UTC day.
        pytest.param(shanghai(2026, 3, 10, 23, 30), id="exit-23:30-shanghai"),
        pytest.param(shanghai(2026, 3, 10, 0, 30), id="exit-00:30-shanghai"),
    ],
)
def test_r_exit_3_reapplication_from_day_91_counted_in_shanghai(db, exit_at):
    world = World(now=shanghai(2026, 1, 5, 9, 0))
    merchants.request_exit(world.enrolment, world.staff, reason="退出", now=exit_at - dt.timedelta(hours=1))
    merchants.complete_exit(world.enrolment, world.staff, now=exit_at)
    earliest = shanghai(2026, 6, 9)  # 2026-03-10 + 91 days, 00:00 Shanghai
    world.enrolment.refresh_from_db()
    assert world.enrolment.rejoin_from() == earliest

    for too_early in (shanghai(2026, 6, 8, 0, 0), shanghai(2026, 6, 8, 23, 59, 59), earliest - dt.timedelta(seconds=1)):
        with pytest.raises(RuleViolation) as refused:
            merchants.apply(world.enrolment, world.insurer, world.merchant, now=too_early)
        assert refused.value.code == "rejoin_too_early"
        assert "2026-06-09 00:00" in refused.value.message
        assert "R-EXIT-3" in refused.value.message
        world.enrolment.refresh_from_db()
        assert world.enrolment.status == "exited"

    merchants.apply(world.enrolment, world.insurer, world.merchant, now=earliest)
    world.enrolment.refresh_from_db()
    assert (world.enrolment.status, world.enrolment.applied_at) == ("applied", earliest)


def test_r_exit_3_rejoining_needs_no_new_invitation_and_opens_a_new_cover_period(db):
    world = World(now=shanghai(2026, 1, 5, 9, 0))
    exit_at = shanghai(2026, 3, 10, 12, 0)
    merchants.request_exit(world.enrolment, world.staff, reason="退出", now=exit_at - dt.timedelta(days=1))
    merchants.complete_exit(world.enrolment, world.staff, now=exit_at)
    back_at = shanghai(2026, 6, 9, 10, 0)
    merchants.apply(world.enrolment, world.insurer, world.merchant, now=back_at)
    merchants.approve(world.enrolment, world.supervisor, now=back_at)
    world.enrolment.refresh_from_db()
    assert world.enrolment.status == "active"
    periods = list(CoverPeriod.objects.filter(enrolment=world.enrolment).values_list("started_at", "ended_at"))
    assert periods == [(world.since, exit_at), (back_at, None)]
    assert world.order(placed_at=shanghai(2026, 4, 1)).covered is False
    assert world.order(placed_at=back_at + dt.timedelta(hours=1)).covered is True
