"""PostgreSQL whose test database is dropped even while a connection pooler still holds it.

Behind PgBouncer (CI runs the suite through it, as production runs), the pooler keeps its idle
server connections to the test database open after the last test: Django's plain `DROP DATABASE`
then fails with "is being accessed by other users", and the next run could not recreate it.
`WITH (FORCE)` (PostgreSQL 13+) ends those connections first; the pooler opens new ones when asked."""

from typing import Any

from django.db.backends.postgresql import base, creation


class DatabaseCreation(creation.DatabaseCreation):
    def _execute_create_test_db(self, cursor: Any, parameters: dict[str, Any], keepdb: bool = False) -> None:
        if not keepdb:
            # What Django would drop on "already exists" (tests always clobber): dropped first, by force.
            cursor.execute(f"DROP DATABASE IF EXISTS {parameters['dbname']} WITH (FORCE)")
        super()._execute_create_test_db(cursor, parameters, keepdb)  # type: ignore[misc]  # not in django-stubs

    def _destroy_test_db(self, test_database_name: str, verbosity: int) -> None:
        with self.connection._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE {self.connection.ops.quote_name(test_database_name)} WITH (FORCE)")


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation
