"""Abuse and penalties (domain.md §9): R-ABUSE-1, R-ABUSE-2, R-PEN-1."""

import datetime as dt
import importlib

import pytest

from audit.services import history
from claims import services as claims
from claims.choices import Side
from claims.evidence import check_file, hamming
from claims.models import Buyer, MerchantReport, NonPerformanceFinding
from kernel.actors import Actor, Channel, Role
from kernel.errors import Conflict, NotFound, RoleRefused, RuleViolation, TransitionRefused
from ledger.models import Entry

from .factories import photo_upload


def days(n):
    return dt.timedelta(days=n)


def flags(claim):
    return claims.flag_codes(claim)


def add_photo(world, claim, upload):
    claims.add_evidence(claim, Side.BUYER, upload, world.platform, now=world.now)


# -- R-ABUSE-1: repeated claims ------------------------------------------------------------


def test_r_abuse_1_third_routed_claim_in_30_days_across_shops_flags_abnormal_buyer(world):
    first = world.claim(buyer="buyer-ab", with_image=False, now=world.now - days(20))
    second = world.claim(buyer="buyer-ab", shop=world.other_shop, with_image=False, now=world.now - days(10))
    assert "abnormal_buyer" not in flags(first) | flags(second)

    third = world.claim(buyer="buyer-ab", with_image=False)

    assert flags(third) == {"abnormal_buyer"}
    assert third.flags.get().related_claim == second
    assert third.status == "submitted"


def test_r_abuse_1_a_buyer_new_with_this_claim_counts_it_as_the_first(world):
    """A buyer the platform names for the first time has this claim and no other: with a plan
    that flags from the first claim, it is flagged; with the default of 3, it is not."""
    world.plan.abuse_claim_count = 1
    world.plan.save()

    claim = world.claim(buyer="buyer-new", with_image=False)

    assert Buyer.objects.get(buyer_id="buyer-new").level_reports == 1
    assert flags(claim) == {"abnormal_buyer"}
    assert claim.flags.get().related_claim is None


def test_r_abuse_1_claims_opened_at_the_same_moment_are_all_counted(world):
    """Three requests of one buyer stamped with the same time: the third is still the third."""
    claims_ = [world.claim(buyer="buyer-burst", with_image=False) for _ in range(3)]

    assert [flags(claim) for claim in claims_] == [set(), set(), {"abnormal_buyer"}]
    assert Buyer.objects.get(buyer_id="buyer-burst").level_reports == 3


def test_r_abuse_1_buyers_known_before_the_count_existed_are_counted_from_their_requests(world):
    """claims/migrations/0005 gives known buyers one level report per request relayed, so their
    next claim is counted against the earlier ones."""
    from django.apps import apps

    backfill = importlib.import_module("claims.migrations.0005_buyer_level_reports").from_existing_requests
    world.claim(buyer="buyer-ab", with_image=False, now=world.now - days(20))
    world.claim(buyer="buyer-ab", with_image=False, now=world.now - days(10))
    quiet = Buyer.objects.create(buyer_id="buyer-quiet")
    Buyer.objects.update(level_reports=0)

    backfill(apps, None)

    assert Buyer.objects.get(buyer_id="buyer-ab").level_reports == 2
    assert Buyer.objects.get(pk=quiet.pk).level_reports == 0
    assert flags(world.claim(buyer="buyer-ab", with_image=False)) == {"abnormal_buyer"}


def test_r_abuse_1_a_claim_31_days_old_does_not_count(world):
    world.claim(buyer="buyer-ab", with_image=False, now=world.now - days(31))
    world.claim(buyer="buyer-ab", with_image=False, now=world.now - days(10))

    third = world.claim(buyer="buyer-ab", with_image=False)

    assert flags(third) == set()


def test_r_abuse_1_a_claim_exactly_30_days_old_still_counts(world):
    world.claim(buyer="buyer-ab", with_image=False, now=world.now - days(30))
    world.claim(buyer="buyer-ab", with_image=False, now=world.now - days(10))

    third = world.claim(buyer="buyer-ab", with_image=False)

    assert flags(third) == {"abnormal_buyer"}


def test_r_abuse_1_requests_not_routed_do_not_count(world):
    for _ in range(2):
        world.refund(world.delivered_order(buyer="buyer-ab"), reason="no_longer_needed")

    claim = world.claim(buyer="buyer-ab", with_image=False)

    assert flags(claim) == set()


def test_r_abuse_1_other_buyers_claims_do_not_count(world):
    world.claim(buyer="buyer-x", with_image=False)
    world.claim(buyer="buyer-y", with_image=False)

    claim = world.claim(buyer="buyer-ab", with_image=False)

    assert flags(claim) == set()


