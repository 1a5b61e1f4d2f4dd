"""R-NOTE-1: a notice is its event and parameters, rendered when read in the reader's language
and written for its reader; one notice per change and audience; e-mails in the shop's language."""

import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from claims import services as claims
from claims.choices import ClaimStatus as S
from merchants.models import Shop
from notices import services as notices
from notices.models import Audience, Notice
from notices.texts import render

from .factories import image_upload

pytestmark = pytest.mark.django_db


def _since(world, claim):
    """The notices written from here on (the world's claims are all made at world.now)."""
    mark = Notice.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    return lambda: Notice.objects.filter(claim=claim, pk__gt=mark)


def _delivered(world):
    claim = world.in_state(S.RETURN_IN_TRANSIT)
    new = _since(world, claim)
    claims.mark_delivered(claim, world.platform, now=world.now)
    notice = new().for_actor(world.merchant).get(event_type="claim.status_changed")
    return claim, notice


def test_r_note_1_a_notice_reads_in_the_readers_language_not_the_triggering_ones(world):
    with translation.override("zh-hans"):
        claim, notice = _delivered(world)
    assert render(notice, "en") == f"Claim {claim.claim_id}: Return in transit → Awaiting receipt check"
    assert render(notice, "zh-hans") == f"理赔单 {claim.claim_id}：退货运输中 → 待签收核验"


def test_r_note_1_no_state_code_in_a_notice_people_read(world):
    claim = world.in_state(S.RETURN_IN_TRANSIT)
    claims.mark_delivered(claim, world.platform, now=world.now)
    for notice in Notice.objects.filter(claim=claim):
        assert "return_in_transit" not in notice.text and "awaiting_receipt" not in notice.text, notice.text


def test_r_note_1_the_merchant_is_you_and_insurer_staff_read_the_merchant(world):
    claim = world.approved(kind="return_refund")
    claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF1", now=world.now)
    claims.mark_delivered(claim, world.platform, now=world.now)
    claims.add_evidence(claim, "merchant", image_upload(pattern=5), world.merchant, now=world.now)
    new = _since(world, claim)
    claims.reject_receipt(claim, world.merchant, reason_code="empty_parcel", note="空包裹", now=world.now)
    told = {n.audience: n.text for n in new().filter(event_type="claim.receipt_disputed")}
    assert told[Audience.MERCHANT].startswith("You rejected the returned parcel")
    assert told[Audience.INSURER].startswith("The merchant rejected the returned parcel")
    assert "merchant rejected" not in told[Audience.MERCHANT]
    # The rejection itself is told once: no second notice of the state change for people.
    assert not new().filter(event_type="claim.status_changed").exists()


def test_r_note_1_an_approval_is_one_notice_that_says_what_the_merchant_does_next(world):
    claim = world.claim(kind="refund_only")
    new = _since(world, claim)
    claims.decide(claim, "approve", world.reviewer, problem_code="performance_fault", now=world.now)
    [told] = new().for_actor(world.merchant)
    claim.refresh_from_db()
    assert told.event_type == "claim.decided"
    assert told.text == f"Claim {claim.claim_id} approved ({claim.approved_amount}): refund the buyer."


def test_r_note_1_the_portal_inbox_renders_in_the_readers_language_and_marks_all_read(client, world):
    client.force_login(world.merchant_user)
    merchant_client = client
    with translation.override("en"):
        claim, _notice = _delivered(world)
    merchant_client.cookies["django_language"] = "zh-hans"
    page = merchant_client.get(reverse("portal:notices"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert f"理赔单 {claim.claim_id}：退货运输中 → 待签收核验" in page
    merchant_client.cookies["django_language"] = "en"
    page = merchant_client.get(reverse("portal:notices"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Claim {claim.claim_id}: Return in transit → Awaiting receipt check" in page
    notices.publish("claim.opened", "", shop_id=world.shop.pk, insurer_id=world.insurer.pk)
    merchant_client.post(reverse("portal:notices_read"))
    assert not Notice.objects.for_actor(world.merchant).unread().exists()


@pytest.mark.parametrize(
    ("language", "arrow_text"), [("zh-hans", "退货运输中 → 待签收核验"), ("en", "Return in transit")]
)
def test_r_note_1_the_email_is_in_the_shops_language_subject_and_body(world, mailoutbox, language, arrow_text):
    Shop.objects.filter(pk=world.shop.pk).update(language=language)
    with translation.override("en" if language == "zh-hans" else "zh-hans"):
        _claim, notice = _delivered(world)
        notices.email_notices([notice.pk])
    [message] = mailoutbox
    assert arrow_text in message.subject and arrow_text in message.body
    assert message.subject.startswith("[质保]" if language == "zh-hans" else "[Zhibao]")


def test_r_note_1_old_rows_twice_told_are_folded_and_render_from_their_data(world):
    claim = world.claim(kind="refund_only")
    at = world.now
    common = {"shop_id": world.shop.pk, "insurer_id": world.insurer.pk, "claim_id": claim.pk, "created_at": at}
    data = {"claim_id": claim.claim_id, "from": "submitted", "to": "rejected"}
    Notice.objects.filter(claim=claim).delete()
    twin = Notice.objects.create(
        event_type="claim.status_changed", audience=Audience.MERCHANT, message="old", data=data, **common
    )
    Notice.objects.create(event_type="claim.decided", audience=Audience.MERCHANT, message="x", **common)
    alone = Notice.objects.create(
        event_type="claim.status_changed",
        audience=Audience.MERCHANT,
        message="old",
        data=data,
        **{**common, "created_at": at.replace(year=at.year - 1)},
    )
    legacy = Notice.objects.create(
        event_type="claim.unknown_kind", audience=Audience.MERCHANT, message="旧文本", **common
    )
    migration = importlib.import_module("notices.migrations.0003_rendered_notices")
    migration.fold_status_changes(apps, None)
    assert Notice.objects.get(pk=twin.pk).read_at is not None
    assert Notice.objects.get(pk=alone.pk).read_at is None
    assert render(alone, "en") == f"Claim {claim.claim_id}: Submitted → Rejected"
    assert legacy.text == "旧文本"


def test_r_note_1_invoice_notices_render_the_status_label_in_the_readers_language(world):
    data = {"invoice_no": "INV-1", "status": "shipped", "tracking_number": "SF9"}
    with translation.override("zh-hans"):
        [notice] = notices.publish(
            "invoice.shipped",
            "frozen",
            shop_id=world.shop.pk,
            insurer_id=world.insurer.pk,
            data=data,
            audiences=(Audience.MERCHANT,),
        )
    assert render(notice, "en") == "Invoice request INV-1: Shipped."
