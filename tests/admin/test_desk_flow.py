"""The reviewer's day at the desk (issue 15, item 4): after a decision the next claim of the queue
opens; a button refused because someone acted first says why on the page it lands on; bulk actions
say per claim, before and after, what will be or was done and what not, and why."""

import datetime as dt

from django.urls import reverse

from claims import services as claims
from claims.models import Claim

from ..factories import member
from .helpers import act_url, claim_url, seen_of

QUEUE = "/admin/backoffice/queuedclaim/"


def queued_url(claim):
    return reverse("admin:backoffice_queuedclaim_change", args=[claim.pk])


def _approve(client, claim, page):
    return client.post(act_url(claim, "approve"), {"seen": seen_of(page, "approve"), "problem_code": "no_power"})


def test_r_rev_1_after_a_decision_the_next_claim_of_the_queue_opens(world, login):
    first = world.claim(now=world.now - dt.timedelta(hours=3))
    following = world.claim(now=world.now - dt.timedelta(hours=2))
    client = login(world.reviewer_user)

    response = _approve(client, first, client.get(queued_url(first)))

    assert response.status_code == 302 and response["Location"] == queued_url(following)
    page = client.get(response["Location"]).content.decode()
    assert f"Next in your queue: claim {following.claim_id}." in page


def test_r_rev_1_after_the_last_decision_the_claims_own_page_opens_and_says_the_queue_is_empty(world, login):
    only = world.claim()
    client = login(world.reviewer_user)

    response = _approve(client, only, client.get(claim_url(only)))

    assert response["Location"] == claim_url(only)
    assert "Your queue is empty." in client.get(response["Location"]).content.decode()


def test_r_rev_1_the_next_claim_skips_one_another_reviewer_holds(world, login):
    first, held, free = world.claim(), world.claim(), world.claim()
    claims.assign(held, member("reviewer-2", "reviewer", insurer=world.insurer), world.reviewer)
    client = login(world.reviewer_user)
    response = _approve(client, first, client.get(claim_url(first)))
    assert response["Location"] == queued_url(free)


def test_a_note_keeps_the_reviewer_on_the_claim(world, login):
    claim, _other = world.claim(), world.claim()
    client = login(world.reviewer_user)
    page = client.get(claim_url(claim))
    response = client.post(act_url(claim, "add_note"), {"seen": seen_of(page, "add_note"), "text": "待核实"})
    assert response["Location"] == claim_url(claim)


def test_a_decision_refused_because_another_tab_decided_first_says_why_on_the_page(world, login):
    """Two tabs (or two people) on one claim: the first approves, the second rejects from its
    older page. The reject form is not on the page any more, so the reason is said above it."""
    claim = world.claim()
    second = login(world.reviewer_user)
    old_page = second.get(claim_url(claim))
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)  # the first tab

    response = second.post(act_url(claim, "reject"), {"seen": seen_of(old_page, "reject"), "reason": "人为损坏"})

    assert response.status_code == 409
    html = response.content.decode()
    assert 'class="error"' in html and "“Reject” was not done on claim" in html
    assert "This page is out of date" in html and "Last change: now Awaiting return" in html
    assert Claim.objects.get(pk=claim.pk).status == "awaiting_return"  # the first decision stands


def test_taking_a_claim_another_reviewer_took_in_the_meantime_says_who_has_it(world, login):
    claim = world.claim()
    client = login(world.reviewer_user)
    page = client.get(claim_url(claim))
    claims.assign(claim, member("reviewer-2", "reviewer", insurer=world.insurer), world.reviewer)

    response = client.post(act_url(claim, "assign"), {"seen": seen_of(page, "assign")})

    html = response.content.decode()
    assert response.status_code == 409 and "“Assign to me” was not done" in html
    assert "Another reviewer is already working on this claim." in html


def choose(action, claims_, **extra):
    return {"action": action, "_selected_action": [c.pk for c in claims_], "index": "0", **extra}


def test_bulk_request_evidence_says_per_claim_before_and_after_what_is_done_and_what_refused(world, login):
    waiting, held = world.claim(), world.claim()
    decided = world.approved()
    claims.assign(held, member("reviewer-2", "reviewer", insurer=world.insurer), world.reviewer)
    client = login(world.reviewer_user)

    page = client.post("/admin/claims/claim/", choose("request_evidence", [waiting, held, decided])).content.decode()

    assert "Will be done: 1. Refused: 2." in page
    assert f"{waiting.claim_id} — will be done" in page
    assert f"{held.claim_id} — <strong>refused</strong>: reviewer-2 is working on it" in page
    assert f"{decided.claim_id} — <strong>refused</strong>: not possible while the claim is “Awaiting return”" in page
    assert Claim.objects.get(pk=waiting.pk).status == "submitted"  # nothing before the confirmation

    done = client.post(
        "/admin/claims/claim/",
        choose("request_evidence", [waiting, held, decided], confirm="yes", reason="请补充铭牌照片"),
        follow=True,
    ).content.decode()

    assert "1 done, 2 refused." in done
    assert f"Claim {waiting.claim_id}: Request evidence." in done
    assert f"{held.claim_id}: not done: Another reviewer is already working on this claim." in done
    assert Claim.objects.get(pk=waiting.pk).status == "evidence_requested"


def test_a_bulk_action_nothing_can_be_done_for_offers_no_go_ahead(world, login):
    decided = world.approved()
    page = login(world.reviewer_user).post("/admin/claims/claim/", choose("assign_to_me", [decided]))
    html = page.content.decode()
    assert "Will be done: 0. Refused: 1." in html
    assert "Nothing here can be done" in html and 'id="bulk-confirm"' not in html
