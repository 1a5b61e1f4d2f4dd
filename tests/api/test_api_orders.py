"""Orders, order events and policies through the API (api.md Orders; R-POL-1 … R-POL-4)."""

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.services import history
from integrations.models import WebhookDelivery
from ledger.models import Entry
from notices.models import Notice
from policies import services as policies
from policies.models import Policy, SubOrder

from .conftest import error_of, make_api

pytestmark = pytest.mark.django_db


def order(world, sub_order_id, **overrides):
    return {
        "sub_order_id": sub_order_id,
        "order_id": f"o-{sub_order_id}",
        "shop_id": world.shop.shop_id,
        "buyer_id": "buyer-1",
        "product_id": "kettle-1",
        "warranty_plan": "appliance_30d",
        "paid_amount": "199.00",
        "placed_at": (world.now - dt.timedelta(days=10)).isoformat(),
    } | overrides


def at(world, days_ago):
    return (world.now - dt.timedelta(days=days_ago)).isoformat()


def test_r_pol_1_one_order_is_answered_with_whether_it_is_covered(world, platform):
    response = platform.post("orders", order(world, "so-1"))
    assert response.status_code == 201
    assert response.json() == {"sub_order_id": "so-1", "covered": True, "reason": None}
    assert SubOrder.objects.get(sub_order_id="so-1").rate == Decimal("0.0150")


def test_r_pol_1_a_batch_answers_each_order_with_why_it_is_not_covered(world, platform):
    batch = [
        order(world, "so-1"),
        order(world, "so-2", warranty_plan=None),
        order(world, "so-3", placed_at=at(world, 500)),
    ]
    response = platform.post("orders", {"orders": batch})
    assert response.status_code == 201
    assert response.json() == {
        "orders": [
            {"sub_order_id": "so-1", "covered": True, "reason": None},
            {"sub_order_id": "so-2", "covered": False, "reason": "no_plan"},
            {"sub_order_id": "so-3", "covered": False, "reason": "not_enrolled"},
        ]
    }


def test_an_identical_resend_is_answered_200_and_changes_nothing(world, platform):
    first = platform.post("orders", {"orders": [order(world, "so-1"), order(world, "so-2")]})
    again = platform.post("orders", {"orders": [order(world, "so-1", paid_amount="199"), order(world, "so-2")]})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert SubOrder.objects.count() == 2


def test_r_pol_1_orders_recorded_by_a_concurrent_call_are_answered_as_resends(world, platform):
    """Two identical batches racing: the one that loses the insert reads again and answers 200."""
    platform.post("orders", order(world, "so-1"))
    real_in_bulk = SubOrder.objects.in_bulk
    calls = []

    def first_read_misses_the_other_calls_rows(*args, **kwargs):
        calls.append(1)
        return {} if len(calls) == 1 else real_in_bulk(*args, **kwargs)

    with mock.patch.object(SubOrder.objects, "in_bulk", side_effect=first_read_misses_the_other_calls_rows):
        response = platform.post("orders", order(world, "so-1"))
    assert len(calls) == 2
    assert response.status_code == 200
    assert response.json() == {"sub_order_id": "so-1", "covered": True, "reason": None}
    assert SubOrder.objects.filter(sub_order_id="so-1").count() == 1


