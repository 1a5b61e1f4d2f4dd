"""Service figures (R-KPI-1): claims opened and decided, approval rate, SLA compliance, time to
decision and to payout, premiums, loss ratio, disputes, flagged buyers; per insurer, plan or shop."""

import datetime as dt
from decimal import Decimal

import pytest

from claims import services as claims
from claims.figures import service_figures
from claims.models import Claim, ClaimFlag
from ledger.models import Entry

from .factories import ShopFactory, image_upload

pytestmark = pytest.mark.django_db


def at(world, hours):
    return world.now + dt.timedelta(hours=hours)


@pytest.fixture
def record(world):
    """Six claims of the world's insurer over two shops, and one of another insurer's shop (returned).

    Decisions after 2, 30, 10, 1 and 3 hours; one undecided; one paid 6 hours after opening;
    one receipt dispute, upheld; one buyer reported by the merchant."""
    c1 = world.claim(kind="refund_only", buyer="b1")
    claims.decide(c1, "approve", world.reviewer, problem_code="no_power", now=at(world, 2))
    claims.complete_refund(c1, world.platform, now=at(world, 5))
    claims.pay_out(c1.pk, now=at(world, 6))

    c2 = world.claim(kind="refund_only", buyer="b2")
    claims.decide(c2, "reject", world.reviewer, reason="人为损坏", now=at(world, 30))

    c3 = world.claim(kind="refund_only", buyer="b3")
    claims.decide(
        c3,
        "partially_approve",
        world.reviewer,
        problem_code="not_heating",
        approved_amount=Decimal("50.00"),
        reason="部分功能正常",
        now=at(world, 10),
    )

    c4 = world.claim(kind="refund_only", buyer="b4")
    claims.report_buyer(world.merchant, note="多次恶意退款", claim=c4, now=at(world, 1))

    c5 = world.claim(kind="return_refund", buyer="b5")
    claims.decide(c5, "approve", world.reviewer, problem_code="no_power", now=at(world, 1))
    claims.record_return_shipment(c5, world.platform, carrier="SF", tracking_number="SF55", now=at(world, 20))
    claims.mark_delivered(c5, world.platform, now=at(world, 40))
    claims.add_evidence(c5, "merchant", image_upload(pattern=6), world.merchant, now=at(world, 41))
    claims.reject_receipt(c5, world.merchant, reason_code="empty_parcel", note="空包裹", now=at(world, 41))
    claims.resolve_receipt_dispute(c5, world.staff, outcome="uphold", note="称重记录支持商家", now=at(world, 50))

    c6 = world.claim(kind="refund_only", buyer="b6", shop=world.other_shop)
    claims.decide(c6, "approve", world.reviewer, problem_code="no_power", now=at(world, 3))

    third = ShopFactory(shop_id="shop-c")
    world.enrol(third, insurer=world.other_insurer, at=world.since)
    c7 = world.claim(kind="refund_only", buyer="b7", shop=third)
    claims.decide(c7, "reject", world.other_reviewer, reason="不符合", now=at(world, 40))
    return third


def window(world):
    return world.now - dt.timedelta(days=30), world.now + dt.timedelta(days=30)


def test_r_kpi_1_an_insurers_figures_over_a_period(world, record):
    assert sorted(ClaimFlag.objects.values_list("claim__buyer__buyer_id", "code")) == [("b4", "merchant_reported")]
    [row] = service_figures(
        *window(world),
        group="insurer",
        claims=Claim.objects.for_actor(world.reviewer),
        entries=Entry.objects.for_actor(world.reviewer),
    )
    assert row["id"] == world.insurer.pk
    assert (row["claims_opened"], row["claims_decided"]) == (6, 5)
    assert (row["approval_rate"], row["sla_compliance"]) == (0.8, 0.8)
    # Decision hours 1, 2, 3, 10, 30: the median is 3; the 90th percentile lies between 10 and 30.
    assert (row["decision_hours_p50"], row["decision_hours_p90"]) == (3.0, 22.0)
    assert (row["payout_hours_p50"], row["payout_hours_p90"]) == (6.0, 6.0)
    assert row["premiums"] == Decimal("17.94")  # six policies at 199.00 × 0.0150 = 2.99
    assert row["claims_paid"] == Decimal("199.00")
    assert row["loss_ratio"] == Decimal("11.09")
    assert (row["disputes"], row["disputes_upheld"], row["disputes_overturned"]) == (1, 1, 0)
    assert row["flagged_buyers"] == 1


