"""Bulk inserts by COPY on PostgreSQL: `bulk_create`'s contract, a fraction of its cost.

A batch of 1,000 shipments writes some 6,000 rows (policies, audit rows, ledger entries and their
chain links, notices, webhook deliveries). `bulk_create` renders them as one INSERT of 70,000
quoted literals; `COPY … FROM STDIN` (psycopg 3) streams the same values, adapted by psycopg's C
dumpers, inside the caller's transaction like any other statement. The rows' ids are drawn from
their sequence first, so that callers get saved objects with their `pk` set, as from
`bulk_create`, and can write the rows that point at them in the same way. Other databases, and
small batches (where one INSERT is as quick), keep `bulk_create`."""

import enum
from collections.abc import Iterable
from contextlib import nullcontext
from typing import Any, TypeVar

from django.db import connections, router
from django.db.models import Model

# Below this many rows one INSERT costs no more than a sequence read and a COPY (a refund request's
# few notices and deliveries stay one INSERT each).
COPY_FROM = 10

M = TypeVar("M", bound=Model)


def insert(model: type[M], objs: Iterable[M]) -> list[M]:
    """Save `objs` (new rows of `model`) in a fixed number of statements; returns them saved."""
    rows = list(objs)
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql" or len(rows) < COPY_FROM:
        return model._default_manager.using(alias).bulk_create(rows)
    meta = model._meta
    quote = connection.ops.quote_name
    fields = list(meta.concrete_fields)
    without_pk = [row for row in rows if row.pk is None]
    with connection.cursor() as cursor:
        if without_pk:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [meta.db_table, meta.pk.column, len(without_pk)],
            )
            # In the order given, as bulk_create numbers them.
            for row, (pk,) in zip(without_pk, sorted(cursor.fetchall()), strict=True):
                row.pk = pk
        columns = ", ".join(quote(str(field.column)) for field in fields)
        sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        # Counted and logged as Django's own statements are (query-count tests see it), and a unique
        # key it breaks is an IntegrityError like theirs.
        logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(
                    [_plain(field.get_db_prep_save(field.pre_save(row, True), connection)) for field in fields]
                )
    for row in rows:
        row._state.adding = False
        row._state.db = alias
    return rows


def _plain(value: Any) -> Any:
    """A choice as its stored value: psycopg dumps an Enum that is not also a str by its name."""
    return value.value if isinstance(value, enum.Enum) and not isinstance(value, str) else value
