"""Bulk rows by COPY (issue 19, item 3; kernel.bulk): on PostgreSQL the bulk order and event paths
write their rows with COPY inside the request's transaction, with the same rows, ids and errors
as bulk_create; elsewhere, and for a handful of rows, bulk_create itself."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from kernel import bulk
from ledger.models import Entry
from notices.models import Audience, Notice

pytestmark = pytest.mark.django_db
postgresql_only = pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")

AT = dt.datetime(2026, 11, 11, 0, 0, 1, tzinfo=dt.UTC)


def notices(world, n, tag="n"):
    return [
        Notice(
            event_type="policy.issued",
            audience=Audience.MERCHANT,
            shop=world.shop,
            message=f"政策 {tag}-{i}, \t a tab and a \\ backslash",
            data={"policy_no": f"P-{i}", "premium": "1.50", "nested": [1, None, "二"]},
            created_at=AT + dt.timedelta(seconds=i),
        )
        for i in range(n)
    ]


@postgresql_only
def test_copied_rows_read_back_as_written_with_ids_in_order(world):
    rows = notices(world, 40)
    with CaptureQueriesContext(connection) as queries:
        saved = bulk.insert(Notice, rows)
    assert [q["sql"].split()[0] for q in queries.captured_queries] == ["SELECT", "COPY"]
    ids = [row.pk for row in saved]
    assert ids == sorted(ids) and len(set(ids)) == 40
    back = {n.pk: n for n in Notice.objects.filter(pk__in=ids)}
    for row in saved:
        stored = back[row.pk]
        assert (stored.message, stored.data, stored.created_at, stored.shop_id, stored.audience) == (
            row.message,
            row.data,
            row.created_at,
            row.shop_id,
            "merchant",
        )
        assert stored.read_at is None


@postgresql_only
def test_a_copy_inside_a_rolled_back_transaction_leaves_nothing(world):
    before = Notice.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        bulk.insert(Notice, notices(world, 20))
        raise RuntimeError
    assert Notice.objects.count() == before


@postgresql_only
def test_a_unique_key_broken_by_a_copy_is_an_integrity_error(world):
    """R-PAY-5's guard holds for copied rows: a second premium entry of a policy is refused."""
    policy = world.delivered_order().policy
    entries = [
        Entry(
            kind="premium_charged",
            amount=Decimal("1.50"),
            shop_id=policy.shop_id,
            insurer_id=policy.insurer_id,
            plan_id=policy.plan_id,
            policy_id=policy.pk,
            created_at=AT,
        )
        for _ in range(12)
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert(Entry, entries)


def test_a_handful_of_rows_is_one_insert(world):
    with CaptureQueriesContext(connection) as queries:
        saved = bulk.insert(Notice, notices(world, 3))
    assert len(queries.captured_queries) == 1 and all(row.pk for row in saved)
