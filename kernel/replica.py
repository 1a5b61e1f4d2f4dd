"""Reads of reports from the read replica (`REPLICA_DATABASE_URL`), writes never.

Reports, exports, bordereaux and the service figures read many rows and change none: they are
sent to a streaming replica so that a month's bordereaux or a big export never takes the primary's
cores from the requests. Everything else, and every write whoever makes it, stays on the primary.
Without a replica configured, everything reads the primary, as before.

A replica is behind the primary by its replay lag. A page of figures or an export may be that much
out of date; a bordereau is kept for good, so it asks for `reads(caught_up=True)`: the replica only
once it has replayed everything the primary had committed when the report began, else the primary."""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, router
from django.db.models import Model, QuerySet

REPLICA = "replica"
# How long a report that needs the replica caught up waits for it before reading the primary.
CATCH_UP_SECONDS = 5.0

log = logging.getLogger(__name__)
_reading: ContextVar[bool] = ContextVar("zhibao_replica_reads", default=False)
M = TypeVar("M", bound=Model)


def configured() -> bool:
    return REPLICA in settings.DATABASES


@contextmanager
def reads(*, caught_up: bool = False) -> Iterator[str]:
    """Inside, the router sends reads to the replica (when one is configured and, if `caught_up`,
    has replayed all the primary had committed on entry). Yields the alias the reads go to."""
    use = configured() and (not caught_up or wait_for_replay())
    token = _reading.set(use)
    try:
        yield REPLICA if use else DEFAULT_DB_ALIAS
    finally:
        _reading.reset(token)


def for_report(queryset: QuerySet[M]) -> QuerySet[M]:
    """`queryset` on the database the router gives reports: for a streamed export, whose rows are
    read after the view has returned (and so after any `reads()` block has closed)."""
    return queryset.using(router.db_for_read(queryset.model, report=True))


def wait_for_replay(timeout: float | None = None) -> bool:
    """Whether the replica has replayed, within `timeout` (CATCH_UP_SECONDS), what the primary had
    committed now."""
    if connections[DEFAULT_DB_ALIAS].vendor != "postgresql":
        return True
    target = _primary_lsn()
    deadline = time.monotonic() + (CATCH_UP_SECONDS if timeout is None else timeout)
    while True:
        behind = _scalar(REPLICA, "SELECT pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn())", [target])
        # None: the alias is not a standby at all (a mirror of the primary in tests), so nothing to wait for.
        if behind is None or behind <= 0:
            return True
        if time.monotonic() >= deadline:
            log.warning("the replica is %s bytes behind: this report reads the primary", behind)
            return False
        time.sleep(0.1)


def _primary_lsn() -> str:
    return str(_scalar(DEFAULT_DB_ALIAS, "SELECT pg_current_wal_lsn()::text", []))


def _scalar(alias: str, sql: str, params: list[Any]) -> Any:
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


class ReplicaRouter:
    """Settings' DATABASE_ROUTERS: report reads to the replica, all writes and migrations to the primary."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        if configured() and (_reading.get() or hints.get("report")):
            return REPLICA
        return None  # the row's own database when it has one, else the primary

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        return True  # one database, two copies of it

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == DEFAULT_DB_ALIAS
