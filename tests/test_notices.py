"""Notices (R-NOTE-1): whom a transition concerns hears of it; nobody hears of another shop's or
insurer's business, and nobody outside review hears the screening thresholds."""

import datetime as dt
import json
import re
from decimal import Decimal

import pytest

from claims import services as claims
from claims.models import Claim
from notices.models import Notice

from .factories import image_upload

pytestmark = pytest.mark.django_db

SCREENING_PARAMETERS = ("fast_lane_limit", "fast_lane_audit_share", "abuse_window_days", "abuse_claim_count")


def test_r_note_1_a_transition_is_told_to_the_merchant_and_the_insurer(world):
    claim = world.in_state("return_in_transit")
    before = Notice.objects.filter(claim=claim).count()
    claims.mark_delivered(claim, world.platform, now=world.now)
    moved = Notice.objects.filter(claim=claim, event_type="claim.status_changed").order_by("-pk")[:2]
    assert Notice.objects.filter(claim=claim).count() == before + 2
    assert sorted((n.audience, n.shop_id, n.insurer_id) for n in moved) == [
        ("insurer", world.shop.pk, world.insurer.pk),
        ("merchant", world.shop.pk, world.insurer.pk),
    ]
    assert {(n.data["from"], n.data["to"], n.data["claim_id"]) for n in moved} == {
        ("return_in_transit", "awaiting_receipt", claim.claim_id)
    }


def test_r_note_1_a_decision_is_one_notice_per_audience(world):
    claim = world.claim(kind="refund_only")
    opened = list(Notice.objects.filter(claim=claim).values_list("pk", flat=True))
    claims.decide(claim, "reject", world.reviewer, reason="人为损坏", now=world.now)
    told = Notice.objects.filter(claim=claim).exclude(pk__in=opened)
    assert sorted(told.values_list("audience", "event_type")) == [
        ("insurer", "claim.decided"),
        ("merchant", "claim.decided"),
    ]
    decided = Notice.objects.for_actor(world.merchant).get(claim=claim, event_type="claim.decided")
    assert (decided.data["outcome"], decided.data["reason"]) == ("reject", "人为损坏")


def test_r_note_1_a_receipt_dispute_also_reaches_service_staff(world):
    claim = world.approved(kind="return_refund")
    claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF1", now=world.now)
    claims.add_evidence(claim, "merchant", image_upload(pattern=5), world.merchant, now=world.now)
    claims.reject_receipt(claim, world.merchant, reason_code="empty_parcel", note="空包裹", now=world.now)
    disputed = Notice.objects.filter(claim=claim, event_type="claim.receipt_disputed")
    assert sorted(disputed.values_list("audience", flat=True)) == ["insurer", "merchant", "staff"]
    assert Notice.objects.for_staff().filter(claim=claim, event_type="claim.receipt_disputed").exists()


@pytest.fixture
def busy_world(world):
    """Claims in both shops, one buyer claiming across them (abnormal_buyer), a fast-lane claim,
    and the review clock run out, with screening thresholds set to values easy to spot."""
    world.plan.fast_lane_limit = Decimal("87.65")
    world.plan.abuse_window_days = 23
    world.plan.save()
    for shop in (world.shop, world.other_shop, world.shop):
        world.claim(kind="refund_only", buyer="repeat", shop=shop)
    world.claim(kind="refund_only", paid="59.00", buyer="vip", level="high")
    world.claim(kind="refund_only", buyer="b-other", shop=world.other_shop)
    claims.process_deadlines(world.now + dt.timedelta(hours=25))
    assert set(Claim.objects.values_list("flags__code", flat=True)) >= {
        "abnormal_buyer",
        "automatic_decision",
        "sla_breached",
    }
    return world


def test_r_note_1_a_merchant_sees_only_its_own_shops_notices(busy_world):
    world = busy_world
    mine = Notice.objects.for_actor(world.merchant)
    assert mine.exists()
    assert set(mine.values_list("audience", "shop_id")) == {("merchant", world.shop.pk)}
    expected = Notice.objects.filter(audience="merchant", shop=world.shop)
    assert mine.count() == expected.count()
    theirs = set(Claim.objects.filter(shop=world.other_shop).values_list("claim_id", flat=True))
    theirs |= set(Claim.objects.filter(shop=world.other_shop).values_list("refund_request__refund_id", flat=True))
    theirs.add(world.other_shop.shop_id)
    for notice in mine:
        text = notice.text + json.dumps(notice.data, ensure_ascii=False)
        assert not [word for word in theirs if word in text], notice.event_type


def test_r_note_1_an_insurer_sees_only_its_own_insurers_notices(busy_world):
    world = busy_world
    assert Notice.objects.for_actor(world.reviewer).exists()
    assert set(Notice.objects.for_actor(world.reviewer).values_list("audience", "insurer_id")) == {
        ("insurer", world.insurer.pk)
    }
    assert not Notice.objects.for_actor(world.other_reviewer).exists()


def values(data):
    if isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from values(value)
    elif isinstance(data, list):
        for item in data:
            yield from values(item)
    else:
        yield data


def test_r_note_1_no_notice_carries_a_screening_threshold(busy_world):
    plan = busy_world.plan
    thresholds = {plan.abuse_claim_count, plan.abuse_window_days, plan.fast_lane_limit}
    spelled = {str(t) for t in thresholds}
    alternatives = "|".join(re.escape(s) for s in spelled)
    standalone = re.compile(rf"(?<![\w.])({alternatives})(?![\w.])")
    notices = list(Notice.objects.all())
    assert {n.event_type for n in notices} >= {"claim.flagged", "claim.decided", "claim.sla_breached"}
    for notice in notices:
        for value in values(notice.data):
            assert value not in SCREENING_PARAMETERS, notice.event_type
            assert value not in thresholds and str(value) not in spelled, (notice.event_type, value)
        text = notice.text + json.dumps(notice.data, ensure_ascii=False)
        assert not [name for name in SCREENING_PARAMETERS if name in text], notice.event_type
        assert not standalone.search(notice.text), notice.text
