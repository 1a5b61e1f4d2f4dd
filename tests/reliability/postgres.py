"""Helpers for tests that need PostgreSQL beside the test database: its address, its tools, and
throwaway databases on the same server."""

import os
import shutil
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (CI sets DATABASE_URL; SQLite here)"
)


def tool(name):
    """A PostgreSQL program from PG_BIN when it has it, else from PATH, else None."""
    pg_bin = os.environ.get("PG_BIN")
    if pg_bin and (Path(pg_bin) / name).is_file():
        return str(Path(pg_bin) / name)
    return shutil.which(name) or (
        f"/usr/lib/postgresql/15/bin/{name}" if Path(f"/usr/lib/postgresql/15/bin/{name}").exists() else None
    )


def url(dbname=None):
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{dbname or s['NAME']}"


def direct_url(dbname=None):
    """The server itself, past PgBouncer (CI's DATABASE_DIRECT_URL), for tools that set session state."""
    direct = os.environ.get("DATABASE_DIRECT_URL")
    if not direct:
        return url(dbname)
    return direct.rsplit("/", 1)[0] + f"/{dbname or connection.settings_dict['NAME']}"


def connect(address, **options):
    """A psycopg connection of a test's own, made as Django's are behind PgBouncer (CI): it never
    prepares a statement, since the next statement may run on a backend that has not seen it."""
    return psycopg.connect(address, prepare_threshold=None, **options)


def admin_connection():
    return connect(url("postgres"), autocommit=True)


@contextmanager
def scratch_database(prefix):
    """A fresh empty database on the test server, dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with admin_connection() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin_connection() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
