"""A second plan through the API (domain.md §15, R-PLAN-1): an apparel order, its claim decided
with an apparel code, and each plan's problem codes as a lookup."""

import datetime as dt

import pytest

from tests.factories import PlanFactory, image_upload

from .conftest import error_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def apparel(world):
    plan = PlanFactory(code="apparel_30d", name="服饰30天质保险", insurers=[world.insurer])
    world.enrol(world.shop, at=world.since, plan=plan)
    return plan


def test_r_plan_1_a_whole_apparel_claim_through_the_api(
    world, apparel, platform, insurer, merchant, django_capture_on_commit_callbacks
):
    placed, shipped, received = (world.now - dt.timedelta(days=d) for d in (10, 9, 5))
    order = {
        "sub_order_id": "SO-AP",
        "order_id": "O-AP",
        "shop_id": world.shop.shop_id,
        "buyer_id": "buyer-ap",
        "product_id": "jacket-1",
        "warranty_plan": "apparel_30d",
        "paid_amount": "359.00",
        "placed_at": placed.isoformat(),
    }
    answer = platform.post("orders", order)
    assert (answer.status_code, answer.json()["covered"]) == (201, True)
    events = [
        {"sub_order_id": "SO-AP", "type": "shipped", "at": shipped.isoformat()},
        {"sub_order_id": "SO-AP", "type": "receipt_confirmed", "at": received.isoformat()},
    ]
    assert platform.post("order-events", {"events": events}).status_code == 200
    [policy] = platform.get("policies", {"sub_order_id": "SO-AP"}).json()["results"]
    assert (policy["plan"], policy["status"]) == ("apparel_30d", "in_cover")

    request = {
        "refund_id": "RF-AP",
        "sub_order_id": "SO-AP",
        "kind": "return_refund",
        "reason": "quality",
        "amount": "359.00",
        "description": "袖口开线",
        "requested_at": world.now.isoformat(),
    }
    claim_id = platform.post("refund-requests", request).json()["claim"]["claim_id"]
    path = f"claims/{claim_id}"

    def step(api, action, body=None, expect=200):
        response = api.post(f"{path}/{action}", body or {})
        assert response.status_code == expect, (action, response.json())
        return response.json()

    assert platform.upload(f"{path}/evidence", image_upload(pattern=2), note="袖口").status_code == 201
    # An appliance code, or an apparel code of another reason, is not this claim's.
    for code in ("leaking_water_or_power", "torn"):
        refused = insurer.post(f"{path}/decision", {"outcome": "approve", "problem_code": code})
        assert (refused.status_code, error_of(refused)["code"]) == (422, "invalid_problem_code"), code
    claim = step(insurer, "decision", {"outcome": "approve", "problem_code": "seam_split"})
    assert claim["status"] == "awaiting_return"
    assert (claim["decision"]["problem_code"], claim["decision"]["problem_label"]) == ("seam_split", "Seam split")
    assert step(platform, "return-shipment", {"carrier": "SF", "tracking_number": "SF-AP"})["status"] == (
        "return_in_transit"
    )
    assert step(platform, "delivered")["status"] == "awaiting_receipt"
    assert step(merchant, "receipt", {"outcome": "confirm"})["status"] == "refund_due"
    with django_capture_on_commit_callbacks(execute=True):
        step(platform, "refund-completed")
    claim = platform.get(path).json()
    assert (claim["status"], claim["payout_amount"]) == ("paid", "359.00")
    assert [h["to"] for h in claim["history"]] == [
        "submitted",
        "awaiting_return",
        "return_in_transit",
        "awaiting_receipt",
        "refund_due",
        "refunded",
        "paid",
    ]


def test_r_plan_1_each_plans_problem_codes_are_listed_with_both_labels(world, apparel, insurer, platform):
    body = insurer.get("plans/apparel_30d/problem-codes").json()
    assert body["plan"] == "apparel_30d"
    rows = {row["code"]: row for row in body["results"]}
    assert rows["material_mismatch"] == {
        "reason": "not_as_described",
        "code": "material_mismatch",
        "label_zh_hans": "材质不符",
        "label_en": "Material not as described",
    }
    assert {row["reason"] for row in body["results"]} == {"quality", "not_as_described", "damaged"}
    appliance = {row["code"] for row in platform.get("plans/appliance_30d/problem-codes").json()["results"]}
    assert "leaking_water_or_power" in appliance and "seam_split" not in appliance
    missing = insurer.get("plans/no-such-plan/problem-codes")
    assert missing.status_code == 404
