"""The review desk: the queue, the review page and decisions through the same service as the API."""

import datetime as dt
from decimal import Decimal

from django.urls import reverse

from audit.services import history
from claims import services as claims
from claims.choices import Side
from claims.models import Claim, Decision

from ..factories import image_upload, member
from .helpers import act_url, claim_of_other_insurer, claim_url, result_rows, seen_of

QUEUE = "/admin/backoffice/queuedclaim/"


def test_r_rev_1_queue_puts_least_time_left_first_amber_at_80_percent_red_when_breached(world, login):
    fresh = world.claim(now=world.now - dt.timedelta(hours=1))
    warned = world.claim(now=world.now - dt.timedelta(hours=20))  # 4 h left of 24: past 80 %
    breached = world.claim(now=world.now - dt.timedelta(hours=25))
    rows = result_rows(login(world.reviewer_user).get(QUEUE))
    assert [c.claim_id in row for c, row in zip((breached, warned, fresh), rows, strict=True)] == [True] * 3
    assert "zb-countdown zb-breached" in rows[0]
    assert "zb-countdown zb-warn" in rows[1]
    assert "zb-countdown zb-ok" in rows[2]


def test_r_rev_1_queue_shows_a_claim_waiting_for_evidence_as_paused(world, login):
    claim = world.claim()
    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充照片", now=world.now)
    html = login(world.reviewer_user).get(QUEUE).content.decode()
    assert claim.claim_id in html
    assert "zb-countdown zb-paused" in html


def test_domain_1_reviewer_sees_only_claims_of_their_insurer(world, login):
    mine = world.claim()
    theirs = claim_of_other_insurer(world)
    client = login(world.reviewer_user)
    html = client.get(QUEUE).content.decode()
    assert mine.claim_id in html and theirs.claim_id not in html
    assert client.get(claim_url(theirs)).status_code == 302  # "does not exist", as for a wrong id
    assert theirs.claim_id not in client.get("/admin/claims/claim/").content.decode()


def test_r_rev_3_approval_on_the_review_page_goes_through_the_service(world, login):
    claim = world.claim(kind="return_refund")
    client = login(world.reviewer_user)
    page = client.get(claim_url(claim))
    assert page.status_code == 200
    response = client.post(
        act_url(claim, "approve"), {"seen": seen_of(page, "approve"), "problem_code": "no_power"}, follow=True
    )
    assert response.status_code == 200
    claim.refresh_from_db()
    assert claim.status == "awaiting_return"
    assert claim.assignee == world.reviewer_user
    decision = Decision.objects.get(claim=claim)
    assert (decision.outcome, decision.problem_code, decision.user) == ("approve", "no_power", world.reviewer_user)
    last = history(claim).last()
    assert (last.target, last.channel, last.role) == ("awaiting_return", "admin", "reviewer")
    assert 'data-status="awaiting_return"' in response.content.decode()


def test_r_rev_3_partial_approval_needs_an_amount_below_the_requested_one(world, login):
    claim = world.claim(paid="199.00")
    client = login(world.reviewer_user)
    seen = seen_of(client.get(claim_url(claim)), "partially_approve")
    data = {"seen": seen, "problem_code": "no_power", "approved_amount": "199.00", "reason": "部分功能可用"}
    response = client.post(act_url(claim, "partially_approve"), data)
    assert response.status_code == 422
    assert "below the requested" in response.content.decode()
    response = client.post(act_url(claim, "partially_approve"), {**data, "approved_amount": "120.00"})
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount) == ("awaiting_return", Decimal("120.00"))


def test_r_rev_3_problem_code_must_come_from_the_buyers_reason(world, login):
    claim = world.claim()  # reason: quality
    client = login(world.reviewer_user)
    seen = seen_of(client.get(claim_url(claim)), "approve")
    response = client.post(act_url(claim, "approve"), {"seen": seen, "problem_code": "stained"})
    assert response.status_code == 400  # not offered for a quality claim
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_r_rev_2_approval_without_a_buyer_image_is_refused_on_the_page(world, login):
    claim = world.claim(with_image=False)
    client = login(world.reviewer_user)
    page = client.get(claim_url(claim))
    assert "No buyer image yet" in page.content.decode()
    response = client.post(act_url(claim, "approve"), {"seen": seen_of(page, "approve"), "problem_code": "no_power"})
    assert response.status_code == 422
    html = response.content.decode()
    assert "Approval needs at least one buyer image" in html and "R-REV-2" not in html
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_a_stale_page_cannot_overwrite_a_newer_decision(world, login):
    claim = world.claim()
    client = login(world.reviewer_user)
    seen = seen_of(client.get(claim_url(claim)), "approve")
    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now)
    response = client.post(act_url(claim, "approve"), {"seen": seen, "problem_code": "no_power"})
    assert response.status_code == 409
    assert Claim.objects.get(pk=claim.pk).status == "rejected"


