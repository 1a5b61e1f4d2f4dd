"""The insurer's review (domain.md §6): R-REV-1..6."""

import datetime as dt
from decimal import Decimal

import pytest

from audit.services import history, version
from catalogue.taxonomy import STARTING_TAXONOMIES
from claims import services as claims
from claims.choices import Side
from claims.models import Buyer, Decision
from kernel.errors import Conflict, RuleViolation
from notices.models import Notice

from .factories import mp4_upload, photo_upload

SLA = dt.timedelta(hours=24)
APPLIANCE_TAXONOMY: dict[str, list[str]] = {}
for _reason, _code, _zh, _en in STARTING_TAXONOMIES["appliance_30d"][1]:
    APPLIANCE_TAXONOMY.setdefault(_reason, []).append(_code)
EVERY_CODE = sorted({code for codes in APPLIANCE_TAXONOMY.values() for code in codes} | {"unassessed"})


def hours(n):
    return dt.timedelta(hours=n)


def sweep(world, after):
    claims.process_deadlines(world.now + after)


def flags(claim):
    return claims.flag_codes(claim)


def status(claim):
    claim.refresh_from_db()
    return claim.status


# -- R-REV-1: the review SLA -------------------------------------------------------------


def test_r_rev_1_warning_flag_at_80_percent_of_the_sla_without_changing_state(world):
    claim = world.claim()

    sweep(world, SLA * 0.8 - dt.timedelta(seconds=1))
    assert flags(claim) == set()

    sweep(world, SLA * 0.8)
    assert flags(claim) == {"sla_warning"}
    assert status(claim) == "submitted"


def test_r_rev_1_breach_flag_at_100_percent_escalates_to_the_insurer(world):
    claim = world.claim()

    sweep(world, SLA - dt.timedelta(seconds=1))
    assert "sla_breached" not in flags(claim)

    sweep(world, SLA)
    assert flags(claim) == {"sla_warning", "sla_breached"}
    assert status(claim) == "submitted"
    escalation = Notice.objects.get(claim=claim, event_type="claim.sla_breached")
    assert (escalation.audience, escalation.insurer_id) == ("insurer", world.insurer.pk)


def test_r_rev_1_sla_flags_do_not_block_a_decision(world):
    claim = world.claim()
    sweep(world, SLA)

    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now + SLA)

    assert status(claim) == "awaiting_return"


def test_r_rev_1_decided_in_time_raises_no_flag(world):
    claim = world.claim()
    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now + hours(1))

    sweep(world, SLA * 2)

    assert flags(claim) == set()


def test_r_rev_1_clock_suspended_while_evidence_requested_and_resumes_with_remaining_time(world):
    claim = world.claim()
    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充壶底照片", now=world.now + hours(10))
    claim.refresh_from_db()
    assert claim.review_due_at is None

    sweep(world, hours(30))
    assert flags(claim) == set()

    claims.add_evidence(claim, Side.BUYER, photo_upload(2000), world.platform, now=world.now + hours(40))
    claim.refresh_from_db()
    # 14 hours were left when the clock stopped.
    assert (claim.status, claim.review_due_at) == ("submitted", world.now + hours(54))

    sweep(world, hours(54) - SLA * 0.2 - dt.timedelta(seconds=1))
    assert flags(claim) == set()
    sweep(world, hours(54) - SLA * 0.2)
    assert flags(claim) == {"sla_warning"}
    sweep(world, hours(54) - dt.timedelta(seconds=1))
    assert flags(claim) == {"sla_warning"}
    sweep(world, hours(54))
    assert flags(claim) == {"sla_warning", "sla_breached"}


def test_r_rev_1_a_warned_claim_is_not_warned_twice_after_resubmission(world):
    claim = world.claim()
    sweep(world, hours(20))
    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充视频", now=world.now + hours(21))
    claims.add_evidence(claim, Side.BUYER, photo_upload(2000), world.platform, now=world.now + hours(30))
    claim.refresh_from_db()

    assert claim.review_due_at == world.now + hours(33)
    assert claim.flags.get(code="sla_warning").raised_at == world.now + hours(20)
    sweep(world, hours(33))
    assert flags(claim) == {"sla_warning", "sla_breached"}


