"""Refund requests (R-ROUTE-3), the claims list and the claim page as the merchant sees them."""

import datetime as dt
from unittest import mock

from django.urls import reverse

from claims import services as claims
from claims.choices import ClaimStatus as S
from claims.choices import Side
from tests.factories import mp4_upload


def _text(response):
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return body.decode("utf-8")


def test_r_route_3_refund_list_shows_every_request_with_its_business_type(merchant_client, world):
    routed = world.refund(world.delivered_order(), reason="quality")
    kept = world.refund(world.delivered_order(), reason="no_longer_needed")
    text = _text(merchant_client.get(reverse("portal:refunds")))
    assert routed.refund_id in text and kept.refund_id in text
    # The merchant's request says why in words; the rule id is the API's (R-ROUTE-2).
    assert "Warranty (质保卡)" in text and "reason not covered" in text and "R-ROUTE-2" not in text
    assert routed.claim.claim_id in text


def test_r_route_3_refund_list_filters_by_business_type(merchant_client, world):
    routed = world.refund(world.delivered_order(), reason="quality")
    kept = world.refund(world.delivered_order(), reason="wrong_size")
    warranty = _text(merchant_client.get(reverse("portal:refunds"), {"business_type": "warranty"}))
    assert routed.refund_id in warranty and kept.refund_id not in warranty
    merchant = _text(merchant_client.get(reverse("portal:refunds"), {"business_type": "merchant"}))
    assert kept.refund_id in merchant and routed.refund_id not in merchant
    export = _text(merchant_client.get(reverse("portal:refunds"), {"business_type": "merchant", "format": "csv"}))
    assert kept.refund_id in export and routed.refund_id not in export
    assert export.startswith("\ufeffRefund id,")


def test_claims_list_filters_by_status(merchant_client, world):
    parcel = world.in_state(S.AWAITING_RECEIPT)
    waiting = world.in_state(S.AWAITING_RETURN)
    closed = world.in_state(S.REJECTED)
    text = _text(merchant_client.get(reverse("portal:claims"), {"status": "awaiting_receipt"}))
    assert parcel.claim_id in text and waiting.claim_id not in text
    text = _text(merchant_client.get(reverse("portal:claims"), {"status": "open"}))
    assert parcel.claim_id in text and waiting.claim_id in text and closed.claim_id not in text
    text = _text(merchant_client.get(reverse("portal:claims"), {"status": "receipt_check"}))
    assert parcel.claim_id in text and waiting.claim_id not in text


def test_claims_list_filters_by_deadline(merchant_client, world):
    parcel = world.in_state(S.AWAITING_RECEIPT)  # receipt check due in 240 h
    refund = world.in_state(S.REFUND_DUE)  # refund due in 48 h
    closed = world.in_state(S.REJECTED)
    url = reverse("portal:claims")
    any_deadline = _text(merchant_client.get(url, {"deadline": "any"}))
    assert parcel.claim_id in any_deadline and refund.claim_id in any_deadline and closed.claim_id not in any_deadline
    # Ordered by the deadline: the refund (48 h) comes before the receipt check (240 h).
    assert any_deadline.index(refund.claim_id) < any_deadline.index(parcel.claim_id)
    due_today = _text(merchant_client.get(url, {"deadline": "24h"}))
    assert refund.claim_id not in due_today and parcel.claim_id not in due_today
    assert refund.claim_id not in _text(merchant_client.get(url, {"deadline": "overdue"}))


def test_claims_list_deadline_filter_finds_what_is_due_soon_and_overdue(merchant_client, world):
    refund = world.in_state(S.REFUND_DUE)
    url = reverse("portal:claims")
    # Seen a day and a half later, the refund is due within 24 h; three days later it is overdue.
    with mock.patch("django.utils.timezone.now", return_value=world.now + dt.timedelta(hours=36)):
        assert refund.claim_id in _text(merchant_client.get(url, {"deadline": "24h"}))
        assert refund.claim_id not in _text(merchant_client.get(url, {"deadline": "overdue"}))
    with mock.patch("django.utils.timezone.now", return_value=world.now + dt.timedelta(hours=72)):
        assert refund.claim_id in _text(merchant_client.get(url, {"deadline": "overdue"}))


