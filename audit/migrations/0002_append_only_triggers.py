"""On PostgreSQL the database itself refuses UPDATE and DELETE on the rows that record what
happened: the audit trail, the ledger and decisions (R-PAY-4, domain.md §14). The models refuse
them too (AppendOnlyModel), but raw SQL, a shell or another program would not go through them.
SQLite keeps the model-level guard only."""

from django.db import migrations

APPEND_ONLY = [("audit", "TransitionLog"), ("ledger", "Entry"), ("claims", "Decision")]

FUNCTION = """
CREATE OR REPLACE FUNCTION zhibao_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Record a correction as a new row.';
END
$$;
"""


def tables(apps):
    return [apps.get_model(app, model)._meta.db_table for app, model in APPEND_ONLY]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # No parameters: the function body's % placeholders are PL/pgSQL's, not the driver's.
    schema_editor.execute(FUNCTION, params=None)
    for table in tables(apps):
        name = schema_editor.quote_name(table)
        schema_editor.execute(
            f"CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {name} "
            "FOR EACH ROW EXECUTE FUNCTION zhibao_refuse_change()"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in tables(apps):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS append_only ON {schema_editor.quote_name(table)}")
    schema_editor.execute("DROP FUNCTION IF EXISTS zhibao_refuse_change()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("ledger", "0001_initial"),
        ("claims", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