# -- R-REV-2: evidence -------------------------------------------------------------------


def assert_approval_refused_for_missing_evidence(world, claim):
    with pytest.raises(RuleViolation) as refused:
        claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)
    assert (refused.value.status, refused.value.code, refused.value.rule) == (422, "evidence_missing", "R-REV-2")
    assert status(claim) == "submitted"
    assert not claim.decisions.exists()


def test_r_rev_2_approval_without_a_buyer_image_is_evidence_missing(world):
    claim = world.claim(with_image=False)

    assert_approval_refused_for_missing_evidence(world, claim)


def test_r_rev_2_a_video_alone_is_not_enough(world):
    claim = world.claim(with_image=False)
    claims.add_evidence(claim, Side.BUYER, mp4_upload(), world.platform, now=world.now)

    assert_approval_refused_for_missing_evidence(world, claim)


def test_r_rev_2_approval_without_a_description_is_evidence_missing(world):
    claim = world.claim(description="   ")

    assert_approval_refused_for_missing_evidence(world, claim)


def test_r_rev_2_partial_approval_without_an_image_is_evidence_missing(world):
    claim = world.claim(with_image=False)

    with pytest.raises(RuleViolation) as refused:
        claims.decide(
            claim,
            "partially_approve",
            world.reviewer,
            problem_code="no_power",
            approved_amount=Decimal("50.00"),
            reason="配件",
            now=world.now,
        )

    assert refused.value.code == "evidence_missing"


def test_r_rev_2_a_rejection_needs_no_image(world):
    claim = world.claim(with_image=False)

    claims.decide(claim, "reject", world.reviewer, reason="无凭证", now=world.now)

    assert status(claim) == "rejected"


def test_r_rev_2_request_for_evidence_says_what_is_missing(world):
    claim = world.claim()

    with pytest.raises(RuleViolation) as refused:
        claims.decide(claim, "request_evidence", world.reviewer, reason=" ", now=world.now)
    assert refused.value.code == "reason_required"

    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充铭牌照片", now=world.now)
    notice = Notice.objects.get(claim=claim, event_type="claim.evidence_requested", audience="merchant")
    assert notice.data["missing"] == "请补充铭牌照片"
    assert status(claim) == "evidence_requested"


def test_r_rev_2_no_evidence_in_time_rejects_automatically_and_is_appealable(world):
    claim = world.claim()
    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充铭牌照片", now=world.now)

    sweep(world, hours(72) - dt.timedelta(seconds=1))
    assert status(claim) == "evidence_requested"

    sweep(world, hours(72))
    assert status(claim) == "rejected"
    decision = claim.decision
    assert (decision.outcome, decision.automatic, decision.reason) == ("reject", True, "Evidence not provided")
    last = history(claim).last()
    assert (last.transition, last.role, last.channel) == ("evidence_timeout", "timer", "timer")

    claims.appeal(claim, world.platform, reason="当时在外地", now=world.now + hours(80))
    assert status(claim) == "under_appeal"


# -- R-REV-3: decisions and the problem taxonomy ------------------------------------------


