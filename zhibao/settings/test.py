"""Tests: whatever DATABASE_URL / CELERY_BROKER_URL name (CI sets PostgreSQL and Redis), fast hashing."""

import os
from pathlib import Path

from .base import *  # noqa: F403

SECRET_KEY = "test-only-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405

# A worker process started by a test must see the test database: SQLite's goes in a file, one per
# test run (a worker inherits the variable), so that two runs on one checkout do not share it.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    _database = os.environ.setdefault("ZHIBAO_TEST_DATABASE", str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": _database}  # noqa: F405
# Keep test messages apart from a demo worker's queue.
if CELERY_BROKER_URL.startswith("filesystem"):  # noqa: F405
    # One queue per test run; a worker a test starts inherits the variable and so the queue.
    _queue = Path(os.environ.setdefault("ZHIBAO_TEST_BROKER_DIR", str(VAR_DIR / f"test-broker-{os.getpid()}")))  # noqa: F405
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue),
        "data_folder_out": str(_queue),
        "control_folder": str(_queue / "control"),
    }
# The embedded file cache: one folder per test run, shared with the processes a test starts.
if not CACHE_URL:  # noqa: F405
    CACHES["default"]["LOCATION"] = os.environ.setdefault(  # noqa: F405
        "ZHIBAO_TEST_CACHE_DIR",
        str(VAR_DIR / f"test-cache-{os.getpid()}"),  # noqa: F405
    )

# Assertions read the English source strings; tests of the Chinese default set zh-hans themselves.
LANGUAGE_CODE = "en"

# The test database is dropped by force at the end, so that a pooler's idle connections to it
# (PgBouncer in CI) do not keep it (zhibao/db/postgresql).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["ENGINE"] = "zhibao.db.postgresql"  # noqa: F405

# The suite reads everything from the test database. The replica of CI's cluster is a real standby:
# a test database cannot be made on it, and its rows are those the primary has committed, never a
# test's rolled-back ones. tests/reliability/test_replica.py adds it back, on committed rows.
ZHIBAO_TEST_REPLICA = DATABASES.pop("replica", None)  # noqa: F405
