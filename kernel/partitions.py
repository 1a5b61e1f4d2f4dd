"""Tables partitioned by month on PostgreSQL (docs/operations.md, "Partitions").

A table that grows without end is split by the month of one of its times: a month's rows live in
`<table>_pYYYYMM`, the months contiguous; `<table>_before` holds anything older than the first
month and `<table>_after` anything past the last, so that no insert ever fails for want of a
partition. (Not a DEFAULT partition: one would stop PostgreSQL from reading the partitions in
order, so a newest-first page would touch every month instead of the newest.) Months start at
midnight in the site's time zone, as the statements and figures count them. The maintenance job
makes the coming months ahead, moving what the `after` partition held for them, and drops the
months past a table's retention whole (a DETACH and a DROP, not a DELETE of millions of rows).

Native declarative partitioning, with this small module, rather than django-postgres-extra (its
partitioned models need its own database backend, which SQLite, our embedded default, cannot be,
and it creates partitioned tables but does not convert one holding data) or pg_partman (an
extension the database server must carry, which not every managed PostgreSQL offers).

PostgreSQL wants the partition key in every unique key: the primary key becomes (id, <time>). Ids
still come from one sequence, so they stay unique; a table with another unique key that leaves the
time out, or one that a foreign key points at, is refused, since neither could be enforced
across partitions. Other
databases keep a plain table and every function here does nothing there."""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

# Months made ahead of the current one: the daily job may miss a few runs before a month is wanted.
AHEAD = 3


@dataclass(frozen=True)
class Monthly:
    table: str
    column: str
    # Whole months kept before the current one; None keeps every month.
    keep_months: int | None = None

    def partition(self, start: dt.datetime) -> str:
        return f"{self.table}_p{start:%Y%m}"

    @property
    def before(self) -> str:
        return f"{self.table}_before"

    @property
    def after(self) -> str:
        return f"{self.table}_after"


def month_start(moment: dt.datetime) -> dt.datetime:
    local = timezone.localtime(moment, timezone.get_default_timezone())
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def add_months(start: dt.datetime, months: int) -> dt.datetime:
    index = start.year * 12 + start.month - 1 + months
    naive = dt.datetime(index // 12, index % 12 + 1, 1)
    return timezone.make_aware(naive, timezone.get_default_timezone())


def months(first: dt.datetime, last: dt.datetime) -> Iterator[dt.datetime]:
    """The starts of the months from `first`'s to `last`'s, both included."""
    start, end = month_start(first), month_start(last)
    while start <= end:
        yield start
        start = add_months(start, 1)


def is_partitioned(connection: BaseDatabaseWrapper, table: str) -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_partitioned_table WHERE partrelid = to_regclass(%s)", [table])
        return cursor.fetchone() is not None


def partitions(connection: BaseDatabaseWrapper, spec: Monthly) -> list[str]:
    """The table's partitions by name, `before` and `after` among them."""
    if not is_partitioned(connection, spec.table):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass ORDER BY c.relname",
            [spec.table],
        )
        return [name for (name,) in cursor.fetchall()]


def month_starts(connection: BaseDatabaseWrapper, spec: Monthly) -> list[dt.datetime]:
    """The starts of the months the table has partitions for, oldest first."""
    prefix = f"{spec.table}_p"
    return sorted(
        timezone.make_aware(dt.datetime(int(name[-6:-2]), int(name[-2:]), 1), timezone.get_default_timezone())
        for name in partitions(connection, spec)
        if name.startswith(prefix) and name[len(prefix) :].isdigit()
    )


def convert(connection: BaseDatabaseWrapper, spec: Monthly, now: dt.datetime, ahead: int) -> None:
    """Turn the plain table into a partitioned one holding the same rows, ids, indexes and
    constraints under their names (a migration's step: run inside its transaction)."""
    if connection.vendor != "postgresql" or is_partitioned(connection, spec.table):
        return
    keys = _rebuild(connection, spec, partitioned=True)
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT min("{spec.column}") FROM "{spec.table}__old"')
        [oldest] = cursor.fetchone()
    starts = list(months(min(oldest, now) if oldest else now, add_months(month_start(now), ahead)))
    _edge(connection, spec, spec.before, None, starts[0])
    for start in starts:
        _month(connection, spec, start)
    _edge(connection, spec, spec.after, add_months(starts[-1], 1), None)
    _fill(connection, spec, f"{spec.table}__old")
    _run(connection, keys)


