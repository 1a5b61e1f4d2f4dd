"""On PostgreSQL the notices table becomes partitioned by the month of `created_at`, its rows,
ids, indexes and constraints kept (kernel.partitions); other databases keep the plain table. The
model does not change: the primary key in the database becomes (id, created_at), ids still come
from one sequence."""

from django.db import migrations
from django.utils import timezone

from kernel import partitions

NOTICES = partitions.Monthly("notices_notice", "created_at")


def by_month(apps, schema_editor):
    partitions.convert(schema_editor.connection, NOTICES, timezone.now(), partitions.AHEAD)


def one_table(apps, schema_editor):
    partitions.merge(schema_editor.connection, NOTICES)


class Migration(migrations.Migration):
    dependencies = [("notices", "0003_rendered_notices")]

    operations = [migrations.RunPython(by_month, one_table, elidable=False)]