# -- R-ABUSE-1: the same photo -------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        {"fmt": "JPEG", "quality": 40},
        {"fmt": "PNG", "size": (640, 640)},
        {"fmt": "WEBP", "size": (100, 100), "quality": 60},
        {"fmt": "JPEG", "size": (300, 200)},
    ],
    ids=["reencoded", "upscaled-png", "shrunk-webp", "stretched"],
)
def test_r_abuse_1_same_photo_resized_or_reencoded_on_another_buyers_claim_flags_duplicate_evidence(world, variant):
    earlier = world.claim(buyer="buyer-a", with_image=False)
    add_photo(world, earlier, photo_upload(777))
    later = world.claim(buyer="buyer-b", with_image=False)

    add_photo(world, later, photo_upload(777, **variant))

    assert flags(later) == {"duplicate_evidence"}
    assert later.flags.get().related_claim == earlier
    assert flags(earlier) == set()


def test_r_abuse_1_a_different_photo_does_not_flag(world):
    original, different = photo_upload(777), photo_upload(778)
    assert hamming(check_file(original).phash, check_file(different).phash) > 6
    earlier = world.claim(buyer="buyer-a", with_image=False)
    add_photo(world, earlier, original)
    later = world.claim(buyer="buyer-b", with_image=False)

    add_photo(world, later, different)

    assert flags(later) == set()


def test_r_abuse_1_the_same_buyers_own_photo_does_not_flag(world):
    earlier = world.claim(buyer="buyer-a", with_image=False)
    add_photo(world, earlier, photo_upload(777))
    later = world.claim(buyer="buyer-a", with_image=False)

    add_photo(world, later, photo_upload(777, fmt="PNG"))

    assert flags(later) == set()


# -- R-ABUSE-1: tracking numbers -----------------------------------------------------------


def ship(world, claim, tracking_number):
    claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number=tracking_number, now=world.now)


def test_r_abuse_1_a_reused_tracking_number_flags_tracking_reused(world):
    earlier = world.approved(buyer="buyer-a")
    ship(world, earlier, "SF777")
    later = world.approved(buyer="buyer-b")

    ship(world, later, "sf777")

    assert flags(later) == {"tracking_reused"}
    assert later.flags.get().related_claim == earlier
    assert flags(earlier) == set()
    later.refresh_from_db()
    assert later.status == "return_in_transit"


@pytest.mark.parametrize("written", ["SF1234567", "sf-1234-567", " SF 1234 567 "])
def test_r_abuse_1_a_reused_tracking_number_is_matched_without_spaces_or_dashes(world, written):
    earlier = world.approved(buyer="buyer-a")
    ship(world, earlier, "SF 1234 567")
    later = world.approved(buyer="buyer-b")

    ship(world, later, written)

    assert flags(later) == {"tracking_reused"}
    assert later.flags.get().related_claim == earlier


def test_r_abuse_1_a_fresh_tracking_number_does_not_flag(world):
    ship(world, world.approved(buyer="buyer-a"), "SF777")
    later = world.approved(buyer="buyer-b")

    ship(world, later, "SF778")

    assert flags(later) == set()


# -- R-ABUSE-1: merchant reports (反馈买家问题) ------------------------------------------------


def test_r_abuse_1_merchant_report_from_a_claim_flags_merchant_reported(world):
    claim = world.claim()

    report = claims.report_buyer(world.merchant, claim=claim, note="同一买家多次空包退货", now=world.now)

    assert (report.shop_id, report.buyer.buyer_id, report.claim, report.policy_id) == (
        world.shop.pk,
        "buyer-1",
        claim,
        claim.policy_id,
    )
    assert flags(claim) == {"merchant_reported"}
    claim.refresh_from_db()
    assert claim.status == "submitted"


def test_r_abuse_1_merchant_report_from_a_policy_flags_its_open_claim(world):
    claim = world.claim()

    report = claims.report_buyer(world.merchant, policy=claim.policy, note="买家威胁差评", now=world.now)

    assert (report.claim, report.policy_id) == (None, claim.policy_id)
    assert flags(claim) == {"merchant_reported"}


def test_r_abuse_1_a_claim_opened_on_a_reported_policy_is_flagged(world):
    sub_order = world.delivered_order()
    claims.report_buyer(world.merchant, policy=sub_order.policy, note="买家威胁差评", now=world.now)
    assert MerchantReport.objects.filter(policy=sub_order.policy, buyer__buyer_id="buyer-1").exists()

    claim = world.refund(sub_order).claim

    assert flags(claim) == {"merchant_reported"}