def merge(connection: BaseDatabaseWrapper, spec: Monthly) -> None:
    """Back to one plain table with the same rows (the migration's reverse)."""
    if is_partitioned(connection, spec.table):
        keys = _rebuild(connection, spec, partitioned=False)
        _fill(connection, spec, f"{spec.table}__old")
        _run(connection, keys)


def maintain(connection: BaseDatabaseWrapper, spec: Monthly, now: dt.datetime) -> tuple[list[str], list[str]]:
    """The daily upkeep of one table: the coming months made, the months past retention dropped.
    Returns the partitions made and dropped; nothing where the table is not partitioned."""
    with transaction.atomic(using=connection.alias):
        return make_ahead(connection, spec, now, AHEAD), drop_expired(connection, spec, now)


def make_ahead(connection: BaseDatabaseWrapper, spec: Monthly, now: dt.datetime, ahead: int) -> list[str]:
    """Make the months up to `ahead` months from now's (call inside a transaction)."""
    return extend(connection, spec, now, add_months(month_start(now), ahead))


def extend(connection: BaseDatabaseWrapper, spec: Monthly, first: dt.datetime, last: dt.datetime) -> list[str]:
    """Make the months from `first`'s to `last`'s that are missing, before the first month or
    after the last; what `before` or `after` held for them moves in (call inside a transaction).
    Returns the partitions made."""
    starts = month_starts(connection, spec)
    if not starts:
        return []
    earlier = list(months(first, add_months(starts[0], -1))) if month_start(first) < starts[0] else []
    later = list(months(add_months(starts[-1], 1), last)) if month_start(last) > starts[-1] else []
    if earlier:
        _split(connection, spec, spec.before, earlier, None, earlier[0])
    if later:
        _split(connection, spec, spec.after, later, add_months(later[-1], 1), None)
    return [spec.partition(start) for start in earlier + later]


def _split(
    connection: BaseDatabaseWrapper,
    spec: Monthly,
    edge: str,
    new: list[dt.datetime],
    lower: dt.datetime | None,
    upper: dt.datetime | None,
) -> None:
    """Replace the edge partition by the months `new` and a narrower edge, its rows moved."""
    moving = f"{edge}__moving"
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{edge}"')
        cursor.execute(f'ALTER TABLE "{edge}" RENAME TO "{moving}"')
    for start in new:
        _month(connection, spec, start)
    _edge(connection, spec, edge, lower, upper)
    _fill(connection, spec, moving, carry_ids=False)


def drop_expired(connection: BaseDatabaseWrapper, spec: Monthly, now: dt.datetime) -> list[str]:
    """Detach and drop the months before the retention, and the `before` partition's rows with
    them (call inside a transaction). Returns the partitions dropped."""
    if spec.keep_months is None:
        return []
    cutoff = add_months(month_start(now), -spec.keep_months)
    starts = month_starts(connection, spec)
    expired = [start for start in starts if start < cutoff]
    if not expired:
        return []
    with connection.cursor() as cursor:
        for start in expired:
            cursor.execute(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{spec.partition(start)}"')
            cursor.execute(f'DROP TABLE "{spec.partition(start)}"')
        # Everything in `before` is older than the first month, so past retention too; the new
        # one reaches up to the first month kept, leaving no gap a late row could fall into.
        cursor.execute(f'ALTER TABLE "{spec.table}" DETACH PARTITION "{spec.before}"')
        cursor.execute(f'DROP TABLE "{spec.before}"')
    kept = [start for start in starts if start >= cutoff]
    _edge(connection, spec, spec.before, None, kept[0] if kept else add_months(expired[-1], 1))
    return [spec.partition(start) for start in expired]


def _month(connection: BaseDatabaseWrapper, spec: Monthly, start: dt.datetime) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE "{spec.partition(start)}" PARTITION OF "{spec.table}" FOR VALUES FROM (%s) TO (%s)',
            [start, add_months(start, 1)],
        )


