"""R-AUD-1 on PostgreSQL: writers of one chain at the same instant take turns at its head; the
chain never forks and still verifies."""

import datetime as dt

import pytest

from audit import chain
from audit.models import ChainLink
from claims import services as claims
from claims.choices import Side
from ledger.models import Entry, EntryKind
from policies import services as policies
from tests.factories import photo_upload
from tests.world import World

from .postgres import postgresql_only
from .test_races import race

pytestmark = [postgresql_only, pytest.mark.django_db(transaction=True)]

UPLOADS = 8  # a claim takes 9 files per side; the world's claim has one
ORDERS = 16


def contiguous(chain_name):
    seqs = list(ChainLink.objects.filter(chain=chain_name).order_by("seq").values_list("seq", flat=True))
    return seqs == list(range(1, len(seqs) + 1)), len(seqs)


def test_r_aud_1_concurrent_writers_of_one_claim_and_one_shop_never_fork_a_chain():
    world = World()
    claim = world.claim()
    sub_orders = [world.order(placed_at=world.now - dt.timedelta(days=4)) for _ in range(ORDERS)]
    before_claim = ChainLink.objects.filter(chain=f"claim:{claim.pk}").count()
    before_shop = ChainLink.objects.filter(chain=f"shop:{world.shop.pk}").count()

    def attempt(i):
        if i < UPLOADS:
            upload = photo_upload(seed=1000 + i)
            return lambda: claims.add_evidence(claim, Side.BUYER, upload, world.platform, now=world.now)
        if i < UPLOADS + ORDERS:
            sub_order = sub_orders[i - UPLOADS]
            event = {"sub_order_id": sub_order.sub_order_id, "type": "shipped", "at": world.now - dt.timedelta(days=3)}
            return lambda: policies.record_order_events([event], world.platform)
        return lambda: None

    results = race(attempt)
    assert not [r for r in results if isinstance(r, Exception)], results

    whole, length = contiguous(f"claim:{claim.pk}")
    assert whole and length == before_claim + UPLOADS
    premiums = Entry.objects.filter(shop=world.shop, claim=None, kind=EntryKind.PREMIUM_CHARGED).count()
    whole, length = contiguous(f"shop:{world.shop.pk}")
    assert whole and length == before_shop + ORDERS == premiums
    report = chain.verify()
    assert report.problems == [], [str(p) for p in report.problems]
