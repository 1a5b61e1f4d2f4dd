"""SQLite with the limit on query parameters that the connection really has.

Django 5.2 assumes SQLite's old compile-time default of 999 variables per statement and splits
bulk writes and `in_bulk` reads into batches under it. The SQLite builds Python 3.11 ships with
(3.32+) allow 32766 or more and report it, so a bulk call of 1000 orders is one INSERT here as
on PostgreSQL (Django 6.0 reads the limit the same way)."""

import sqlite3
from pathlib import Path

from django.db.backends.sqlite3 import base, features
from django.utils.functional import cached_property


class DatabaseFeatures(features.DatabaseFeatures):
    @cached_property
    def max_query_params(self):
        self.connection.ensure_connection()
        return self.connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures

    def get_new_connection(self, conn_params):
        # A fresh checkout has no var/ yet: the database's folder is made when the database is first opened.
        database = str(conn_params["database"])
        if not self.creation.is_in_memory_db(database) and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        return super().get_new_connection(conn_params)