def test_an_invalid_filter_shows_the_whole_list(merchant_client, world):
    claim = world.claim()
    assert claim.claim_id in _text(merchant_client.get(reverse("portal:claims"), {"status": "nonsense"}))


def test_claim_page_shows_timeline_evidence_decision_amounts_and_open_deadline(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT, kind="return_refund")
    claims.add_evidence(claim, Side.MERCHANT, mp4_upload(), world.merchant, note="开箱视频", now=world.now)
    text = _text(merchant_client.get(reverse("portal:claim", args=[claim.claim_id])))
    # The status timeline, by role and channel only.
    for label in ("Submitted", "Awaiting return", "Return in transit", "Awaiting receipt check"):
        assert label in text
    assert "Reviewer" in text and "Platform system" in text
    # Both sides' evidence, served through the portal.
    buyer, merchant = claim.evidence.get(side=Side.BUYER), claim.evidence.get(side=Side.MERCHANT)
    assert reverse("portal:evidence", args=[claim.claim_id, buyer.pk]) in text
    assert reverse("portal:evidence", args=[claim.claim_id, merchant.pk]) in text
    assert "开箱视频" in text
    # The decision and its problem code, the amounts, the open deadline (R-RET-5).
    assert "Approve" in text and "Performance fault" in text
    assert "¥199.00" in text
    assert "Receipt check due" in text
    assert claim.receipt_due_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M") in text
    assert "Confirm receipt" in text and "Reject the parcel" in text
    # R-REV-4: the return address the buyer was sent at approval.
    assert "Return address sent to the buyer" in text and world.shop.return_address in text


def test_claim_page_shows_the_rejection_reason(merchant_client, world):
    claim = world.in_state(S.REJECTED)
    text = _text(merchant_client.get(reverse("portal:claim", args=[claim.claim_id])))
    assert "Reject" in text and "人为损坏" in text


def test_claim_page_never_names_staff_or_screening_thresholds(merchant_client, world):
    claim = world.in_state(S.AWAITING_RETURN)
    text = _text(merchant_client.get(reverse("portal:claim", args=[claim.claim_id])))
    assert world.reviewer_user.username not in text.replace("Reviewer", "")
    assert "abuse_claim_count" not in text and "fast_lane_limit" not in text


def test_paid_claim_shows_claim_paid_and_the_payout(merchant_client, world):
    claim = world.in_state(S.PAID)
    text = _text(merchant_client.get(reverse("portal:claim", args=[claim.claim_id])))
    assert "理赔成功" in text
    assert "Claim paid to merchant" in text  # the ledger entry
    policy_text = _text(merchant_client.get(reverse("portal:policies")))
    assert "理赔成功" in policy_text


def test_evidence_file_is_served_with_its_checked_type(merchant_client, world):
    claim = world.claim()
    item = claim.evidence.get()
    response = merchant_client.get(reverse("portal:evidence", args=[claim.claim_id, item.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


def test_claims_export_lists_the_shops_claims(merchant_client, world):
    claim = world.in_state(S.REFUND_DUE)
    export = _text(merchant_client.get(reverse("portal:claims"), {"format": "csv"}))
    header, row = export.splitlines()[:2]
    assert header.startswith("\ufeffClaim,Refund id,Sub-order")
    assert row.startswith(f"{claim.claim_id},{claim.refund_request.refund_id},")
    assert ",refund_due," in row


def test_csv_cells_that_look_like_formulas_are_written_as_text(merchant_client, world):
    claim = world.claim()
    sub_order = world.delivered_order()
    request = world.refund(sub_order, reason='=HYPERLINK("http://evil")')
    export = _text(merchant_client.get(reverse("portal:refunds"), {"format": "csv"}))
    assert "'=HYPERLINK" in export
    assert request.refund_id in export and claim.refund_request.refund_id in export


def test_a_filter_value_not_understood_is_said_and_left_out(merchant_client, world):
    parcel = world.in_state(S.AWAITING_RECEIPT)
    response = merchant_client.get(reverse("portal:claims"), {"status": "nonsense", "q": parcel.claim_id})
    assert response.status_code == 200
    text = _text(response)
    assert "These filters were not understood and were left out: Status." in text
    assert parcel.claim_id in text  # the search still applies
