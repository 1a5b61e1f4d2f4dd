"""R-BDX-1: over random months of activity, each bordereau's total equals the ledger's for its
insurer and Shanghai month, to the fen, and its lines add up to that total."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kernel.timeutil import SHANGHAI
from ledger import services as ledger
from ledger.models import Entry, EntryKind
from reports import lines, services
from reports.periods import Period

pytestmark = pytest.mark.django_db

FEBRUARY, MARCH, APRIL = Period(2026, 2), Period(2026, 3), Period(2026, 4)
# Moments either side of each month's Shanghai midnight (16:00 UTC the day before), where a
# UTC or naive month would put a movement in the wrong bordereau.
EDGES = [edge + dt.timedelta(seconds=s) for p in (MARCH, APRIL) for edge in [p.starts_at] for s in (-1, 0, 1)]
moments = st.one_of(
    st.sampled_from(EDGES),
    st.datetimes(
        min_value=dt.datetime(2026, 2, 1), max_value=dt.datetime(2026, 4, 30, 23, 59), timezones=st.just(SHANGHAI)
    ),
)
fen = st.integers(min_value=1, max_value=500_000).map(lambda n: Decimal(n) / 100)


class Rollback(Exception):
    pass


@pytest.fixture
def book(world):
    """Policies and open claims to move money on; their own premiums are charged in March."""
    policies = [world.delivered_order(buyer=f"buyer-{n}").policy for n in range(4)]
    claims = [world.claim(buyer=f"claimant-{n}", with_image=False) for n in range(3)]
    return world, policies, claims


def month_of(moment):
    return str(Period.of(moment))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_bordereau_totals_equal_the_ledger_for_any_month_of_activity_R_BDX_1(book, data):
    world, policies, claims = book
    refunds = data.draw(st.lists(st.tuples(st.sampled_from(policies), moments), unique_by=lambda t: t[0].pk))
    kinds = st.sampled_from([EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID])
    payments = data.draw(
        st.lists(st.tuples(st.sampled_from(claims), kinds, fen, moments), unique_by=lambda t: (t[0].pk, t[1]))
    )
    grants = data.draw(st.lists(moments, max_size=2))
    period = data.draw(st.sampled_from([FEBRUARY, MARCH, APRIL]))
    try:
        with transaction.atomic():
            for policy, at in refunds:
                ledger.post(
                    EntryKind.PREMIUM_REFUNDED, amount=policy.premium, **_on(policy), policy_id=policy.pk, at=at
                )
            for claim, kind, amount, at in payments:
                ledger.post(kind, amount=amount, **_on(claim), policy_id=claim.policy_id, claim_id=claim.pk, at=at)
            for at in grants:  # points are not money: no bordereau counts them
                ledger.post(EntryKind.POINTS_GRANTED, points=20, **_on(claims[0]), at=at)
            expected_premium, expected_paid = _expected(world.insurer.pk, str(period))
            premium_lines = list(lines.premium_lines(world.insurer.pk, period))
            claims_lines = list(lines.claims_lines(world.insurer.pk, period))
            assert sum((line.amount for line in premium_lines), Decimal("0.00")) == expected_premium
            after = period.ends_at + dt.timedelta(days=1)
            made = services.make_one(world.insurer, period, "premium", now=after)
            assert made.total_premium == expected_premium and made.lines == len(premium_lines)
            assert sum((line.amount for line in claims_lines), Decimal("0.00")) == expected_paid
            assert services.make_one(world.insurer, period, "claims", now=after).total_paid == expected_paid
            # Every claim paid in the month has its line, once.
            paid_ids = {c.claim_id for c, _k, _a, at in payments if month_of(at) == str(period)}
            listed = [line.values[0] for line in claims_lines]
            assert paid_ids <= set(listed) and len(listed) == len(set(listed))
            raise Rollback
    except Rollback:
        pass


def _on(obj):
    return {"shop_id": obj.shop_id, "insurer_id": obj.insurer_id, "plan_id": obj.plan_id}


def _expected(insurer_id, month):
    """The month's totals computed here, from every entry, by its Shanghai calendar month."""
    premium = paid = Decimal("0.00")
    for entry in Entry.objects.filter(insurer_id=insurer_id):
        if month_of(entry.created_at) != month:
            continue
        if entry.kind == EntryKind.PREMIUM_CHARGED:
            premium += entry.amount
        elif entry.kind == EntryKind.PREMIUM_REFUNDED:
            premium -= entry.amount
        elif entry.kind in (EntryKind.CLAIM_PAID, EntryKind.SHIPPING_ALLOWANCE_PAID):
            paid += entry.amount
    return premium, paid
