"""The documented backup and restore (docs/operations.md): a seeded database dumped with
scripts/backup-db.sh and restored with scripts/restore-db.sh into an empty one comes back the
same, row for row, with its append-only triggers, its sequences and no pending migration."""

import os
import subprocess
import sys

import psycopg
import pytest

from .postgres import ROOT, connect, direct_url, postgresql_only, scratch_database, tool, url

pytestmark = [postgresql_only, pytest.mark.skipif(tool("pg_dump") is None, reason="pg_dump is not installed")]


def run(*command, database):
    env = {
        **os.environ,
        "DATABASE_URL": url(database),
        "DATABASE_DIRECT_URL": direct_url(database),
        "DJANGO_SETTINGS_MODULE": "zhibao.settings.dev",
        "PG_BIN": os.path.dirname(tool("pg_dump")),
    }
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def manage(*args, database):
    return run(sys.executable, "manage.py", *args, database=database)


def fingerprint(database):
    """{table: (rows, md5 of every row)} for every table of the database."""
    with connect(url(database)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {
            table: conn.execute(
                f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t"
            ).fetchone()
            for table in tables
        }


def test_a_seeded_database_survives_backup_and_restore(tmp_path):
    dump = tmp_path / "zhibao.dump"
    with scratch_database("zb_backup_src") as source, scratch_database("zb_backup_dst") as target:
        manage("migrate", "--noinput", "-v0", database=source)
        manage("seed_demo", database=source)
        before = fingerprint(source)
        assert before["claims_claim"][0] > 0 and before["ledger_entry"][0] > 0

        run("scripts/backup-db.sh", str(dump), database=source)
        assert dump.stat().st_size > 0 and not (tmp_path / "zhibao.dump.partial").exists()
        run("scripts/restore-db.sh", str(dump), database=target)

        assert fingerprint(target) == before
        manage("migrate", "--check", database=target)
        # The restored ledger is still append-only…
        with connect(url(target)) as conn, pytest.raises(psycopg.errors.RestrictViolation):
            conn.execute("UPDATE ledger_entry SET memo = 'rewritten'")
        # …and the sequences came back: the seed runs again without adding anything twice.
        manage("seed_demo", database=target)
        assert {t: n for t, (n, _md5) in fingerprint(target).items()} == {t: n for t, (n, _md5) in before.items()}
        rows = sum(n for n, _md5 in before.values())
        print(f"\nbackup and restore: {len(before)} tables, {rows} rows, identical after the restore")


def test_a_restore_into_a_database_that_is_not_empty_fails_and_changes_nothing(tmp_path):
    dump = tmp_path / "zhibao.dump"
    with scratch_database("zb_backup_src") as source, scratch_database("zb_backup_dst") as target:
        manage("migrate", "--noinput", "-v0", database=source)
        run("scripts/backup-db.sh", str(dump), database=source)
        manage("migrate", "--noinput", "-v0", database=target)
        before = fingerprint(target)
        env = {**os.environ, "DATABASE_URL": url(target), "DATABASE_DIRECT_URL": direct_url(target)}
        result = subprocess.run(
            ["scripts/restore-db.sh", str(dump)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode != 0
        assert fingerprint(target) == before
