"""R-ASSIGN-1: claims go to the insurer's reviewers on duty with room, the least loaded first; the
pool is served earliest `review_due_at` first; off duty returns the undecided claims; every
assignment says why."""

import datetime as dt

import pytest

from claims import services as claims
from claims.choices import AssignmentReason
from claims.choices import ClaimStatus as S
from claims.models import Assignment, Claim, ReviewerProfile
from claims.services.assignment import add_profile
from kernel.actors import Actor, Channel, Role
from kernel.errors import Conflict, RoleRefused, RuleViolation
from tests.factories import member, photo_upload


@pytest.fixture
def desk(world):
    """Two reviewers of the insurer with profiles, off duty until a test puts them on."""
    ann = member("ann", Role.REVIEWER, insurer=world.insurer)
    bob = member("bob", Role.REVIEWER, insurer=world.insurer)
    profiles = {
        name: add_profile(user.pk, world.supervisor, on_duty=False, capacity=2)
        for name, user in (("ann", ann), ("bob", bob))
    }
    return {"ann": ann, "bob": bob, "profiles": profiles}


def on_duty(world, desk, name, *, capacity=2, duty=True):
    return claims.set_profile(desk["profiles"][name], world.supervisor, on_duty=duty, capacity=capacity)


def assignee(claim):
    claim.refresh_from_db()
    return claim.assignee.username if claim.assignee else None


def reasons(claim):
    return [
        (row.assignee.username if row.assignee else None, row.reason, row.by.username if row.by else None)
        for row in Assignment.objects.filter(claim=claim).select_related("assignee", "by")
    ]


def test_r_assign_1_a_claim_opening_goes_to_the_reviewer_on_duty_with_the_fewest_open_claims(world, desk):
    on_duty(world, desk, "ann", capacity=5)
    on_duty(world, desk, "bob", capacity=5)
    first, second, third = world.claim(), world.claim(), world.claim()
    assert [assignee(first), assignee(second), assignee(third)] == ["ann", "bob", "ann"]
    row = Assignment.objects.get(claim=third)
    assert (row.reason, row.load, row.by) == (AssignmentReason.LOAD, 1, None)


def test_r_assign_1_nobody_is_given_more_than_their_capacity_the_rest_waits_in_the_pool(world, desk):
    on_duty(world, desk, "ann", capacity=1)
    on_duty(world, desk, "bob", capacity=1)
    opened = [world.claim() for _ in range(3)]
    assert sorted(filter(None, map(assignee, opened))) == ["ann", "bob"]
    assert assignee(opened[2]) is None


def test_r_assign_1_off_duty_reviewers_get_nothing_and_the_pool_is_served_earliest_due_first(world, desk):
    late = world.claim(now=world.now - dt.timedelta(hours=1))
    early = world.claim(now=world.now - dt.timedelta(hours=5))
    middle = world.claim(now=world.now - dt.timedelta(hours=3))
    assert [assignee(c) for c in (late, early, middle)] == [None, None, None]

    on_duty(world, desk, "ann", capacity=2)
    assert [assignee(c) for c in (early, middle, late)] == ["ann", "ann", None]


def test_r_assign_1_going_off_duty_returns_undecided_claims_and_they_go_to_another(world, desk):
    on_duty(world, desk, "ann", capacity=5)
    waiting = world.claim()
    asked = world.claim()
    decided = world.claim()
    ann = Actor.for_user(desk["ann"], Channel.ADMIN)
    claims.decide(asked, "request_evidence", ann, reason="请补充照片", now=world.now)
    claims.decide(decided, "reject", ann, reason="人为损坏", now=world.now)
    on_duty(world, desk, "bob", capacity=5)

    returned = on_duty(world, desk, "ann", duty=False)

    assert returned == 2
    assert assignee(decided) == "ann"  # a decided claim keeps who decided it
    # The claim waiting for a decision goes to bob at once; the one waiting for the buyer's
    # evidence waits in the pool until it is back in review.
    assert (assignee(waiting), assignee(asked)) == ("bob", None)
    assert reasons(waiting) == [
        ("ann", "load", None),
        (None, "off_duty", "supervisor"),
        ("bob", "load", None),
    ]


def test_r_assign_1_a_claim_resubmitted_from_the_pool_is_assigned_again(
    world, desk, django_capture_on_commit_callbacks
):
    claim = world.in_state(S.EVIDENCE_REQUESTED)  # nobody on duty: it waits in the pool
    on_duty(world, desk, "ann", capacity=5)
    assert assignee(claim) is None  # not while the buyer gathers evidence
    with django_capture_on_commit_callbacks(execute=True):
        claims.add_evidence(claim, "buyer", photo_upload(seed=77), world.platform, now=world.now)
    assert (Claim.objects.get(pk=claim.pk).status, assignee(claim)) == (S.SUBMITTED, "ann")


