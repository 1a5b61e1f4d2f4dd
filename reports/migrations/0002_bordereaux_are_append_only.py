"""On PostgreSQL the database itself refuses UPDATE and DELETE on bordereaux (R-BDX-1: never
edited; a correction is a new version), as audit's 0002 does for the trail and the ledger."""

from django.db import migrations


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("reports", "Bordereau")._meta.db_table)
    schema_editor.execute(
        f"CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION zhibao_refuse_change()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("reports", "Bordereau")._meta.db_table)
    schema_editor.execute(f"DROP TRIGGER IF EXISTS append_only ON {table}")


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_bordereau"), ("audit", "0002_append_only_triggers")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
