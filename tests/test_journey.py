"""The whole life of a claim through the services, as each party sees it."""

from decimal import Decimal

from audit.services import history
from claims import services as claims
from claims.choices import Side
from ledger.models import Entry
from policies.models import Policy

from .factories import image_upload


def test_return_refund_journey_pays_merchant_once_and_buyer_allowance(world, django_capture_on_commit_callbacks):
    claim = world.claim(kind="return_refund", paid="199.00")
    assert claim.status == "submitted"
    claims.decide(claim, "approve", world.reviewer, problem_code="no_power", now=world.now)
    claim.refresh_from_db()
    assert claim.status == "awaiting_return"
    claims.record_return_shipment(claim, world.platform, carrier="SF", tracking_number="SF123", now=world.now)
    claims.mark_delivered(claim, world.platform, now=world.now)
    claim.refresh_from_db()
    claims.add_evidence(claim, Side.MERCHANT, image_upload(pattern=3), world.merchant, now=world.now)
    claims.confirm_receipt(claim, world.merchant, now=world.now)
    with django_capture_on_commit_callbacks(execute=True):
        claims.complete_refund(claim, world.platform, now=world.now, buyer_payout_account="buyer-1@alipay.example")
    claim.refresh_from_db()
    assert claim.status == "paid"  # R-PAY-6: the stand-in gateway confirmed both transfers
    assert claim.payout_amount == Decimal("199.00")
    assert claim.shipping_allowance == Decimal("10.00")
    kinds = sorted(Entry.objects.filter(claim=claim).values_list("kind", flat=True))
    assert kinds == ["claim_paid", "shipping_allowance_paid"]
    assert Policy.objects.get(pk=claim.policy_id).claim_paid is True
    assert [row.target for row in history(claim)] == [
        "submitted",
        "awaiting_return",
        "return_in_transit",
        "awaiting_receipt",
        "refund_due",
        "refunded",
        "paid",
    ]