def test_r_assign_1_a_decision_frees_room_that_the_pool_fills(world, desk, django_capture_on_commit_callbacks):
    on_duty(world, desk, "ann", capacity=1)
    first, waiting = world.claim(), world.claim()
    assert (assignee(first), assignee(waiting)) == ("ann", None)
    ann = Actor.for_user(desk["ann"], Channel.ADMIN)
    with django_capture_on_commit_callbacks(execute=True):
        claims.decide(first, "reject", ann, reason="人为损坏", now=world.now)
    assert assignee(waiting) == "ann"


def test_r_assign_1_a_claim_held_by_one_reviewer_is_not_decided_by_another(world, desk):
    on_duty(world, desk, "ann")
    claim = world.claim()
    with pytest.raises(Conflict) as refused:
        claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now)
    assert refused.value.code == "claim_held"
    with pytest.raises(Conflict):
        claims.assign(claim, world.reviewer_user, world.reviewer)


def test_r_assign_1_taking_a_claim_by_hand_is_recorded_with_who(world):
    claim = world.claim()
    claims.assign(claim, world.reviewer_user, world.reviewer)
    claims.assign(claim, world.reviewer_user, world.reviewer)  # already mine: nothing new
    assert reasons(claim) == [("reviewer", "taken", "reviewer")]


def test_r_assign_1_a_supervisor_reassigns_by_hand_or_back_to_the_pool_by_load(world, desk):
    on_duty(world, desk, "ann", capacity=1)
    claim = world.claim()
    on_duty(world, desk, "bob", capacity=1)

    words = claims.reassign(claim, desk["bob"].pk, world.supervisor)
    assert (assignee(claim), words) == ("bob", f"Claim {claim.claim_id}: now with bob.")
    words = claims.reassign(claim, None, world.supervisor)
    assert assignee(claim) == "ann"
    assert "assigned by load to ann" in words
    assert reasons(claim) == [
        ("ann", "load", None),
        ("bob", "reassigned", "supervisor"),
        (None, "returned", "supervisor"),
        ("ann", "load", None),
    ]


def test_r_assign_1_reassignment_refuses_a_reviewer_off_duty_or_full_and_a_decided_claim(world, desk):
    on_duty(world, desk, "ann", capacity=1)
    held = world.claim()
    other = world.claim()  # in the pool: ann is full
    with pytest.raises(RuleViolation) as full:
        claims.reassign(other, desk["ann"].pk, world.supervisor)
    assert full.value.code == "reviewer_at_capacity"
    with pytest.raises(RuleViolation) as off:
        claims.reassign(other, desk["bob"].pk, world.supervisor)
    assert off.value.code == "reviewer_off_duty"
    ann = Actor.for_user(desk["ann"], Channel.ADMIN)
    claims.decide(held, "reject", ann, reason="人为损坏", now=world.now)
    with pytest.raises(Conflict) as decided:
        claims.reassign(held, None, world.supervisor)
    assert decided.value.code == "already_decided"


def test_r_assign_1_only_supervisors_reassign_or_set_duty(world, desk):
    claim = world.claim()
    with pytest.raises(RoleRefused):
        claims.reassign(claim, None, world.reviewer)
    with pytest.raises(RoleRefused):
        claims.set_profile(desk["profiles"]["ann"], world.reviewer, on_duty=True, capacity=3)


def test_r_assign_1_claims_go_only_to_their_own_insurers_reviewers(world):
    xen = member("xen", Role.REVIEWER, insurer=world.other_insurer)
    sup = Actor(role=Role.SUPERVISOR, channel=Channel.ADMIN, insurer_id=world.other_insurer.pk, label="sup")
    add_profile(xen.pk, sup, on_duty=True, capacity=5)
    claim = world.claim()
    assert claim.insurer_id == world.insurer.pk
    assert assignee(claim) is None
    with pytest.raises(RuleViolation):
        add_profile(world.reviewer_user.pk, sup, on_duty=True, capacity=5)


def test_r_assign_1_the_minute_sweep_gives_out_what_an_event_left_in_the_pool(world, desk):
    claim = world.claim()
    ReviewerProfile.objects.filter(user=desk["ann"]).update(on_duty=True)  # as if its fill were lost
    assert assignee(claim) is None
    assert claims.fill_pools() == 1
    assert assignee(claim) == "ann"
