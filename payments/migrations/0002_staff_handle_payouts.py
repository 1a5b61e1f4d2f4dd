"""Service staff see payout attempts and retry refused ones (R-PAY-6), and reconcile the days
(R-PAY-7); supervisors and reviewers see their insurer's attempts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {
    "service_staff": [
        "view_payoutattempt",
        "retry_payouts",
        "view_reconciliationday",
        "view_mismatch",
        "resolve_mismatches",
    ],
    "supervisor": ["view_payoutattempt"],
    "reviewer": ["view_payoutattempt"],
}


def grant(apps, schema_editor):
    config = apps.get_app_config("payments")
    models_module, config.models_module = getattr(config, "models_module", None), True
    create_permissions(config, apps=apps, verbosity=0)
    config.models_module = models_module
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group, _created = apps.get_model("auth", "Group").objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="payments", codename__in=codenames))


def revoke(apps, schema_editor):
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GRANTS.items():
        group = apps.get_model("auth", "Group").objects.filter(name=name).first()
        if group:
            group.permissions.remove(
                *Permission.objects.filter(content_type__app_label="payments", codename__in=codenames)
            )


class Migration(migrations.Migration):
    dependencies = [("payments", "0001_payouts_and_reconciliation"), ("backoffice", "0004_staff_see_disclosures")]

    operations = [migrations.RunPython(grant, revoke)]
