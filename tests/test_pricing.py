"""R-RATE-1: risk pricing from the shop's own record, bounded, explained, and overridable."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.management import call_command
from hypothesis import given
from hypothesis import strategies as st

from catalogue.models import Plan
from merchants import services as merchants
from merchants.services import current_rate
from pricing import services as pricing
from pricing.engine import ShopRecord, price
from pricing.simulation import simulate

PLAN = Plan(code="p")  # the defaults of domain.md §2, not saved

counts = st.integers(min_value=0, max_value=5000)
amounts = st.decimals(min_value=0, max_value=10**6, places=2)


@given(policies=counts, claims=counts, premiums=amounts, paid=amounts, disputes=counts, flagged=counts)
def test_r_rate_1_rate_is_always_within_floor_and_ceiling(policies, claims, premiums, paid, disputes, flagged):
    rate, _factors = price(PLAN, ShopRecord(policies, claims, premiums, paid, disputes, flagged))
    assert PLAN.rate_floor <= rate <= PLAN.rate_ceiling
    assert rate == rate.quantize(Decimal("0.0001"))


@given(
    policies=st.integers(min_value=1, max_value=5000),
    claims=counts,
    premiums=amounts,
    paid=amounts,
    disputes=counts,
    flagged=counts,
    field=st.sampled_from(["claims", "claims_paid", "disputes_lost", "flagged_buyers"]),
)
def test_r_rate_1_a_worse_record_never_gets_a_lower_rate(policies, claims, premiums, paid, disputes, flagged, field):
    record = ShopRecord(policies, claims, premiums, paid, disputes, flagged)
    worse = record.__class__(
        **{**record.__dict__, field: getattr(record, field) + (Decimal("100") if field == "claims_paid" else 10)}
    )
    assert price(PLAN, worse)[0] >= price(PLAN, record)[0]


def test_r_rate_1_a_shop_without_a_record_keeps_the_base_rate():
    rate, factors = price(PLAN, ShopRecord())
    assert rate == PLAN.base_rate
    assert Decimal(factors["credibility"]) == 0


def test_r_rate_1_a_clean_large_shop_is_cheaper_than_a_claim_heavy_one():
    clean = price(PLAN, ShopRecord(policies=1000, claims=5, premiums=Decimal("3000"), claims_paid=Decimal("500")))[0]
    heavy = price(
        PLAN,
        ShopRecord(
            policies=1000,
            claims=90,
            premiums=Decimal("3000"),
            claims_paid=Decimal("9000"),
            disputes_lost=4,
            flagged_buyers=6,
        ),
    )[0]
    assert clean < PLAN.base_rate < heavy


def test_r_rate_1_recompute_writes_an_effective_dated_rate_with_its_breakdown(world):
    for _ in range(3):
        world.approved(kind="refund_only")
    later = world.now + dt.timedelta(minutes=1)
    [(enrolment, row)] = [r for r in pricing.recompute_rates(later) if r[0].pk == world.enrolment.pk]
    assert row.source == "engine" and row.effective_from == later
    assert row.factors["record"]["claims"] == "3"
    assert set(row.factors["contributions"]) == {"claim_frequency", "loss_ratio", "disputes_lost", "flagged_buyers"}
    assert world.enrolment.rates.count() == 2  # the initial rate is kept as history


def test_r_rate_1_new_rate_applies_to_orders_placed_from_then_on(world):
    before = world.order(placed_at=world.now - dt.timedelta(hours=1))
    merchants.override_rate(world.enrolment, Decimal("0.0300"), world.supervisor, reason="manual", now=world.now)
    after = world.order(placed_at=world.now + dt.timedelta(minutes=1))
    assert before.rate == Decimal("0.0150") and after.rate == Decimal("0.0300")


def test_r_rate_1_overridden_enrolments_are_left_alone_until_the_override_is_lifted(world):
    merchants.override_rate(world.enrolment, Decimal("0.0100"), world.supervisor, reason="trial", now=world.now)
    repriced = {e.pk for e, _row in pricing.recompute_rates(world.now + dt.timedelta(days=1))}
    assert world.enrolment.pk not in repriced and world.other_enrolment.pk in repriced
    assert current_rate(world.enrolment, world.now + dt.timedelta(days=2)).rate == Decimal("0.0100")
    merchants.lift_override(world.enrolment, world.supervisor, reason="trial over")
    repriced = {e.pk for e, _row in pricing.recompute_rates(world.now + dt.timedelta(days=3))}
    assert world.enrolment.pk in repriced


def test_r_rate_1_override_needs_a_reason_and_stays_in_bounds(world):
    from kernel.errors import RuleViolation

    with pytest.raises(RuleViolation):
        merchants.override_rate(world.enrolment, Decimal("0.0100"), world.supervisor, reason=" ")
    with pytest.raises(RuleViolation) as refused:
        merchants.override_rate(world.enrolment, Decimal("0.2000"), world.supervisor, reason="too high")
    assert refused.value.code == "rate_out_of_bounds"


def test_r_rate_1_merchants_see_reasons_in_words_without_thresholds(world):
    for _ in range(4):
        world.approved(kind="refund_only")
    later = world.now + dt.timedelta(minutes=1)
    row = next(r for e, r in pricing.recompute_rates(later) if e.pk == world.enrolment.pk)
    reasons = pricing.main_reasons(row)
    assert reasons and all(not any(ch.isdigit() for ch in reason) for reason in reasons)


def test_r_rate_1_recompute_rates_command(world, capsys):
    call_command("recompute_rates", "--now", world.now.isoformat())
    out = capsys.readouterr().out
    assert "shop-a" in out and "repriced: 2" in out


@pytest.mark.django_db
def test_r_rate_1_simulated_rates_diverge_with_shop_quality():
    history = simulate(days=60, shops_per_quality=1, orders_per_day=25, seed=3, report=lambda snapshot: None)
    final = {row["quality"]: row["rate"] for row in history[-1]["rows"]}
    assert final["excellent"] < final["average"] < final["poor"]
    assert final["excellent"] < Decimal("0.0150") < final["poor"]
