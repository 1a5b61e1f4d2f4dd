"""R-ASSIGN-1 in the back office: supervisors set reviewers' duty and capacity, watch the claims at
risk and the load per reviewer, and reassign claims in bulk with a check before and a report
after; the claim's page shows every assignment and why."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import services as claims
from claims.choices import Flag
from claims.models import Claim, ClaimFlag, ReviewerProfile
from claims.services.assignment import add_profile
from kernel.actors import Actor, Channel, Role

from ..factories import member
from .bulk import claims_like, with_related
from .helpers import claim_url

BOARD = "/admin/claims/reviewerprofile/board/"
REASSIGN = "/admin/claims/reviewerprofile/board/reassign/"


@pytest.fixture
def ann(world):
    user = member("ann", Role.REVIEWER, insurer=world.insurer)
    add_profile(user.pk, world.supervisor, on_duty=True, capacity=5)
    return user


@pytest.fixture
def bob(world):
    user = member("bob", Role.REVIEWER, insurer=world.insurer)
    add_profile(user.pk, world.supervisor, on_duty=True, capacity=5)
    return user


def _assignee(claim):
    claim.refresh_from_db()
    return claim.assignee.username if claim.assignee else None


def _section(html, table_id):
    table = re.search(rf'<table class="zb-table" id="{table_id}">(.*?)</table>', html, re.S)
    assert table, table_id
    return re.findall(r'data-claim="([^"]+)"', table.group(1))


def test_r_assign_1_a_supervisor_puts_a_reviewer_off_duty_and_their_claims_go_to_another(world, login, ann):
    claim = world.claim()
    assert _assignee(claim) == "ann"
    bob = member("bob", Role.REVIEWER, insurer=world.insurer)
    client = login(world.supervisor_user)

    added = client.post("/admin/claims/reviewerprofile/add/", {"user": bob.pk, "on_duty": "on", "capacity": "5"})
    assert added.status_code == 302
    profile = ReviewerProfile.objects.get(user=ann)
    changed = client.post(f"/admin/claims/reviewerprofile/{profile.pk}/change/", {"capacity": "5"})

    assert changed.status_code == 302
    assert _assignee(claim) == "bob"
    page = client.get(claim_url(claim)).content.decode()
    assignments = re.search(r'id="claim-assignments">(.*?)</ol>', page, re.S).group(1)
    assert re.findall(r'data-reason="(\w+)"', assignments) == ["load", "off_duty", "load"]
    assert "by supervisor" in assignments


def test_r_assign_1_only_reviewers_of_the_supervisors_insurer_can_be_given_a_profile(world, login):
    stranger = member("xen", Role.REVIEWER, insurer=world.other_insurer)
    page = login(world.supervisor_user).get("/admin/claims/reviewerprofile/add/").content.decode()
    assert f'value="{world.reviewer_user.pk}"' in page
    assert f'value="{stranger.pk}"' not in page


def test_r_assign_1_the_board_shows_claims_due_soon_the_pool_the_load_and_todays_breaches(world, login, ann):
    held = world.claim()
    ReviewerProfile.objects.filter(user=ann).update(on_duty=False)
    waiting = world.claim()
    breached = world.claim(now=world.now - timezone.timedelta(hours=30))
    ClaimFlag.objects.create(claim=breached, code=Flag.SLA_BREACHED, raised_at=timezone.now())
    client = login(world.supervisor_user)

    soon = client.get(BOARD, {"hours": "1"}).content.decode()
    later = client.get(BOARD, {"hours": "24"}).content.decode()

    assert _section(soon, "due-soon") == [breached.claim_id]
    assert set(_section(later, "due-soon")) == {breached.claim_id, held.claim_id, waiting.claim_id}
    assert set(_section(later, "unassigned")) == {waiting.claim_id, breached.claim_id}
    assert _section(later, "breaches-today") == [breached.claim_id]
    load = re.search(r'<tr data-reviewer="ann">(.*?)</tr>', later, re.S).group(1)
    assert re.findall(r"<td>(.*?)</td>", load) == ["ann", "no", "1", "5"]


@pytest.mark.parametrize("role", ["reviewer_user", "staff_user"])
def test_r_assign_1_the_board_and_reassignment_are_for_supervisors(world, login, role):
    client = login(getattr(world, role))
    assert client.get(BOARD).status_code == 403
    assert client.post(REASSIGN, {}).status_code == 403


def test_r_assign_1_bulk_reassignment_checks_each_claim_then_reports_each_in_words(world, login, ann, bob):
    first, second, decided = world.claim(), world.claim(), world.claim()
    assert [_assignee(c) for c in (first, second, decided)] == ["ann", "bob", "ann"]
    claims.decide(decided, "reject", Actor.for_user(ann, Channel.ADMIN), reason="人为损坏", now=world.now)
    client = login(world.supervisor_user)
    chosen = {"claim": [first.pk, second.pk, decided.pk], "to": str(bob.pk)}

    check = client.post(REASSIGN, chosen).content.decode()
    assert "Reassign 3 claims?" in check
    assert f"{decided.claim_id} · ann — <strong>Already decided: it will stay as it is.</strong>" in check
    assert f"{second.claim_id} · bob — <strong>Already with bob.</strong>" in check
    assert _assignee(first) == "ann"  # nothing moves before the confirmation

    report = client.post(REASSIGN, {**chosen, "confirm": "yes"}).content.decode()
    lines = dict(re.findall(r'data-claim="([^"]+)">(.*?)</li>', report, re.S))
    assert lines[first.claim_id] == f"Claim {first.claim_id}: now with bob."
    assert lines[second.claim_id] == f"Claim {second.claim_id}: already with bob."
    assert lines[decided.claim_id] == f"Claim {decided.claim_id} not moved: It is already decided."
    assert (_assignee(first), _assignee(decided)) == ("bob", "ann")


def test_r_assign_1_bulk_reassignment_to_the_pool_assigns_by_load_to_someone_else(world, login, ann, bob):
    claim = world.claim()
    assert _assignee(claim) == "ann"
    client = login(world.supervisor_user)
    report = client.post(REASSIGN, {"claim": [claim.pk], "to": "", "confirm": "yes"}).content.decode()
    assert f"Claim {claim.claim_id}: assigned by load to bob." in report


def _board_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOARD, {"hours": "24"})
    assert response.status_code == 200
    return len(queries), response.content.decode()


def _grow(world, n):
    """`n` more claims due within the day, half of them in the pool, each breached today."""
    claim = world.claim()
    flag = ClaimFlag.objects.create(claim=claim, code=Flag.SLA_BREACHED, raised_at=timezone.now())
    made = claims_like(claim, n)
    with_related(made, flag)
    Claim.objects.filter(pk__in=[c.pk for c in made[::2]]).update(assignee=None)


def test_r_assign_1_the_board_costs_the_same_queries_for_10_and_300_claims(world, login, ann, bob):
    client = login(world.supervisor_user)
    _grow(world, 10)
    few, page = _board_queries(client)
    assert len(_section(page, "due-soon")) >= 10 and len(_section(page, "unassigned")) >= 5
    _grow(world, 290)
    many, page = _board_queries(client)
    assert len(_section(page, "due-soon")) == 100
    assert few == many
