"""The portal's lists sort by their columns (issue 16 item 5): newest first until a header is
clicked, then by that column, ascending, and the other way on a second click; the header says
which (aria-sort) and its link keeps the filters. A sort the list does not offer is ignored."""

import datetime as dt
import re

from django.urls import reverse

from claims.models import Claim


def _claim_ids(response):
    return re.findall(
        r'<th scope="row" data-label="Claim"><a href="[^"]+">(CL[0-9A-F]+)</a>', response.content.decode()
    )


def _header(response, label):
    return re.search(rf'<th scope="col" class="sortable"[^>]*><a href="([^"]+)">{label}<', response.content.decode())


def test_claims_are_newest_first_and_sort_by_a_column_both_ways(merchant_client, world):
    older = world.claim(amount="50.00", now=world.now - dt.timedelta(hours=3))
    newer = world.claim(amount="150.00", now=world.now - dt.timedelta(hours=1))
    middle = world.claim(amount="100.00", now=world.now - dt.timedelta(hours=2))
    url = reverse("portal:claims")

    first = merchant_client.get(url)
    assert _claim_ids(first) == [newer.claim_id, middle.claim_id, older.claim_id]
    assert 'aria-sort="descending"><a href="?sort=opened">Opened' in first.content.decode()

    by_amount = merchant_client.get(url, {"sort": "requested", "status": "open", "page": "1"})
    assert _claim_ids(by_amount) == [older.claim_id, middle.claim_id, newer.claim_id]
    link = _header(by_amount, "Requested").group(1)
    assert "sort=-requested" in link and "status=open" in link and "page=" not in link
    assert 'aria-sort="ascending"' in by_amount.content.decode()

    reversed_ = merchant_client.get(url, {"sort": "-requested"})
    assert _claim_ids(reversed_) == [newer.claim_id, middle.claim_id, older.claim_id]

    # Anything else in the address is not a column of the list: the list keeps its default order.
    assert _claim_ids(merchant_client.get(url, {"sort": "buyer__buyer_id"})) == _claim_ids(first)
    assert Claim.objects.count() == 3


def test_every_list_offers_its_sortable_headers(merchant_client, world):
    world.claim()
    for name, label in (
        ("portal:claims", "Opened"),
        ("portal:refunds", "Requested at"),
        ("portal:policies", "Premium"),
        ("portal:ledger", "Amount"),
    ):
        assert _header(merchant_client.get(reverse(name)), label), name
