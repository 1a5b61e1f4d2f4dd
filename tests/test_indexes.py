"""The look-ups that run on tables of millions of rows can use an index (docs/performance.md).
PostgreSQL only: its planner is the one production uses."""

import pytest
from django.db import connection

from claims.models import Claim
from merchants.models import Shop

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL's planner")


def test_r_abuse_1_a_reused_tracking_number_is_looked_up_by_the_expression_an_index_holds(world):
    """R-ABUSE-1 compares tracking numbers normalised (claims.tracking, the `same_tracking` lookup
    of record_return_shipment and the admin's search). PostgreSQL uses an expression index for
    exactly the expression it indexes: the lookup's, as the planner sees it, must be the one
    claim_tracking_key holds. (Which plan it picks on a test table of a few rows is up to its
    statistics; the bench shows it at a million.)"""
    world.claim()
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'claim_tracking_key'")
        [definition] = cursor.fetchone()
    plan = Claim.objects.filter(tracking_number__same_tracking="sf 0001-2").explain()

    expression = definition[definition.index("(upper(") + 1 : definition.rindex(")")].removesuffix(" text_pattern_ops")
    assert expression.startswith("upper(replace(replace((tracking_number)::text")
    assert f"{expression} = 'SF00012'::text" in plan.replace(" text_pattern_ops", "")


def _plan_at_production_size(queryset, tables):
    """The plan PostgreSQL picks once `tables` look a million rows long to it (their pg_class
    counts, changed inside the test's transaction and rolled back with it) and it may not read a
    whole table: on a test table of a few rows it would rightly walk any index and filter, which
    says nothing about the look-up (found on CI)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE pg_class SET reltuples = 1000000, relpages = 1 WHERE oid = ANY(%s::regclass[])"
            " OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = ANY(%s::regclass[]))",
            [list(tables), list(tables)],
        )
        cursor.execute("SET enable_seqscan = off")
        try:
            return queryset.explain()
        finally:
            cursor.execute("SET enable_seqscan = on")


@pytest.mark.parametrize(
    "lookup, term, index",
    [
        ("claim_id__startswith", "CL12", "claims_claim_claim_id_"),
        ("tracking_number__tracking_prefix", "sf 77", "claim_tracking_key"),
        ("refund_request__refund_id__startswith", "TB-RF", "claims_refundrequest_refund_id_"),
        ("sub_order__sub_order_id__startswith", "TB-SO", "policies_suborder_sub_order_id_"),
    ],
)
def test_the_reviewers_search_by_the_start_of_an_identifier_reads_an_index(world, lookup, term, index):
    """The admin's search by a prefix (ClaimAdmin.search_fields) is `LIKE 'term%'`, which only a
    pattern_ops index (or a C collation) serves: the unique ids' `_like` indexes, claim_tracking_key
    with text_pattern_ops. The index must bound the scan (an Index Cond), not just be walked."""
    world.claim()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE claims_claim; ANALYZE claims_refundrequest; ANALYZE policies_suborder")
    # Unordered: the claims' default ordering is the list's business, not the look-up's.
    plan = _plan_at_production_size(
        Claim.objects.filter(**{lookup: term}).order_by().values("pk"),
        ["claims_claim", "claims_refundrequest", "policies_suborder"],
    )
    scan = next((part for part in plan.split("->") if index in part), "")
    assert "Index Cond" in scan and "~>=~" in scan, plan


def test_the_reviewers_search_by_the_start_of_a_shop_name_reads_its_index(world):
    """shop_name_prefix (varchar_pattern_ops) serves `name LIKE 'term%'`. Among a handful of shops
    the planner may as well walk the primary key and filter (found on CI): among thousands, as
    production has, it reads the prefix index."""
    Shop.objects.bulk_create(
        Shop(shop_id=f"bulk-{n}", name=f"Shop {n:05d}", email=f"bulk-{n}@example.com") for n in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE merchants_shop")
    plan = Shop.objects.filter(name__startswith="Shop 0012").values("pk").explain()
    assert "shop_name_prefix" in plan and "Seq Scan" not in plan
