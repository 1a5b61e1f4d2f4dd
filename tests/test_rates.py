"""Rate storage (R-RATE-1): effective-dated rates, the rate at placement, supervisor overrides."""

import datetime as dt
from decimal import Decimal

import pytest

from audit.services import history
from kernel.actors import Actor, Channel, Role
from kernel.errors import NotFound, RoleRefused, RuleViolation
from merchants import services as merchants
from merchants.models import Enrolment, Rate

pytestmark = pytest.mark.django_db


def days(n):
    return dt.timedelta(days=n)


def test_r_rate_1_rates_are_effective_dated_and_the_history_is_kept(world):
    changed_at = world.now - days(30)
    merchants.record_rate(
        world.enrolment,
        "0.0210",
        source="engine",
        factors={"claim_frequency": "1.20", "loss_ratio": "1.10"},
        reason="risk pricing",
        now=changed_at,
    )
    assert merchants.current_rate(world.enrolment, changed_at - dt.timedelta(seconds=1)).rate == Decimal("0.0150")
    assert merchants.current_rate(world.enrolment, changed_at).rate == Decimal("0.0210")
    assert merchants.current_rate(world.enrolment, world.now).factors == {
        "claim_frequency": "1.20",
        "loss_ratio": "1.10",
    }
    assert list(world.enrolment.rates.values_list("rate", "source", "effective_from")) == [
        (Decimal("0.0210"), "engine", changed_at),
        (Decimal("0.0150"), "initial", world.since),
    ]


def test_r_rate_1_a_rate_effective_in_the_future_does_not_apply_yet(world):
    merchants.record_rate(world.enrolment, "0.0300", source="engine", now=world.now + days(1))
    assert merchants.current_rate(world.enrolment, world.now).rate == Decimal("0.0150")
    assert world.order(placed_at=world.now).rate == Decimal("0.0150")


def test_r_rate_1_the_rate_in_force_when_the_order_was_placed_applies(world):
    changed_at = world.now - days(30)
    merchants.record_rate(world.enrolment, "0.0200", source="engine", now=changed_at)
    before = world.order(paid="300.00", placed_at=changed_at - dt.timedelta(seconds=1))
    at_change = world.order(paid="300.00", placed_at=changed_at)
    # A later change does not reach orders already placed, even if they ship after it.
    merchants.record_rate(world.enrolment, "0.0400", source="engine", now=world.now - days(5))
    for sub_order in (before, at_change):
        world.event(sub_order, "shipped", world.now - days(1))
    before.policy.refresh_from_db()
    at_change.policy.refresh_from_db()
    assert (before.rate, before.policy.rate, before.policy.premium) == (
        Decimal("0.0150"),
        Decimal("0.0150"),
        Decimal("4.50"),
    )
    assert (at_change.rate, at_change.policy.rate, at_change.policy.premium) == (
        Decimal("0.0200"),
        Decimal("0.0200"),
        Decimal("6.00"),
    )


@pytest.mark.parametrize("rate", ["0.0049", "0.0501", "-0.0100", "1"])
def test_r_rate_1_a_rate_outside_floor_and_ceiling_is_refused(world, rate):
    with pytest.raises(RuleViolation) as refused:
        merchants.record_rate(world.enrolment, rate, source="engine", now=world.now)
    assert refused.value.code == "rate_out_of_bounds"
    assert "rate" in refused.value.fields
    assert world.enrolment.rates.count() == 1


@pytest.mark.parametrize("rate", ["0.0050", "0.0500"])
def test_r_rate_1_floor_and_ceiling_themselves_are_allowed(world, rate):
    assert merchants.record_rate(world.enrolment, rate, source="engine", now=world.now).rate == Decimal(rate)


