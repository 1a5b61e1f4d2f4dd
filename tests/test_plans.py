"""A second plan as data (domain.md §15, R-PLAN-1): problem codes are rows of their plan, and a
shop is enrolled in several plans, each with its own insurer, rate and rate history."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import translation

from catalogue.models import ProblemCode
from claims import services as claims
from kernel.actors import Actor, Channel, Role
from kernel.errors import RuleViolation
from merchants import services as merchants

from .factories import InsurerFactory, PlanFactory

pytestmark = pytest.mark.django_db

APPAREL = {
    "quality": ["seam_split", "pilling", "colour_fading", "shrinkage", "hardware_broken", "other_statutory_defect"],
    "not_as_described": ["visible_mismatch", "material_mismatch"],
    "damaged": ["torn", "stained"],
}


def enrol_in_apparel(world, insurer):
    """shop-a is enrolled in apparel_30d beside appliance_30d."""
    plan = PlanFactory(code="apparel_30d", name="服饰30天质保险", insurers=[insurer])
    enrolment = world.enrol(world.shop, insurer=insurer, at=world.since, plan=plan)
    return plan, insurer, enrolment


@pytest.fixture
def apparel(world):
    return enrol_in_apparel(world, world.insurer)


@pytest.fixture
def apparel_elsewhere(world):
    """apparel_30d placed with another insurer than the shop's appliance plan."""
    return enrol_in_apparel(world, InsurerFactory(code="apparel-insurer", name="Apparel Insurer"))


def test_r_plan_1_apparel_30d_carries_the_spec_taxonomy_with_both_labels(apparel):
    plan, _insurer, _enrolment = apparel
    assert {reason: plan.problem_codes_for(reason) for reason in APPAREL} == APPAREL
    row = plan.taxonomy.get(code="hardware_broken")
    assert (row.reason, row.label_zh_hans, row.label_en) == ("quality", "拉链/纽扣损坏", "Zip or button broken")
    with translation.override("zh-hans"):
        assert row.label == "拉链/纽扣损坏"
    with translation.override("en"):
        assert row.label == "Zip or button broken"


def test_r_plan_1_a_decision_takes_only_a_code_of_the_claims_plan_and_reason(world, apparel):
    claim = world.claim(plan="apparel_30d")
    assert claim.plan.code == "apparel_30d"
    # An appliance code, an apparel code of another reason, and a made-up one are refused.
    for code in ("leaking_water_or_power", "material_mismatch", "torn", "no-such-code", ""):
        with pytest.raises(RuleViolation) as refused:
            claims.decide(claim, "approve", world.reviewer, problem_code=code, now=world.now)
        assert refused.value.code == "invalid_problem_code", code
    claims.decide(claim, "approve", world.reviewer, problem_code="seam_split", now=world.now)
    assert claim.decision.problem_code == "seam_split"
    assert claim.decision.problem_label == "Seam split"

    appliance = world.claim()
    with pytest.raises(RuleViolation):
        claims.decide(appliance, "approve", world.reviewer, problem_code="seam_split", now=world.now)


def test_r_plan_1_a_code_staff_add_is_accepted_at_once(world, apparel):
    plan, _insurer, _enrolment = apparel
    claim = world.claim(plan="apparel_30d", reason="damaged")
    with pytest.raises(RuleViolation):
        claims.decide(claim, "approve", world.reviewer, problem_code="moth_holes", now=world.now)
    ProblemCode.objects.create(
        plan=plan, reason="damaged", code="moth_holes", label_zh_hans="虫蛀", label_en="Moth holes"
    )
    claims.decide(claim, "approve", world.reviewer, problem_code="moth_holes", now=world.now)
    with translation.override("zh-hans"):
        assert claim.decision.problem_label == "虫蛀"


def test_r_plan_1_the_fast_lane_decides_an_apparel_claim_unassessed(world, apparel):
    claim = world.claim(plan="apparel_30d", kind="refund_only", paid="59.00", level="high")
    claim.refresh_from_db()
    assert (claim.status, claim.decision.problem_code, claim.decision.automatic) == ("refund_due", "unassessed", True)


def test_r_plan_1_an_order_is_covered_by_its_own_plans_enrolment_insurer_and_rate(world, apparel_elsewhere):
    plan, insurer, enrolment = apparel_elsewhere
    supervisor = Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=insurer.pk, label="apparel-sup")
    merchants.override_rate(enrolment, "0.0210", supervisor, reason="服饰退货率较高", now=world.since)
    appliance_order = world.delivered_order()
    apparel_order = world.delivered_order(plan="apparel_30d", paid="300.00")

    assert (appliance_order.covered, apparel_order.covered) == (True, True)
    assert (appliance_order.policy.plan.code, appliance_order.policy.insurer) == ("appliance_30d", world.insurer)
    assert (apparel_order.policy.plan, apparel_order.policy.insurer) == (plan, insurer)
    assert (appliance_order.rate, apparel_order.rate) == (Decimal("0.0150"), Decimal("0.0210"))
    assert apparel_order.policy.premium == Decimal("6.30")
    # Each enrolment keeps its own rate history.
    history = enrolment.rates.order_by("effective_from", "id").values_list("rate", flat=True)
    assert list(history) == [Decimal("0.0150"), Decimal("0.0210")]
    assert list(world.enrolment.rates.values_list("rate", flat=True)) == [Decimal("0.0150")]


def test_r_plan_1_an_order_of_a_plan_the_shop_is_not_enrolled_in_is_not_covered(world, apparel):
    sub_order = world.order(world.other_shop, plan="apparel_30d", placed_at=world.now - dt.timedelta(days=1))
    assert (sub_order.covered, sub_order.not_covered_reason) == (False, "not_enrolled")
