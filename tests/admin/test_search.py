"""Searching the admin by an identifier finds that record through an index, within the viewer's
scope (docs/performance.md: reviewers' lists sit on millions of rows)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services as claims
from claims.models import Claim, RefundRequest
from policies.models import SubOrder

from .helpers import claim_of_other_insurer, result_rows

CLAIMS = reverse("admin:claims_claim_changelist")


def search(client, url, term):
    response = client.get(url, {"q": term})
    assert response.status_code == 200
    return result_rows(response)


@pytest.mark.parametrize("identifier", ["claim id", "refund id", "sub-order id", "buyer id", "tracking number"])
def test_a_reviewer_finds_a_claim_by_any_of_its_identifiers(world, login, identifier):
    wanted = world.claim(buyer="buyer-wanted", kind="return_refund")
    world.claim(buyer="buyer-other")
    claims.decide(wanted, "approve", world.reviewer, problem_code="no_power", now=world.now)
    claims.record_return_shipment(wanted, world.platform, carrier="顺丰", tracking_number="SF1234567890", now=world.now)
    term = {
        "claim id": wanted.claim_id,
        "refund id": wanted.refund_request.refund_id,
        "sub-order id": wanted.sub_order.sub_order_id,
        "buyer id": "buyer-wanted",
        "tracking number": "sf1234567890",  # case-blind, as R-RET-2 compares it
    }[identifier]

    rows = search(login(world.reviewer_user), CLAIMS, term)

    assert len(rows) == 1 and wanted.claim_id in rows[0]


def test_a_search_never_reaches_past_the_viewers_scope(world, login):
    elsewhere = claim_of_other_insurer(world)
    assert search(login(world.reviewer_user), CLAIMS, elsewhere.claim_id) == []
    assert len(search(login(world.staff_user), CLAIMS, elsewhere.claim_id)) == 1


@pytest.mark.parametrize("identifier", ["claim id", "refund id", "sub-order id", "tracking number", "shop name"])
def test_a_reviewer_finds_a_claim_by_the_first_characters_of_an_identifier_or_its_shops_name(world, login, identifier):
    world.shop.name = "Wanted Appliances 旗舰店"
    world.shop.save()
    wanted = world.claim(shop=world.shop, kind="return_refund")
    other = world.claim(shop=world.other_shop)
    claims.decide(wanted, "approve", world.reviewer, problem_code="no_power", now=world.now)
    claims.record_return_shipment(
        wanted, world.platform, carrier="顺丰", tracking_number="SF 7788-123456", now=world.now
    )
    # Ids as the platform writes them, so that a prefix names one claim of the two.
    RefundRequest.objects.filter(pk=wanted.refund_request_id).update(refund_id="TB-RF-20261203-0042")
    SubOrder.objects.filter(pk=wanted.sub_order_id).update(sub_order_id="TB-SO-20261203-0042")
    term = {
        "claim id": wanted.claim_id[:-3],
        "refund id": "TB-RF-2026",
        "sub-order id": "TB-SO-2026",
        "tracking number": "sf7788-12",  # normalised, as R-RET-2 compares it
        "shop name": "Wanted App",
    }[identifier]

    rows = search(login(world.reviewer_user), CLAIMS, term)

    assert any(wanted.claim_id in row for row in rows)
    assert not any(other.claim_id in row for row in rows)


def test_identifiers_match_from_their_first_character_and_a_buyer_id_only_in_full(world, login):
    wanted = world.claim(buyer="buyer-wanted")
    client = login(world.reviewer_user)
    assert search(client, CLAIMS, f"  {wanted.claim_id} ") != []
    assert search(client, CLAIMS, wanted.claim_id[2:]) == []  # the middle of an id is not its start
    assert search(client, CLAIMS, "buyer-want") == []  # masked on the lists: never spelt out by a search
    assert search(client, CLAIMS, "buyer-wanted") != []


def test_a_prefix_search_treats_like_wildcards_as_characters(world, login):
    world.claim()
    assert search(login(world.reviewer_user), CLAIMS, "%") == []
    assert search(login(world.reviewer_user), CLAIMS, "_") == []


def test_letters_where_a_number_is_searched_find_nothing_rather_than_fail(world, login):
    world.claim()
    assert search(login(world.staff_user), reverse("admin:audit_transitionlog_changelist"), "abc") == []


def _queries_of(client, term):
    with CaptureQueriesContext(connection) as queries:
        rows = search(client, CLAIMS, term)
    return rows, [q["sql"] for q in queries]


def test_the_claim_search_reads_each_identifier_through_its_index_and_a_shop_by_its_key(world, login):
    """Each identifier looked up on its own, with no UPPER() that an index could not serve and no
    OR across joined tables; a shop found by its name in the shops' table, and the list filtered by
    its key, which the list's index on (shop, opened_at) serves in its order."""
    world.shop.name = "Wanted Appliances"
    world.shop.save()
    wanted = world.claim()
    client = login(world.reviewer_user)

    rows, sqls = _queries_of(client, "Wanted")

    assert len(rows) == 1 and wanted.claim_id in rows[0]
    assert not any('UPPER("claims_claim"."claim_id")' in sql or 'UPPER("merchants_shop"' in sql for sql in sqls)
    listings = [sql for sql in sqls if f'"claims_claim"."shop_id" IN ({world.shop.pk})' in sql]
    assert len(listings) >= 2 and not any(" OR " in sql for sql in listings)  # the page and its count


def test_a_claim_id_in_full_finds_that_claim_only_not_those_it_is_the_start_of(world, login):
    wanted, longer = world.claim(), world.claim()
    Claim.objects.filter(pk=wanted.pk).update(claim_id="CLTEST42")
    Claim.objects.filter(pk=longer.pk).update(claim_id="CLTEST421")
    client = login(world.reviewer_user)
    assert [("CLTEST421" in row) for row in search(client, CLAIMS, "CLTEST42")] == [False]
    assert len(search(client, CLAIMS, "CLTEST4")) == 2