def test_r_rate_1_a_supervisor_overrides_the_rate_with_a_reason(world):
    at = world.now - days(3)
    row = merchants.override_rate(world.enrolment, Decimal("0.0120"), world.supervisor, reason="优质商家", now=at)
    assert (row.rate, row.source, row.reason, row.effective_from) == (Decimal("0.0120"), "override", "优质商家", at)
    assert row.created_by == world.supervisor_user
    assert Enrolment.objects.get(pk=world.enrolment.pk).rate_overridden is True
    last = history(world.enrolment).last()
    assert (last.transition, last.role, last.user, last.reason) == (
        "override_rate",
        "supervisor",
        world.supervisor_user,
        "0.0120: 优质商家",
    )
    assert world.order(paid="100.00", placed_at=at + dt.timedelta(hours=1)).rate == Decimal("0.0120")


def test_r_rate_1_an_override_needs_a_reason(world):
    with pytest.raises(RuleViolation) as refused:
        merchants.override_rate(world.enrolment, Decimal("0.0120"), world.supervisor, reason=" ", now=world.now)
    assert refused.value.code == "reason_required"
    assert world.enrolment.rates.count() == 1
    assert Enrolment.objects.get(pk=world.enrolment.pk).rate_overridden is False


@pytest.mark.parametrize("rate", ["0.0040", "0.0600"])
def test_r_rate_1_an_override_stays_within_floor_and_ceiling(world, rate):
    with pytest.raises(RuleViolation) as refused:
        merchants.override_rate(world.enrolment, Decimal(rate), world.supervisor, reason="手工调整", now=world.now)
    assert refused.value.code == "rate_out_of_bounds"
    assert world.enrolment.rates.count() == 1
    assert Enrolment.objects.get(pk=world.enrolment.pk).rate_overridden is False


@pytest.mark.parametrize("who", ["reviewer", "staff", "merchant"])
def test_r_rate_1_only_a_supervisor_overrides(world, who):
    with pytest.raises(RoleRefused):
        merchants.override_rate(world.enrolment, Decimal("0.0120"), getattr(world, who), reason="x", now=world.now)
    assert world.enrolment.rates.count() == 1


def test_r_rate_1_another_insurers_supervisor_cannot_override(world):
    outsider = Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=world.other_insurer.pk, label="x")
    with pytest.raises(NotFound):
        merchants.override_rate(world.enrolment, Decimal("0.0120"), outsider, reason="x", now=world.now)
    with pytest.raises(NotFound):
        merchants.lift_override(world.enrolment, outsider)


def test_r_rate_1_an_enrolment_out_of_cover_has_no_rate_to_override(world):
    merchants.request_exit(world.enrolment, world.staff, reason="退出", now=world.now - days(2))
    merchants.complete_exit(world.enrolment, world.staff, now=world.now - days(1))
    with pytest.raises(RuleViolation) as refused:
        merchants.override_rate(world.enrolment, Decimal("0.0120"), world.supervisor, reason="x", now=world.now)
    assert refused.value.code == "not_active"
    assert world.enrolment.rates.count() == 1


def test_r_rate_1_lifting_the_override_hands_the_enrolment_back_to_the_job(world):
    row = merchants.override_rate(world.enrolment, Decimal("0.0120"), world.supervisor, reason="试行", now=world.now)
    merchants.lift_override(world.enrolment, world.supervisor, reason="试行结束")
    enrolment = Enrolment.objects.get(pk=world.enrolment.pk)
    assert enrolment.rate_overridden is False
    last = history(enrolment).last()
    assert (last.transition, last.role, last.reason) == ("lift_override", "supervisor", "试行结束")
    # Lifting does not rewrite history: the overridden rate stays in force until the job reprices.
    assert merchants.current_rate(enrolment, world.now) == row
    assert Rate.objects.filter(enrolment=enrolment).count() == 2


def test_r_rate_1_a_reviewer_cannot_lift_an_override(world):
    merchants.override_rate(world.enrolment, Decimal("0.0120"), world.supervisor, reason="试行", now=world.now)
    with pytest.raises(RoleRefused):
        merchants.lift_override(world.enrolment, world.reviewer, reason="x")
    assert Enrolment.objects.get(pk=world.enrolment.pk).rate_overridden is True
