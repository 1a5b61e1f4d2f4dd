"""Returns and the merchant's receipt check (domain.md §7): R-RET-1..5."""

import datetime as dt

import pytest

from audit.services import history
from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from claims.models import NonPerformanceFinding, ReceiptDispute
from kernel.errors import RuleViolation, TransitionRefused
from ledger.models import Entry
from notices.models import Notice

from .factories import mp4_upload, photo_upload

RECEIPT_REASONS = ["missing_items", "empty_parcel", "wrong_item", "fake_logistics"]


def hours(n):
    return dt.timedelta(hours=n)


def status(claim):
    claim.refresh_from_db()
    return claim.status


def merchant_photo(world, claim):
    claims.add_evidence(claim, Side.MERCHANT, photo_upload(9000), world.merchant, now=world.now)


def test_r_ret_1_refund_only_approval_skips_the_return(world):
    claim = world.approved(kind="refund_only")

    assert claim.status == "refund_due"
    assert claim.return_due_at is None
    assert claim.refund_due_by == world.now + hours(48)
    assert [row.target for row in history(claim)][-1] == "refund_due"


def test_r_ret_1_return_refund_approval_waits_for_the_return(world):
    claim = world.approved(kind="return_refund")

    assert claim.status == "awaiting_return"
    assert claim.return_due_at == world.now + hours(168)
    assert claim.refund_due_by is None


def test_r_ret_2_tracking_number_in_time_moves_the_return_on(world):
    claim = world.approved()

    claims.record_return_shipment(
        claim, world.platform, carrier="SF", tracking_number="SF100", now=world.now + hours(167)
    )

    claim.refresh_from_db()
    assert (claim.status, claim.tracking_number, claim.return_due_at) == ("return_in_transit", "SF100", None)
    claims.process_deadlines(world.now + hours(168))
    assert status(claim) == "return_in_transit"


def test_r_ret_2_a_return_needs_its_tracking_number(world):
    claim = world.approved()

    with pytest.raises(RuleViolation) as refused:
        claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="  ", now=world.now)

    assert refused.value.code == "tracking_number_required"
    assert status(claim) == "awaiting_return"


def test_r_ret_2_no_tracking_number_in_time_closes_the_claim_unpaid(world):
    claim = world.approved()

    claims.process_deadlines(world.now + hours(168) - dt.timedelta(seconds=1))
    assert status(claim) == "awaiting_return"

    claims.process_deadlines(world.now + hours(168))
    claim.refresh_from_db()
    assert claim.status == "closed_no_return"
    assert (claim.payout_amount, claim.shipping_allowance) == (None, None)
    assert not Entry.objects.filter(claim=claim).exists()
    last = history(claim).last()
    assert (last.transition, last.role) == ("return_timeout", "timer")


def test_r_ret_2_a_parcel_sent_offline_cannot_be_entered_after_closing(world):
    claim = world.approved()
    claims.process_deadlines(world.now + hours(168))

    with pytest.raises(TransitionRefused):
        claims.record_return_shipment(
            claim, world.platform, carrier="SF", tracking_number="SF-LATE", now=world.now + hours(169)
        )
    with pytest.raises(TransitionRefused):
        claims.complete_refund(claim, world.platform, now=world.now + hours(170))

    assert status(claim) == "closed_no_return"
    assert not Entry.objects.filter(claim=claim).exists()


def test_r_ret_2_merchant_may_remind_the_buyer_while_awaiting_return(world):
    claim = world.approved()

    claims.remind_buyer(claim, world.merchant, now=world.now + hours(2))

    claim.refresh_from_db()
    assert claim.last_reminded_at == world.now + hours(2)
    reminder = Notice.objects.get(claim=claim, event_type="claim.tracking_reminder", audience="merchant")
    assert reminder.data["return_due_at"] == claim.return_due_at.isoformat()


def test_r_ret_2_reminders_are_at_most_hourly(world):
    claim = world.approved()
    claims.remind_buyer(claim, world.merchant, now=world.now)

    with pytest.raises(RuleViolation) as refused:
        claims.remind_buyer(claim, world.merchant, now=world.now + dt.timedelta(minutes=59))
    assert refused.value.code == "reminded_recently"

    claims.remind_buyer(claim, world.merchant, now=world.now + hours(1))