@pytest.mark.parametrize("reason", sorted(APPLIANCE_TAXONOMY))
def test_r_rev_3_approval_takes_a_problem_code_of_the_buyers_reason_only(world, reason):
    claim = world.claim(reason=reason)
    own = APPLIANCE_TAXONOMY[reason]

    for code in [c for c in EVERY_CODE if c not in own] + [""]:
        with pytest.raises(RuleViolation) as refused:
            claims.decide(claim, "approve", world.reviewer, problem_code=code, now=world.now)
        assert (refused.value.code, refused.value.rule) == ("invalid_problem_code", "R-REV-3"), code
    assert status(claim) == "submitted"

    claims.decide(claim, "approve", world.reviewer, problem_code=own[-1], now=world.now)
    assert (claim.decision.outcome, claim.decision.problem_code) == ("approve", own[-1])
    claim.refresh_from_db()
    assert claim.approved_amount == claim.requested_amount


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"approved_amount": None}, "invalid_amount"),
        ({"approved_amount": Decimal("0.00")}, "invalid_amount"),
        ({"approved_amount": Decimal("199.00")}, "invalid_amount"),
        ({"approved_amount": Decimal("250.00")}, "invalid_amount"),
        ({"reason": ""}, "reason_required"),
        ({"problem_code": ""}, "invalid_problem_code"),
        ({"problem_code": "stained"}, "invalid_problem_code"),
    ],
)
def test_r_rev_3_partial_approval_needs_code_amount_below_requested_and_reason(world, changes, code):
    claim = world.claim(paid="199.00")
    choice = {"problem_code": "no_power", "approved_amount": Decimal("120.00"), "reason": "仅配件故障"} | changes

    with pytest.raises(RuleViolation) as refused:
        claims.decide(claim, "partially_approve", world.reviewer, now=world.now, **choice)

    assert refused.value.code == code
    assert status(claim) == "submitted"


def test_r_rev_3_partial_approval_records_amount_and_reason(world):
    claim = world.claim(paid="199.00")

    claims.decide(
        claim,
        "partially_approve",
        world.reviewer,
        problem_code="accessory_unusable",
        approved_amount=Decimal("120.00"),
        reason="仅配件故障",
        now=world.now,
    )

    claim.refresh_from_db()
    assert (claim.status, claim.approved_amount) == ("awaiting_return", Decimal("120.00"))
    decision = claim.decision
    assert (decision.outcome, decision.problem_code, decision.approved_amount, decision.reason) == (
        "partially_approve",
        "accessory_unusable",
        Decimal("120.00"),
        "仅配件故障",
    )


def test_r_rev_3_rejection_needs_a_reason_shown_to_buyer_and_merchant(world):
    claim = world.claim()

    with pytest.raises(RuleViolation) as refused:
        claims.decide(claim, "reject", world.reviewer, reason="", now=world.now)
    assert refused.value.code == "reason_required"
    assert status(claim) == "submitted"

    claims.decide(claim, "reject", world.reviewer, reason="人为损坏，不在保障范围", now=world.now)
    told = Notice.objects.filter(claim=claim, event_type="claim.decided")
    assert {(n.audience, n.data["reason"]) for n in told} == {
        ("merchant", "人为损坏，不在保障范围"),
        ("insurer", "人为损坏，不在保障范围"),
    }


def test_r_rev_3_unknown_outcome_is_refused(world):
    claim = world.claim()

    with pytest.raises(RuleViolation) as refused:
        claims.decide(claim, "maybe", world.reviewer, now=world.now)

    assert refused.value.code == "invalid_outcome"


def test_r_rev_3_unassessed_is_for_automatic_decisions_only(world):
    claim = world.claim()

    with pytest.raises(RuleViolation) as refused:
        claims.decide(claim, "approve", world.reviewer, problem_code="unassessed", now=world.now)

    assert refused.value.code == "invalid_problem_code"


# -- R-REV-4: approval on the merchant's behalf --------------------------------------------


def test_r_rev_4_return_refund_approval_sends_the_merchants_return_address_at_once(world):
    claim = world.approved(kind="return_refund")

    sent = Notice.objects.get(claim=claim, event_type="claim.return_address", audience="merchant")
    assert sent.data["return_address"] == {
        "address": world.shop.return_address,
        "contact": world.shop.return_contact,
        "phone": world.shop.return_phone,
    }
    assert sent.created_at == claim.decided_at


def test_r_rev_4_refund_only_approval_sends_no_return_address(world):
    claim = world.approved(kind="refund_only")

    assert not Notice.objects.filter(claim=claim, event_type="claim.return_address").exists()


# -- R-REV-5: the buyer's integrity level --------------------------------------------------