def test_the_same_sub_order_id_with_other_content_is_a_409(world, platform):
    platform.post("orders", order(world, "so-1"))
    response = platform.post("orders", order(world, "so-1", paid_amount="99.00"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "sub_order_conflict"


def test_a_batch_is_all_or_nothing(world, platform):
    response = platform.post("orders", {"orders": [order(world, "so-1"), order(world, "so-2", shop_id="nowhere")]})
    assert response.status_code == 422
    assert list(error_of(response)["fields"]) == ["1.shop_id"]
    assert not SubOrder.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"orders": []}, "orders"),
        ("not an object", "non_field_errors"),
        ({"sub_order_id": "so-1"}, "order_id"),
    ],
)
def test_malformed_orders_are_a_400_naming_the_field(world, platform, body, field):
    response = platform.post("orders", body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_a_malformed_item_of_a_batch_names_its_index(world, platform):
    response = platform.post(
        "orders", {"orders": [order(world, "so-1"), order(world, "so-2", paid_amount="12.345", placed_at="tomorrow")]}
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"orders.1.paid_amount", "orders.1.placed_at"}
    assert not SubOrder.objects.exists()


def test_times_without_an_offset_are_refused(world, platform):
    response = platform.post("orders", order(world, "so-1", placed_at="2026-11-01T10:00:00"))
    assert response.status_code == 400
    assert "placed_at" in error_of(response)["fields"]


def test_more_than_1000_orders_in_one_call_is_a_400(world, platform):
    response = platform.post("orders", {"orders": [order(world, f"so-{i}") for i in range(1001)]})
    assert response.status_code == 400
    assert "orders" in error_of(response)["fields"]
    assert not SubOrder.objects.exists()


@pytest.mark.parametrize("role", ["insurer", "merchant"])
def test_only_the_platform_records_orders_and_events(world, request, role):
    api = request.getfixturevalue(role)
    for path, body in (("orders", order(world, "so-1")), ("order-events", {"events": []})):
        response = api.post(path, body)
        assert response.status_code == 403, path
        assert error_of(response)["code"] == "permission_denied"


def test_r_pol_2_shipment_issues_the_policy_and_receipt_starts_cover(world, platform):
    platform.post("orders", order(world, "so-1"))
    response = platform.post(
        "order-events",
        {
            "events": [
                {"sub_order_id": "so-1", "type": "shipped", "at": at(world, 9)},
                {"sub_order_id": "so-1", "type": "receipt_confirmed", "at": at(world, 7)},
            ]
        },
    )
    assert response.status_code == 200
    assert [e["result"] for e in response.json()["events"]] == ["applied", "applied"]
    policy = Policy.objects.get(sub_order__sub_order_id="so-1")
    assert (policy.status, policy.premium) == ("in_cover", Decimal("2.99"))
    assert policy.cover_ends_at == world.now - dt.timedelta(days=7) + dt.timedelta(hours=720)
    body = platform.get(f"policies/{policy.policy_no}").json()
    assert body["status"] == "in_cover"
    assert body["premium"] == "2.99"
    assert body["rate"] == "0.0150"
    assert body["cover_starts_at"].endswith("+08:00")
    assert dt.datetime.fromisoformat(body["cover_starts_at"]) == world.now - dt.timedelta(days=7)


def test_r_pol_2_a_cancellation_after_shipping_refunds_the_premium_unless_a_claim_is_open(world, platform):
    platform.post("orders", {"orders": [order(world, "so-1"), order(world, "so-2")]})
    ship = [{"sub_order_id": s, "type": "shipped", "at": at(world, 9)} for s in ("so-1", "so-2")]
    receive = [{"sub_order_id": "so-2", "type": "receipt_confirmed", "at": at(world, 5)}]
    platform.post("order-events", {"events": ship + receive})
    platform.post(
        "refund-requests",
        {
            "refund_id": "rf-1",
            "sub_order_id": "so-2",
            "kind": "refund_only",
            "reason": "quality",
            "amount": "50.00",
            "description": "漏水",
            "requested_at": world.now.isoformat(),
        },
    )
    cancel = [{"sub_order_id": s, "type": "cancelled", "at": at(world, 1)} for s in ("so-1", "so-2")]
    response = platform.post("order-events", {"events": cancel})
    assert [(e["result"], e["code"]) for e in response.json()["events"]] == [("applied", ""), ("refused", "claim_open")]
    cancelled, claimed = (Policy.objects.get(sub_order__sub_order_id=s) for s in ("so-1", "so-2"))
    assert (cancelled.status, claimed.status) == ("cancelled", "in_cover")
    assert sorted(Entry.objects.filter(policy=cancelled).values_list("kind", flat=True)) == [
        "premium_charged",
        "premium_refunded",
    ]


def test_an_event_for_an_unknown_sub_order_refuses_the_whole_call(world, platform):
    platform.post("orders", order(world, "so-1"))
    events = [
        {"sub_order_id": "so-1", "type": "shipped", "at": at(world, 9)},
        {"sub_order_id": "so-404", "type": "shipped", "at": at(world, 9)},
    ]
    response = platform.post("order-events", {"events": events})
    assert response.status_code == 422
    assert error_of(response)["code"] == "unknown_sub_order"
    assert not Policy.objects.exists()
    assert SubOrder.objects.get(sub_order_id="so-1").shipped_at is None


def test_a_replayed_event_is_a_no_op(world, platform):
    platform.post("orders", order(world, "so-1"))
    event = {"events": [{"sub_order_id": "so-1", "type": "shipped", "at": at(world, 9)}]}
    platform.post("order-events", event)
    response = platform.post("order-events", event)
    assert response.json()["events"][0]["result"] == "replayed"
    assert Policy.objects.count() == 1
    assert Entry.objects.count() == 1


def test_r_pol_2_one_shipment_alone_and_in_a_batch_of_many_follow_the_same_rule(world):
    """The bulk write path is the only path: a lone event and one among many end alike."""
    items = [
        {
            "sub_order_id": f"so-{i}",
            "order_id": "o",
            "shop_id": world.shop.shop_id,
            "buyer_id": "b",
            "product_id": "p",
            "warranty_plan": "appliance_30d" if i != 3 else None,
            "paid_amount": Decimal("123.45"),
            "placed_at": world.now - dt.timedelta(days=10),
        }
        for i in range(6)
    ]
    policies.record_orders(items, world.platform)
    shipped = world.now - dt.timedelta(days=9)
    received = world.now - dt.timedelta(days=8)
    policies.record_order_events(
        [{"sub_order_id": "so-0", "type": "receipt_confirmed", "at": received}], world.platform
    )
    policies.record_order_events([{"sub_order_id": "so-0", "type": "shipped", "at": shipped}], world.platform)
    policies.record_order_events(
        [{"sub_order_id": f"so-{i}", "type": "receipt_confirmed", "at": received} for i in range(1, 6)]
        + [{"sub_order_id": f"so-{i}", "type": "shipped", "at": shipped} for i in range(1, 6)],
        world.platform,
    )

    def footprint(sub_order_id):
        policy = Policy.objects.filter(sub_order__sub_order_id=sub_order_id).first()
        if policy is None:
            return None
        return (
            policy.status,
            policy.premium,
            policy.rate,
            policy.cover_starts_at,
            policy.cover_ends_at,
            policy.issued_at,
            [(row.transition, row.source, row.target, row.at) for row in history(policy)],
            sorted(Entry.objects.filter(policy=policy).values_list("kind", "amount", "created_at")),
            sorted(Notice.objects.filter(policy=policy).values_list("event_type", "audience")),
        )

    alone = footprint("so-0")
    assert alone[0] == "in_cover"
    assert alone[1] == Decimal("1.85")
    assert [footprint(f"so-{i}") for i in (1, 2, 4, 5)] == [alone] * 4
    assert footprint("so-3") is None


def count_queries(call):
    with CaptureQueriesContext(connection) as queries:
        response = call()
    return response, len(queries)


def test_bulk_orders_take_the_same_number_of_queries_for_10_and_1000(world, platform):
    def batch(prefix, n):
        return {"orders": [order(world, f"{prefix}-{i}", buyer_id=f"b-{i}") for i in range(n)]}

    platform.post("orders", batch("warm", 2))
    few, few_queries = count_queries(lambda: platform.post("orders", batch("few", 10)))
    many, many_queries = count_queries(lambda: platform.post("orders", batch("many", 1000)))
    assert (few.status_code, many.status_code) == (201, 201)
    assert SubOrder.objects.filter(sub_order_id__startswith="many-").count() == 1000
    assert few_queries == many_queries


def test_bulk_shipments_take_the_same_number_of_queries_for_10_and_1000(world, platform):
    """Shipping issues policies: policies, audit rows, ledger entries, notices and webhook
    deliveries are each written in one statement."""
    make_api("listener", webhook_url="http://127.0.0.1:9/hooks")
    items = [order(world, f"so-{i}") for i in range(1012)]
    for start in range(0, len(items), 1000):
        platform.post("orders", {"orders": items[start : start + 1000]})

    def ship(ids):
        events = [{"sub_order_id": f"so-{i}", "type": "shipped", "at": at(world, 9)} for i in ids]
        return lambda: platform.post("order-events", {"events": events})

    ship(range(2))()
    few, few_queries = count_queries(ship(range(2, 12)))
    many, many_queries = count_queries(ship(range(12, 1012)))
    assert (few.status_code, many.status_code) == (200, 200)
    assert Policy.objects.filter(status="issued").count() == 1012
    assert Entry.objects.filter(kind="premium_charged").count() == 1012
    assert WebhookDelivery.objects.filter(event_type="policy.issued").count() == 1012
    assert few_queries == many_queries
