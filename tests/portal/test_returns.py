"""The return and the merchant's receipt check through the portal (R-RET-2, R-RET-3, R-RET-5)."""

import datetime as dt
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.services import history
from claims import evidence as files
from claims.choices import ClaimStatus as S
from claims.choices import Side
from claims.models import ReceiptDispute
from notices.models import Notice
from tests.factories import image_upload, mp4_upload


def _reject(client, claim, **data):
    return client.post(reverse("portal:reject_receipt", args=[claim.claim_id]), data)


def _stored_files(settings):
    root = Path(settings.STORAGES["default"]["OPTIONS"]["location"]) / "evidence"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_r_ret_2_merchant_reminds_the_buyer_while_no_tracking_number(merchant_client, world):
    claim = world.in_state(S.AWAITING_RETURN)
    page = merchant_client.get(reverse("portal:claim", args=[claim.claim_id])).content.decode()
    assert "Remind the buyer" in page
    response = merchant_client.post(reverse("portal:remind_buyer", args=[claim.claim_id]), follow=True)
    assert "The buyer was reminded" in response.content.decode()
    assert Notice.objects.filter(claim=claim, event_type="claim.tracking_reminder").count() == 2  # merchant, insurer
    claim.refresh_from_db()
    assert claim.last_reminded_at is not None


def test_r_ret_2_a_second_reminder_within_the_hour_is_refused_with_the_reason(merchant_client, world):
    claim = world.in_state(S.AWAITING_RETURN)
    url = reverse("portal:remind_buyer", args=[claim.claim_id])
    merchant_client.post(url)
    response = merchant_client.post(url, follow=True)
    assert "reminded less than an hour ago" in response.content.decode()
    assert Notice.objects.filter(claim=claim, event_type="claim.tracking_reminder", audience="merchant").count() == 1


def test_r_ret_2_no_reminder_once_the_tracking_number_is_in(merchant_client, world):
    claim = world.in_state(S.RETURN_IN_TRANSIT)
    page = merchant_client.get(reverse("portal:claim", args=[claim.claim_id])).content.decode()
    assert "Remind the buyer" not in page
    response = merchant_client.post(reverse("portal:remind_buyer", args=[claim.claim_id]), follow=True)
    assert "Not possible while the claim is" in response.content.decode()
    assert not Notice.objects.filter(claim=claim, event_type="claim.tracking_reminder").exists()


