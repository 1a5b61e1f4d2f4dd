"""Notices partitioned by month on PostgreSQL (issue 19, item 4; kernel.partitions): the migration
converts today's table with its rows, the daily job makes months ahead and drops those past
retention, and the merchant's inbox reads one month's partition. DDL with rows written in the same
transaction trips PostgreSQL's deferred foreign-key checks, so these tests commit (transactional_db)."""

import datetime as dt
import re
import uuid

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from integrations import webhooks
from integrations.models import WebhookAttempt, WebhookDelivery
from integrations.services import issue_client
from kernel import partitions
from notices import services
from notices.models import Audience, Notice

from .world import World

pytestmark = pytest.mark.django_db(transaction=True)
postgres = pytest.mark.skipif(connection.vendor != "postgresql", reason="partitions are PostgreSQL's")

SPEC = partitions.Monthly("notices_notice", "created_at", keep_months=13)
# The migration makes its months from the clock's: the rows are placed around today.
NOW = timezone.now()


def month(offset, day=10):
    return partitions.add_months(partitions.month_start(NOW), offset).replace(day=day, hour=12)


def where(row_id, table="notices_notice"):
    """The partition a row lives in."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT tableoid::regclass::text FROM {table} WHERE id = %s", [row_id])
        row = cursor.fetchone()
    return row and row[0]


def notice(shop, at, **fields):
    return Notice.objects.create(
        event_type="claim.opened", audience=Audience.MERCHANT, shop=shop, created_at=at, **fields
    )


def index_names():
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'notices_notice'")
        return {name for (name,) in cursor.fetchall()}


@postgres
def test_the_migration_partitions_todays_notices_table_with_its_rows_ids_and_keys():
    world = World()
    executor = MigrationExecutor(connection)
    executor.migrate([("notices", "0003_rendered_notices")])
    assert not partitions.is_partitioned(connection, "notices_notice")
    names = index_names()
    old = executor.loader.project_state(("notices", "0003_rendered_notices")).apps.get_model("notices", "Notice")
    rows = [
        old.objects.create(event_type="claim.opened", audience="merchant", shop_id=world.shop.pk, created_at=at)
        for at in (month(-20), month(-2), month(-2, 28), month(0), month(5))
    ]

    executor = MigrationExecutor(connection)
    executor.migrate([("notices", "0004_notices_by_month")])

    assert partitions.is_partitioned(connection, "notices_notice")
    assert index_names() >= names  # Django's index and key names, as later migrations expect them
    assert [where(row.pk) for row in rows] == [
        SPEC.partition(partitions.month_start(month(-20))),
        SPEC.partition(partitions.month_start(month(-2))),
        SPEC.partition(partitions.month_start(month(-2))),
        SPEC.partition(partitions.month_start(month(0))),
        SPEC.after,  # beyond the months made ahead of the migration's day
    ]
    assert set(Notice.objects.values_list("pk", flat=True)) == {row.pk for row in rows}
    newer = notice(world.shop, timezone.now())
    assert newer.pk > max(row.pk for row in rows)
    # The foreign keys hold on the partitioned table as on the plain one.
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.filter(pk=newer.pk).update(shop_id=10**9)

    executor = MigrationExecutor(connection)
    executor.migrate([("notices", "0003_rendered_notices")])
    assert not partitions.is_partitioned(connection, "notices_notice")
    assert Notice.objects.count() == len(rows) + 1 and index_names() >= names
    MigrationExecutor(connection).migrate([("notices", "0004_notices_by_month")])


@postgres
def test_the_daily_job_makes_the_coming_months_and_moves_early_rows_out_of_the_default():
    world = World()
    later = partitions.add_months(partitions.month_start(NOW), 6)
    early = notice(world.shop, later + dt.timedelta(days=3))
    assert where(early.pk) == SPEC.after

    done = services.maintain_partitions(now=later - dt.timedelta(days=40))

    assert SPEC.partition(later) in done["made"]
    assert where(early.pk) == SPEC.partition(later)
    assert services.maintain_partitions(now=later - dt.timedelta(days=40))["made"] == []


@postgres
def test_months_past_retention_are_dropped_whole_and_younger_ones_kept(settings):
    settings.ZHIBAO_NOTICE_RETENTION_MONTHS = 2
    world = World()
    start = partitions.add_months(partitions.month_start(NOW), -4)
    with transaction.atomic():
        partitions.extend(connection, SPEC, start, NOW)  # the months from four back are made
    rows = {offset: notice(world.shop, month(offset)) for offset in (-4, -3, -2, -1, 0)}
    ancient = notice(world.shop, timezone.make_aware(dt.datetime(2001, 1, 1)))  # in `before`
    far = notice(world.shop, month(14))  # beyond the months made: in `after`
    assert (where(ancient.pk), where(far.pk)) == (SPEC.before, SPEC.after)

    done = services.maintain_partitions(now=NOW)

    cutoff = partitions.add_months(partitions.month_start(NOW), -2)
    assert {SPEC.partition(partitions.month_start(month(o))) for o in (-4, -3)} <= set(done["dropped"])
    assert set(Notice.objects.values_list("pk", flat=True)) == {rows[-2].pk, rows[-1].pk, rows[0].pk, far.pk}
    assert partitions.month_starts(connection, SPEC)[0] == cutoff
    # A late row of a dropped month is not refused: it lands in `before`, which now reaches the
    # first month kept, and goes with the next drop.
    late = notice(world.shop, month(-3))
    assert where(late.pk) == SPEC.before


@postgres
def test_the_merchants_inbox_reads_only_the_newest_months_partition():
    """The portal lists a shop's notices newest first, 20 to a page: PostgreSQL scans the
    partitions in order and stops in the newest, the older ones never executed."""
    world = World()
    with transaction.atomic():
        partitions.extend(connection, SPEC, partitions.add_months(NOW, -3), NOW)
    at = partitions.month_start(NOW) + dt.timedelta(hours=1)
    Notice.objects.bulk_create(
        Notice(event_type="claim.opened", audience=Audience.MERCHANT, shop=world.shop, created_at=month(offset))
        for offset in (-3, -2, -1)
    )
    Notice.objects.bulk_create(
        Notice(
            event_type="claim.opened",
            audience=Audience.MERCHANT,
            shop=world.shop,
            created_at=at + dt.timedelta(minutes=n),
        )
        for n in range(30)
    )
    page = Notice.objects.for_merchant(world.shop.pk).order_by("-created_at", "-id").values("pk")[:20]
    with transaction.atomic():
        # As PostgreSQL would see a busy month: its counts, made in this transaction and rolled
        # back with it (on a few rows it would rightly read each partition whole).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE notices_notice")
            cursor.execute(
                "UPDATE pg_class SET reltuples = 1000000, relpages = 1 WHERE oid IN (SELECT inhrelid FROM"
                " pg_inherits WHERE inhparent IN (SELECT oid FROM pg_class WHERE relname = ANY(%s)))",
                [["notices_notice", *index_names()]],
            )
        plan = page.explain(analyze=True, costs=False, timing=False, summary=False)
        transaction.set_rollback(True)
    # Newest first: `after` and the months ahead are looked into (empty: no row read), then this
    # month's partition gives the page; the older months are never executed.
    scans = {line.split(" on ")[1].split()[0]: line for line in plan.splitlines() if " on notices_notice_" in line}
    newest = SPEC.partition(partitions.month_start(NOW))
    older = [SPEC.partition(partitions.month_start(month(offset))) for offset in (-3, -2, -1)]
    assert 20 <= read(scans[newest]) < 30, plan
    assert all("never executed" in scans[name] for name in older), plan
    assert all(read(line) == 0 for name, line in scans.items() if name != newest), plan


@postgres
def test_the_migration_partitions_the_webhook_outbox_with_its_deliveries_and_attempts():
    World()
    client, _ = issue_client("tmall", webhook_url="http://127.0.0.1:9/hook")
    executor = MigrationExecutor(connection)
    executor.migrate([("integrations", "0002_lean_indexes")])
    old = executor.loader.project_state(("integrations", "0002_lean_indexes")).apps
    Delivery, Attempt = (
        old.get_model("integrations", "WebhookDelivery"),
        old.get_model("integrations", "WebhookAttempt"),
    )
    deliveries = [
        Delivery.objects.create(
            client_id=client.pk,
            event_id=uuid.uuid4(),
            event_type="claim.opened",
            payload={"n": n},
            created_at=at,
            retry_until=at + dt.timedelta(days=1),
        )
        for n, at in enumerate((month(-7), month(0)))
    ]
    attempts = [Attempt.objects.create(delivery_id=d.pk, at=d.created_at, status_code=500) for d in deliveries]

    MigrationExecutor(connection).migrate([("integrations", "0003_deliveries_by_month")])

    delivery_table, attempt_table = (spec.table for spec in webhooks.partitioning())
    assert partitions.is_partitioned(connection, delivery_table) and partitions.is_partitioned(
        connection, attempt_table
    )
    assert [where(d.pk, delivery_table) for d in deliveries] == [
        f"{delivery_table}_p{partitions.month_start(d.created_at):%Y%m}" for d in deliveries
    ]
    for delivery, attempt in zip(deliveries, attempts, strict=True):
        assert list(WebhookDelivery.objects.get(pk=delivery.pk).attempt_log.values_list("pk", flat=True)) == [
            attempt.pk
        ]
    assert WebhookDelivery.objects.create(
        client=client, event_id=uuid.uuid4(), event_type="claim.opened", payload={}, created_at=NOW, retry_until=NOW
    ).pk > max(d.pk for d in deliveries)


@postgres
def test_the_outbox_keeps_one_delivery_per_client_and_event_and_drops_months_past_retention(settings):
    settings.ZHIBAO_WEBHOOK_RETENTION_MONTHS = 2
    World()
    client, _ = issue_client("tmall", webhook_url="http://127.0.0.1:9/hook")
    for spec in webhooks.partitioning():
        with transaction.atomic():
            partitions.extend(connection, spec, month(-4), NOW)

    def delivery(at, event_id=None):
        return WebhookDelivery.objects.create(
            client=client,
            event_id=event_id or uuid.uuid4(),
            event_type="claim.opened",
            payload={},
            created_at=at,
            retry_until=at + dt.timedelta(days=1),
        )

    deliveries = {offset: delivery(month(offset)) for offset in (-4, -1, 0)}
    for each in deliveries.values():
        WebhookAttempt.objects.create(delivery=each, at=each.created_at + dt.timedelta(minutes=1), status_code=500)
    with pytest.raises(IntegrityError), transaction.atomic():
        delivery(deliveries[0].created_at, event_id=deliveries[0].event_id)

    services.maintain_partitions(now=NOW)

    kept = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert kept == {deliveries[-1].pk, deliveries[0].pk}
    assert set(WebhookAttempt.objects.values_list("delivery_id", flat=True)) == kept


@postgres
@pytest.mark.parametrize(
    "table, why",
    [
        ("merchants_shop", "other tables point at it"),
        ("integrations_idempotencyrecord", "a unique key without created_at"),
    ],
)
def test_a_table_whose_keys_partitions_could_not_keep_is_refused_and_left_as_it_was(table, why):
    with pytest.raises(ValueError, match=why), transaction.atomic():
        partitions.convert(connection, partitions.Monthly(table, "created_at"), NOW, partitions.AHEAD)
    assert not partitions.is_partitioned(connection, table)


@pytest.mark.skipif(connection.vendor == "postgresql", reason="the embedded database's case")
def test_on_the_embedded_database_notices_stay_one_table_and_the_daily_job_does_nothing():
    world = World()
    kept = notice(world.shop, NOW)
    assert services.maintain_partitions(now=NOW) == {"made": [], "dropped": []}
    assert list(Notice.objects.values_list("pk", flat=True)) == [kept.pk]


def read(line):
    """The rows a plan node gave (0 for one never executed)."""
    found = re.search(r"actual rows=(\d+)", line)
    return int(found[1]) if found else 0