def test_r_kpi_1_another_insurers_claims_and_premiums_stay_out(world, record):
    rows = service_figures(
        *window(world),
        group="shop",
        claims=Claim.objects.for_actor(world.reviewer),
        entries=Entry.objects.for_actor(world.reviewer),
    )
    assert [row["id"] for row in rows] == sorted([world.shop.pk, world.other_shop.pk], key=str)
    assert record.pk not in [row["id"] for row in rows]
    [theirs] = service_figures(
        *window(world),
        group="insurer",
        claims=Claim.objects.for_actor(world.other_reviewer),
        entries=Entry.objects.for_actor(world.other_reviewer),
    )
    assert (theirs["id"], theirs["claims_opened"], theirs["approval_rate"], theirs["premiums"]) == (
        world.other_insurer.pk,
        1,
        0.0,
        Decimal("2.99"),
    )


def test_r_kpi_1_figures_per_shop_and_per_plan(world, record):
    by_shop = {row["id"]: row for row in service_figures(*window(world), group="shop")}
    mine = by_shop[world.shop.pk]
    assert (mine["claims_opened"], mine["claims_decided"], mine["approval_rate"]) == (5, 4, 0.75)
    assert (mine["sla_compliance"], mine["premiums"], mine["disputes"]) == (0.75, Decimal("14.95"), 1)
    assert by_shop[world.other_shop.pk]["claims_opened"] == 1
    [plan] = service_figures(*window(world), group="plan")
    assert (plan["id"], plan["claims_opened"], plan["premiums"]) == (world.plan.pk, 7, Decimal("20.93"))


def test_r_kpi_1_only_the_chosen_period_counts(world, record):
    after_opening = service_figures(world.now + dt.timedelta(seconds=1), world.now + dt.timedelta(days=30))
    assert [row["claims_opened"] for row in after_opening] == [0]  # only the payout falls in it
    assert after_opening[0]["claims_paid"] == Decimal("199.00")
    assert after_opening[0]["premiums"] == Decimal("0.00")
    assert service_figures(world.now - dt.timedelta(days=30), world.now - dt.timedelta(days=10)) == []


def test_r_kpi_1_a_claim_past_its_sla_counts_against_compliance_decided_or_not(world):
    """An insurer that never decides its late claims does not score 100 %: two claims left
    undecided past the 24 h SLA, one decided in time, one still within its SLA (not counted)."""
    on_time = world.claim(kind="refund_only", buyer="k1")
    claims.decide(on_time, "approve", world.reviewer, problem_code="no_power", now=at(world, 2))
    world.claim(kind="refund_only", buyer="k2")
    asked = world.claim(kind="refund_only", buyer="k3")
    claims.decide(asked, "request_evidence", world.reviewer, reason="请补充照片", now=at(world, 25))
    recent = world.claim(kind="refund_only", buyer="k4", now=at(world, 40))

    [row] = service_figures(*window(world), group="insurer", now=at(world, 48))

    assert (row["claims_opened"], row["claims_decided"]) == (4, 1)
    assert row["sla_compliance"] == round(1 / 3, 4)
    assert recent.decided_at is None

    [never] = service_figures(
        *window(world), group="insurer", now=at(world, 48), claims=Claim.objects.exclude(pk=on_time.pk)
    )
    assert never["sla_compliance"] == 0.0
