"""R-ASSIGN-1 under concurrency, on PostgreSQL, each actor on its own connection: claims opening
at the same instant never take a reviewer past their capacity, and a reviewer going off duty while
claims are being assigned to them keeps none of them."""

import threading
import time
from collections import Counter
from unittest import mock

import pytest

from claims import services as claims
from claims.choices import UNDECIDED_STATES
from claims.models import Assignment, Claim
from claims.services import assignment
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


def test_r_assign_1_a_reviewer_going_off_duty_while_a_claim_is_assigned_to_them_loses_none():
    """The off-duty change lands while an opening has given bob a claim and not yet committed
    (held open here for a second): the change waits for it and returns that claim too."""
    world = World()
    profiles = _desk(world, {"ann": 100, "bob": 100})
    open_one = _openings(world)
    given_to_bob = threading.Event()
    record = assignment._record

    def slow_first_to_bob(claim_pk, assignee_id, reason, now, **kwargs):
        record(claim_pk, assignee_id, reason, now, **kwargs)
        if assignee_id == profiles["bob"].user_id and not given_to_bob.is_set():
            given_to_bob.set()
            time.sleep(1)

    def off_duty():
        given_to_bob.wait(timeout=60)
        return claims.set_profile(profiles["bob"], world.supervisor, on_duty=False, capacity=100)

    with mock.patch.object(assignment, "_record", slow_first_to_bob):
        results = race(lambda i: off_duty if i == OPENINGS else open_one(i), actors=OPENINGS + 1)

    assert [r for r in results if isinstance(r, Exception)] == []
    assert given_to_bob.is_set()
    # Every claim that opened is with a reviewer on duty: bob holds none, the pool is empty.
    assert _held() == {"ann": OPENINGS}
    assert results[OPENINGS] == Assignment.objects.filter(reason="off_duty").count() >= 1