def test_r_rev_5_buyer_level_is_the_latest_reported(world):
    world.claim(level="high", buyer="buyer-lv", with_image=False)
    assert Buyer.objects.get(buyer_id="buyer-lv").level == "high"

    request = world.refund(world.delivered_order(buyer="buyer-lv"), level="low")

    assert Buyer.objects.get(buyer_id="buyer-lv").level == "low"
    assert request.buyer_level == "low"


def test_r_rev_5_revoked_buyer_stays_revoked_whatever_the_platform_reports(world):
    buyer = claims.report_buyer_level("buyer-rv", "normal")
    claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason="蓄意牟利")

    request = world.refund(world.delivered_order(buyer="buyer-rv"), level="high")

    buyer.refresh_from_db()
    assert (buyer.level, buyer.reported_level) == ("revoked", "high")
    assert request.not_routed_because == "R-ABUSE-2"


# -- R-REV-6: the fast lane ----------------------------------------------------------------


def fast_candidate(world, **changes):
    options = {"level": "high", "paid": "99.00", "buyer": "buyer-fast"} | changes
    return world.claim(**options)


@pytest.mark.parametrize("kind, lands_in", [("refund_only", "refund_due"), ("return_refund", "awaiting_return")])
def test_r_rev_6_fast_lane_approves_on_the_first_image(world, kind, lands_in):
    claim = fast_candidate(world, kind=kind)

    assert claim.status == lands_in
    assert claim.approved_amount == Decimal("99.00")
    decision = claim.decision
    assert (decision.outcome, decision.problem_code, decision.automatic) == ("approve", "unassessed", True)
    assert flags(claim) == {"automatic_decision"}
    assert history(claim).last().role == "system"


def test_r_rev_6_fast_lane_up_to_the_limit_inclusive(world):
    assert fast_candidate(world, paid="100.00").status == "awaiting_return"
    assert fast_candidate(world, paid="100.01", buyer="buyer-fast-2").status == "submitted"


@pytest.mark.parametrize("level", ["normal", "low"])
def test_r_rev_6_no_fast_lane_below_level_high(world, level):
    claim = fast_candidate(world, level=level)

    assert claim.status == "submitted"
    assert not claim.decisions.exists()


def test_r_rev_6_no_fast_lane_when_the_limit_is_0(world):
    world.plan.fast_lane_limit = Decimal("0.00")
    world.plan.save()

    assert fast_candidate(world, paid="1.00").status == "submitted"


def test_r_rev_6_no_fast_lane_for_a_flagged_claim(world):
    claim = fast_candidate(world, with_image=False)
    claims.report_buyer(world.merchant, claim=claim, note="多次索赔", now=world.now)

    claims.add_evidence(claim, Side.BUYER, photo_upload(4000), world.platform, now=world.now)

    assert status(claim) == "submitted"
    assert flags(claim) == {"merchant_reported"}


def test_r_rev_6_flags_from_the_first_image_are_checked_first(world):
    world.claim(buyer="buyer-other", with_image=False)
    first = world.claim(buyer="buyer-other", with_image=False)
    claims.add_evidence(first, Side.BUYER, photo_upload(4000), world.platform, now=world.now)
    claim = fast_candidate(world, with_image=False)

    claims.add_evidence(claim, Side.BUYER, photo_upload(4000, size=(96, 96), fmt="PNG"), world.platform, now=world.now)

    assert status(claim) == "submitted"
    assert flags(claim) == {"duplicate_evidence"}


def test_r_rev_6_no_fast_lane_for_a_buyer_revoked_after_the_claim_opened(world):
    claim = fast_candidate(world, with_image=False)
    claims.set_buyer_eligibility(claim.buyer, world.staff, revoke=True, reason="蓄意牟利")

    claims.add_evidence(claim, Side.BUYER, photo_upload(4000), world.platform, now=world.now)

    assert status(claim) == "submitted"


def test_r_rev_6_only_the_first_image_triggers_the_fast_lane(world):
    claim = fast_candidate(world, level="normal")
    claims.report_buyer_level("buyer-fast", "high")

    claims.add_evidence(claim, Side.BUYER, photo_upload(6000), world.platform, now=world.now)

    assert status(claim) == "submitted"