def test_a_stale_page_is_refused_even_when_the_claim_came_back_to_the_same_state(world, login):
    claim = world.claim()
    client = login(world.reviewer_user)
    seen = seen_of(client.get(claim_url(claim)), "reject")
    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充照片", now=world.now)
    claims.add_evidence(claim, Side.BUYER, image_upload(pattern=6), world.platform, now=world.now)  # resubmits
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
    response = client.post(act_url(claim, "reject"), {"seen": seen, "reason": "看错了"})
    assert response.status_code == 409
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_two_reviewers_never_work_the_same_claim(world, login):
    claim = world.claim()
    colleague = member("reviewer-2", "reviewer", insurer=world.insurer)
    client = login(world.reviewer_user)
    page = client.get(claim_url(claim))
    client.post(act_url(claim, "assign"), {"seen": seen_of(page, "assign")})
    assert Claim.objects.get(pk=claim.pk).assignee == world.reviewer_user
    other = login(colleague)
    page = other.get(claim_url(claim))
    assert "Another reviewer is working on this claim" in page.content.decode()
    response = other.post(act_url(claim, "approve"), {"seen": seen_of(page, "approve"), "problem_code": "no_power"})
    assert response.status_code == 409
    assert Claim.objects.get(pk=claim.pk).status == "submitted"


def test_r_assign_1_a_supervisor_cannot_decide_a_claim_a_reviewer_holds_on_the_page(world, login):
    claim = world.claim()
    claims.assign(claim, world.reviewer_user, world.reviewer)
    supervisor = login(world.supervisor_user)
    page = supervisor.get(claim_url(claim))
    assert "Another reviewer is working on this claim" in page.content.decode()
    for action, data in (("approve", {"problem_code": "no_power"}), ("reject", {"reason": "人为损坏"})):
        response = supervisor.post(act_url(claim, action), {"seen": seen_of(page, action), **data})
        assert response.status_code == 409
    claim.refresh_from_db()
    assert (claim.status, claim.assignee, claim.decisions.count()) == ("submitted", world.reviewer_user, 0)
    holder = login(world.reviewer_user)
    page = holder.get(claim_url(claim))
    response = holder.post(act_url(claim, "reject"), {"seen": seen_of(page, "reject"), "reason": "人为损坏"})
    assert response.status_code == 302
    assert Claim.objects.get(pk=claim.pk).status == "rejected"


def test_the_review_page_shows_evidence_buyer_policy_flags_and_history(world, login):
    first = world.claim(buyer="buyer-9")
    claim = world.claim(buyer="buyer-9")
    html = login(world.reviewer_user).get(claim_url(claim)).content.decode()
    evidence = claim.evidence.get()
    assert reverse("admin:evidence", args=[evidence.pk]) + "?size=thumb" in html
    assert first.claim_id in html  # the buyer's other claims (R-REV-5)
    assert 'id="buyer-level"' in html
    assert claim.policy.policy_no in html and claim.sub_order.sub_order_id in html
    assert 'id="claim-history"' in html and 'data-target="submitted"' in html
    for action in ("approve", "partially_approve", "reject", "request_evidence"):
        assert f'id="act-{action}"' in html


def test_service_staff_see_a_claim_without_the_reviewers_decision_buttons(world, login):
    claim = world.claim()
    client = login(world.staff_user)
    html = client.get(claim_url(claim)).content.decode()
    assert claim.claim_id in html and 'id="act-approve"' not in html
    assert client.post(act_url(claim, "approve"), {"seen": "x", "problem_code": "no_power"}).status_code == 403
    assert client.get(QUEUE).status_code == 403


def test_the_next_claim_in_the_queue_is_one_key_away_and_opens_after_a_decision(world, login):
    first = world.claim(now=world.now - dt.timedelta(hours=10))
    second = world.claim(now=world.now - dt.timedelta(hours=5))
    client = login(world.reviewer_user)
    page = client.get(claim_url(first))
    assert reverse("admin:backoffice_queuedclaim_change", args=[second.pk]) in page.content.decode()
    response = client.post(
        act_url(first, "approve"), {"seen": seen_of(page, "approve"), "problem_code": "no_power"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("admin:backoffice_queuedclaim_change", args=[second.pk])
    assert f'data-claim="{second.claim_id}"' in response.content.decode()


def test_r_rev_6_audit_queue_lists_automatic_decisions_drawn_for_audit_until_audited(world, login):
    drawn = world.approved(kind="refund_only")
    Claim.objects.filter(pk=drawn.pk).update(audit_requested=True)  # as the fast lane's random draw does
    other = world.approved(kind="refund_only")
    client = login(world.reviewer_user)
    waiting = client.get("/admin/claims/claim/?audit=yes").content.decode()
    assert drawn.claim_id in waiting and other.claim_id not in waiting
    claims.record_audit(drawn, world.reviewer, outcome="Photo shows a leak: decision confirmed")
    assert drawn.claim_id not in client.get("/admin/claims/claim/?audit=yes").content.decode()
    done = client.get("/admin/claims/claim/?audit=no").content.decode()
    assert drawn.claim_id in done and other.claim_id not in done
    assert Claim.objects.get(pk=drawn.pk).audit_outcome == "Photo shows a leak: decision confirmed"


def test_r_abuse_1_a_flag_links_the_matching_claim_on_the_review_page(world, login):
    first = world.claim(buyer="buyer-x")
    second = world.claim(buyer="buyer-y")
    claims.raise_flag(second, "duplicate_evidence", at=world.now, related_claim=first, detail="same photo")
    html = login(world.reviewer_user).get(claim_url(second)).content.decode()
    assert reverse("admin:claims_claim_change", args=[first.pk]) in html and first.claim_id in html