@pytest.mark.parametrize("state", [S.RETURN_IN_TRANSIT, S.CLOSED_NO_RETURN, S.REFUND_DUE, S.SUBMITTED])
def test_r_ret_2_no_reminder_outside_awaiting_return(world, state):
    claim = world.in_state(state)

    with pytest.raises(TransitionRefused):
        claims.remind_buyer(claim, world.merchant, now=world.now)

    assert not Notice.objects.filter(claim=claim, event_type="claim.tracking_reminder").exists()


@pytest.mark.parametrize("state", [S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT])
def test_r_ret_3_merchant_confirms_receipt_in_transit_or_delivered(world, state):
    claim = world.in_state(state)

    claims.confirm_receipt(claim, world.merchant, now=world.now + hours(3))

    claim.refresh_from_db()
    assert (claim.status, claim.receipt_confirmed_at) == ("refund_due", world.now + hours(3))
    assert claim.refund_due_by == world.now + hours(3 + 48)


@pytest.mark.parametrize("state", [S.RETURN_IN_TRANSIT, S.AWAITING_RECEIPT])
@pytest.mark.parametrize("reason_code", RECEIPT_REASONS)
def test_r_ret_3_merchant_rejects_for_the_four_reasons_with_evidence_and_note(world, state, reason_code):
    claim = world.in_state(state)
    merchant_photo(world, claim)

    claims.reject_receipt(claim, world.merchant, reason_code=reason_code, note="箱内只有泡沫", now=world.now)

    assert status(claim) == "receipt_disputed"
    dispute = ReceiptDispute.objects.get(claim=claim)
    assert (dispute.reason_code, dispute.note, dispute.outcome) == (reason_code, "箱内只有泡沫", "")
    assert Notice.objects.filter(claim=claim, event_type="claim.receipt_disputed", audience="staff").exists()