def test_r_abuse_1_a_buyer_reported_before_the_column_existed_is_still_looked_up(world):
    """claims/migrations/0003 gives buyers reported earlier the time of their latest report,
    which is what routing checks before it looks for a report (R-ABUSE-1)."""
    from django.apps import apps

    backfill = importlib.import_module("claims.migrations.0003_buyer_last_reported_at").from_existing_reports
    sub_order = world.delivered_order()
    claims.report_buyer(world.merchant, policy=sub_order.policy, note="买家威胁差评", now=world.now - days(2))
    claims.report_buyer(world.merchant, policy=sub_order.policy, note="又来了", now=world.now - days(1))
    quiet = claims.report_buyer_level("buyer-quiet", "normal")
    Buyer.objects.update(last_reported_at=None)

    backfill(apps, None)

    assert Buyer.objects.get(buyer_id=sub_order.buyer_id).last_reported_at == world.now - days(1)
    assert Buyer.objects.get(pk=quiet.pk).last_reported_at is None
    assert flags(world.refund(sub_order).claim) == {"merchant_reported"}


def test_r_abuse_1_a_report_needs_a_note_and_exactly_one_subject(world):
    claim = world.claim()

    with pytest.raises(RuleViolation) as no_note:
        claims.report_buyer(world.merchant, claim=claim, note="  ", now=world.now)
    with pytest.raises(RuleViolation) as both:
        claims.report_buyer(world.merchant, claim=claim, policy=claim.policy, note="异常", now=world.now)
    with pytest.raises(RuleViolation) as neither:
        claims.report_buyer(world.merchant, note="异常", now=world.now)

    assert (no_note.value.code, both.value.code, neither.value.code) == (
        "note_required",
        "claim_or_policy",
        "claim_or_policy",
    )
    assert not MerchantReport.objects.exists()
    assert flags(claim) == set()


def test_r_abuse_1_only_the_shops_own_merchant_may_report(world):
    claim = world.claim()

    with pytest.raises(NotFound):
        claims.report_buyer(world.other_merchant, claim=claim, note="异常", now=world.now)
    with pytest.raises(NotFound):
        claims.report_buyer(world.other_merchant, policy=claim.policy, note="异常", now=world.now)
    with pytest.raises(RoleRefused):
        claims.report_buyer(world.reviewer, claim=claim, note="异常", now=world.now)

    assert not MerchantReport.objects.exists()


# -- R-ABUSE-2: eligibility ----------------------------------------------------------------


def test_r_abuse_2_staff_revoke_with_a_reason_and_later_requests_are_not_routed(world):
    buyer = claims.report_buyer_level("buyer-r", "high")

    claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason="蓄意牟利：伪造破损", now=world.now)

    buyer.refresh_from_db()
    assert (buyer.level, buyer.revoked_reason, buyer.revoked_at) == ("revoked", "蓄意牟利：伪造破损", world.now)
    [row] = history(buyer)
    assert (row.transition, row.source, row.target, row.reason, row.role, row.channel, row.user_id) == (
        "revoke",
        "high",
        "revoked",
        "蓄意牟利：伪造破损",
        "service_staff",
        "admin",
        world.staff_user.pk,
    )
    request = world.refund(world.delivered_order(buyer="buyer-r"), level="high")
    assert (request.business_type, request.not_routed_because) == ("merchant", "R-ABUSE-2")


def test_r_abuse_2_staff_restore_with_a_reason_to_the_latest_reported_level(world):
    buyer = claims.report_buyer_level("buyer-r", "high")
    claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason="蓄意牟利", now=world.now)
    claims.report_buyer_level("buyer-r", "low")

    claims.set_buyer_eligibility(buyer, world.staff, revoke=False, reason="申诉成立", now=world.now + days(1))

    buyer.refresh_from_db()
    assert (buyer.level, buyer.revoked_reason, buyer.revoked_at) == ("low", "", None)
    assert [(r.transition, r.source, r.target, r.reason) for r in history(buyer)] == [
        ("revoke", "high", "revoked", "蓄意牟利"),
        ("restore", "revoked", "low", "申诉成立"),
    ]
    request = world.refund(world.delivered_order(buyer="buyer-r"), level="low")
    assert request.business_type == "warranty"


def test_r_abuse_2_revocation_needs_a_reason(world):
    buyer = claims.report_buyer_level("buyer-r", "normal")

    with pytest.raises(RuleViolation) as refused:
        claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason=" ", now=world.now)

    assert refused.value.code == "reason_required"
    assert Buyer.objects.get(pk=buyer.pk).level == "normal"
    assert not history(buyer).exists()


