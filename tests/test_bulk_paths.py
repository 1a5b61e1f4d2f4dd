"""The hot paths of a Double-11 peak (issue 7) do their work in few statements, and still by the rules."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import services as claims
from claims.models import Buyer
from policies import services as policies


def test_r_rev_5_a_buyers_level_is_recorded_in_one_statement_new_or_known(world):
    with CaptureQueriesContext(connection) as queries:
        buyer = claims.report_buyer_level("buyer-peak", "high")
    assert len(queries) == 1
    assert (buyer.level, buyer.reported_level) == ("high", "high")
    with CaptureQueriesContext(connection) as queries:
        again = claims.report_buyer_level("buyer-peak", "low")
    assert len(queries) == 1
    assert again.pk == buyer.pk and (again.level, again.reported_level) == ("low", "low")


def test_r_rev_5_a_revoked_buyer_stays_revoked_whatever_the_platform_reports(world):
    buyer = claims.report_buyer_level("buyer-abuser", "high")
    claims.set_buyer_eligibility(buyer, world.staff, revoke=True, reason="蓄意牟利", now=world.now)
    reported = claims.report_buyer_level("buyer-abuser", "high")
    assert (reported.level, reported.reported_level) == ("revoked", "high")
    assert Buyer.objects.get(pk=buyer.pk).level == "revoked"
    restored = claims.set_buyer_eligibility(reported, world.staff, revoke=False, reason="申诉成立", now=world.now)
    assert restored.level == "high"


def test_r_pol_2_a_batch_of_shipments_writes_only_the_shipment_time(world):
    orders = [world.order() for _ in range(3)]
    at = world.now - dt.timedelta(days=2)
    with CaptureQueriesContext(connection) as queries:
        policies.record_order_events(
            [{"sub_order_id": o.sub_order_id, "type": "shipped", "at": at} for o in orders], world.platform
        )
    updates = [q["sql"] for q in queries if q["sql"].startswith('UPDATE "policies_suborder"')]
    assert len(updates) == 1
    assert '"shipped_at"' in updates[0]
    assert '"receipt_confirmed_at"' not in updates[0] and '"cancelled_at"' not in updates[0]
    for order in orders:
        order.refresh_from_db()
        assert order.shipped_at == at and order.policy.status == "issued"
