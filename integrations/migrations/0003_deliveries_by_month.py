"""On PostgreSQL the webhook deliveries and their attempt log become partitioned by month
(`created_at`, `at`; kernel.partitions), their rows kept. PostgreSQL wants the month in every
unique key and cannot point a foreign key at a partitioned table: the one-delivery-per-event key
gains created_at (an event's deliveries are written once, with one created_at), and the attempts'
link to their delivery is no longer a database constraint."""

import django.db.models.deletion
from django.db import migrations, models
from django.utils import timezone

from kernel import partitions

TABLES = (
    partitions.Monthly("integrations_webhookdelivery", "created_at"),
    partitions.Monthly("integrations_webhookattempt", "at"),
)


def by_month(apps, schema_editor):
    for spec in TABLES:
        partitions.convert(schema_editor.connection, spec, timezone.now(), partitions.AHEAD)


def one_table(apps, schema_editor):
    for spec in TABLES:
        partitions.merge(schema_editor.connection, spec)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0002_lean_indexes")]

    operations = [
        migrations.RemoveConstraint(model_name="webhookdelivery", name="one_delivery_per_client_event"),
        migrations.AlterField(
            model_name="webhookattempt",
            name="delivery",
            field=models.ForeignKey(
                db_constraint=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attempt_log",
                to="integrations.webhookdelivery",
            ),
        ),
        migrations.AddConstraint(
            model_name="webhookdelivery",
            constraint=models.UniqueConstraint(
                fields=("client", "event_id", "created_at"), name="one_delivery_per_client_event"
            ),
        ),
        migrations.RunPython(by_month, one_table, elidable=False),
    ]