def test_r_abuse_2_revoking_twice_or_restoring_an_eligible_buyer_is_refused(world):
    buyer = claims.report_buyer_level("buyer-r", "normal")
    with pytest.raises(TransitionRefused):
        claims.set_buyer_eligibility(buyer, world.staff, revoke=False, reason="恢复", now=world.now)
    claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason="蓄意牟利", now=world.now)

    with pytest.raises(TransitionRefused):
        claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason="再次", now=world.now)

    assert history(buyer).count() == 1


@pytest.mark.parametrize("role", [Role.REVIEWER, Role.SUPERVISOR, Role.MERCHANT, Role.PLATFORM, Role.INSURER])
def test_r_abuse_2_only_service_staff_change_eligibility(world, role):
    buyer = claims.report_buyer_level("buyer-r", "normal")
    actor = Actor(role=role, channel=Channel.API, insurer_id=world.insurer.pk, shop_id=world.shop.pk)

    with pytest.raises(RoleRefused):
        claims.set_buyer_eligibility(buyer, actor, revoke=True, reason="蓄意牟利", now=world.now)

    assert Buyer.objects.get(pk=buyer.pk).level == "normal"


# -- R-PEN-1: non-performance --------------------------------------------------------------


def points_entries(claim):
    return Entry.objects.filter(claim=claim, kind="points_granted")


def test_r_pen_1_overdue_refund_finding_grants_points_once(world):
    claim = world.in_state("refund_due")
    claims.process_deadlines(world.now + dt.timedelta(hours=48))

    finding = claims.record_finding(claim, world.staff, kind="refund_overdue", reason="超时未退款", now=world.now)

    assert (finding.points, finding.sub_order_id, finding.created_by_id) == (
        10000,
        claim.sub_order_id,
        world.staff_user.pk,
    )
    [entry] = points_entries(claim)
    assert (entry.points, entry.finding_id, entry.payee) == (10000, finding.pk, "buyer-1")

    with pytest.raises(Conflict) as refused:
        claims.record_finding(claim, world.staff, kind="refund_overdue", reason="重复", now=world.now)
    assert (refused.value.status, refused.value.code) == (409, "finding_exists")
    assert points_entries(claim).count() == 1
    assert NonPerformanceFinding.objects.filter(claim=claim).count() == 1


def test_r_pen_1_each_kind_of_finding_counts_once_per_sub_order(world):
    claim = world.in_state("receipt_disputed")
    claims.resolve_receipt_dispute(claim, world.staff, outcome="overturn", note="签收完整", now=world.now)
    claims.process_deadlines(world.now + dt.timedelta(hours=48))  # the refund then falls overdue

    with pytest.raises(Conflict):
        claims.record_finding(claim, world.staff, kind="receipt_overturned", reason="重复", now=world.now)
    claims.record_finding(claim, world.staff, kind="refund_overdue", reason="超时未退款", now=world.now)

    assert sorted(points_entries(claim).values_list("points", flat=True)) == [10000, 10000]
    assert sorted(NonPerformanceFinding.objects.filter(claim=claim).values_list("kind", flat=True)) == [
        "receipt_overturned",
        "refund_overdue",
    ]


@pytest.mark.parametrize("kind", ["refund_overdue", "receipt_overturned"])
def test_r_pen_1_a_finding_needs_its_cause_on_record(world, kind):
    """A claim whose refund was never overdue, and whose parcel rejection was never overturned."""
    claim = world.in_state("refund_due")

    with pytest.raises(RuleViolation) as refused:
        claims.record_finding(claim, world.staff, kind=kind, reason="超时未退款", now=world.now)

    assert (refused.value.status, refused.value.code, refused.value.rule) == (422, "finding_without_cause", "R-PEN-1")
    assert not points_entries(claim).exists()
    assert not NonPerformanceFinding.objects.filter(claim=claim).exists()


def test_r_pen_1_a_finding_needs_a_reason_a_known_kind_and_service_staff(world):
    claim = world.in_state("refund_due")

    with pytest.raises(RuleViolation):
        claims.record_finding(claim, world.staff, kind="refund_overdue", reason="", now=world.now)
    with pytest.raises(RuleViolation):
        claims.record_finding(claim, world.staff, kind="rude_to_buyer", reason="态度差", now=world.now)
    with pytest.raises(RoleRefused):
        claims.record_finding(claim, world.reviewer, kind="refund_overdue", reason="超时", now=world.now)

    assert not points_entries(claim).exists()