def test_r_ret_3_confirming_receipt_asks_first_then_makes_the_refund_due(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    url = reverse("portal:confirm_receipt", args=[claim.claim_id])
    question = merchant_client.get(url)
    assert "Yes, confirm receipt" in question.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_RECEIPT
    response = merchant_client.post(url, follow=True)
    assert "Receipt confirmed" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.REFUND_DUE
    last = list(history(claim))[-1]
    assert (last.role, last.channel, last.user_id) == ("merchant", "portal", world.merchant_user.pk)


def test_r_ret_3_receipt_can_be_checked_while_the_parcel_is_in_transit(merchant_client, world):
    claim = world.in_state(S.RETURN_IN_TRANSIT)
    merchant_client.post(reverse("portal:confirm_receipt", args=[claim.claim_id]))
    claim.refresh_from_db()
    assert claim.status == S.REFUND_DUE


def test_r_ret_3_reject_an_empty_parcel_with_a_photo_after_confirming(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    step_one = _reject(
        merchant_client, claim, reason_code="empty_parcel", note="拆开是空箱", uploads=[image_upload(pattern=6)]
    )
    confirm_url = reverse("portal:reject_receipt_confirm", args=[claim.claim_id])
    assert step_one.status_code == 302 and step_one["Location"] == confirm_url
    # The photo is on the claim, the rejection is not made yet.
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_RECEIPT
    assert claim.evidence.filter(side=Side.MERCHANT).count() == 1
    step_two = merchant_client.get(confirm_url).content.decode()
    assert "Empty parcel" in step_two and "拆开是空箱" in step_two
    response = merchant_client.post(confirm_url, follow=True)
    assert "Service staff will review the dispute" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.RECEIPT_DISPUTED
    dispute = ReceiptDispute.objects.get(claim=claim)
    assert (dispute.reason_code, dispute.note) == ("empty_parcel", "拆开是空箱")
    assert "Receipt disputed" in response.content.decode()


def test_r_ret_3_a_video_of_the_parcel_is_evidence_too(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    _reject(merchant_client, claim, reason_code="wrong_item", note="货不对版", uploads=[mp4_upload()])
    merchant_client.post(reverse("portal:reject_receipt_confirm", args=[claim.claim_id]))
    claim.refresh_from_db()
    assert claim.status == S.RECEIPT_DISPUTED


def test_r_ret_3_rejection_needs_a_listed_reason_a_note_and_evidence(merchant_client, world, settings):
    claim = world.in_state(S.AWAITING_RECEIPT)
    before = _stored_files(settings)
    response = _reject(merchant_client, claim, reason_code="changed_my_mind", note="")
    assert response.status_code == 200
    form = response.context["form"]
    assert set(form.errors) == {"reason_code", "note", "uploads"}
    text = response.content.decode()
    assert 'role="alert"' in text and 'aria-invalid="true"' in text
    assert claim.evidence.filter(side=Side.MERCHANT).count() == 0
    assert _stored_files(settings) == before


def test_r_ret_3_a_refused_upload_stores_nothing_and_says_why(merchant_client, world, settings):
    claim = world.in_state(S.AWAITING_RECEIPT)
    before = _stored_files(settings)
    fake = SimpleUploadedFile("parcel.jpg", b"GIF89a" + b"\x00" * 200, content_type="image/jpeg")
    response = _reject(
        merchant_client, claim, reason_code="empty_parcel", note="空", uploads=[image_upload(pattern=4), fake]
    )
    assert response.status_code == 200
    text = response.content.decode()
    assert "parcel.jpg was not accepted" in text and "JPEG, PNG or WebP" in text
    # Not even the good file of the same submission was kept.
    assert claim.evidence.count() == 1  # the buyer's photo only
    assert _stored_files(settings) == before
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_RECEIPT


def test_r_ret_3_a_file_whose_declared_type_lies_is_refused(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    png_as_jpeg = image_upload(fmt="PNG")
    png_as_jpeg.content_type = "image/jpeg"
    response = _reject(merchant_client, claim, reason_code="empty_parcel", note="空", uploads=[png_as_jpeg])
    assert "declared as image/jpeg but its content is image/png" in response.content.decode()
    assert claim.evidence.filter(side=Side.MERCHANT).count() == 0


def test_r_ret_3_a_file_the_browser_could_not_type_is_judged_by_its_bytes(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    photo = image_upload(name="IMG_0001", pattern=3)
    photo.content_type = "application/octet-stream"
    response = _reject(merchant_client, claim, reason_code="empty_parcel", note="空", uploads=[photo])
    assert response.status_code == 302
    assert claim.evidence.get(side=Side.MERCHANT).content_type == "image/jpeg"


def test_r_ret_3_a_file_over_the_size_limit_is_refused(merchant_client, world, monkeypatch):
    claim = world.in_state(S.AWAITING_RECEIPT)
    monkeypatch.setattr(files, "MAX_BYTES", 100)
    response = _reject(merchant_client, claim, reason_code="empty_parcel", note="空", uploads=[image_upload()])
    assert "at most 20 MB" in response.content.decode()
    assert claim.evidence.filter(side=Side.MERCHANT).count() == 0


def test_r_ret_3_at_most_nine_files_per_side(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    uploads = [image_upload(pattern=n % 7 + 1, colour=(n * 20, 10, 10)) for n in range(10)]
    response = _reject(merchant_client, claim, reason_code="empty_parcel", note="空", uploads=uploads)
    assert "At most 9 files" in response.content.decode()
    assert claim.evidence.filter(side=Side.MERCHANT).count() == 0


def test_r_ret_3_evidence_already_on_file_is_enough(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    _reject(merchant_client, claim, reason_code="missing_items", note="少件", uploads=[image_upload(pattern=2)])
    # The merchant went back from the confirmation page and changed the reason: no new file needed.
    response = _reject(merchant_client, claim, reason_code="fake_logistics", note="虚假物流")
    assert response.status_code == 302
    merchant_client.post(reverse("portal:reject_receipt_confirm", args=[claim.claim_id]))
    assert ReceiptDispute.objects.get(claim=claim).reason_code == "fake_logistics"


def test_the_confirmation_step_without_the_first_step_goes_back_to_it(merchant_client, world):
    claim = world.in_state(S.AWAITING_RECEIPT)
    url = reverse("portal:reject_receipt_confirm", args=[claim.claim_id])
    response = merchant_client.post(url)
    assert response["Location"] == reverse("portal:reject_receipt", args=[claim.claim_id])
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_RECEIPT


def test_no_receipt_check_before_the_parcel_is_sent(merchant_client, world):
    claim = world.in_state(S.AWAITING_RETURN)
    response = merchant_client.get(reverse("portal:reject_receipt", args=[claim.claim_id]), follow=True)
    assert "no parcel waiting for your check" in response.content.decode()
    response = merchant_client.post(reverse("portal:confirm_receipt", args=[claim.claim_id]), follow=True)
    assert "Not possible while the claim is" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == S.AWAITING_RETURN


def test_r_ret_5_home_lists_parcels_with_their_auto_confirm_deadline(merchant_client, world):
    delivered = world.in_state(S.AWAITING_RECEIPT)
    in_transit = world.in_state(S.RETURN_IN_TRANSIT)
    text = merchant_client.get(reverse("portal:home")).content.decode()
    assert delivered.claim_id in text and in_transit.claim_id in text
    due = delivered.receipt_due_at.astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert f'Auto-confirm at <time datetime="{due.isoformat()}">{due:%Y-%m-%d %H:%M}</time>' in text
    assert "the clock starts on delivery" in text
