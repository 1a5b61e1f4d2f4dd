"""Connection pooling as production runs it (issue 19, item 2): PgBouncer in transaction mode, where
a server connection serves one transaction of a client and then another client's. CI runs the
whole suite through it; these tests prove it does, and that nothing in the code needs a session."""

import os
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection, transaction

from .postgres import postgresql_only

ROOT = Path(__file__).resolve().parents[2]

through_pgbouncer = pytest.mark.skipif(
    not os.environ.get("ZHIBAO_EXPECT_PGBOUNCER"), reason="CI sets ZHIBAO_EXPECT_PGBOUNCER when it starts PgBouncer"
)

# What would outlive a transaction on a pooled server connection (or need one session throughout).
SESSION_STATE = [
    re.compile(r"pg_advisory_lock|pg_try_advisory_lock\(|pg_advisory_unlock", re.I),  # the _xact_ ones are fine
    re.compile(r"\bLISTEN\b|\bUNLISTEN\b", re.I),
    re.compile(r"""["']SET (?!LOCAL\b|CONSTRAINTS\b)"""),  # SQL is written in capitals here
    re.compile(r"\bPREPARE\b|\bWITH HOLD\b|\bTEMP(ORARY)? TABLE\b", re.I),
]
# Code that runs against a direct connection: tests set state inside their own transaction, and the
# bench loads its worlds over a connection of its own.
NOT_POOLED = {".venv", "tests", "bench", "locale", "var", "staticfiles", "node_modules"}


@through_pgbouncer
@postgresql_only
@pytest.mark.django_db
def test_ci_talks_to_postgresql_through_pgbouncer_in_transaction_mode():
    with connection.cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        server_port = cursor.fetchone()[0]
    assert int(connection.settings_dict["PORT"]) != server_port  # a pooler between us
    assert connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert connection.connection.prepare_threshold is None  # psycopg never prepares a statement
    assert settings.DATABASES["default"]["CONN_MAX_AGE"] > 0  # persistent connections to the pooler


@through_pgbouncer
@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_a_transaction_keeps_one_server_connection_and_its_row_locks():
    """What select_for_update, SKIP LOCKED and pg_advisory_xact_lock rely on: within one
    transaction, every statement runs on the same server backend."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        first = cursor.fetchone()[0]
        cursor.execute("SELECT pg_advisory_xact_lock(19)")
        for _ in range(5):
            cursor.execute("SELECT pg_backend_pid()")
            assert cursor.fetchone()[0] == first
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()")
        assert cursor.fetchone()[0] == 1


def test_no_code_keeps_state_in_a_database_session():
    offences = []
    folders = [folder for folder in ROOT.iterdir() if folder.is_dir() and folder.name not in NOT_POOLED]
    for path in (path for folder in folders if not folder.name.startswith(".") for path in folder.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(pattern.search(line) for pattern in SESSION_STATE) and not line.lstrip().startswith("#"):
                offences.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offences == []
