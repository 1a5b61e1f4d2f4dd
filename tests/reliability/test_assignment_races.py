"""R-ASSIGN-1 under concurrency, on PostgreSQL, each actor on its own connection: claims opening
at the same instant never take a reviewer past their capacity, and a reviewer going off duty while
claims are being assigned to them keeps none of them."""

from collections import Counter

import pytest

from claims import services as claims
from claims.choices import UNDECIDED_STATES
from claims.models import Assignment, Claim
from claims.services.assignment import add_profile
from kernel.actors import Role
from tests.factories import member
from tests.world import World

from .postgres import postgresql_only
from .test_races import race

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]

OPENINGS = 24


def _desk(world, capacities):
    profiles = {}
    for name, capacity in capacities.items():
        user = member(name, Role.REVIEWER, insurer=world.insurer)
        profiles[name] = add_profile(user.pk, world.supervisor, on_duty=True, capacity=capacity)
    return profiles


def _openings(world):
    """One refund request per thread, each on its own delivered sub-order (made beforehand)."""
    sub_orders = [world.delivered_order(buyer=f"buyer-{i}") for i in range(OPENINGS)]
    return lambda i: lambda: world.refund(sub_orders[i])


def _held():
    undecided = Claim.objects.filter(status__in=UNDECIDED_STATES)
    return Counter(undecided.values_list("assignee__username", flat=True))


def test_r_assign_1_claims_opening_at_once_never_take_a_reviewer_past_capacity():
    world = World()
    _desk(world, {"ann": 3, "bob": 4})

    results = race(_openings(world), actors=OPENINGS)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert _held() == {"ann": 3, "bob": 4, None: OPENINGS - 7}
    # Each automatic assignment read a load below the reviewer's capacity, never the same twice.
    loads = sorted(Assignment.objects.filter(reason="load").values_list("assignee__username", "load"))
    assert loads == [("ann", 0), ("ann", 1), ("ann", 2), ("bob", 0), ("bob", 1), ("bob", 2), ("bob", 3)]


def test_r_assign_1_a_reviewer_going_off_duty_while_claims_open_keeps_none_and_none_is_lost():
    world = World()
    profiles = _desk(world, {"ann": 100, "bob": 100})
    open_one = _openings(world)

    def attempt(i):
        if i == OPENINGS:
            return lambda: claims.set_profile(profiles["bob"], world.supervisor, on_duty=False, capacity=100)
        return open_one(i)

    results = race(attempt, actors=OPENINGS + 1)

    assert [r for r in results if isinstance(r, Exception)] == []
    # Every claim that opened is with a reviewer on duty: bob holds none, the pool is empty.
    assert _held() == {"ann": OPENINGS}
    returned = Assignment.objects.filter(reason="off_duty").count()
    assert returned == results[OPENINGS]