def test_r_ret_3_a_video_of_the_parcel_is_evidence_too(world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    claims.add_evidence(claim, Side.MERCHANT, mp4_upload(), world.merchant, now=world.now)

    claims.reject_receipt(claim, world.merchant, reason_code="missing_items", note="少了底座", now=world.now)

    assert status(claim) == "receipt_disputed"


@pytest.mark.parametrize("reason_code", ["quality", "damaged", "changed_mind", ""])
def test_r_ret_3_no_rejection_for_other_reasons(world, reason_code):
    claim = world.in_state(S.AWAITING_RECEIPT)
    merchant_photo(world, claim)

    with pytest.raises(RuleViolation) as refused:
        claims.reject_receipt(claim, world.merchant, reason_code=reason_code, note="不想退", now=world.now)

    assert refused.value.code == "invalid_reason_code"
    assert status(claim) == "awaiting_receipt"
    assert not ReceiptDispute.objects.filter(claim=claim).exists()


def test_r_ret_3_no_rejection_without_merchant_evidence(world):
    claim = world.in_state(S.AWAITING_RECEIPT)

    with pytest.raises(RuleViolation) as refused:
        claims.reject_receipt(claim, world.merchant, reason_code="empty_parcel", note="空包", now=world.now)

    assert (refused.value.code, refused.value.rule) == ("evidence_missing", "R-RET-3")
    assert status(claim) == "awaiting_receipt"


def test_r_ret_3_the_buyers_evidence_does_not_count_for_the_merchant(world):
    # The buyer's photos are on file from the claim; only the merchant's side backs a rejection.
    claim = world.in_state(S.AWAITING_RECEIPT)
    assert claim.evidence.filter(side=Side.BUYER).exists()

    with pytest.raises(RuleViolation) as refused:
        claims.reject_receipt(claim, world.merchant, reason_code="empty_parcel", note="空包", now=world.now)

    assert refused.value.code == "evidence_missing"


def test_r_ret_3_no_rejection_without_a_note(world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    merchant_photo(world, claim)

    with pytest.raises(RuleViolation) as refused:
        claims.reject_receipt(claim, world.merchant, reason_code="empty_parcel", note=" ", now=world.now)

    assert refused.value.code == "note_required"
    assert status(claim) == "awaiting_receipt"


@pytest.mark.parametrize("state", [S.AWAITING_RETURN, S.REFUND_DUE, S.SUBMITTED])
def test_r_ret_3_merchant_evidence_only_once_the_parcel_is_on_its_way(world, state):
    claim = world.in_state(state)

    with pytest.raises(TransitionRefused):
        merchant_photo(world, claim)

    assert not claim.evidence.filter(side=Side.MERCHANT).exists()


def test_r_ret_4_upheld_rejection_closes_the_claim_unpaid(world):
    claim = world.in_state(S.RECEIPT_DISPUTED)

    claims.resolve_receipt_dispute(claim, world.staff, outcome="uphold", note="空包裹属实", now=world.now + hours(5))

    claim.refresh_from_db()
    assert (claim.status, claim.closed_at, claim.payout_amount) == (
        "closed_receipt_rejected",
        world.now + hours(5),
        None,
    )
    dispute = ReceiptDispute.objects.get(claim=claim)
    assert (dispute.outcome, dispute.resolution_note) == ("uphold", "空包裹属实")
    assert not Entry.objects.filter(claim=claim).exists()
    assert not NonPerformanceFinding.objects.filter(claim=claim).exists()


def test_r_ret_4_overturned_rejection_is_a_confirmed_receipt_plus_a_finding_with_points(world):
    claim = world.in_state(S.RECEIPT_DISPUTED)

    claims.resolve_receipt_dispute(claim, world.staff, outcome="overturn", note="物流签收照片完整", now=world.now)

    claim.refresh_from_db()
    assert (claim.status, claim.receipt_confirmed_at) == ("refund_due", world.now)
    finding = NonPerformanceFinding.objects.get(claim=claim)
    assert (finding.kind, finding.points, finding.sub_order_id, finding.shop_id) == (
        "receipt_overturned",
        10000,
        claim.sub_order_id,
        world.shop.pk,
    )
    [points] = Entry.objects.filter(claim=claim)
    assert (points.kind, points.points, points.amount, points.finding_id, points.policy_id, points.payee) == (
        "points_granted",
        10000,
        0,
        finding.pk,
        claim.policy_id,
        "buyer-1",
    )
    assert Notice.objects.filter(claim=claim, event_type="merchant.non_performance", audience="merchant").exists()


def test_r_ret_4_resolution_needs_a_note_and_an_outcome(world):
    claim = world.in_state(S.RECEIPT_DISPUTED)

    with pytest.raises(RuleViolation):
        claims.resolve_receipt_dispute(claim, world.staff, outcome="uphold", note="", now=world.now)
    with pytest.raises(RuleViolation):
        claims.resolve_receipt_dispute(claim, world.staff, outcome="split", note="各半", now=world.now)

    assert status(claim) == "receipt_disputed"


def test_r_ret_5_receipt_confirmed_automatically_after_merchant_receipt_hours_from_delivery(world):
    claim = world.in_state(S.AWAITING_RECEIPT)

    claims.process_deadlines(world.now + hours(240) - dt.timedelta(seconds=1))
    assert status(claim) == "awaiting_receipt"

    claims.process_deadlines(world.now + hours(240))
    claim.refresh_from_db()
    assert (claim.status, claim.receipt_confirmed_at) == ("refund_due", world.now + hours(240))
    last = history(claim).last()
    assert (last.transition, last.role, last.reason) == (
        "confirm_receipt",
        "timer",
        "Confirmed automatically: the time for the receipt check ran out",
    )


def test_r_ret_5_no_auto_confirmation_while_in_transit(world):
    # The clock starts at delivery: a parcel still in transit is never confirmed by the timer.
    claim = world.in_state(S.RETURN_IN_TRANSIT)

    claims.process_deadlines(world.now + hours(24 * 60))

    assert status(claim) == "return_in_transit"


def test_r_ret_5_a_disputed_receipt_is_not_auto_confirmed(world):
    claim = world.in_state(S.RECEIPT_DISPUTED)

    claims.process_deadlines(world.now + hours(24 * 60))

    assert status(claim) == "receipt_disputed"
