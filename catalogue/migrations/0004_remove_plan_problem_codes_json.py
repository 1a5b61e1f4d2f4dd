from django.db import migrations


class Migration(migrations.Migration):
    """R-PLAN-1: the JSON taxonomy is now in rows (0003)."""

    dependencies = [
        ("catalogue", "0003_taxonomies_as_rows"),
    ]

    operations = [
        migrations.RemoveField(model_name="plan", name="problem_codes"),
    ]
