import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="ProblemCode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "reason",
                    models.CharField(
                        choices=[
                            ("quality", "Quality problem"),
                            ("not_as_described", "Not as described"),
                            ("damaged", "Damaged or stained"),
                        ],
                        max_length=20,
                        verbose_name="reason",
                    ),
                ),
                ("code", models.SlugField(max_length=40, verbose_name="code")),
                ("label_zh_hans", models.CharField(max_length=120, verbose_name="label (zh-Hans)")),
                ("label_en", models.CharField(max_length=120, verbose_name="label (English)")),
                ("position", models.PositiveSmallIntegerField(default=0, verbose_name="position")),
                (
                    "plan",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="taxonomy",
                        to="catalogue.plan",
                        verbose_name="plan",
                    ),
                ),
            ],
            options={
                "verbose_name": "problem code",
                "verbose_name_plural": "problem codes",
                "ordering": ["plan", "reason", "position", "code"],
                "constraints": [models.UniqueConstraint(fields=("plan", "code"), name="one_problem_code_per_plan")],
            },
        ),
    ]