def _edge(
    connection: BaseDatabaseWrapper, spec: Monthly, name: str, lower: dt.datetime | None, upper: dt.datetime | None
) -> None:
    bounds = f"FROM ({'MINVALUE' if lower is None else '%s'}) TO ({'MAXVALUE' if upper is None else '%s'})"
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE TABLE "{name}" PARTITION OF "{spec.table}" FOR VALUES {bounds}',
            [bound for bound in (lower, upper) if bound is not None],
        )


def _rebuild(connection: BaseDatabaseWrapper, spec: Monthly, partitioned: bool) -> list[str]:
    """Rename the table to `<table>__old` and make its replacement, empty, with the old one's
    columns and identity; `_fill` then moves the rows. Returns the statements that give it the
    old one's keys, indexes and constraints under their names, to run once it is filled (an index
    built over the rows costs a fraction of one kept up row by row)."""
    table, old = spec.table, f"{spec.table}__old"
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = %s::regclass", [table])
        if cursor.fetchone()[0]:
            raise ValueError(f"{table}: other tables point at it; a foreign key cannot reach a partitioned table.")
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('p', 'u', 'f', 'c') ORDER BY contype, conname",
            [table],
        )
        constraints = cursor.fetchall()
        within = re.compile(rf"\(.*\b{re.escape(spec.column)}\b.*\)")
        unique = [d for _, kind, d in constraints if kind == "u"] + [d for _, d in indexes if " UNIQUE " in d]
        if partitioned and not all(within.search(definition) for definition in unique):
            raise ValueError(f"{table}: a unique key without {spec.column} cannot be kept across partitions.")
        cursor.execute(f'ALTER TABLE "{table}" RENAME TO "{old}"')
        for name, _ in indexes:
            cursor.execute(f'ALTER INDEX "{name}" RENAME TO "{name}__old"')
        for name, kind, _ in constraints:
            if kind != "c":
                cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{name}" TO "{name}__old"')
        layout = f' PARTITION BY RANGE ("{spec.column}")' if partitioned else ""
        cursor.execute(
            f'CREATE TABLE "{table}" (LIKE "{old}" INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING STORAGE){layout}'
        )
    keys = []
    for name, kind, definition in constraints:
        if kind == "p":
            column = definition.removeprefix("PRIMARY KEY (").split(",")[0].rstrip(")")
            definition = f'PRIMARY KEY ({column}, "{spec.column}")' if partitioned else f"PRIMARY KEY ({column})"
        keys.append(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
    return keys + [definition for _, definition in indexes]


def _run(connection: BaseDatabaseWrapper, statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _fill(connection: BaseDatabaseWrapper, spec: Monthly, old: str, carry_ids: bool = True) -> None:
    """Move the rows of the table `old` into the table and drop `old`; `carry_ids` when the table
    is new, so that its id sequence goes on from where the old one's stood (not from the largest
    id left: a deleted row's id is never given again)."""
    table = spec.table
    with connection.cursor() as cursor:
        cursor.execute(f'INSERT INTO "{table}" SELECT * FROM "{old}"')
        cursor.execute(
            "SELECT a.attname FROM pg_attribute a WHERE a.attrelid = %s::regclass AND a.attidentity <> ''", [table]
        )
        for (column,) in cursor.fetchall() if carry_ids else ():
            cursor.execute(
                "SELECT greatest(coalesce(pg_sequence_last_value(pg_get_serial_sequence(%s, %s)::regclass), 0),"
                f' (SELECT coalesce(max("{column}"), 0) FROM "{table}"))',
                [old, column],
            )
            [last] = cursor.fetchone()
            cursor.execute("SELECT setval(pg_get_serial_sequence(%s, %s), %s, false)", [table, column, last + 1])
        cursor.execute(f'DROP TABLE "{old}"')
