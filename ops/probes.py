"""What a load balancer asks: is the process up (/healthz), and can it serve (/readyz)?

Readiness checks every dependency a request may need: the database, the Celery broker (work is
queued on commit, so a request that changes something needs it), the cache (every API request
counts against its client's budget there) and the evidence storage."""

import logging
import os
from pathlib import Path

from django.core.cache import cache
from django.core.files.storage import FileSystemStorage, storages
from django.db import connection

from zhibao.celery import app

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 2


def database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def broker():
    with app.connection_for_write(connect_timeout=BROKER_TIMEOUT) as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=BROKER_TIMEOUT)


def shared_cache():
    cache.get("readyz-probe")


def storage():
    store = storages["default"]
    if isinstance(store, FileSystemStorage):
        # Django creates the folder on the first upload: the nearest existing folder must take it.
        folder = Path(store.location)
        while not folder.exists():
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            raise PermissionError(f"{folder} is not a writable folder")
    else:
        # A remote store answers a missing name with False, and raises when it cannot be reached.
        store.exists("readyz-probe")


CHECKS = {"database": database, "broker": broker, "cache": shared_cache, "storage": storage}


def readiness():
    """{name: "ok" | "unavailable"} for every dependency; the reason goes to the log, not the caller."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:
            logger.exception("readiness check %s failed", name)
            results[name] = "unavailable"
        else:
            results[name] = "ok"
    return results
