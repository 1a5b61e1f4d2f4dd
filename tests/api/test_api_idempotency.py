"""Idempotency-Key on every POST (api.md Conventions): replayed, refused with another body,
kept at least 24 h, and settled by the database when two identical requests race."""

import datetime as dt
import threading
import time
from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from claims import services as claim_services
from claims.models import Claim, Evidence, MerchantReport
from integrations import idempotency
from integrations.models import IdempotencyRecord
from policies.models import SubOrder
from tests.factories import image_upload

from .conftest import error_of, make_api

pytestmark = pytest.mark.django_db


def report(claim, note="同一买家多次索赔"):
    return {"claim_id": claim.claim_id, "note": note}


def test_the_same_key_and_body_replays_the_first_answer_and_changes_nothing(world, merchant):
    claim = world.claim()
    first = merchant.post("buyer-reports", report(claim), key="k-1")
    again = merchant.post("buyer-reports", report(claim), key="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert MerchantReport.objects.count() == 1
    assert merchant.post("buyer-reports", report(claim), key="k-2").status_code == 201
    assert MerchantReport.objects.count() == 2


def test_the_same_key_with_another_body_or_path_is_409(world, merchant):
    claim = world.claim()
    merchant.post("buyer-reports", report(claim), key="k-1")
    other_body = merchant.post("buyer-reports", report(claim, note="另一条"), key="k-1")
    other_path = merchant.post(f"claims/{claim.claim_id}/remind-buyer", {}, key="k-1")
    for response in (other_body, other_path):
        assert response.status_code == 409
        assert error_of(response)["code"] == "idempotency_key_reused"
    assert MerchantReport.objects.count() == 1


def test_keys_belong_to_one_client(world, merchant):
    claim = world.claim()
    twin = make_api("shop-a-second-erp", role="merchant", shop_id=world.shop.shop_id)
    merchant.post("buyer-reports", report(claim), key="shared")
    assert twin.post("buyer-reports", report(claim, note="另一条"), key="shared").status_code == 201
    assert MerchantReport.objects.count() == 2


def test_a_refusal_is_replayed_too_and_the_action_is_not_run_again(world, insurer):
    claim = world.claim(with_image=False)
    approve = {"outcome": "approve", "problem_code": "no_power"}
    first = insurer.post(f"claims/{claim.claim_id}/decision", approve, key="d-1")
    assert first.status_code == 422
    claim_services.add_evidence(claim, "buyer", image_upload(pattern=2), world.platform)
    again = insurer.post(f"claims/{claim.claim_id}/decision", approve, key="d-1")
    assert (again.status_code, again.json()) == (422, first.json())
    assert Claim.objects.get(pk=claim.pk).status == "submitted"
    assert insurer.post(f"claims/{claim.claim_id}/decision", approve, key="d-2").status_code == 200


def test_a_bulk_call_with_a_key_is_replayed_as_a_whole(world, platform):
    orders = {
        "orders": [
            {
                "sub_order_id": f"so-{i}",
                "order_id": "o",
                "shop_id": "shop-a",
                "buyer_id": "b",
                "product_id": "p",
                "warranty_plan": "appliance_30d",
                "paid_amount": "10.00",
                "placed_at": (world.now - dt.timedelta(days=3)).isoformat(),
            }
            for i in range(3)
        ]
    }
    first = platform.post("orders", orders, key="batch-1")
    again = platform.post("orders", orders, key="batch-1")
    assert (first.status_code, again.status_code) == (201, 201)  # a natural-key resend would say 200
    assert again.json() == first.json()
    assert SubOrder.objects.count() == 3


def test_an_upload_with_a_key_is_stored_once(world, platform):
    claim = world.claim(with_image=False)
    photo = image_upload(pattern=3)
    first = platform.upload(f"claims/{claim.claim_id}/evidence", photo, note="壶底", key="u-1")
    photo.seek(0)
    again = platform.upload(f"claims/{claim.claim_id}/evidence", photo, note="壶底", key="u-1")
    assert (first.status_code, again.json()) == (201, first.json())
    assert Evidence.objects.filter(claim=claim).count() == 1
    other = platform.upload(f"claims/{claim.claim_id}/evidence", image_upload(pattern=4), note="壶底", key="u-1")
    assert other.status_code == 409


def test_a_malformed_key_is_a_400(world, merchant):
    response = merchant.post("buyer-reports", report(world.claim()), key="x" * 256)
    assert response.status_code == 400
    assert "Idempotency-Key" in error_of(response)["fields"]


def test_keys_are_kept_at_least_24_hours_and_then_purged(world, merchant):
    claim = world.claim()
    merchant.post("buyer-reports", report(claim), key="old")
    created = IdempotencyRecord.objects.get(key="old").created_at
    assert idempotency.purge(created + dt.timedelta(hours=24)) == 0
    assert merchant.post("buyer-reports", report(claim), key="old").status_code == 201
    assert MerchantReport.objects.count() == 1
    assert idempotency.purge(created + idempotency.KEEP + dt.timedelta(seconds=1)) == 1
    assert not IdempotencyRecord.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_identical_requests_at_once_act_once(world):
    merchant = make_api("racing-erp", role="merchant", shop_id=world.shop.shop_id)
    claim = world.claim()
    real = claim_services.report_buyer

    def slow_report(*args, **kwargs):
        # Widen the window: the first request holds its transaction while the second arrives.
        time.sleep(0.3)
        return real(*args, **kwargs)

    barrier = threading.Barrier(2)
    answers = []

    def send():
        try:
            barrier.wait()
            response = merchant.post("buyer-reports", report(claim), key="race-1")
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    with mock.patch("claims.services.report_buyer", side_effect=slow_report):
        threads = [threading.Thread(target=send) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert len(answers) == 2
    assert answers[0] == answers[1]
    assert answers[0][0] == 201
    assert MerchantReport.objects.count() == 1
    assert IdempotencyRecord.objects.count() == 1
    assert IdempotencyRecord.objects.get().created_at <= timezone.now()