@pytest.mark.parametrize("share, audited", [(Decimal("1.000"), True), (Decimal("0.000"), False)])
def test_r_rev_6_a_share_of_automatic_decisions_is_queued_for_audit(world, share, audited):
    world.plan.fast_lane_audit_share = share
    world.plan.save()

    claim = fast_candidate(world)

    assert (claim.status, claim.audit_requested) == ("awaiting_return", audited)


def test_r_rev_6_reviewer_cannot_use_unassessed_but_fast_lane_decision_is_recorded_as_automatic(world):
    claim = fast_candidate(world)

    assert Decision.objects.filter(claim=claim, automatic=True, role="system").count() == 1


def test_r_rev_6_r_pol_5_fast_lane_leaves_a_claim_above_the_cap_to_a_reviewer(world):
    """R-REV-6 x R-POL-5: 150.00 of a 199.00 sub-order already paid, a `high` buyer asks 80.00.
    The first photo is stored and the claim waits for a reviewer, who may approve what remains."""
    sub_order = world.delivered_order(paid="199.00", buyer="buyer-fast")
    first = world.refund(sub_order, kind="refund_only", amount="199.00", level="normal").claim
    claims.add_evidence(first, Side.BUYER, photo_upload(7100), world.platform, now=world.now)
    claims.decide(
        first,
        "partially_approve",
        world.reviewer,
        problem_code="no_power",
        approved_amount=Decimal("150.00"),
        reason="部分",
        now=world.now,
    )
    claims.complete_refund(first, world.platform, now=world.now)
    claims.pay_out(first.pk, now=world.now)
    second = world.refund(sub_order, kind="refund_only", amount="80.00", level="high").claim

    claims.add_evidence(second, Side.BUYER, photo_upload(7200), world.platform, now=world.now)

    assert second.evidence.count() == 1
    assert status(second) == "submitted"
    assert "automatic_decision" not in flags(second)
    claims.decide(
        second,
        "partially_approve",
        world.reviewer,
        problem_code="no_power",
        approved_amount=Decimal("49.00"),
        reason="余额",
        now=world.now,
    )
    assert status(second) == "refund_due"


# -- R-ASSIGN-1: a claim held by one reviewer -----------------------------------------------


@pytest.mark.parametrize(
    "outcome, choice",
    [
        ("approve", {"problem_code": "no_power"}),
        ("reject", {"reason": "人为损坏"}),
        ("request_evidence", {"reason": "请补充照片"}),
    ],
)
def test_r_assign_1_a_claim_held_by_a_reviewer_is_not_decided_by_another_person(world, outcome, choice):
    claim = world.claim()
    claims.assign(claim, world.reviewer_user, world.reviewer)

    with pytest.raises(Conflict) as refused:
        claims.decide(claim, outcome, world.supervisor, now=world.now, **choice)

    assert (refused.value.code, refused.value.status, refused.value.rule) == ("claim_held", 409, "R-ASSIGN-1")
    assert status(claim) == "submitted" and not Decision.objects.filter(claim=claim).exists()
    claims.decide(claim, outcome, world.reviewer, now=world.now, **choice)  # the holder decides
    assert Decision.objects.get(claim=claim).user == world.reviewer_user


def test_an_action_from_a_page_older_than_the_claim_is_refused_as_stale(world):
    claim = world.claim()
    seen = version(claim, claim.status)
    claims.decide(claim, "request_evidence", world.reviewer, reason="请补充照片", now=world.now)
    claims.add_evidence(claim, Side.BUYER, photo_upload(6000), world.platform, now=world.now)  # back to submitted

    with pytest.raises(Conflict) as refused:
        claims.decide(claim, "reject", world.reviewer, reason="看错了", now=world.now, seen=seen)

    assert refused.value.code == "stale_page"
    assert status(claim) == "submitted"
    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now, seen=version(claim, "submitted"))
    assert status(claim) == "rejected"
